//! The example on its committed windows: drift is found where there is some and not where there
//! is none, the charts are written, and bad input gives a clear error.

use std::fs;
use std::path::{Path, PathBuf};

use da_plot::PlotFormat;
use example_drift_detection::{
    DriftError, HISTOGRAM_BINS, Options, Window, compare, data_dir, generate, histogram,
    save_histogram,
};

/// A fresh scratch folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("drift-detection-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn window(name: &str) -> Window {
    Window::read(data_dir().join(name)).unwrap()
}

fn quick(seed: u64) -> Options {
    Options {
        permutations: 200,
        seed,
        ..Options::default()
    }
}

#[test]
fn drift_is_found_in_the_drifted_window_only() {
    let reference = window("reference.npy");
    let (drifted, same) = (window("drifted.csv"), window("same.csv"));
    // Deterministic for a seed; several seeds show the margin is not luck.
    for seed in 0..4 {
        let options = quick(seed);
        let found = compare(&reference, &drifted, &options).unwrap();
        assert_eq!([found.n, found.m, found.d], [200, 200, 16]);
        assert!(found.result.p_value < 0.05 && found.drift(), "{found:?}");
        assert!(found.result.statistic > found.critical_value().unwrap());
        let clean = compare(&reference, &same, &options).unwrap();
        assert!(clean.result.p_value > 0.05 && !clean.drift(), "{clean:?}");
        assert!(clean.result.statistic < clean.critical_value().unwrap());
        assert!(found.result.statistic > clean.result.statistic);
    }
    // The default options too (1000 permutations, seed 0).
    let found = compare(&reference, &drifted, &Options::default()).unwrap();
    assert!(found.result.p_value < 0.05, "{found:?}");
    assert_eq!(found.result.null_statistics.len(), 1000);
    let clean = compare(&reference, &same, &Options::default()).unwrap();
    assert!(clean.result.p_value > 0.05, "{clean:?}");
    let report = found.report();
    for part in [
        "n = 200, m = 200, d = 16",
        "MMD^2 = ",
        "p-value = ",
        "DRIFT",
        "Gaussian",
    ] {
        assert!(report.contains(part), "{part} in {report}");
    }
    assert!(clean.report().contains("no drift detected"));
}

#[test]
fn the_histogram_is_written_with_the_observed_statistic() {
    let out = scratch("charts");
    let reference = window("reference.npy");
    let comparison = compare(&reference, &window("drifted.csv"), &quick(0)).unwrap();
    let path = save_histogram(&comparison, &out.join("nested"), PlotFormat::Svg).unwrap();
    assert_eq!(path, out.join("nested/reference-vs-drifted.svg"));
    let svg = fs::read_to_string(&path).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    for text in [
        "Permutation distribution of MMD^2: reference.npy vs drifted.csv",
        "200 relabellings",
        &format!("observed: {:.4}", comparison.result.statistic),
        "critical, alpha = 0.05",
        "relabellings per bin",
    ] {
        assert!(svg.contains(text), "{text} in the chart");
    }
    // The bars hold every relabelling.
    let bars = histogram(&comparison).binned();
    assert_eq!(bars.len(), HISTOGRAM_BINS);
    assert_eq!(bars.iter().map(|b| b.count).sum::<usize>(), 200);
    // The default PNG: decodable, of the chart's size, not blank.
    let png = save_histogram(&comparison, &out.join("nested"), PlotFormat::Png).unwrap();
    assert_eq!(png, out.join("nested/reference-vs-drifted.png"));
    let image = image::open(&png).unwrap().to_rgb8();
    assert_eq!(image.dimensions(), (720, 440));
    let first = image.get_pixel(0, 0);
    assert!(image.pixels().any(|p| p != first), "blank chart");
    // No temporary file is left behind.
    let names: Vec<_> = fs::read_dir(out.join("nested")).unwrap().collect();
    assert_eq!(names.len(), 2);
    fs::remove_dir_all(&out).unwrap();
}

#[test]
fn a_width_mismatch_names_both_files_and_widths() {
    let out = scratch("width");
    let narrow = out.join("narrow.csv");
    fs::write(&narrow, "1,2,3\n4,5,6\n7,8,9\n").unwrap();
    let err = compare(
        &window("reference.npy"),
        &Window::read(&narrow).unwrap(),
        &quick(0),
    )
    .unwrap_err();
    assert!(matches!(err, DriftError::WidthMismatch { .. }));
    let message = err.to_string();
    for part in [
        "reference.npy has 16 columns",
        &format!("{} has 3", narrow.display()),
    ] {
        assert!(message.contains(part), "{part} in {message}");
    }
    fs::remove_dir_all(&out).unwrap();
}

#[test]
fn bad_files_give_the_readers_errors() {
    let out = scratch("bad");
    let missing = out.join("missing.npy");
    let message = Window::read(&missing).unwrap_err().to_string();
    assert!(
        message.contains("cannot read") && message.contains("missing.npy"),
        "{message}"
    );
    let text = out.join("window.txt");
    fs::write(&text, "1,2\n").unwrap();
    let message = Window::read(&text).unwrap_err().to_string();
    assert!(message.contains("unsupported file extension"), "{message}");
    let broken = out.join("broken.csv");
    fs::write(&broken, "1,2\n3,oops\n").unwrap();
    let message = Window::read(&broken).unwrap_err().to_string();
    assert!(
        message.contains("line 2") && message.contains("oops"),
        "{message}"
    );
    fs::remove_dir_all(&out).unwrap();
}

#[test]
fn the_committed_windows_are_those_of_the_generator() {
    let out = scratch("generate");
    let paths = generate(&out).unwrap();
    assert_eq!(paths.len(), 3);
    for path in &paths {
        let name = Path::new(path.file_name().unwrap());
        let (fresh, committed) = (
            Window::read(path).unwrap().matrix,
            Window::read(data_dir().join(name)).unwrap().matrix,
        );
        // Equal up to the last digits: `ln` and `cos` may round differently on another platform.
        assert_eq!(fresh.shape(), committed.shape(), "{}", name.display());
        for (a, b) in fresh.values.iter().zip(&committed.values) {
            assert!(
                (a - b).abs() <= 1e-5 * a.abs().max(1.0),
                "{} differs from the generator's ({a} vs {b}); rerun --generate",
                name.display()
            );
        }
        assert!(fs::metadata(data_dir().join(name)).unwrap().len() < 100_000);
    }
    fs::remove_dir_all(&out).unwrap();
}

#[test]
fn the_program_exits_non_zero_with_a_message() {
    let program = env!("CARGO_BIN_EXE_example-drift-detection");
    let out = scratch("program");
    let output = std::process::Command::new(program)
        .args(["--current", "no/such/window.csv", "--quick", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("error: cannot read no/such/window.csv"),
        "{stderr}"
    );

    let output = std::process::Command::new(program)
        .args(["--alpha", "2"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));

    let output = std::process::Command::new(program)
        .args(["--quick", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.matches("decision: DRIFT").count(), 1, "{stdout}");
    assert_eq!(stdout.matches("decision: no drift detected").count(), 1);
    assert!(out.join("reference-vs-drifted.png").is_file());
    assert!(out.join("reference-vs-same.png").is_file());
    let output = std::process::Command::new(program)
        .args(["--quick", "--plot-format", "svg", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(out.join("reference-vs-same.svg").is_file());
    fs::remove_dir_all(&out).unwrap();
}
