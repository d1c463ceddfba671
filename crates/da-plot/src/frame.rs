//! The part that line charts and scatter plots share: layout of the canvas, title, axes with
//! ticks, grid and labels, and the legend.

use crate::axis::Axis;
use crate::legend::{Legend, LegendEntry};
use crate::svg::{Anchor, SvgWriter, TextStyle, text_width};

const PAD: f64 = 12.0;
const TITLE_SIZE: f64 = 16.0;
const LABEL_SIZE: f64 = 13.0;
const TICK_SIZE: f64 = 11.0;
const TICK_LENGTH: f64 = 5.0;
const TICK_GAP: f64 = 4.0;
const LEGEND_GAP: f64 = 16.0;
/// Gap between the frame and the axis ends, so that markers at the extremes stay whole.
const INSET: f64 = 6.0;
const AXIS_COLOUR: &str = "#444444";
const GRID_COLOUR: &str = "#E6E6E6";
const TEXT_COLOUR: &str = "#222222";

/// What a chart asks of its frame.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FrameSpec<'a> {
    /// Canvas width in pixels.
    pub(crate) width: u32,
    /// Canvas height in pixels.
    pub(crate) height: u32,
    /// Title above the plot; empty for none.
    pub(crate) title: &'a str,
    /// Label under the x axis; empty for none.
    pub(crate) x_label: &'a str,
    /// Label left of the y axis; empty for none.
    pub(crate) y_label: &'a str,
    /// Logarithmic x axis.
    pub(crate) x_log: bool,
    /// Logarithmic y axis.
    pub(crate) y_log: bool,
    /// Legend rows, top to bottom.
    pub(crate) legend: Vec<LegendEntry>,
}

/// A laid-out chart frame: where the plot area is and how data maps into it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Frame<'a> {
    spec: FrameSpec<'a>,
    title_size: f64,
    left: f64,
    top: f64,
    right: f64,
    bottom: f64,
    x: Axis,
    y: Axis,
    legend: Legend,
}

impl<'a> Frame<'a> {
    /// Lays out a frame whose axes cover `xs` and `ys` (values an axis cannot show, such as NaN
    /// or non-positive values on a log axis, are ignored).
    pub(crate) fn new(mut spec: FrameSpec<'a>, xs: &[f64], ys: &[f64]) -> Self {
        let width = f64::from(spec.width.max(1));
        let height = f64::from(spec.height.max(1));
        let title_size = if spec.title.is_empty() {
            0.0
        } else {
            let fits = (width - 2.0 * PAD) / title_width(spec.title, TITLE_SIZE);
            (TITLE_SIZE * fits.min(1.0)).max(8.0)
        };

        let top = PAD
            + if title_size > 0.0 {
                title_size + 12.0
            } else {
                6.0
            };
        let x_label_room = if spec.x_label.is_empty() {
            0.0
        } else {
            8.0 + LABEL_SIZE
        };
        let bottom =
            (height - PAD - TICK_LENGTH - TICK_GAP - TICK_SIZE - x_label_room).max(top + 1.0);

        let plot_height = bottom - top;
        let y = Axis::fit(ys, spec.y_log, (plot_height / 40.0) as usize);
        let y_ticks_width = y
            .ticks()
            .map(|(_, tick)| text_width(&tick.label, TICK_SIZE))
            .fold(0.0, f64::max);
        let y_label_room = if spec.y_label.is_empty() {
            0.0
        } else {
            LABEL_SIZE + 8.0
        };
        let left = PAD + y_label_room + y_ticks_width + TICK_GAP + TICK_LENGTH;

        let legend = Legend::new(std::mem::take(&mut spec.legend), plot_height, 0.3 * width);
        let legend_room = if legend.width() > 0.0 {
            legend.width() + LEGEND_GAP
        } else {
            0.0
        };
        let right = (width - PAD - legend_room - 10.0).max(left + 1.0);

        let plot_width = right - left;
        let most_ticks = ((plot_width / 60.0) as usize).clamp(3, 12);
        let x = (3..=most_ticks)
            .rev()
            .map(|max_ticks| Axis::fit(xs, spec.x_log, max_ticks))
            .find(|axis| labels_fit(axis, plot_width - 2.0 * INSET))
            .unwrap_or_else(|| Axis::fit(xs, spec.x_log, 3));

        Self {
            spec,
            title_size,
            left,
            top,
            right,
            bottom,
            x,
            y,
            legend,
        }
    }

    /// The pixel position of the data point `(x, y)`; inside the plot area for every point that
    /// the axes show.
    pub(crate) fn to_pixels(&self, (x, y): (f64, f64)) -> (f64, f64) {
        (self.x_pixel(self.x.unit(x)), self.y_pixel(self.y.unit(y)))
    }

    /// Horizontal pixel of the position `u` (0 to 1) along the x axis.
    fn x_pixel(&self, u: f64) -> f64 {
        self.left + INSET + u * (self.right - self.left - 2.0 * INSET).max(0.0)
    }

    /// Vertical pixel of the position `u` (0 to 1) along the y axis.
    fn y_pixel(&self, u: f64) -> f64 {
        self.bottom - INSET - u * (self.bottom - self.top - 2.0 * INSET).max(0.0)
    }

    /// Starts the document and draws everything but the data: background, grid, axes, ticks,
    /// labels, title and legend.
    pub(crate) fn begin(&self) -> SvgWriter {
        let spec = &self.spec;
        let mut svg = SvgWriter::new(f64::from(spec.width.max(1)), f64::from(spec.height.max(1)));

        svg.open_group("grid", "");
        for (u, _) in self.x.ticks() {
            let px = self.x_pixel(u);
            svg.line((px, self.top), (px, self.bottom), GRID_COLOUR, 1.0);
        }
        for (u, _) in self.y.ticks() {
            let py = self.y_pixel(u);
            svg.line((self.left, py), (self.right, py), GRID_COLOUR, 1.0);
        }
        svg.close_group();

        svg.open_group("axes", &format!(r#" fill="{TEXT_COLOUR}""#));
        svg.rect(
            (self.left, self.top),
            (self.right - self.left, self.bottom - self.top),
            &format!(r#"fill="none" stroke="{AXIS_COLOUR}" stroke-width="1""#),
        );
        let tick_style = |anchor| TextStyle::new(TICK_SIZE, anchor);
        for (u, tick) in self.x.ticks() {
            let px = self.x_pixel(u);
            svg.line(
                (px, self.bottom),
                (px, self.bottom + TICK_LENGTH),
                AXIS_COLOUR,
                1.0,
            );
            let label_y = self.bottom + TICK_LENGTH + TICK_GAP + TICK_SIZE / 2.0;
            svg.text((px, label_y), &tick.label, tick_style(Anchor::Middle));
        }
        for (u, tick) in self.y.ticks() {
            let py = self.y_pixel(u);
            svg.line(
                (self.left - TICK_LENGTH, py),
                (self.left, py),
                AXIS_COLOUR,
                1.0,
            );
            let label_x = self.left - TICK_LENGTH - TICK_GAP;
            svg.text((label_x, py), &tick.label, tick_style(Anchor::End));
        }
        if !spec.x_label.is_empty() {
            let y = self.bottom + TICK_LENGTH + TICK_GAP + TICK_SIZE + 8.0 + LABEL_SIZE / 2.0;
            let centre = (self.left + self.right) / 2.0;
            svg.text(
                (centre, y),
                spec.x_label,
                TextStyle::new(LABEL_SIZE, Anchor::Middle),
            );
        }
        if !spec.y_label.is_empty() {
            let centre =
                ((self.top + self.bottom) / 2.0).max(text_width(spec.y_label, LABEL_SIZE) / 2.0);
            let style = TextStyle {
                vertical: true,
                ..TextStyle::new(LABEL_SIZE, Anchor::Middle)
            };
            svg.text((PAD + LABEL_SIZE / 2.0, centre), spec.y_label, style);
        }
        if self.title_size > 0.0 {
            let width = f64::from(spec.width.max(1));
            let title_width = title_width(spec.title, self.title_size);
            // Centred over the plot area when it fits there, else over the canvas.
            let plot_centre = (self.left + self.right) / 2.0;
            let centre = if title_width / 2.0 <= plot_centre.min(width - plot_centre) - PAD {
                plot_centre
            } else {
                width / 2.0
            };
            let style = TextStyle {
                bold: true,
                ..TextStyle::new(self.title_size, Anchor::Middle)
            };
            svg.text((centre, PAD + self.title_size / 2.0), spec.title, style);
        }
        svg.close_group();

        self.legend
            .draw(&mut svg, (self.right + LEGEND_GAP, self.top));
        svg
    }
}

/// Approximate width of the bold `title` at `size` pixels.
fn title_width(title: &str, size: f64) -> f64 {
    1.2 * text_width(title, size)
}

/// Whether the x tick labels of `axis`, spread over `plot_width` pixels, leave room between them.
fn labels_fit(axis: &Axis, plot_width: f64) -> bool {
    let ticks: Vec<(f64, f64)> = axis
        .ticks()
        .map(|(u, tick)| (u * plot_width, text_width(&tick.label, TICK_SIZE)))
        .collect();
    ticks
        .windows(2)
        .all(|pair| pair[1].0 - pair[0].0 >= (pair[0].1 + pair[1].1) / 2.0 + 12.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::legend::Swatch;

    fn spec(width: u32, height: u32) -> FrameSpec<'static> {
        FrameSpec {
            width,
            height,
            title: "Title",
            x_label: "x",
            y_label: "y",
            x_log: false,
            y_log: false,
            legend: vec![LegendEntry {
                label: "series".into(),
                swatch: Swatch::Patch("#000000"),
            }],
        }
    }

    #[test]
    fn data_lands_inside_the_plot_area_and_y_grows_upwards() {
        let frame = Frame::new(spec(600, 400), &[0.0, 10.0], &[-1.0, 1.0]);
        let (x0, y0) = frame.to_pixels((0.0, -1.0));
        let (x1, y1) = frame.to_pixels((10.0, 1.0));
        assert!(frame.left + INSET <= x0 && x0 < x1 && x1 <= frame.right - INSET);
        assert!(frame.top + INSET <= y1 && y1 < y0 && y0 <= frame.bottom - INSET);
        // The legend sits right of the plot area, inside the canvas.
        assert!(frame.right + LEGEND_GAP + frame.legend.width() <= 600.0);
    }

    #[test]
    fn x_tick_labels_do_not_overlap_and_wider_charts_get_more_ticks() {
        for values in [
            [1.000001e6, 1.999999e6],
            [7.0, 7.001],
            [0.0, 1.0],
            [-1234.5, 98765.4],
        ] {
            let mut previous = 0;
            for width in [300, 600, 1200] {
                let frame = Frame::new(spec(width, 300), &values, &values);
                let axis_width = frame.right - frame.left - 2.0 * INSET;
                assert!(labels_fit(&frame.x, axis_width), "{values:?} at {width}");
                let count = frame.x.ticks().count();
                assert!(
                    count >= previous.max(3),
                    "{values:?} at {width}: {count} ticks"
                );
                previous = count;
            }
        }
    }

    #[test]
    fn tiny_canvas_does_not_panic() {
        let frame = Frame::new(spec(0, 0), &[1.0], &[2.0]);
        let svg = frame.begin().finish();
        assert!(!svg.contains("NaN"));
    }
}
