//! Model selection without target labels and colour runs, end to end on ndarray: `--select
//! best-score` keeps the epoch with the best unsupervised score (and `eval` on the run uses
//! it, with the recorded normalisation), and a grey source with a colourised target trains in
//! colour to above chance (with the colour augmentation that `auto` turns on for it).

mod common;

use std::path::Path;

use common::{CLASSES, SIDE, config, data, domain, eval_json, out_dir, write_csv};
use da_train::backend::NdarrayTrain;
use da_train::datasets::Dataset;
use da_train::datasets::augment::ColourAugment;
use da_train::datasets::colour_shift::{SEED, colourise};
use da_train::train::{
    BEST_CHECKPOINT, Normalization, RunData, RunOptions, Selection, Summary, TrainConfig, train,
};

/// Burn's backend random generator is global to the process: runs that draw from it must not
/// interleave, or they stop being reproducible.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn run(config: &TrainConfig, data: &RunData, out: &Path) -> Summary {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    train::<NdarrayTrain>(
        config,
        data,
        out,
        RunOptions::default(),
        &Default::default(),
    )
    .unwrap()
    .expect("ran to the last epoch")
}

/// metrics.csv as a header and rows of fields.
fn metrics(dir: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let csv = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    let mut lines = csv.lines();
    let header = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    (header, rows)
}

fn column(header: &[String], rows: &[Vec<String>], name: &str) -> Vec<f64> {
    let at = header.iter().position(|h| h == name).unwrap();
    rows.iter().map(|r| r[at].parse().unwrap()).collect()
}

#[test]
fn best_score_selection_keeps_the_best_scoring_epoch_and_eval_uses_it() {
    let out = out_dir("select-best-score");
    let config = TrainConfig {
        select: Selection::BestScore,
        ..config(5)
    };
    let summary = run(&config, &data(), &out);
    let (header, rows) = metrics(&out);
    let snd = column(&header, &rows, "target_snd");
    let accuracy = column(&header, &rows, "target_accuracy");
    let best = (0..snd.len())
        .max_by(|&a, &b| snd[a].total_cmp(&snd[b]).then(b.cmp(&a)))
        .unwrap();
    assert_eq!(summary.selected_epoch, best + 1, "{summary:?} snd {snd:?}");
    assert!((summary.selected_target_accuracy - accuracy[best]).abs() < 1e-9);
    assert!(out.join(BEST_CHECKPOINT).is_file());
    // The normalisation statistics are recorded, one per channel.
    let recorded: TrainConfig =
        serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap()).unwrap();
    match &recorded.normalization {
        Normalization::Fixed { mean, std } => {
            assert_eq!((mean.len(), std.len()), (1, 1));
            assert!(mean[0] > 0.0 && std[0] > 0.0, "{mean:?} {std:?}");
        }
        other => panic!("normalisation not recorded: {other:?}"),
    }
    // Grey to grey: `auto` leaves the colour augmentation off.
    assert_eq!(recorded.augment_colour, ColourAugment::Off);
    // eval on the run directory evaluates the selected network with the same normalisation:
    // the target test set scores what the run reported for the selected epoch.
    let target = out.join("target_test.csv");
    write_csv(&target, &data().target_test);
    let eval = eval_json(&out, &target, "ndarray");
    let evaluated = eval["accuracy"].as_f64().unwrap();
    assert!(
        (evaluated - summary.selected_target_accuracy).abs() < 1e-9,
        "eval {evaluated} vs selected {summary:?}"
    );
}

/// A grey domain colourised over the MNIST-M-like backgrounds.
fn colour(grey: Dataset, stream: u64) -> Dataset {
    Dataset {
        images: colourise(&grey.images, grey.len(), SIDE, SIDE, SEED, stream),
        channels: 3,
        ..grey
    }
}

#[test]
fn a_grey_source_and_a_colour_target_train_in_colour_above_chance() {
    let out = out_dir("colour");
    let grey = data();
    let data = RunData {
        source_train: grey.source_train.with_channels(3).unwrap(),
        source_test: grey.source_test.with_channels(3).unwrap(),
        target_train: colour(grey.target_train, 0),
        // More test images than the other tests use: chance is 1/3, and the margin must not
        // hinge on two or three images.
        target_test: colour(domain(120, 0.15, 4), 1),
    };
    let summary = run(&config(20), &data, &out);
    let recorded: TrainConfig =
        serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap()).unwrap();
    assert_eq!(recorded.channels, Some(3));
    // Grey source, colour target: `auto` turned the colour augmentation on.
    assert_eq!(recorded.augment_colour, ColourAugment::On);
    match &recorded.normalization {
        Normalization::Fixed { mean, .. } => assert_eq!(mean.len(), 3),
        other => panic!("normalisation not recorded: {other:?}"),
    }
    assert!(summary.source_accuracy > 0.8, "{summary:?}");
    assert!(
        summary.target_accuracy > 1.0 / CLASSES as f64 + 0.1,
        "{summary:?}"
    );
}
