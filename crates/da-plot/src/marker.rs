//! Marker shapes for scatter points and legend entries.

use crate::svg::SvgWriter;

/// The shape drawn at each point of a scatter [`Group`](crate::Group).
///
/// Filled shapes are drawn slightly transparent so that overlapping clouds stay readable; the
/// cross is drawn as two strokes, so a cloud of crosses can be told apart from a cloud of filled
/// shapes even in the same colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Marker {
    /// A filled disc.
    #[default]
    Circle,
    /// A diagonal cross (`×`).
    Cross,
    /// A filled square.
    Square,
    /// A filled triangle pointing up.
    Triangle,
}

impl Marker {
    /// Draws the marker as one SVG element centred on `at`, about `2 * radius` pixels across.
    pub(crate) fn draw(self, svg: &mut SvgWriter, at: (f64, f64), radius: f64, colour: &str) {
        let (x, y) = at;
        let fill = format!(r#"fill="{colour}" fill-opacity="0.7""#);
        match self {
            Marker::Circle => svg.circle(at, radius, &fill),
            Marker::Cross => {
                let r = radius * 0.9;
                svg.path(
                    &[
                        vec![(x - r, y - r), (x + r, y + r)],
                        vec![(x - r, y + r), (x + r, y - r)],
                    ],
                    &format!(r#"fill="none" stroke="{colour}" stroke-width="1.6""#),
                );
            }
            Marker::Square => {
                // Same area as the circle.
                let half = radius * 0.886;
                svg.rect((x - half, y - half), (2.0 * half, 2.0 * half), &fill);
            }
            Marker::Triangle => {
                // Equilateral, centroid on the point, slightly larger than the circle.
                let r = radius * 1.3;
                let dx = r * 0.866;
                svg.polygon(
                    &[(x, y - r), (x + dx, y + r / 2.0), (x - dx, y + r / 2.0)],
                    &fill,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_marker_is_a_single_element() {
        for (marker, tag) in [
            (Marker::Circle, "<circle"),
            (Marker::Cross, "<path"),
            (Marker::Square, "<rect"),
            (Marker::Triangle, "<polygon"),
        ] {
            let mut svg = SvgWriter::new(20.0, 20.0);
            marker.draw(&mut svg, (10.0, 10.0), 4.0, "#123456");
            let doc = svg.finish();
            // The background is the document's only other element.
            assert_eq!(doc.lines().count(), 4, "{marker:?}:\n{doc}");
            assert_eq!(
                doc.matches(tag).count(),
                1 + usize::from(tag == "<rect"),
                "{doc}"
            );
            assert!(doc.contains("#123456"));
        }
    }
}
