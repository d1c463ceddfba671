//! Marker shapes for scatter points and legend entries.

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

/// Draws `points` (`((x, y), colour)` pairs) as `marker`s into `chart` and labels the series
/// `name` with a `legend_colour` marker in the legend.
///
/// A macro rather than a function: each shape is its own plotters element type, and the legend
/// needs the same shape in pixel coordinates.
macro_rules! draw_markers {
    ($chart:expr, $marker:expr, $points:expr, $name:expr, $legend_colour:expr, $radius:expr) => {{
        use plotters::prelude::*;
        let (radius, legend_colour): (i32, RGBColor) = ($radius, $legend_colour);
        let fill = |colour: RGBColor| colour.mix(0.7).filled();
        let stroke = |colour: RGBColor| ShapeStyle::from(colour).stroke_width(2);
        // Same area as the circle.
        let half = (f64::from(radius) * 0.886).round() as i32;
        let points: Vec<((f64, f64), RGBColor)> = $points;
        let anno = match $marker {
            $crate::Marker::Circle => $chart
                .draw_series(
                    points
                        .into_iter()
                        .map(|(at, c)| Circle::new(at, radius, fill(c))),
                )
                .map_err($crate::PlotError::draw)?
                .legend(move |at| Circle::new(at, radius, fill(legend_colour))),
            $crate::Marker::Cross => $chart
                .draw_series(
                    points
                        .into_iter()
                        .map(|(at, c)| Cross::new(at, radius, stroke(c))),
                )
                .map_err($crate::PlotError::draw)?
                .legend(move |at| Cross::new(at, radius, stroke(legend_colour))),
            $crate::Marker::Square => $chart
                .draw_series(points.into_iter().map(|(at, c)| {
                    EmptyElement::at(at) + Rectangle::new([(-half, -half), (half, half)], fill(c))
                }))
                .map_err($crate::PlotError::draw)?
                .legend(move |at| {
                    EmptyElement::at(at)
                        + Rectangle::new([(-half, -half), (half, half)], fill(legend_colour))
                }),
            // Slightly larger than the circle.
            $crate::Marker::Triangle => $chart
                .draw_series(
                    points
                        .into_iter()
                        .map(|(at, c)| TriangleMarker::new(at, radius + 1, fill(c))),
                )
                .map_err($crate::PlotError::draw)?
                .legend(move |at| TriangleMarker::new(at, radius + 1, fill(legend_colour))),
        };
        anno.label($name);
    }};
}
pub(crate) use draw_markers;
