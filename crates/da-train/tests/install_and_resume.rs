//! What an installed `da-train` needs (the built-in domains from any folder, no data folder),
//! `--resume --out DIR` alone continuing the run saved there, and per-domain normalisation.

mod common;

use std::path::Path;

use common::{domain, out_dir, write_csv};
use da_train::datasets::Dataset;
use da_train::train::{Normalization, TrainConfig, prepare};

/// Runs the binary in `dir` (its working directory).
fn da_train_in(dir: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_da-train"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run da-train")
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn the_built_in_domains_train_from_an_empty_folder() {
    let dir = out_dir("empty-folder");
    std::fs::create_dir_all(&dir).unwrap();
    let output = da_train_in(
        &dir,
        &[
            "train",
            "--source",
            "mnist",
            "--target",
            "mfeat",
            "--image-size",
            "8",
            "--bottleneck",
            "16",
            "--epochs",
            "1",
            "--iterations-per-epoch",
            "3",
            "--backend",
            "ndarray",
            "--no-progress",
            "--out",
            "run",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("run/summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["source"], "mnist");
    // Only the run's own output was written in the folder.
    let entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries, ["run"]);
    // --data-dir still overrides the built-in copy: a folder without the files is an error
    // that names the missing file.
    let output = da_train_in(
        &dir,
        &[
            "train",
            "--source",
            "mnist",
            "--target",
            "mfeat",
            "--data-dir",
            "nowhere",
            "--out",
            "run2",
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("train-images.idx3-ubyte.gz"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn resume_with_only_out_continues_the_saved_run() {
    let dir = out_dir("resume-out-only");
    std::fs::create_dir_all(&dir).unwrap();
    let (source, target) = (dir.join("source.csv"), dir.join("target.csv"));
    write_csv(&source, &domain(96, 0.0, 1));
    write_csv(&target, &domain(60, 0.15, 3));
    let out = dir.join("run");
    let out = out.to_str().unwrap();
    let first = da_train_in(
        &dir,
        &[
            "train",
            "--source",
            source.to_str().unwrap(),
            "--target",
            target.to_str().unwrap(),
            "--image-size",
            "8",
            "--bottleneck",
            "16",
            "--lambda",
            "0.2",
            "--batch-size",
            "16",
            "--epochs",
            "2",
            "--stop-after",
            "1",
            "--backend",
            "ndarray",
            "--no-progress",
            "--out",
            out,
        ],
    );
    assert!(first.status.success(), "{}", stderr(&first));
    // A contradicting option is an error naming both values; nothing of the run is lost.
    let contradicting = da_train_in(
        &dir,
        &[
            "train",
            "--resume",
            "--out",
            out,
            "--lambda",
            "0.5",
            "--no-progress",
        ],
    );
    assert_eq!(
        contradicting.status.code(),
        Some(2),
        "{}",
        stderr(&contradicting)
    );
    let message = stderr(&contradicting);
    assert!(
        message.contains("lambda = 0.5 (checkpoint: 0.2)"),
        "{message}"
    );
    // The saved configuration alone: the run continues to its 2 epochs.
    let resumed = da_train_in(
        &dir,
        &[
            "train",
            "--resume",
            "--out",
            out,
            "--backend",
            "ndarray",
            "--no-progress",
        ],
    );
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    let metrics = std::fs::read_to_string(dir.join("run/metrics.csv")).unwrap();
    assert_eq!(metrics.lines().count(), 3, "{metrics}");
    // A folder that holds no run is an error naming it.
    let empty = da_train_in(&dir, &["train", "--resume", "--out", "no-run-here"]);
    assert_eq!(empty.status.code(), Some(2), "{}", stderr(&empty));
    assert!(stderr(&empty).contains("no-run-here"), "{}", stderr(&empty));
}

#[test]
fn per_domain_normalisation_standardises_each_domain_by_its_own_training_images() {
    let config = TrainConfig {
        channels: Some(1),
        normalization: Normalization::PerDomain,
        ..TrainConfig::default()
    };
    for (shift, seed) in [(0.0, 1), (0.3, 2)] {
        let train = domain(60, shift, seed);
        let test = domain(30, shift, seed + 10);
        let prepared = prepare(train.clone(), &train, &config).unwrap();
        let (mean, std) = Dataset::channel_stats(&[&prepared]);
        assert!(
            mean[0].abs() < 1e-5 && (std[0] - 1.0).abs() < 1e-4,
            "{mean:?} {std:?}"
        );
        // The test split takes its domain's training statistics, not its own.
        let (train_mean, train_std) = Dataset::channel_stats(&[&train]);
        let prepared = prepare(test.clone(), &train, &config).unwrap();
        let expected = (test.images[0] as f64 - train_mean[0]) / train_std[0];
        assert!((prepared.images[0] as f64 - expected).abs() < 1e-5);
    }
}
