//! Figures of several charts side by side under one title.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::PlotError;
use crate::histogram::Histogram;
use crate::line_chart::LineChart;
use crate::render::{Draw, font, render_methods};
use crate::scatter_plot::ScatterPlot;

/// One chart of a [`Figure`].
#[derive(Debug, Clone, PartialEq)]
pub enum Panel {
    /// A line chart.
    Line(LineChart),
    /// A scatter plot.
    Scatter(ScatterPlot),
    /// A histogram.
    Histogram(Histogram),
}

impl Panel {
    fn size(&self) -> (u32, u32) {
        match self {
            Panel::Line(chart) => chart.size(),
            Panel::Scatter(chart) => chart.size(),
            Panel::Histogram(chart) => chart.size(),
        }
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        match self {
            Panel::Line(chart) => chart.draw(area),
            Panel::Scatter(chart) => chart.draw(area),
            Panel::Histogram(chart) => chart.draw(area),
        }
    }
}

/// Height in pixels of a figure's title row.
const TITLE_HEIGHT: u32 = 36;

/// Charts in a grid of `columns` columns (all in one row when 0), each cell as large as the
/// largest panel, under a common title: before/after comparisons, one panel per setting.
///
/// ```
/// use da_plot::{Figure, Group, Marker, Panel, PlotFormat, ScatterPlot};
///
/// let panel = |title: &str| {
///     Panel::Scatter(ScatterPlot {
///         title: title.into(),
///         groups: vec![Group::new("points", Marker::Circle, vec![(0.0, 1.0), (1.0, 0.0)])],
///         ..Default::default()
///     })
/// };
/// let figure = Figure {
///     title: "Before and after".into(),
///     panels: vec![panel("before"), panel("after")],
///     columns: 0,
/// };
/// assert_eq!(figure.size(), (1280, 480 + 36));
/// let svg = String::from_utf8(figure.render(PlotFormat::Svg)?).unwrap();
/// assert!(svg.contains("Before and after") && svg.contains("after"));
/// # Ok::<(), da_plot::PlotError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Figure {
    /// Title above the panels; empty for none.
    pub title: String,
    /// The charts, row by row.
    pub panels: Vec<Panel>,
    /// Panels per row; 0 puts them all in one row.
    pub columns: usize,
}

render_methods!(Figure);

impl Figure {
    /// `(columns, rows)` of the grid.
    fn grid(&self) -> (usize, usize) {
        let n = self.panels.len().max(1);
        let columns = if self.columns == 0 {
            n
        } else {
            self.columns.min(n)
        };
        (columns, n.div_ceil(columns))
    }

    fn title_height(&self) -> u32 {
        if self.title.is_empty() {
            0
        } else {
            TITLE_HEIGHT
        }
    }

    /// Canvas size in pixels: the grid of the largest panel size, plus the title row.
    pub fn size(&self) -> (u32, u32) {
        let (columns, rows) = self.grid();
        let cell = self
            .panels
            .iter()
            .map(Panel::size)
            .fold((320, 240), |(w, h), (pw, ph)| (w.max(pw), h.max(ph)));
        (
            cell.0 * columns as u32,
            cell.1 * rows as u32 + self.title_height(),
        )
    }
}

impl Draw for Figure {
    fn size(&self) -> (u32, u32) {
        Figure::size(self)
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        area.fill(&WHITE).map_err(PlotError::draw)?;
        let (title, body) = area.split_vertically(self.title_height());
        if !self.title.is_empty() {
            title
                .draw_text(&self.title, &font(20), (12, 8))
                .map_err(PlotError::draw)?;
        }
        let (columns, rows) = self.grid();
        for (panel, cell) in self.panels.iter().zip(body.split_evenly((rows, columns))) {
            panel.draw(&cell)?;
        }
        Ok(())
    }
}
