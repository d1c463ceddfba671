//! Scatter plots: groups of points with a marker shape each, optionally coloured by class.

use std::collections::BTreeSet;
use std::io;
use std::path::Path;

use crate::atomic_write::write_atomically;
use crate::axis::shown_on;
use crate::frame::{Frame, FrameSpec};
use crate::legend::{LegendEntry, Swatch};
use crate::marker::Marker;
use crate::palette::palette_colour;

/// Colour of the legend marker of a group whose points are coloured by class.
const NEUTRAL: &str = "#444444";
/// Marker radius in pixels.
const RADIUS: f64 = 3.5;

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

/// A scatter plot of marker groups over shared linear axes, with a legend; rendered as SVG.
///
/// Built for 2-D feature projections: one group per domain (source, target), each with its own
/// marker, and the points coloured by class. The legend lists the groups (with their marker)
/// and then the classes that occur (with their colour).
///
/// ```
/// use da_plot::{Group, Marker, ScatterPlot};
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
/// let svg = plot.to_svg();
/// assert!(svg.contains("source") && svg.contains("one"));
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

impl ScatterPlot {
    /// Renders the plot as a standalone SVG document, one marker element per shown point.
    ///
    /// # Panics
    ///
    /// If a group's `classes` does not have one entry per point.
    pub fn to_svg(&self) -> String {
        for group in &self.groups {
            group.check();
        }
        let (xs, ys): (Vec<f64>, Vec<f64>) = self
            .groups
            .iter()
            .flat_map(|group| group.points.iter().copied())
            .filter(|&(x, y)| shown_on(x, false) && shown_on(y, false))
            .unzip();

        let frame = Frame::new(
            FrameSpec {
                width: self.width,
                height: self.height,
                title: &self.title,
                x_label: &self.x_label,
                y_label: &self.y_label,
                x_log: false,
                y_log: false,
                legend: self.legend(),
            },
            &xs,
            &ys,
        );

        let mut svg = frame.begin();
        svg.open_group("points", "");
        for (g, group) in self.groups.iter().enumerate() {
            for (i, &(x, y)) in group.points.iter().enumerate() {
                if !(shown_on(x, false) && shown_on(y, false)) {
                    continue;
                }
                let colour = match &group.classes {
                    Some(classes) => palette_colour(classes[i]),
                    None => palette_colour(g),
                };
                group
                    .marker
                    .draw(&mut svg, frame.to_pixels((x, y)), RADIUS, colour);
            }
        }
        svg.close_group();
        svg.finish()
    }

    /// Writes [`ScatterPlot::to_svg`] to `path`, atomically: through a temporary file in the
    /// same directory that is renamed over `path`, so a crash never leaves a half-written plot.
    ///
    /// # Errors
    ///
    /// Any I/O error creating, writing or renaming the file; the message names `path`.
    ///
    /// # Panics
    ///
    /// As [`ScatterPlot::to_svg`].
    pub fn save(&self, path: impl AsRef<Path>) -> io::Result<()> {
        write_atomically(path.as_ref(), self.to_svg().as_bytes())
    }

    /// Group entries (marker in the group colour, or neutral when coloured by class), then one
    /// entry per class that occurs.
    fn legend(&self) -> Vec<LegendEntry> {
        let groups = self
            .groups
            .iter()
            .enumerate()
            .map(|(g, group)| LegendEntry {
                label: group.name.clone(),
                swatch: Swatch::Marker(
                    group.marker,
                    if group.classes.is_some() {
                        NEUTRAL
                    } else {
                        palette_colour(g)
                    },
                ),
            });
        let classes: BTreeSet<usize> = self
            .groups
            .iter()
            .filter_map(|group| group.classes.as_ref())
            .flatten()
            .copied()
            .collect();
        let classes = classes.into_iter().map(|class| LegendEntry {
            label: self
                .class_names
                .get(class)
                .cloned()
                .unwrap_or_else(|| format!("class {class}")),
            swatch: Swatch::Patch(palette_colour(class)),
        });
        groups.chain(classes).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text of the `<g class="points">` group.
    fn points_group(svg: &str) -> &str {
        let start = svg.find(r#"<g class="points">"#).expect("points group");
        let end = start + svg[start..].find("</g>").expect("closed points group");
        &svg[start..end]
    }

    fn marker_count(svg: &str) -> usize {
        let group = points_group(svg);
        ["<circle", "<path", "<rect", "<polygon"]
            .iter()
            .map(|tag| group.matches(tag).count())
            .sum()
    }

    fn domains_by_class() -> ScatterPlot {
        ScatterPlot {
            title: "PCA".into(),
            x_label: "PC1".into(),
            y_label: "PC2".into(),
            groups: vec![
                Group::with_classes(
                    "source",
                    Marker::Circle,
                    vec![(0.0, 0.0), (1.0, 1.0), (2.0, 0.5)],
                    vec![0, 1, 2],
                ),
                Group::with_classes(
                    "target",
                    Marker::Cross,
                    vec![(0.5, 0.2), (1.5, 1.2)],
                    vec![0, 2],
                ),
            ],
            class_names: vec!["zero".into(), "one".into()],
            ..Default::default()
        }
    }

    #[test]
    fn one_marker_element_per_point_and_legend_for_groups_and_classes() {
        let svg = domains_by_class().to_svg();
        assert!(svg.starts_with("<svg ") && svg.trim_end().ends_with("</svg>"));
        assert_eq!(marker_count(&svg), 5);
        assert_eq!(points_group(&svg).matches("<circle").count(), 3);
        assert_eq!(points_group(&svg).matches("<path").count(), 2);
        for label in [
            "source", "target", "zero", "one", "class 2", "PCA", "PC1", "PC2",
        ] {
            assert!(svg.contains(&format!(">{label}</text>")), "{label} missing");
        }
        // Points take their class colour.
        let group = points_group(&svg);
        assert_eq!(group.matches(palette_colour(2)).count(), 2);
        assert_eq!(group.matches(palette_colour(1)).count(), 1);
    }

    #[test]
    fn groups_without_classes_use_their_own_colour_and_marker() {
        let plot = ScatterPlot {
            groups: vec![
                Group::new("a", Marker::Square, vec![(0.0, 0.0), (1.0, 2.0)]),
                Group::new("b", Marker::Triangle, vec![(3.0, 1.0)]),
            ],
            ..Default::default()
        };
        let svg = plot.to_svg();
        let group = points_group(&svg);
        assert_eq!(group.matches("<rect").count(), 2);
        assert_eq!(group.matches("<polygon").count(), 1);
        assert_eq!(group.matches(palette_colour(0)).count(), 2);
        assert_eq!(group.matches(palette_colour(1)).count(), 1);
        assert!(!svg.contains("class 0"));
    }

    #[test]
    fn non_finite_points_are_skipped_and_degenerate_inputs_do_not_produce_nan() {
        let plot = ScatterPlot {
            groups: vec![Group::new(
                "g",
                Marker::Circle,
                vec![
                    (f64::NAN, 1.0),
                    (1.0, 1.0),
                    (1.0, f64::INFINITY),
                    (1.0, 1.0),
                ],
            )],
            ..Default::default()
        };
        let svg = plot.to_svg();
        assert_eq!(marker_count(&svg), 2);
        assert!(!svg.contains("NaN") && !svg.contains("inf"));

        for (width, height) in [(640, 480), (0, 0)] {
            let empty = ScatterPlot {
                groups: vec![Group::new("nothing", Marker::Cross, vec![])],
                width,
                height,
                ..Default::default()
            };
            let svg = empty.to_svg();
            assert_eq!(marker_count(&svg), 0);
            assert!(!svg.contains("NaN"));
            assert!(svg.contains(">nothing</text>") || width == 0);
        }
        let extreme = ScatterPlot {
            groups: vec![Group::new(
                "extreme",
                Marker::Triangle,
                vec![(-f64::MAX, 5e-324), (f64::MAX, 0.0), (7.0, 7.0), (7.0, 7.0)],
            )],
            ..Default::default()
        };
        let svg = extreme.to_svg();
        assert_eq!(marker_count(&svg), 4);
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }

    #[test]
    fn names_are_escaped() {
        let plot = ScatterPlot {
            title: "x < y & z".into(),
            groups: vec![Group::new("\"src\"", Marker::Circle, vec![(0.0, 0.0)])],
            ..Default::default()
        };
        let svg = plot.to_svg();
        assert!(svg.contains(">x &lt; y &amp; z</text>"));
        assert!(svg.contains(">&quot;src&quot;</text>"));
    }

    #[test]
    #[should_panic(expected = "group `bad` has 2 points but 1 class indices")]
    fn mismatched_classes_panic_with_the_counts() {
        let plot = ScatterPlot {
            groups: vec![Group {
                name: "bad".into(),
                marker: Marker::Circle,
                points: vec![(0.0, 0.0), (1.0, 1.0)],
                classes: Some(vec![0]),
            }],
            ..Default::default()
        };
        plot.to_svg();
    }

    #[test]
    fn save_writes_the_svg() {
        let dir = std::env::temp_dir().join(format!("da-plot-scatter-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("features.svg");
        let plot = domains_by_class();
        plot.save(&path).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), plot.to_svg());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
