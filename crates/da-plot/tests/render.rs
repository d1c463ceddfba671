//! Every chart type rendered to PNG (decoded with `image`: size and non-blank pixels checked)
//! and to SVG (text checked), degenerate data included, and saved to a file.

use da_plot::{
    Figure, Group, Histogram, LineChart, Marker, Panel, PlotFormat, ScatterPlot, Series,
    VerticalLine,
};

/// Decodes a PNG, checks its size, and returns how many distinct colours it has.
fn png_colours(png: &[u8], width: u32, height: u32) -> usize {
    let image = image::load_from_memory_with_format(png, image::ImageFormat::Png)
        .expect("a valid PNG")
        .to_rgb8();
    assert_eq!(image.dimensions(), (width, height));
    let mut colours: Vec<[u8; 3]> = image.pixels().map(|p| p.0).collect();
    colours.sort_unstable();
    colours.dedup();
    colours.len()
}

/// Checks the PNG and SVG renderings of a chart of `width x height` titled `title`.
fn check(render: impl Fn(PlotFormat) -> Vec<u8>, (width, height): (u32, u32), title: &str) {
    let colours = png_colours(&render(PlotFormat::Png), width, height);
    // Background, axes, grid, anti-aliased text and the data: far more than a blank canvas.
    assert!(colours > 10, "{title}: only {colours} colours");
    let svg = String::from_utf8(render(PlotFormat::Svg)).expect("UTF-8 SVG");
    assert!(
        svg.starts_with("<svg"),
        "{title}: {}",
        &svg[..40.min(svg.len())]
    );
    assert!(svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains(title), "the SVG holds the title {title}");
}

fn line_chart(series: Vec<Series>, y_log: bool) -> LineChart {
    LineChart {
        title: "Loss curves".into(),
        x_label: "epoch".into(),
        y_label: "loss".into(),
        y_log,
        series,
        ..Default::default()
    }
}

#[test]
fn line_charts_render_on_linear_and_log_axes() {
    let series = vec![
        Series::new("train", vec![(1.0, 2.3), (2.0, 0.9), (3.0, 0.4)]),
        Series::new("validation", vec![(1.0, 2.4), (2.0, 1.1), (3.0, 0.7)]),
    ];
    for y_log in [false, true] {
        let chart = line_chart(series.clone(), y_log);
        check(|f| chart.render(f).unwrap(), (720, 440), "Loss curves");
    }
    let svg =
        String::from_utf8(line_chart(series, false).render(PlotFormat::Svg).unwrap()).unwrap();
    assert!(svg.contains("validation") && svg.contains("epoch"));
}

#[test]
fn scatter_plots_render_every_marker_and_class() {
    let markers = [
        Marker::Circle,
        Marker::Cross,
        Marker::Square,
        Marker::Triangle,
    ];
    let groups = markers
        .iter()
        .enumerate()
        .map(|(g, &marker)| {
            let points = (0..20)
                .map(|i| (i as f64 + g as f64 * 0.3, (i * i) as f64 * 0.1 - g as f64))
                .collect();
            Group::with_classes(
                format!("group {g}"),
                marker,
                points,
                (0..20).map(|i| i % 3).collect(),
            )
        })
        .collect();
    let plot = ScatterPlot {
        title: "Features".into(),
        groups,
        class_names: vec!["zero".into(), "one".into()],
        ..Default::default()
    };
    check(|f| plot.render(f).unwrap(), (640, 480), "Features");
    let svg = String::from_utf8(plot.render(PlotFormat::Svg).unwrap()).unwrap();
    // Named classes by name, the others by number; every group in the legend.
    for text in ["zero", "one", "class 2", "group 3"] {
        assert!(svg.contains(text), "{text}");
    }
}

#[test]
fn histograms_render_with_their_lines() {
    let chart = Histogram {
        title: "Permutation distribution".into(),
        x_label: "MMD^2".into(),
        y_label: "count".into(),
        name: "200 relabellings".into(),
        values: (0..200).map(|i| ((i * 37) % 101) as f64 / 1000.0).collect(),
        bins: 25,
        lines: vec![
            VerticalLine::new("observed", 0.3),
            VerticalLine::new("critical", 0.09),
        ],
        ..Default::default()
    };
    assert_eq!(chart.binned().iter().map(|b| b.count).sum::<usize>(), 200);
    check(
        |f| chart.render(f).unwrap(),
        (720, 440),
        "Permutation distribution",
    );
    let svg = String::from_utf8(chart.render(PlotFormat::Svg).unwrap()).unwrap();
    assert!(
        svg.contains("observed") && svg.contains("critical") && svg.contains("200 relabellings")
    );
}

#[test]
fn figures_put_panels_side_by_side() {
    let panel = |title: &str| {
        Panel::Scatter(ScatterPlot {
            title: title.into(),
            groups: vec![Group::new(
                "points",
                Marker::Circle,
                vec![(0.0, 1.0), (1.0, 0.0)],
            )],
            ..Default::default()
        })
    };
    let figure = Figure {
        title: "t-SNE before and after".into(),
        panels: vec![
            panel("before"),
            panel("after"),
            Panel::Line(line_chart(
                vec![Series::new("a", vec![(1.0, 1.0), (2.0, 3.0)])],
                false,
            )),
            Panel::Histogram(Histogram {
                values: vec![1.0, 2.0, 2.0],
                ..Default::default()
            }),
        ],
        columns: 2,
    };
    assert_eq!(figure.size(), (1440, 2 * 480 + 36));
    check(
        |f| figure.render(f).unwrap(),
        figure.size(),
        "t-SNE before and after",
    );
}

#[test]
fn degenerate_data_still_render() {
    let empty_series = vec![Series::new("empty", vec![])];
    let one_point = vec![Series::new("one", vec![(1.0, 1.0)])];
    let unshowable = vec![Series::new(
        "bad",
        vec![
            (f64::NAN, 1.0),
            (1.0, f64::INFINITY),
            (2.0, -1.0),
            (3.0, 0.0),
        ],
    )];
    let flat = vec![Series::new(
        "flat",
        vec![(1.0, 5.0), (2.0, 5.0), (3.0, 5.0)],
    )];
    for series in [vec![], empty_series, one_point, unshowable, flat] {
        for y_log in [false, true] {
            let chart = line_chart(series.clone(), y_log);
            check(|f| chart.render(f).unwrap(), (720, 440), "Loss curves");
        }
    }
    for points in [
        vec![],
        vec![(1.0, 2.0)],
        vec![(f64::NAN, 0.0), (3.0, 3.0), (3.0, 3.0)],
    ] {
        let plot = ScatterPlot {
            title: "Cloud".into(),
            groups: vec![Group::new("g", Marker::Cross, points)],
            ..Default::default()
        };
        check(|f| plot.render(f).unwrap(), (640, 480), "Cloud");
    }
    for values in [vec![], vec![2.0], vec![f64::NAN, 1.0, 1.0]] {
        let chart = Histogram {
            title: "Sample".into(),
            values,
            lines: vec![VerticalLine::new("nan", f64::NAN)],
            ..Default::default()
        };
        check(|f| chart.render(f).unwrap(), (720, 440), "Sample");
    }
    let nothing = Figure::default();
    assert!(nothing.render(PlotFormat::Png).is_ok());
    // No title at all.
    let untitled = LineChart::default();
    assert!(untitled.render(PlotFormat::Svg).is_ok());
}

#[test]
fn save_writes_the_file_atomically_in_either_format() {
    let dir = tempfile::tempdir().unwrap();
    let chart = line_chart(vec![Series::new("a", vec![(1.0, 1.0), (2.0, 2.0)])], false);
    for format in [PlotFormat::Png, PlotFormat::Svg] {
        let path = dir.path().join(format!("loss.{}", format.extension()));
        chart.save(&path, format).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), chart.render(format).unwrap());
    }
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "no temporary file left: {names:?}");
    let missing = dir.path().join("no/such/folder/loss.png");
    let err = chart.save(&missing, PlotFormat::Png).unwrap_err();
    assert!(err.to_string().contains("no/such/folder"), "{err}");
}
