//! Line charts: one line per series, e.g. training curves.

use std::io;
use std::path::Path;

use crate::atomic_write::write_atomically;
use crate::axis::shown_on;
use crate::frame::{Frame, FrameSpec};
use crate::legend::{LegendEntry, Swatch};
use crate::palette::palette_colour;

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

/// A chart of lines over shared axes, with a legend; rendered as SVG.
///
/// Each series gets the next [`PALETTE`](crate::PALETTE) colour. Axes are fitted to the shown
/// points, with ticks at 1, 2 or 5 times a power of ten (decades on log axes).
///
/// ```
/// use da_plot::{LineChart, Series};
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
/// let svg = chart.to_svg();
/// assert!(svg.starts_with("<svg") && svg.contains("validation"));
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

impl LineChart {
    /// Renders the chart as a standalone SVG document.
    pub fn to_svg(&self) -> String {
        let shown: Vec<Vec<Option<(f64, f64)>>> = self
            .series
            .iter()
            .map(|series| {
                series
                    .points
                    .iter()
                    .map(|&(x, y)| {
                        (shown_on(x, self.x_log) && shown_on(y, self.y_log)).then_some((x, y))
                    })
                    .collect()
            })
            .collect();
        let marked: Vec<bool> = shown
            .iter()
            .map(|points| points.iter().flatten().count() <= MAX_MARKED_POINTS)
            .collect();
        let (xs, ys): (Vec<f64>, Vec<f64>) = shown.iter().flatten().flatten().copied().unzip();

        let legend = self
            .series
            .iter()
            .enumerate()
            .map(|(i, series)| LegendEntry {
                label: series.name.clone(),
                swatch: Swatch::Line {
                    colour: palette_colour(i),
                    dot: marked[i],
                },
            })
            .collect();
        let frame = Frame::new(
            FrameSpec {
                width: self.width,
                height: self.height,
                title: &self.title,
                x_label: &self.x_label,
                y_label: &self.y_label,
                x_log: self.x_log,
                y_log: self.y_log,
                legend,
            },
            &xs,
            &ys,
        );

        let mut svg = frame.begin();
        svg.open_group("series", "");
        for (i, points) in shown.iter().enumerate() {
            let colour = palette_colour(i);
            let runs: Vec<Vec<(f64, f64)>> = points
                .split(Option::is_none)
                .map(|run| run.iter().flatten().map(|&p| frame.to_pixels(p)).collect())
                .collect();
            svg.path(
                &runs,
                &format!(
                    r#"fill="none" stroke="{colour}" stroke-width="2" stroke-linejoin="round" stroke-linecap="round""#
                ),
            );
            if marked[i] {
                let fill = format!(r#"fill="{colour}""#);
                for &point in points.iter().flatten() {
                    svg.circle(frame.to_pixels(point), 3.0, &fill);
                }
            }
        }
        svg.close_group();
        svg.finish()
    }

    /// Writes [`LineChart::to_svg`] to `path`, atomically: through a temporary file in the same
    /// directory that is renamed over `path`, so a crash never leaves a half-written chart.
    ///
    /// # Errors
    ///
    /// Any I/O error creating, writing or renaming the file; the message names `path`.
    pub fn save(&self, path: impl AsRef<Path>) -> io::Result<()> {
        write_atomically(path.as_ref(), self.to_svg().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(series: Vec<Series>) -> LineChart {
        LineChart {
            title: "Loss".into(),
            x_label: "epoch".into(),
            y_label: "loss".into(),
            series,
            ..Default::default()
        }
    }

    /// The text of the `<g class="series">` group.
    fn series_group(svg: &str) -> &str {
        let start = svg.find(r#"<g class="series">"#).expect("series group");
        let end = start + svg[start..].find("</g>").expect("closed series group");
        &svg[start..end]
    }

    fn assert_clean(svg: &str) {
        assert!(svg.starts_with("<svg "), "{svg}");
        assert!(svg.trim_end().ends_with("</svg>"), "{svg}");
        assert!(!svg.contains("NaN"), "{svg}");
        assert!(!svg.contains("inf"), "{svg}");
        assert_eq!(svg.matches("<g").count(), svg.matches("</g>").count());
    }

    #[test]
    fn one_path_per_series_and_a_dot_per_point() {
        let c = chart(vec![
            Series::new("train", vec![(0.0, 1.0), (1.0, 0.5), (2.0, 0.3)]),
            Series::new("val", vec![(0.0, 1.2), (1.0, 0.8), (2.0, 0.7)]),
            Series::new("test", vec![(0.0, 1.1), (2.0, 0.6)]),
        ]);
        let svg = c.to_svg();
        assert_clean(&svg);
        assert_eq!(svg.matches("<path").count(), 3);
        assert_eq!(series_group(&svg).matches("<circle").count(), 8);
        for name in ["train", "val", "test", "Loss", "epoch", "loss"] {
            assert!(svg.contains(&format!(">{name}</text>")), "{name} missing");
        }
        for i in 0..3 {
            assert!(series_group(&svg).contains(palette_colour(i)));
        }
    }

    #[test]
    fn text_is_escaped() {
        let mut c = chart(vec![Series::new(
            "a<b & \"c\"",
            vec![(0.0, 1.0), (1.0, 2.0)],
        )]);
        c.title = "it's <b>bold</b>".into();
        let svg = c.to_svg();
        assert!(svg.contains(">a&lt;b &amp; &quot;c&quot;</text>"));
        assert!(svg.contains(">it&apos;s &lt;b&gt;bold&lt;/b&gt;</text>"));
        assert!(!svg.contains("<b>"));
    }

    #[test]
    fn non_finite_points_are_skipped_and_break_the_line() {
        let c = chart(vec![Series::new(
            "s",
            vec![
                (0.0, 1.0),
                (1.0, f64::NAN),
                (2.0, 3.0),
                (3.0, 2.0),
                (f64::INFINITY, 1.0),
            ],
        )]);
        let svg = c.to_svg();
        assert_clean(&svg);
        let group = series_group(&svg);
        assert_eq!(group.matches("<circle").count(), 3);
        // (0, 1) is cut off from the rest: only one run of two points remains.
        assert_eq!(group.matches(" L").count(), 1);
        assert_eq!(group.matches("M").count(), 1);
    }

    #[test]
    fn log_axes_skip_non_positive_points() {
        let mut c = chart(vec![Series::new(
            "s",
            vec![
                (1.0, 1.0),
                (10.0, 0.0),
                (100.0, -1.0),
                (1000.0, 0.01),
                (0.0, 5.0),
            ],
        )]);
        c.x_log = true;
        c.y_log = true;
        let svg = c.to_svg();
        assert_clean(&svg);
        assert_eq!(series_group(&svg).matches("<circle").count(), 2);
        for label in ["0.01", "0.1", "1", "10", "100", "1000"] {
            assert!(
                svg.contains(&format!(">{label}</text>")),
                "tick {label} missing"
            );
        }
    }

    #[test]
    fn degenerate_inputs_render_without_nan() {
        let cases = vec![
            vec![],
            vec![Series::new("empty", vec![])],
            vec![Series::new("single", vec![(3.0, 7.0)])],
            vec![Series::new(
                "flat",
                vec![(0.0, 2.0), (1.0, 2.0), (2.0, 2.0)],
            )],
            vec![Series::new("vertical", vec![(1.0, 0.0), (1.0, 5.0)])],
            vec![Series::new("zeros", vec![(0.0, 0.0), (0.0, 0.0)])],
            vec![Series::new(
                "nan",
                vec![(f64::NAN, f64::NAN), (f64::NEG_INFINITY, 1.0)],
            )],
            vec![Series::new(
                "huge",
                vec![(-f64::MAX, f64::MAX), (f64::MAX, -f64::MAX)],
            )],
            vec![Series::new("tiny", vec![(0.0, 5e-324), (5e-324, 0.0)])],
        ];
        for series in cases {
            for log in [false, true] {
                for (width, height) in [(720, 440), (0, 0), (60, 40)] {
                    let c = LineChart {
                        x_log: log,
                        y_log: log,
                        width,
                        height,
                        ..chart(series.clone())
                    };
                    assert_clean(&c.to_svg());
                }
            }
        }
    }

    #[test]
    fn long_series_are_drawn_without_dots() {
        let points = (0..=MAX_MARKED_POINTS)
            .map(|i| (i as f64, (i as f64).sqrt()))
            .collect();
        let svg = chart(vec![Series::new("long", points)]).to_svg();
        assert_eq!(series_group(&svg).matches("<circle").count(), 0);
        assert_eq!(svg.matches("<path").count(), 1);
    }

    #[test]
    fn rendering_is_deterministic() {
        let c = chart(vec![Series::new(
            "s",
            vec![(0.0, 0.1), (1.0, 0.25), (2.0, 0.2)],
        )]);
        assert_eq!(c.to_svg(), c.to_svg());
    }

    #[test]
    fn save_writes_the_svg() {
        let dir = std::env::temp_dir().join(format!("da-plot-line-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("loss.svg");
        let c = chart(vec![Series::new("s", vec![(0.0, 1.0), (1.0, 0.5)])]);
        c.save(&path).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), c.to_svg());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
