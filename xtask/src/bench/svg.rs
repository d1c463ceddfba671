//! The chart: median time of the seed's loss (Gaussian, biased) against n = m, log-log, one
//! panel per feature width d and one line per implementation and backend.

use std::collections::BTreeSet;
use std::fmt::Write;

use super::case::Shape;
use super::row::Row;

const PANEL_W: f64 = 340.0;
const PANEL_H: f64 = 280.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 56.0;
const BOTTOM: f64 = 48.0;
const LEGEND_ROW: f64 = 20.0;
const COLOURS: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
];

/// The variant the chart shows.
pub const CHART_VARIANT: &str = "gaussian-biased";

/// One line of the chart: `(n, median ms)` points of one implementation on one backend at one d.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// `implementation (backend)`.
    pub label: String,
    /// Feature width.
    pub d: usize,
    /// `(n, median ms)`, by increasing n.
    pub points: Vec<(f64, f64)>,
}

/// The measured Gaussian-biased MMD rows grouped into series.
pub fn series(rows: &[Row]) -> Vec<Series> {
    let mut out: Vec<Series> = Vec::new();
    for row in rows {
        let (Shape::Mmd { n, d, .. }, Some(median)) = (row.case.shape, row.median_ms()) else {
            continue;
        };
        if row.case.variant != CHART_VARIANT || median <= 0.0 {
            continue;
        }
        let label = format!("{} ({})", row.case.implementation, row.case.backend);
        match out.iter_mut().find(|s| s.label == label && s.d == d) {
            Some(s) => s.points.push((n as f64, median)),
            None => out.push(Series {
                label,
                d,
                points: vec![(n as f64, median)],
            }),
        }
    }
    for s in &mut out {
        s.points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `value` formatted for a tick label.
fn tick_label(value: f64) -> String {
    if value >= 1.0 {
        format!("{value:.0}")
    } else {
        format!("{value}")
    }
}

/// The chart as an SVG document, or `None` when no row has a Gaussian-biased MMD timing.
pub fn chart(rows: &[Row]) -> Option<String> {
    let series = series(rows);
    if series.is_empty() {
        return None;
    }
    let widths: Vec<usize> = series
        .iter()
        .map(|s| s.d)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let labels: Vec<&str> = {
        let mut labels: Vec<&str> = Vec::new();
        for s in &series {
            if !labels.contains(&s.label.as_str()) {
                labels.push(&s.label);
            }
        }
        labels
    };
    let all = series.iter().flat_map(|s| s.points.iter());
    let (mut x_min, mut x_max, mut y_min, mut y_max) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in all {
        x_min = x_min.min(x);
        x_max = x_max.max(x);
        y_min = y_min.min(y);
        y_max = y_max.max(y);
    }
    // Logarithmic axes, padded; the y range spans whole decades.
    let (lx0, lx1) = (x_min.log10() - 0.15, x_max.log10() + 0.15);
    let (ly0, ly1) = (
        y_min.log10().floor(),
        y_max.log10().ceil().max(y_min.log10().floor() + 1.0),
    );
    let plot_w = PANEL_W - LEFT - RIGHT;
    let plot_h = PANEL_H - TOP - BOTTOM;
    // Wide enough for the title whatever the number of panels.
    let width = (PANEL_W * widths.len() as f64).max(2.0 * PANEL_W);
    let height = PANEL_H + LEGEND_ROW * labels.len() as f64 + 16.0;

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r#"<text x="8" y="18" font-size="13" font-weight="bold">MMD forward + backward of {CHART_VARIANT} (the seed's loss): median time vs n = m (log-log)</text>"#
    );
    let x_values: Vec<f64> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .map(|x| x as u64)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(|x| x as f64)
        .collect();
    for (panel, &d) in widths.iter().enumerate() {
        let ox = panel as f64 * PANEL_W + LEFT;
        let px = |x: f64| ox + (x.log10() - lx0) / (lx1 - lx0) * plot_w;
        let py = |y: f64| TOP + plot_h - (y.log10() - ly0) / (ly1 - ly0) * plot_h;
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-weight="bold">d = {d}</text>"#,
            ox + plot_w / 2.0,
            TOP - 10.0
        );
        let _ = writeln!(
            svg,
            r##"<rect x="{ox:.1}" y="{TOP:.1}" width="{plot_w:.1}" height="{plot_h:.1}" fill="none" stroke="#444"/>"##
        );
        for &x in &x_values {
            let _ = writeln!(
                svg,
                r##"<line x1="{0:.1}" y1="{1:.1}" x2="{0:.1}" y2="{2:.1}" stroke="#ddd"/><text x="{0:.1}" y="{3:.1}" text-anchor="middle">{4}</text>"##,
                px(x),
                TOP,
                TOP + plot_h,
                TOP + plot_h + 14.0,
                tick_label(x)
            );
        }
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">n = m</text>"#,
            ox + plot_w / 2.0,
            TOP + plot_h + 32.0
        );
        for decade in (ly0 as i32)..=(ly1 as i32) {
            let y = 10f64.powi(decade);
            let _ = writeln!(
                svg,
                r##"<line x1="{0:.1}" y1="{1:.1}" x2="{2:.1}" y2="{1:.1}" stroke="#ddd"/><text x="{3:.1}" y="{4:.1}" text-anchor="end">{5} ms</text>"##,
                ox,
                py(y),
                ox + plot_w,
                ox - 4.0,
                py(y) + 4.0,
                tick_label(y)
            );
        }
        for s in series.iter().filter(|s| s.d == d) {
            let colour =
                COLOURS[labels.iter().position(|l| *l == s.label).unwrap_or(0) % COLOURS.len()];
            let mut path = String::new();
            for (i, &(x, y)) in s.points.iter().enumerate() {
                let _ = write!(
                    path,
                    "{}{:.1},{:.1} ",
                    if i == 0 { "M" } else { "L" },
                    px(x),
                    py(y)
                );
            }
            let _ = writeln!(
                svg,
                r#"<path d="{}" fill="none" stroke="{colour}" stroke-width="2"><title>{} d={d}</title></path>"#,
                path.trim_end(),
                escape(&s.label)
            );
            for &(x, y) in &s.points {
                let _ = writeln!(
                    svg,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{colour}"><title>{} n={x} d={d}: {y:.3} ms</title></circle>"#,
                    px(x),
                    py(y),
                    escape(&s.label)
                );
            }
        }
    }
    for (i, label) in labels.iter().enumerate() {
        let y = PANEL_H + 8.0 + LEGEND_ROW * i as f64;
        let colour = COLOURS[i % COLOURS.len()];
        let _ = writeln!(
            svg,
            r#"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{colour}" stroke-width="2"/><text x="{:.1}" y="{:.1}">{}</text>"#,
            LEFT + 24.0,
            LEFT + 30.0,
            y + 4.0,
            escape(label)
        );
    }
    svg.push_str("</svg>\n");
    Some(svg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::case::Case;
    use crate::bench::row::Outcome;

    fn row(implementation: &str, backend: &str, n: usize, d: usize, median: Option<f64>) -> Row {
        let case = Case {
            group: "mmd".into(),
            implementation: implementation.into(),
            variant: CHART_VARIANT.into(),
            backend: backend.into(),
            shape: Shape::Mmd { n, m: n, d },
        };
        match median {
            Some(median_ms) => Row::measured(case, median_ms),
            None => Row::unmeasured(case, Outcome::OutOfMemory),
        }
    }

    fn rows() -> Vec<Row> {
        vec![
            row("ours", "ndarray", 256, 14, Some(30.0)),
            row("ours", "ndarray", 64, 14, Some(2.0)),
            row("naive", "ndarray", 64, 14, Some(11.0)),
            row("naive", "ndarray", 256, 14, None),
            row("ours", "ndarray", 64, 256, Some(3.5)),
            row("ours", "wgpu", 64, 256, Some(40.0)),
        ]
    }

    #[test]
    fn series_group_measured_points_by_label_and_width() {
        let s = |label: &str, d, points: Vec<(f64, f64)>| Series {
            label: label.into(),
            d,
            points,
        };
        assert_eq!(
            series(&rows()),
            vec![
                s("ours (ndarray)", 14, vec![(64.0, 2.0), (256.0, 30.0)]),
                s("naive (ndarray)", 14, vec![(64.0, 11.0)]),
                s("ours (ndarray)", 256, vec![(64.0, 3.5)]),
                s("ours (wgpu)", 256, vec![(64.0, 40.0)]),
            ]
        );
    }

    #[test]
    fn one_path_per_series_in_a_well_formed_document() {
        let svg = chart(&rows()).unwrap();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<path ").count(), 4);
        assert_eq!(svg.matches("<circle ").count(), 5);
        assert!(svg.contains(">d = 14</text>") && svg.contains(">d = 256</text>"));
        // Three legend entries, one per implementation and backend.
        assert_eq!(svg.matches("stroke-width=\"2\"/><text").count(), 3);
        // Every element that opens is closed.
        for tag in ["text", "path", "circle", "title", "svg"] {
            let opened =
                svg.matches(&format!("<{tag} ")).count() + svg.matches(&format!("<{tag}>")).count();
            assert_eq!(opened, svg.matches(&format!("</{tag}>")).count(), "<{tag}>");
        }
        // Coordinates are finite numbers.
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        // A line goes up with n: the second point of `ours (ndarray)` at d = 14 is higher (smaller y).
        let path = svg.lines().find(|l| l.starts_with("<path d=\"M")).unwrap();
        let coords: Vec<f64> = path["<path d=\"M".len()..path.find("\" fill").unwrap()]
            .split([' ', ',', 'L'])
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().unwrap())
            .collect();
        assert_eq!(coords.len(), 4);
        assert!(coords[2] > coords[0] && coords[3] < coords[1], "{coords:?}");
    }

    #[test]
    fn no_chart_without_measurements() {
        assert_eq!(chart(&[row("naive", "ndarray", 4096, 2048, None)]), None);
        let mut other = row("ours", "ndarray", 64, 14, Some(1.0));
        other.case.variant = "linear".into();
        assert_eq!(chart(&[other]), None);
    }
}
