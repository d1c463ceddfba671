//! The frame shared by every chart panel: background, title, axes with ticks and labels, and
//! the legend, on plotters.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::coord::Axis;
use crate::error::PlotError;
use crate::render::font;

/// A chart context on two [`Axis`] coordinates.
pub(crate) type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<Axis, Axis>>;

/// Titles and axis labels of a panel.
pub(crate) struct Labels<'l> {
    pub title: &'l str,
    pub x_label: &'l str,
    pub y_label: &'l str,
}

/// Fills `area` white and draws the title, the axes and their grid; returns the chart whose
/// plotting area the caller draws into.
pub(crate) fn frame<'a, DB: DrawingBackend + 'a>(
    area: &'a DrawingArea<DB, Shift>,
    labels: &Labels<'_>,
    x: Axis,
    y: Axis,
) -> Result<Chart<'a, DB>, PlotError> {
    area.fill(&WHITE).map_err(PlotError::draw)?;
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(12)
        .x_label_area_size(if labels.x_label.is_empty() { 28 } else { 48 })
        .y_label_area_size(if labels.y_label.is_empty() { 52 } else { 72 });
    if !labels.title.is_empty() {
        builder.caption(labels.title, font(17));
    }
    let mut chart = builder.build_cartesian_2d(x, y).map_err(PlotError::draw)?;
    chart
        .configure_mesh()
        .x_desc(labels.x_label)
        .y_desc(labels.y_label)
        .label_style(font(12))
        .axis_desc_style(font(14))
        .bold_line_style(RGBColor(225, 225, 225))
        .axis_style(RGBColor(68, 68, 68))
        .x_labels(8)
        .y_labels(8)
        .draw()
        .map_err(PlotError::draw)?;
    Ok(chart)
}

/// The corner of the plotting area that the legend hides the fewest of `points` in (data
/// coordinates on the axes `x`, `y`), preferring the top right on ties.
pub(crate) fn legend_corner(
    x: &Axis,
    y: &Axis,
    points: impl IntoIterator<Item = (f64, f64)>,
) -> SeriesLabelPosition {
    // Counts in the four corner boxes, each 45 % wide and 45 % high.
    let mut counts = [0usize; 4];
    for (px, py) in points {
        let (fx, fy) = (x.fraction(px), y.fraction(py));
        if !(fx.is_finite() && fy.is_finite()) {
            continue;
        }
        let (right, left, top, bottom) = (fx > 0.55, fx < 0.45, fy > 0.55, fy < 0.45);
        for (i, inside) in [right && top, left && top, right && bottom, left && bottom]
            .into_iter()
            .enumerate()
        {
            counts[i] += usize::from(inside);
        }
    }
    let best = (0..4).min_by_key(|&i| counts[i]).unwrap_or(0);
    [
        SeriesLabelPosition::UpperRight,
        SeriesLabelPosition::UpperLeft,
        SeriesLabelPosition::LowerRight,
        SeriesLabelPosition::LowerLeft,
    ][best]
        .clone()
}

/// Draws the legend of the labelled series at `corner` (nothing without any).
pub(crate) fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    any: bool,
    corner: SeriesLabelPosition,
) -> Result<(), PlotError> {
    if !any {
        return Ok(());
    }
    chart
        .configure_series_labels()
        .position(corner)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(150, 150, 150))
        .label_font(font(12))
        .draw()
        .map_err(PlotError::draw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_legend_goes_to_the_emptiest_corner() {
        let axis = Axis::exact(0.0, 1.0, false);
        let corner = |points: Vec<(f64, f64)>| legend_corner(&axis, &axis, points);
        assert!(matches!(corner(vec![]), SeriesLabelPosition::UpperRight));
        let top_right = vec![(0.9, 0.9), (0.8, 0.7), (0.1, 0.9)];
        assert!(matches!(corner(top_right), SeriesLabelPosition::LowerRight));
        let rising = (0..10)
            .map(|i| (f64::from(i) / 9.0, f64::from(i) / 9.0))
            .collect();
        assert!(matches!(corner(rising), SeriesLabelPosition::UpperLeft));
    }
}
