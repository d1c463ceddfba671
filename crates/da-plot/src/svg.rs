//! A minimal writer for the SVG elements the charts use.

use std::fmt::Write;

use crate::escape::escape_xml;

/// Horizontal alignment of a text element relative to its anchor point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Anchor {
    /// The text starts at the anchor.
    Start,
    /// The text is centred on the anchor.
    Middle,
    /// The text ends at the anchor.
    End,
}

/// How a text element looks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TextStyle {
    /// Font size in pixels.
    pub(crate) size: f64,
    /// Horizontal alignment.
    pub(crate) anchor: Anchor,
    /// Bold face.
    pub(crate) bold: bool,
    /// Rotated by -90 degrees around the anchor (reads bottom to top).
    pub(crate) vertical: bool,
}

impl TextStyle {
    /// Regular, horizontal text of `size` pixels aligned by `anchor`.
    pub(crate) fn new(size: f64, anchor: Anchor) -> Self {
        Self {
            size,
            anchor,
            bold: false,
            vertical: false,
        }
    }
}

/// Builds an SVG document as a string. Coordinates are pixels, written with one decimal.
#[derive(Debug)]
pub(crate) struct SvgWriter {
    out: String,
}

impl SvgWriter {
    /// Starts a `width` x `height` document with a white background.
    pub(crate) fn new(width: f64, height: f64) -> Self {
        let mut out = String::new();
        write!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="Helvetica, Arial, sans-serif">"#,
            w = Px(width),
            h = Px(height),
        )
        .expect("writing to a String cannot fail");
        out.push('\n');
        out.push_str(r##"<rect width="100%" height="100%" fill="#FFFFFF"/>"##);
        out.push('\n');
        Self { out }
    }

    /// Opens a group `<g class="...">` with extra presentation attributes (may be empty).
    pub(crate) fn open_group(&mut self, class: &str, attributes: &str) {
        self.element(format_args!(r#"<g class="{class}"{attributes}>"#));
    }

    /// Closes the innermost open group.
    pub(crate) fn close_group(&mut self) {
        self.element(format_args!("</g>"));
    }

    /// A straight line.
    pub(crate) fn line(&mut self, from: (f64, f64), to: (f64, f64), stroke: &str, width: f64) {
        self.element(format_args!(
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{stroke}" stroke-width="{}"/>"#,
            Px(from.0),
            Px(from.1),
            Px(to.0),
            Px(to.1),
            Px(width),
        ));
    }

    /// A circle; `attributes` (may be empty) sets its paint, e.g. `fill="#123456"`.
    pub(crate) fn circle(&mut self, centre: (f64, f64), radius: f64, attributes: &str) {
        self.element(format_args!(
            r#"<circle cx="{}" cy="{}" r="{}" {attributes}/>"#,
            Px(centre.0),
            Px(centre.1),
            Px(radius),
        ));
    }

    /// An axis-aligned rectangle with top-left corner `corner`.
    pub(crate) fn rect(&mut self, corner: (f64, f64), size: (f64, f64), attributes: &str) {
        self.element(format_args!(
            r#"<rect x="{}" y="{}" width="{}" height="{}" {attributes}/>"#,
            Px(corner.0),
            Px(corner.1),
            Px(size.0.max(0.0)),
            Px(size.1.max(0.0)),
        ));
    }

    /// A closed polygon through `points`.
    pub(crate) fn polygon(&mut self, points: &[(f64, f64)], attributes: &str) {
        let mut list = String::new();
        for (i, &(x, y)) in points.iter().enumerate() {
            let sep = if i == 0 { "" } else { " " };
            write!(list, "{sep}{},{}", Px(x), Px(y)).expect("writing to a String cannot fail");
        }
        self.element(format_args!(r#"<polygon points="{list}" {attributes}/>"#));
    }

    /// A path made of polylines: each inner slice is one run of connected points (runs with
    /// fewer than two points draw nothing and are left out).
    pub(crate) fn path(&mut self, runs: &[Vec<(f64, f64)>], attributes: &str) {
        let mut d = String::new();
        for run in runs.iter().filter(|run| run.len() >= 2) {
            for (i, &(x, y)) in run.iter().enumerate() {
                let sep = if d.is_empty() { "" } else { " " };
                let command = if i == 0 { 'M' } else { 'L' };
                write!(d, "{sep}{command}{} {}", Px(x), Px(y))
                    .expect("writing to a String cannot fail");
            }
        }
        if !d.is_empty() {
            self.element(format_args!(r#"<path d="{d}" {attributes}/>"#));
        }
    }

    /// A text element (escaped) anchored at `at`; vertically, `at` is the text's middle.
    pub(crate) fn text(&mut self, at: (f64, f64), content: &str, style: TextStyle) {
        let anchor = match style.anchor {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        };
        let weight = if style.bold {
            r#" font-weight="bold""#
        } else {
            ""
        };
        let (x, y) = (Px(at.0), Px(at.1));
        let rotate = if style.vertical {
            format!(r#" transform="rotate(-90 {x} {y})""#)
        } else {
            String::new()
        };
        self.element(format_args!(
            r#"<text x="{x}" y="{y}" dy="0.35em" font-size="{}" text-anchor="{anchor}"{weight}{rotate}>{}</text>"#,
            Px(style.size),
            escape_xml(content),
        ));
    }

    /// Closes the document and returns it.
    pub(crate) fn finish(mut self) -> String {
        self.out.push_str("</svg>\n");
        self.out
    }

    fn element(&mut self, element: std::fmt::Arguments<'_>) {
        self.out
            .write_fmt(element)
            .expect("writing to a String cannot fail");
        self.out.push('\n');
    }
}

/// Approximate rendered width of `text` at `size` pixels, from per-character classes (narrow
/// punctuation, wide capitals, average for the rest). Errs on the wide side: renderers without
/// Helvetica or Arial fall back to DejaVu Sans, which is about 10 % wider.
pub(crate) fn text_width(text: &str, size: f64) -> f64 {
    let ems: f64 = text
        .chars()
        .map(|c| match c {
            'i' | 'j' | 'l' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' | ' ' => 0.3,
            'f' | 't' | 'r' | 'I' | '(' | ')' | '[' | ']' | '-' => 0.4,
            'm' | 'w' | 'M' | 'W' => 0.9,
            c if c.is_ascii_uppercase() => 0.72,
            _ => 0.62,
        })
        .sum();
    ems * size
}

/// Pixel coordinates are clamped to ±this, far off any canvas, to keep the text short.
const MAX_PIXEL: f64 = 1e6;

/// A pixel coordinate, written with at most one decimal (`12.5`, `3`, never `NaN`: a non-finite
/// coordinate is a bug and is written as 0 in release builds).
#[derive(Debug, Clone, Copy)]
struct Px(f64);

impl std::fmt::Display for Px {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        debug_assert!(self.0.is_finite(), "non-finite pixel coordinate {}", self.0);
        let tenths = if self.0.is_finite() {
            (self.0.clamp(-MAX_PIXEL, MAX_PIXEL) * 10.0).round()
        } else {
            0.0
        };
        let tenths = if tenths == 0.0 { 0.0 } else { tenths };
        if tenths % 10.0 == 0.0 {
            write!(f, "{}", tenths / 10.0)
        } else {
            write!(f, "{:.1}", tenths / 10.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixels_are_rounded_to_one_decimal() {
        assert_eq!(Px(12.0).to_string(), "12");
        assert_eq!(Px(12.34).to_string(), "12.3");
        assert_eq!(Px(-0.01).to_string(), "0");
        assert_eq!(Px(-7.25).to_string(), "-7.3");
        assert_eq!(Px(f64::MAX).to_string(), "1000000");
    }

    #[test]
    fn document_is_closed_and_text_is_escaped() {
        let mut svg = SvgWriter::new(100.0, 50.0);
        svg.open_group("labels", "");
        svg.text((10.0, 20.0), "a<b & c", TextStyle::new(12.0, Anchor::Start));
        svg.close_group();
        let doc = svg.finish();
        assert!(doc.starts_with("<svg "));
        assert!(doc.trim_end().ends_with("</svg>"));
        assert!(doc.contains(">a&lt;b &amp; c</text>"));
    }

    #[test]
    fn path_skips_runs_of_single_points() {
        let mut svg = SvgWriter::new(10.0, 10.0);
        svg.path(&[vec![(1.0, 1.0)]], "");
        assert!(!svg.finish().contains("<path"));
        let mut svg = SvgWriter::new(10.0, 10.0);
        svg.path(
            &[
                vec![(1.0, 1.0), (2.0, 2.0)],
                vec![(3.0, 3.0)],
                vec![(4.0, 4.0), (5.0, 5.5)],
            ],
            r#"fill="none""#,
        );
        assert!(
            svg.finish()
                .contains(r#"<path d="M1 1 L2 2 M4 4 L5 5.5" fill="none"/>"#)
        );
    }

    #[test]
    fn wider_text_measures_wider() {
        assert!(text_width("10000", 12.0) > text_width("10", 12.0));
        assert!(text_width("WM", 12.0) > text_width("il", 12.0));
        assert_eq!(text_width("", 12.0), 0.0);
    }
}
