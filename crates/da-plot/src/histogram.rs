//! Histograms of a sample, with labelled vertical lines (an observed statistic, a critical
//! value).

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::coord::Axis;
use crate::error::PlotError;
use crate::palette::rgb;
use crate::panel::{Labels, frame, legend, legend_corner};
use crate::render::{Draw, render_methods};

/// A labelled vertical line across a [`Histogram`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VerticalLine {
    /// Legend text.
    pub name: String,
    /// Where the line crosses the x axis; a NaN or infinite one is not drawn.
    pub x: f64,
}

impl VerticalLine {
    /// A line named `name` at `x`.
    pub fn new(name: impl Into<String>, x: f64) -> Self {
        Self {
            name: name.into(),
            x,
        }
    }
}

/// One bar of a [`Histogram`]: the values in `[start, end)` (the last bar includes its end).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bin {
    /// Left edge.
    pub start: f64,
    /// Right edge.
    pub end: f64,
    /// How many values fall into the bar.
    pub count: usize,
}

/// A histogram of `values` in [`Histogram::bins`] equal bars over their range, with optional
/// vertical lines, e.g. the permutation distribution of a test statistic with the observed
/// statistic and the critical value marked.
///
/// NaN and infinite values are left out; when all values are equal, one bar of a nominal
/// width holds them.
///
/// ```
/// use da_plot::{Histogram, PlotFormat, VerticalLine};
///
/// let chart = Histogram {
///     title: "Null distribution".into(),
///     name: "permutations".into(),
///     values: vec![0.1, 0.2, 0.2, 0.3, 0.35],
///     bins: 4,
///     lines: vec![VerticalLine::new("observed", 0.9)],
///     ..Default::default()
/// };
/// let counts: Vec<usize> = chart.binned().iter().map(|b| b.count).collect();
/// assert_eq!(counts, [1, 2, 0, 2]);
/// let svg = String::from_utf8(chart.render(PlotFormat::Svg)?).unwrap();
/// assert!(svg.contains("observed"));
/// # Ok::<(), da_plot::PlotError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// Title above the plot; empty for none.
    pub title: String,
    /// Label under the x axis; empty for none.
    pub x_label: String,
    /// Label left of the y axis; empty for none.
    pub y_label: String,
    /// Legend text of the bars.
    pub name: String,
    /// The sample.
    pub values: Vec<f64>,
    /// Number of bars (at least 1; default 30).
    pub bins: usize,
    /// Vertical lines drawn over the bars, each in its own colour.
    pub lines: Vec<VerticalLine>,
    /// Canvas width in pixels (default 720).
    pub width: u32,
    /// Canvas height in pixels (default 440).
    pub height: u32,
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            title: String::new(),
            x_label: String::new(),
            y_label: String::new(),
            name: String::new(),
            values: Vec::new(),
            bins: 30,
            lines: Vec::new(),
            width: 720,
            height: 440,
        }
    }
}

render_methods!(Histogram);

impl Histogram {
    /// The bars: [`Histogram::bins`] of them over the range of the finite values, none
    /// without any.
    pub fn binned(&self) -> Vec<Bin> {
        let finite = || self.values.iter().copied().filter(|v| v.is_finite());
        let low = finite().fold(f64::INFINITY, f64::min);
        let high = finite().fold(f64::NEG_INFINITY, f64::max);
        if low > high {
            return Vec::new();
        }
        let bins = self.bins.max(1);
        let width = if high > low {
            (high - low) / bins as f64
        } else {
            low.abs().max(1e-12) * 1e-3
        };
        let mut counts = vec![0usize; bins];
        for value in finite() {
            let bin = (((value - low) / width) as usize).min(bins - 1);
            counts[bin] += 1;
        }
        counts
            .into_iter()
            .enumerate()
            .map(|(i, count)| Bin {
                start: low + width * i as f64,
                end: low + width * (i + 1) as f64,
                count,
            })
            .collect()
    }
}

impl Draw for Histogram {
    fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        let bins = self.binned();
        let lines: Vec<&VerticalLine> = self.lines.iter().filter(|l| l.x.is_finite()).collect();
        let edges = bins.iter().flat_map(|b| [b.start, b.end]);
        let x = Axis::fit(edges.chain(lines.iter().map(|l| l.x)), false);
        let top = bins.iter().map(|b| b.count).max().unwrap_or(0).max(1) as f64;
        let y = Axis::exact(0.0, top * 1.08, false);
        let labels = Labels {
            title: &self.title,
            x_label: &self.x_label,
            y_label: &self.y_label,
        };
        let mut chart = frame(area, &labels, x, y)?;
        // The bars (their tops and everything below them) and the vertical lines.
        let bars = bins
            .iter()
            .map(|b| ((b.start + b.end) / 2.0, b.count as f64));
        let columns = bars.chain(lines.iter().map(|l| (l.x, top)));
        let under =
            columns.flat_map(|(x, height)| (0..4).map(move |k| (x, height * f64::from(k) / 3.0)));
        let corner = legend_corner(&x, &y, under);
        let bar = rgb(0).mix(0.55).filled();
        chart
            .draw_series(
                bins.iter()
                    .map(|b| Rectangle::new([(b.start, 0.0), (b.end, b.count as f64)], bar)),
            )
            .map_err(PlotError::draw)?
            .label(self.name.as_str())
            .legend(move |(x, y)| Rectangle::new([(x + 4, y - 5), (x + 14, y + 5)], bar));
        for (i, line) in lines.iter().enumerate() {
            let style = ShapeStyle::from(rgb(i + 1)).stroke_width(2);
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(line.x, 0.0), (line.x, top * 1.08)],
                    style,
                )))
                .map_err(PlotError::draw)?
                .label(line.name.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
        }
        legend(&mut chart, true, corner)
    }
}
