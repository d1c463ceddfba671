//! The chart: median time of the seed's loss (Gaussian, biased) against n = m, log-log, one
//! panel per feature width d and one line per implementation and backend, drawn by da-plot.

use std::collections::BTreeSet;

use da_plot::{Figure, LineChart, Panel};

use super::case::Shape;
use super::row::Row;

/// The variant the chart shows.
pub const CHART_VARIANT: &str = "gaussian-biased";

/// One line of the chart: `(n, median ms)` points of one implementation on one backend at one d.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// `implementation (backend)`.
    pub label: String,
    /// Feature width.
    pub d: usize,
    /// `(n, median ms)`, by increasing n.
    pub points: Vec<(f64, f64)>,
}

/// The measured Gaussian-biased MMD rows grouped into series.
pub fn series(rows: &[Row]) -> Vec<Series> {
    let mut out: Vec<Series> = Vec::new();
    for row in rows {
        let (Shape::Mmd { n, d, .. }, Some(median)) = (row.case.shape, row.median_ms()) else {
            continue;
        };
        if row.case.variant != CHART_VARIANT || median <= 0.0 {
            continue;
        }
        let label = format!("{} ({})", row.case.implementation, row.case.backend);
        match out.iter_mut().find(|s| s.label == label && s.d == d) {
            Some(s) => s.points.push((n as f64, median)),
            None => out.push(Series {
                label,
                d,
                points: vec![(n as f64, median)],
            }),
        }
    }
    for s in &mut out {
        s.points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    out
}

/// The chart, or `None` when no row has a Gaussian-biased MMD timing. Every panel lists every
/// implementation and backend (empty where one was not measured at that d), so that each keeps
/// its colour across the panels.
pub fn chart(rows: &[Row]) -> Option<Figure> {
    let series = series(rows);
    if series.is_empty() {
        return None;
    }
    let widths: BTreeSet<usize> = series.iter().map(|s| s.d).collect();
    let mut labels: Vec<&str> = Vec::new();
    for s in &series {
        if !labels.contains(&s.label.as_str()) {
            labels.push(&s.label);
        }
    }
    let panels = widths
        .into_iter()
        .map(|d| {
            let lines = labels
                .iter()
                .map(|&label| {
                    let points = series
                        .iter()
                        .find(|s| s.label == label && s.d == d)
                        .map(|s| s.points.clone())
                        .unwrap_or_default();
                    da_plot::Series::new(label, points)
                })
                .collect();
            Panel::Line(LineChart {
                title: format!("d = {d}"),
                x_label: "n = m".into(),
                y_label: "median time (ms)".into(),
                x_log: true,
                y_log: true,
                series: lines,
                width: 520,
                height: 400,
            })
        })
        .collect();
    Some(Figure {
        title: format!(
            "MMD forward + backward of {CHART_VARIANT} (the seed's loss): median time vs n = m (log-log)"
        ),
        panels,
        columns: 3,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::case::Case;
    use crate::bench::row::Outcome;
    use da_plot::PlotFormat;

    fn row(implementation: &str, backend: &str, n: usize, d: usize, median: Option<f64>) -> Row {
        let case = Case {
            group: "mmd".into(),
            implementation: implementation.into(),
            variant: CHART_VARIANT.into(),
            backend: backend.into(),
            shape: Shape::Mmd { n, m: n, d },
        };
        match median {
            Some(median_ms) => Row::measured(case, median_ms),
            None => Row::unmeasured(case, Outcome::OutOfMemory),
        }
    }

    fn rows() -> Vec<Row> {
        vec![
            row("ours", "ndarray", 256, 14, Some(30.0)),
            row("ours", "ndarray", 64, 14, Some(2.0)),
            row("naive", "ndarray", 64, 14, Some(11.0)),
            row("naive", "ndarray", 256, 14, None),
            row("ours", "ndarray", 64, 256, Some(3.5)),
            row("ours", "wgpu", 64, 256, Some(40.0)),
        ]
    }

    #[test]
    fn series_group_measured_points_by_label_and_width() {
        let s = |label: &str, d, points: Vec<(f64, f64)>| Series {
            label: label.into(),
            d,
            points,
        };
        assert_eq!(
            series(&rows()),
            vec![
                s("ours (ndarray)", 14, vec![(64.0, 2.0), (256.0, 30.0)]),
                s("naive (ndarray)", 14, vec![(64.0, 11.0)]),
                s("ours (ndarray)", 256, vec![(64.0, 3.5)]),
                s("ours (wgpu)", 256, vec![(64.0, 40.0)]),
            ]
        );
    }

    #[test]
    fn one_log_log_panel_per_width_rendered_as_png_and_svg() {
        let figure = chart(&rows()).unwrap();
        assert_eq!(figure.panels.len(), 2);
        for panel in &figure.panels {
            let Panel::Line(line) = panel else {
                panic!("a line chart per width")
            };
            assert!(line.x_log && line.y_log);
            // Every label in every panel, so that a label keeps its colour.
            assert_eq!(line.series.len(), 3);
        }
        let png = figure.render(PlotFormat::Png).unwrap();
        let image = image::load_from_memory(&png).unwrap().to_rgb8();
        assert_eq!(image.dimensions(), figure.size());
        let first = image.get_pixel(0, 0);
        assert!(image.pixels().any(|p| p != first), "blank chart");
        let svg = String::from_utf8(figure.render(PlotFormat::Svg).unwrap()).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("d = 14") && svg.contains("d = 256"));
        assert!(svg.contains("ours (wgpu)") && svg.contains("median time"));
    }

    #[test]
    fn no_chart_without_measurements() {
        assert_eq!(chart(&[row("naive", "ndarray", 4096, 2048, None)]), None);
        let mut other = row("ours", "ndarray", 64, 14, Some(1.0));
        other.case.variant = "linear".into();
        assert_eq!(chart(&[other]), None);
    }
}
