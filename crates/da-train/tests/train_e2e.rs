//! End-to-end training on small synthetic domains, on ndarray: the loss falls, accuracy beats
//! chance, every transfer method trains, a resumed run ends with the same weights as an
//! uninterrupted one, a diverging run stops without touching the last good checkpoint, and
//! damaged checkpoints are clear errors.

mod common;

use std::path::Path;

use burn::module::Module;
use burn::record::{BinBytesRecorder, FullPrecisionSettings, Recorder};
use burn::tensor::{Tensor, TensorData};
use burn_ndarray::NdArray;
use common::{CLASSES, config, da_train, data, domain, eval_json, out_dir, write_csv};
use da_models::{DaNet, DaNetConfig, DomainDiscriminatorConfig};
use da_train::backend::NdarrayTrain;
use da_train::train::{
    CheckpointParts, OptimizerKind, RunData, RunOptions, Summary, TrainConfig, TrainError,
    Transfer, train,
};

/// Burn's backend random generator is global to the process: runs that draw from it (weight
/// initialisation, dropout) must not interleave, or they stop being reproducible.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn run(
    config: &TrainConfig,
    data: &RunData,
    out: &Path,
    resume: bool,
) -> Result<Summary, TrainError> {
    let options = RunOptions {
        resume,
        ..RunOptions::default()
    };
    let summary = train::<NdarrayTrain>(config, data, out, options, &Default::default())?;
    Ok(summary.expect("ran to the last epoch"))
}

#[test]
fn loss_falls_and_accuracy_beats_chance() {
    let _serial = serial();
    let out = out_dir("learns");
    let summary = run(&config(6), &data(), &out, false).unwrap();
    let csv = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    let (methods, rows) = metrics(&out);
    assert_eq!(rows.len(), 6, "{csv}");
    assert!(methods.iter().all(|m| m == "mmd"), "{csv}");
    assert!(
        rows[5][CLF] < 0.7 * rows[0][CLF],
        "classification loss should fall: {csv}"
    );
    assert!(summary.source_accuracy > 0.8, "{summary:?}");
    assert!(
        summary.target_accuracy > 1.0 / CLASSES as f64 + 0.2,
        "{summary:?}"
    );
    for file in ["summary.json", "config.json", "checkpoint.bin"] {
        assert!(out.join(file).is_file(), "{file} missing");
    }
    // The pictures are PNG by default: decodable, and not a blank canvas.
    for file in ["loss.png", "accuracy.png", "features.png", "tsne.png"] {
        let image = image::open(out.join(file))
            .unwrap_or_else(|e| panic!("{file}: {e}"))
            .to_rgb8();
        assert!(image.width() >= 640 && image.height() >= 440, "{file}");
        let first = image.get_pixel(0, 0);
        assert!(image.pixels().any(|p| p != first), "{file} is uniform");
    }
    let config_json = std::fs::read_to_string(out.join("config.json")).unwrap();
    assert!(
        config_json.contains(r#""plot_format": "png""#),
        "{config_json}"
    );
    let summary_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    for key in ["target_accuracy", "source_accuracy", "transfer"] {
        assert!(summary_json.get(key).is_some(), "summary.json lacks {key}");
    }
}

/// Columns of metrics.csv after the epoch and transfer columns.
const CLF: usize = 0;
const TRANSFER_LOSS: usize = 1;
const TOTAL: usize = 2;

/// metrics.csv: the transfer column, and the numbers after it.
fn metrics(dir: &Path) -> (Vec<String>, Vec<Vec<f64>>) {
    let csv = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("epoch,transfer,clf_loss,transfer_loss,total_loss,"),
        "{csv}"
    );
    lines
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            let numbers = fields[2..].iter().map(|v| v.parse().unwrap()).collect();
            (fields[1].to_string(), numbers)
        })
        .unzip()
}

/// LMMD weights the target by its predictions: with its default (slow) ramp the classifier
/// learns first; a weight that rises as fast as DANN's made it collapse to one class.
#[test]
fn lmmd_with_its_default_ramp_learns() {
    let _serial = serial();
    let out = out_dir("lmmd-ramp");
    let config = TrainConfig {
        transfer: Transfer::Lmmd,
        lambda: 1.0,
        ..config(6)
    };
    assert_eq!(config.gamma, None);
    let summary = run(&config, &data(), &out, false).unwrap();
    assert!(summary.source_accuracy > 0.8, "{summary:?}");
    assert!(
        summary.target_accuracy > 1.0 / CLASSES as f64 + 0.2,
        "{summary:?}"
    );
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap()).unwrap();
    assert_eq!(saved["gamma"], 1.0, "config.json records the gamma used");
}

#[test]
fn every_transfer_method_trains_and_is_recorded() {
    let _serial = serial();
    let data = data();
    for method in Transfer::ALL {
        let out = out_dir(&format!("method-{}", method.name()));
        let config = TrainConfig {
            transfer: method,
            dann_hidden: 16,
            // The first step of a ramp has weight 0; a constant weight makes every step count.
            lambda_schedule: da_train::train::LambdaSchedule::Constant,
            ..config(1)
        };
        let summary =
            run(&config, &data, &out, false).unwrap_or_else(|err| panic!("{method:?}: {err}"));
        assert_eq!(summary.transfer, method);
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap())
                .unwrap();
        assert_eq!(json["transfer"], method.name(), "{json}");
        let (methods, rows) = metrics(&out);
        assert_eq!(methods, [method.name()]);
        let row = &rows[0];
        assert!(
            row.iter().all(|v| v.is_finite()),
            "{method:?}: non-finite metrics {row:?}"
        );
        assert!(
            (row[TOTAL] - (row[CLF] + config.lambda * row[TRANSFER_LOSS])).abs() < 1e-4,
            "{method:?}: total != clf + lambda * transfer: {row:?}"
        );
        // Source-only has no transfer loss; every other method computes one.
        assert_eq!(
            row[TRANSFER_LOSS] == 0.0,
            method == Transfer::None,
            "{method:?}: {row:?}"
        );
        match method {
            // BNM maximises the nuclear norm: its loss is negative.
            Transfer::Bnm => assert!(row[TRANSFER_LOSS] < 0.0, "{row:?}"),
            // An undecided discriminator scores about ln 2.
            Transfer::Dann => assert!((0.2..2.0).contains(&row[TRANSFER_LOSS]), "{row:?}"),
            _ => assert!(row[TRANSFER_LOSS] >= 0.0, "{method:?}: {row:?}"),
        }
        let parts =
            CheckpointParts::<serde_json::Value>::load(&out.join("checkpoint.bin")).unwrap();
        assert_eq!(
            parts.discriminator.is_some(),
            method == Transfer::Dann,
            "{method:?}: only DANN checkpoints hold a discriminator"
        );
    }
}

#[test]
fn a_config_file_selects_the_transfer_method() {
    let dir = out_dir("config-file");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("coral.toml");
    std::fs::write(&path, "transfer = \"coral\"\ndann_hidden = 32\n").unwrap();
    let config = TrainConfig::from_file(&path).unwrap();
    assert_eq!((config.transfer, config.dann_hidden), (Transfer::Coral, 32));
    let path = dir.join("bad.json");
    std::fs::write(&path, r#"{"transfer": "adda"}"#).unwrap();
    let err = TrainConfig::from_file(&path).unwrap_err().to_string();
    assert!(
        err.contains("bad.json") && err.contains("adda") && err.contains("dann"),
        "{err}"
    );
}

#[test]
fn a_bad_transfer_value_exits_2_naming_the_accepted_ones() {
    let output = da_train(&["train", "--transfer", "adda", "--epochs", "1"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("'adda'"), "{stderr}");
    assert!(
        stderr.contains("none, mmd, lmmd, jmmd, coral, dann, bnm"),
        "{stderr}"
    );
}

#[test]
fn dann_from_the_command_line_then_eval() {
    let dir = out_dir("dann-cli");
    std::fs::create_dir_all(&dir).unwrap();
    let (source, target) = (dir.join("source.csv"), dir.join("target.csv"));
    write_csv(&source, &domain(96, 0.0, 1));
    write_csv(&target, &domain(60, 0.15, 3));
    let out = dir.join("run");
    let args = [
        "train",
        "--source",
        source.to_str().unwrap(),
        "--target",
        target.to_str().unwrap(),
        "--image-size",
        "8",
        "--transfer",
        "dann",
        "--dann-hidden",
        "16",
        "--bottleneck",
        "16",
        "--epochs",
        "1",
        "--batch-size",
        "16",
        "--backend",
        "ndarray",
        "--no-progress",
        "--out",
        out.to_str().unwrap(),
    ];
    let output = da_train(&args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("(dann)"), "{stdout}");
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap()).unwrap();
    assert_eq!(
        (&config["transfer"], &config["dann_hidden"]),
        (&"dann".into(), &16.into())
    );
    let eval = eval_json(&out, &target, "ndarray");
    let accuracy = eval["accuracy"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&accuracy), "{eval}");
    assert!(eval["images"].as_u64().unwrap() > 0, "{eval}");
}

#[test]
fn a_resumed_run_ends_with_the_same_weights() {
    let _serial = serial();
    let (data, full, part) = (data(), out_dir("full"), out_dir("part"));
    for transfer in [Transfer::Mmd, Transfer::None, Transfer::Dann] {
        let config = TrainConfig {
            transfer,
            dropout: 0.2,
            dann_hidden: 16,
            ..config(4)
        };
        run(&config, &data, &full, false).unwrap();
        // Interrupted after 2 of 4 epochs, then resumed.
        let stop = RunOptions {
            stop_after: Some(2),
            ..RunOptions::default()
        };
        let stopped =
            train::<NdarrayTrain>(&config, &data, &part, stop, &Default::default()).unwrap();
        assert!(stopped.is_none(), "stopped runs report no summary");
        run(&config, &data, &part, true).unwrap();
        // Parameter ids differ between the two runs, so compare what the weights compute.
        assert_eq!(
            logits(&full, &data),
            logits(&part, &data),
            "{transfer:?}: weights differ after resuming"
        );
        assert_eq!(
            discriminator_logits(&full, &config),
            discriminator_logits(&part, &config),
            "{transfer:?}: discriminator weights differ after resuming"
        );
        // Metrics of the epochs before the interruption come back from the checkpoint's JSON
        // header, which may round the last bit.
        let (a, b) = (metrics_without_time(&full), metrics_without_time(&part));
        assert_eq!(a.len(), b.len(), "{transfer:?}");
        for (x, y) in a.iter().flatten().zip(b.iter().flatten()) {
            assert!(
                (x - y).abs() <= 1e-12 * x.abs().max(1.0),
                "{transfer:?}: {a:?} vs {b:?}"
            );
        }
    }
}

/// The logits of the checkpointed network on the target test images.
fn logits(dir: &Path, data: &RunData) -> Vec<f32> {
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Header {
        model: DaNetConfig,
    }
    let parts = CheckpointParts::<Header>::load(&dir.join("checkpoint.bin")).unwrap();
    let device = Default::default();
    let net: DaNet<NdArray> = parts.header.model.init(&device);
    let recorder = BinBytesRecorder::<FullPrecisionSettings>::default();
    let net = net.load_record(Recorder::<NdArray>::load(&recorder, parts.model, &device).unwrap());
    let indices: Vec<usize> = (0..data.target_test.len()).collect();
    let (images, _) = data.target_test.batch::<NdArray>(&indices, &device);
    net.forward(images)
        .logits
        .into_data()
        .to_vec::<f32>()
        .unwrap()
}

/// The checkpointed domain discriminator's logits (in inference mode) on fixed rows; `None`
/// when the checkpoint holds no discriminator.
fn discriminator_logits(dir: &Path, config: &TrainConfig) -> Option<Vec<f32>> {
    let parts = CheckpointParts::<serde_json::Value>::load(&dir.join("checkpoint.bin")).unwrap();
    let bytes = parts.discriminator?;
    let device = Default::default();
    let discriminator = DomainDiscriminatorConfig::new(config.bottleneck_width())
        .with_hidden(config.dann_hidden)
        .init::<NdArray>(&device);
    let recorder = BinBytesRecorder::<FullPrecisionSettings>::default();
    let discriminator =
        discriminator.load_record(Recorder::<NdArray>::load(&recorder, bytes, &device).unwrap());
    let values: Vec<f32> = (0..3 * config.bottleneck_width())
        .map(|i| (i as f32 / 10.0).sin())
        .collect();
    let rows = Tensor::<NdArray, 2>::from_data(
        TensorData::new(values, [3, config.bottleneck_width()]),
        &device,
    );
    Some(
        discriminator
            .forward(rows)
            .into_data()
            .to_vec::<f32>()
            .unwrap(),
    )
}

/// metrics.csv rows without the transfer name and the two timing columns.
fn metrics_without_time(dir: &Path) -> Vec<Vec<f64>> {
    let (_, mut rows) = metrics(dir);
    // The last two columns are timings: seconds and images per second.
    for row in &mut rows {
        row.truncate(row.len() - 2);
    }
    rows
}

#[test]
fn a_nan_stops_training_and_keeps_the_last_good_checkpoint() {
    let _serial = serial();
    let out = out_dir("nan");
    let data = data();
    run(&config(1), &data, &out, false).unwrap();
    let good = std::fs::read(out.join("checkpoint.bin")).unwrap();
    // A learning rate this large makes the weights, then the loss, overflow in the first epoch.
    let diverging = TrainConfig {
        optimizer: OptimizerKind::Sgd,
        lr: 1e12,
        ..config(2)
    };
    let err = run(&diverging, &data, &out, false).unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(err, TrainError::NonFinite { epoch: 1, .. }),
        "{message}"
    );
    assert!(message.contains("epoch 1, step"), "{message}");
    assert_eq!(
        std::fs::read(out.join("checkpoint.bin")).unwrap(),
        good,
        "checkpoint was touched"
    );
}

#[test]
fn resuming_from_a_damaged_or_foreign_checkpoint_is_a_clear_error() {
    let _serial = serial();
    let out = out_dir("damaged");
    let data = data();
    run(&config(1), &data, &out, false).unwrap();
    // Another configuration.
    let other = TrainConfig {
        bottleneck: Some(8),
        ..config(2)
    };
    let err = run(&other, &data, &out, true).unwrap_err().to_string();
    assert!(
        err.contains("does not match") && err.contains("bottleneck"),
        "{err}"
    );
    // A truncated file.
    let path = out.join("checkpoint.bin");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let err = run(&config(2), &data, &out, true).unwrap_err().to_string();
    assert!(
        err.contains("corrupted") && err.contains("checkpoint.bin"),
        "{err}"
    );
    // No checkpoint at all.
    let err = run(&config(2), &data, &out_dir("none"), true)
        .unwrap_err()
        .to_string();
    assert!(err.contains("checkpoint.bin"), "{err}");
}
