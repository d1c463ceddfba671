//! The legend: a column (or several) of swatches with labels, beside the plot area.

use crate::marker::Marker;
use crate::svg::{Anchor, SvgWriter, TextStyle, text_width};

const FONT_SIZE: f64 = 12.0;
const ROW_HEIGHT: f64 = 18.0;
const SWATCH_WIDTH: f64 = 22.0;
const SWATCH_GAP: f64 = 6.0;
const COLUMN_GAP: f64 = 14.0;

/// What a legend entry shows before its label.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Swatch {
    /// A line sample, with a dot in its middle when the series' points are marked.
    Line {
        /// Line colour.
        colour: &'static str,
        /// Whether to draw the point marker.
        dot: bool,
    },
    /// A scatter marker.
    Marker(Marker, &'static str),
    /// A colour patch, for a colour that means a class rather than a group.
    Patch(&'static str),
}

/// One legend row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LegendEntry {
    /// The text (escaped when drawn).
    pub(crate) label: String,
    /// What is drawn before the text.
    pub(crate) swatch: Swatch,
}

/// The legend of a chart, laid out in as many columns as the height requires.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Legend {
    entries: Vec<LegendEntry>,
    rows: usize,
    column_width: f64,
}

impl Legend {
    /// Lays out `entries` in columns at most `height` pixels tall, shortening labels wider than
    /// `max_label_width` pixels with an ellipsis.
    pub(crate) fn new(mut entries: Vec<LegendEntry>, height: f64, max_label_width: f64) -> Self {
        for entry in &mut entries {
            entry.label = truncate(&entry.label, max_label_width);
        }
        let widest = entries
            .iter()
            .map(|e| text_width(&e.label, FONT_SIZE))
            .fold(0.0, f64::max);
        let rows = ((height / ROW_HEIGHT).floor() as usize).clamp(1, entries.len().max(1));
        Self {
            entries,
            rows,
            column_width: SWATCH_WIDTH + SWATCH_GAP + widest,
        }
    }

    /// Total width in pixels (0 without entries).
    pub(crate) fn width(&self) -> f64 {
        let columns = self.entries.len().div_ceil(self.rows);
        if columns == 0 {
            0.0
        } else {
            columns as f64 * self.column_width + (columns - 1) as f64 * COLUMN_GAP
        }
    }

    /// Draws the legend with its top-left corner at `corner`.
    pub(crate) fn draw(&self, svg: &mut SvgWriter, corner: (f64, f64)) {
        if self.entries.is_empty() {
            return;
        }
        svg.open_group("legend", "");
        for (i, entry) in self.entries.iter().enumerate() {
            let (column, row) = (i / self.rows, i % self.rows);
            let x = corner.0 + column as f64 * (self.column_width + COLUMN_GAP);
            let y = corner.1 + (row as f64 + 0.5) * ROW_HEIGHT;
            let middle = (x + SWATCH_WIDTH / 2.0, y);
            match entry.swatch {
                Swatch::Line { colour, dot } => {
                    svg.line((x, y), (x + SWATCH_WIDTH, y), colour, 2.0);
                    if dot {
                        svg.circle(middle, 2.5, &format!(r#"fill="{colour}""#));
                    }
                }
                Swatch::Marker(marker, colour) => marker.draw(svg, middle, 4.5, colour),
                Swatch::Patch(colour) => svg.rect(
                    (middle.0 - 6.0, y - 5.0),
                    (12.0, 10.0),
                    &format!(r#"fill="{colour}""#),
                ),
            }
            svg.text(
                (x + SWATCH_WIDTH + SWATCH_GAP, y),
                &entry.label,
                TextStyle::new(FONT_SIZE, Anchor::Start),
            );
        }
        svg.close_group();
    }
}

/// `label`, cut and ended with `…` if it is wider than `max_width` pixels.
fn truncate(label: &str, max_width: f64) -> String {
    if text_width(label, FONT_SIZE) <= max_width {
        return label.to_owned();
    }
    let mut cut: String = label.to_owned();
    while !cut.is_empty() && text_width(&cut, FONT_SIZE) + text_width("…", FONT_SIZE) > max_width
    {
        cut.pop();
    }
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(n: usize) -> Vec<LegendEntry> {
        (0..n)
            .map(|i| LegendEntry {
                label: format!("series {i}"),
                swatch: Swatch::Patch("#000000"),
            })
            .collect()
    }

    #[test]
    fn legend_wraps_into_columns_when_too_tall() {
        let one_column = Legend::new(entries(5), 1000.0, 200.0);
        let two_columns = Legend::new(entries(5), 3.0 * ROW_HEIGHT, 200.0);
        assert!(one_column.width() > 0.0);
        assert_eq!(two_columns.width(), 2.0 * one_column.width() + COLUMN_GAP);
        assert_eq!(Legend::new(Vec::new(), 100.0, 200.0).width(), 0.0);
    }

    #[test]
    fn long_labels_are_truncated() {
        let long = "a very long series name that would squeeze the plot area";
        let cut = truncate(long, 80.0);
        assert!(
            cut.ends_with('…') && text_width(&cut, FONT_SIZE) <= 80.0,
            "{cut}"
        );
        assert_eq!(truncate("short", 80.0), "short");
    }

    #[test]
    fn every_label_is_drawn() {
        let legend = Legend::new(entries(3), 1000.0, 200.0);
        let mut svg = SvgWriter::new(200.0, 100.0);
        legend.draw(&mut svg, (0.0, 0.0));
        let doc = svg.finish();
        for i in 0..3 {
            assert!(doc.contains(&format!(">series {i}</text>")));
        }
    }
}
