//! Line charts: one line per series, e.g. training curves.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::coord::Axis;
use crate::error::PlotError;
use crate::palette::rgb;
use crate::panel::{Labels, frame, legend, legend_corner};
use crate::render::{Draw, render_methods};

/// Series with at most this many points get a dot at each point; longer ones are drawn as bare
/// lines, where dots would only thicken the line.
pub const MAX_MARKED_POINTS: usize = 100;

/// One named line of a [`LineChart`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    /// Legend text.
    pub name: String,
    /// `(x, y)` points, joined in the given order. A point that an axis cannot show (NaN or
    /// infinite; zero or negative on a log axis) is skipped and breaks the line.
    pub points: Vec<(f64, f64)>,
}

impl Series {
    /// A series named `name` through `points`.
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            name: name.into(),
            points,
        }
    }
}

/// A chart of lines over shared axes, with a legend.
///
/// Each series gets the next [`PALETTE`](crate::PALETTE) colour. Axes are fitted to the shown
/// points, with ticks at 1, 2 or 5 times a power of ten (decades on log axes).
///
/// ```
/// use da_plot::{LineChart, PlotFormat, Series};
///
/// let chart = LineChart {
///     title: "Training loss".into(),
///     x_label: "epoch".into(),
///     y_label: "loss".into(),
///     y_log: true,
///     series: vec![
///         Series::new("train", vec![(1.0, 2.3), (2.0, 0.9), (3.0, 0.4)]),
///         Series::new("validation", vec![(1.0, 2.4), (2.0, 1.1), (3.0, 0.7)]),
///     ],
///     ..Default::default()
/// };
/// let svg = String::from_utf8(chart.render(PlotFormat::Svg)?).unwrap();
/// assert!(svg.starts_with("<svg") && svg.contains("validation"));
/// assert!(chart.render(PlotFormat::Png)?.starts_with(b"\x89PNG"));
/// # Ok::<(), da_plot::PlotError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    /// Title above the plot; empty for none.
    pub title: String,
    /// Label under the x axis; empty for none.
    pub x_label: String,
    /// Label left of the y axis; empty for none.
    pub y_label: String,
    /// Logarithmic x axis (points with `x <= 0` are skipped).
    pub x_log: bool,
    /// Logarithmic y axis (points with `y <= 0` are skipped).
    pub y_log: bool,
    /// The lines, drawn in order (later ones on top).
    pub series: Vec<Series>,
    /// Canvas width in pixels (default 720).
    pub width: u32,
    /// Canvas height in pixels (default 440).
    pub height: u32,
}

impl Default for LineChart {
    fn default() -> Self {
        Self {
            title: String::new(),
            x_label: String::new(),
            y_label: String::new(),
            x_log: false,
            y_log: false,
            series: Vec::new(),
            width: 720,
            height: 440,
        }
    }
}

render_methods!(LineChart);

impl LineChart {
    /// Whether the axes can show `point`.
    fn shows(&self, &(x, y): &(f64, f64)) -> bool {
        Axis::shows(self.x_log, x) && Axis::shows(self.y_log, y)
    }

    /// The runs of consecutive shown points of `series`.
    fn segments(&self, series: &Series) -> Vec<Vec<(f64, f64)>> {
        series
            .points
            .split(|p| !self.shows(p))
            .filter(|run| !run.is_empty())
            .map(<[_]>::to_vec)
            .collect()
    }
}

impl Draw for LineChart {
    fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        let shown = || {
            self.series
                .iter()
                .flat_map(|s| s.points.iter())
                .filter(|p| self.shows(p))
        };
        let x = Axis::fit(shown().map(|p| p.0), self.x_log);
        let y = Axis::fit(shown().map(|p| p.1), self.y_log);
        let labels = Labels {
            title: &self.title,
            x_label: &self.x_label,
            y_label: &self.y_label,
        };
        let mut chart = frame(area, &labels, x, y)?;
        // The points and the midpoints of the lines (in axis fractions, so that log axes
        // count the middle the reader sees).
        let mut under = Vec::new();
        for series in &self.series {
            for run in self.segments(series) {
                under.extend(run.iter().copied());
                for pair in run.windows(2) {
                    let mid = |a: f64, b: f64, log: bool| {
                        if log { (a * b).sqrt() } else { (a + b) / 2.0 }
                    };
                    under.push((
                        mid(pair[0].0, pair[1].0, self.x_log),
                        mid(pair[0].1, pair[1].1, self.y_log),
                    ));
                }
            }
        }
        let corner = legend_corner(&x, &y, under);
        for (i, series) in self.series.iter().enumerate() {
            let style = ShapeStyle::from(rgb(i)).stroke_width(2);
            let segments = self.segments(series);
            let marked = series.points.len() <= MAX_MARKED_POINTS;
            let dots: Vec<(f64, f64)> = if marked {
                segments.iter().flatten().copied().collect()
            } else {
                Vec::new()
            };
            chart
                .draw_series(dots.into_iter().map(|p| Circle::new(p, 2, style.filled())))
                .map_err(PlotError::draw)?;
            chart
                .draw_series(segments.into_iter().map(|run| PathElement::new(run, style)))
                .map_err(PlotError::draw)?
                .label(series.name.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
        }
        legend(&mut chart, !self.series.is_empty(), corner)
    }
}
