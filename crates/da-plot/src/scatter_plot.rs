//! Scatter plots: groups of points with a marker shape each, optionally coloured by class.

use std::collections::BTreeSet;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::coord::Axis;
use crate::error::PlotError;
use crate::marker::{Marker, draw_markers};
use crate::palette::{hex, rgb};
use crate::panel::{Labels, frame, legend, legend_corner};
use crate::render::{Draw, render_methods};

/// Colour of the legend marker of a group whose points are coloured by class.
const NEUTRAL: &str = "#444444";
/// Marker radius in pixels.
const RADIUS: i32 = 4;

/// One named set of points of a [`ScatterPlot`], all drawn with the same [`Marker`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Group {
    /// Legend text.
    pub name: String,
    /// Shape drawn at each point.
    pub marker: Marker,
    /// The points; NaN or infinite ones are skipped.
    pub points: Vec<(f64, f64)>,
    /// Per-point class index, colouring point `i` with palette colour `classes[i]`; `None`
    /// colours the whole group with the palette colour of its position in
    /// [`ScatterPlot::groups`]. When present, it must have one entry per point.
    pub classes: Option<Vec<usize>>,
}

impl Group {
    /// A group of `points` drawn as `marker`s in the group's own colour.
    pub fn new(name: impl Into<String>, marker: Marker, points: Vec<(f64, f64)>) -> Self {
        Self {
            name: name.into(),
            marker,
            points,
            classes: None,
        }
    }

    /// A group of `points` drawn as `marker`s, point `i` coloured by its class `classes[i]`.
    ///
    /// # Panics
    ///
    /// If `classes` and `points` differ in length.
    pub fn with_classes(
        name: impl Into<String>,
        marker: Marker,
        points: Vec<(f64, f64)>,
        classes: Vec<usize>,
    ) -> Self {
        let group = Self {
            name: name.into(),
            marker,
            points,
            classes: Some(classes),
        };
        group.check();
        group
    }

    fn check(&self) {
        if let Some(classes) = &self.classes {
            assert_eq!(
                classes.len(),
                self.points.len(),
                "group `{}` has {} points but {} class indices; give one class per point",
                self.name,
                self.points.len(),
                classes.len(),
            );
        }
    }
}

/// A scatter plot of marker groups over shared linear axes, with a legend.
///
/// Built for 2-D feature projections: one group per domain (source, target), each with its own
/// marker, and the points coloured by class. The legend lists the groups (with their marker)
/// and then the classes that occur (with their colour).
///
/// ```
/// use da_plot::{Group, Marker, PlotFormat, ScatterPlot};
///
/// let plot = ScatterPlot {
///     title: "Features".into(),
///     groups: vec![
///         Group::with_classes("source", Marker::Circle, vec![(0.0, 0.1), (1.0, 0.9)], vec![0, 1]),
///         Group::with_classes("target", Marker::Cross, vec![(0.2, 0.0), (0.8, 1.1)], vec![0, 1]),
///     ],
///     class_names: vec!["zero".into(), "one".into()],
///     ..Default::default()
/// };
/// let svg = String::from_utf8(plot.render(PlotFormat::Svg)?).unwrap();
/// assert!(svg.contains("source") && svg.contains("one"));
/// # Ok::<(), da_plot::PlotError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ScatterPlot {
    /// Title above the plot; empty for none.
    pub title: String,
    /// Label under the x axis; empty for none.
    pub x_label: String,
    /// Label left of the y axis; empty for none.
    pub y_label: String,
    /// The point groups, drawn in order (later ones on top).
    pub groups: Vec<Group>,
    /// Legend text of class `i`; classes without a name are listed as `class i`.
    pub class_names: Vec<String>,
    /// Canvas width in pixels (default 640).
    pub width: u32,
    /// Canvas height in pixels (default 480).
    pub height: u32,
}

impl Default for ScatterPlot {
    fn default() -> Self {
        Self {
            title: String::new(),
            x_label: String::new(),
            y_label: String::new(),
            groups: Vec::new(),
            class_names: Vec::new(),
            width: 640,
            height: 480,
        }
    }
}

render_methods!(ScatterPlot);

fn finite(&(x, y): &(f64, f64)) -> bool {
    x.is_finite() && y.is_finite()
}

impl Draw for ScatterPlot {
    fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// # Panics
    ///
    /// If a group's classes and points differ in length (the fields are public).
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        self.groups.iter().for_each(Group::check);
        let shown = || {
            self.groups
                .iter()
                .flat_map(|g| g.points.iter())
                .filter(|p| finite(p))
        };
        let x = Axis::fit(shown().map(|p| p.0), false);
        let y = Axis::fit(shown().map(|p| p.1), false);
        let labels = Labels {
            title: &self.title,
            x_label: &self.x_label,
            y_label: &self.y_label,
        };
        let mut chart = frame(area, &labels, x, y)?;
        let corner = legend_corner(&x, &y, shown().copied());
        let mut classes = BTreeSet::new();
        for (g, group) in self.groups.iter().enumerate() {
            let colour_of = |i: usize| match &group.classes {
                Some(classes) => rgb(classes[i]),
                None => rgb(g),
            };
            let points: Vec<_> = (0..group.points.len())
                .filter(|&i| finite(&group.points[i]))
                .map(|i| (group.points[i], colour_of(i)))
                .collect();
            let legend_colour = match &group.classes {
                Some(group_classes) => {
                    classes.extend(group_classes.iter().copied());
                    hex(NEUTRAL)
                }
                None => rgb(g),
            };
            draw_markers!(
                chart,
                group.marker,
                points,
                group.name.as_str(),
                legend_colour,
                RADIUS
            );
        }
        for &class in &classes {
            let name = self
                .class_names
                .get(class)
                .cloned()
                .unwrap_or_else(|| format!("class {class}"));
            let colour = rgb(class);
            chart
                .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
                .map_err(PlotError::draw)?
                .label(name)
                .legend(move |(x, y)| {
                    Rectangle::new([(x + 4, y - 5), (x + 14, y + 5)], colour.filled())
                });
        }
        legend(&mut chart, !self.groups.is_empty(), corner)
    }
}
