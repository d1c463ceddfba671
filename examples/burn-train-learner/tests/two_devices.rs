//! A tiny training through burn-train's multi-device strategy on two NdArray CPU devices: it
//! must finish, log finite metrics for both epochs, write full-precision checkpoints, and the
//! validation accuracy burn-train logged must be that of the saved model.
use std::path::PathBuf;

use burn::backend::Autodiff;
use burn::module::Module;
use burn::record::{FullPrecisionSettings, NamedMpkFileRecorder};
use burn::tensor::ElementConversion;
use burn_ndarray::{NdArray, NdArrayDevice};
use example_burn_train_learner::model::MmdModel;
use example_burn_train_learner::{Domains, RunConfig, run};

/// A fresh folder under the system's temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Two epochs of 2 x 4 batches of 16 (4 steps on each device per epoch).
fn tiny(out: &TempDir) -> RunConfig {
    RunConfig {
        source_images: Some(128),
        valid_images: Some(300), // two validation batches: 256 + 44
        epochs: 2,
        batch_size: 16,
        print_every: 1,
        ..RunConfig::quick(&out.0)
    }
}

#[test]
fn two_cpu_devices_train_log_and_checkpoint() {
    type B = Autodiff<NdArray>;
    let out = TempDir::new("burn-train-learner-two-devices");
    let config = tiny(&out);
    let report = run::<B>(&config, vec![NdArrayDevice::Cpu; 2]).expect("training failed");

    // burn-train's metric logs: one entry per epoch for each split.
    for (name, values) in [
        ("train loss", &report.train_loss),
        ("train accuracy", &report.train_accuracy),
        ("valid loss", &report.valid_loss),
        ("valid accuracy", &report.valid_accuracy),
    ] {
        assert_eq!(values.len(), 2, "{name}: {values:?}");
        assert!(values.iter().all(|v| v.is_finite()), "{name}: {values:?}");
    }
    assert!(report.train_loss.iter().all(|&l| l > 0.0));
    assert!(
        report.train_loss[1] < report.train_loss[0],
        "the training loss did not decrease: {:?}",
        report.train_loss
    );
    let accuracy = report.valid_accuracy[1];
    assert!((0.0..=100.0).contains(&accuracy), "{accuracy}");

    // Checkpoints of the model, the optimiser and the scheduler for the last epoch.
    for what in ["model", "optim", "scheduler"] {
        let file = out.0.join("checkpoint").join(format!("{what}-2.mpk"));
        assert!(file.is_file(), "missing {}", file.display());
    }

    // The saved model (full precision) reproduces the validation accuracy burn-train logged.
    let device = NdArrayDevice::Cpu;
    let model = MmdModel::<NdArray>::new(config.lambda, &device)
        .load_file(
            &report.model_file,
            &NamedMpkFileRecorder::<FullPrecisionSettings>::new(),
            &device,
        )
        .expect("model file");
    let test = Domains::load(&config).unwrap().target_test;
    let indices: Vec<usize> = (0..test.len()).collect();
    let (images, labels) = test.batch::<NdArray>(&indices, &device);
    let predicted = model.net.forward(images).1.argmax(1).flatten::<1>(0, 1);
    let correct: i64 = predicted.equal(labels).int().sum().into_scalar().elem();
    let recomputed = 100.0 * correct as f64 / test.len() as f64;
    assert!(
        (recomputed - accuracy).abs() < 1e-6,
        "logged {accuracy} %, recomputed {recomputed} %"
    );

    // A second run into the same folder without `overwrite` is an error naming it, and the
    // first run's checkpoints are untouched.
    let checkpoint = out.0.join("checkpoint").join("model-2.mpk");
    let before = std::fs::read(&checkpoint).unwrap();
    let err = run::<B>(&config, vec![NdArrayDevice::Cpu])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("already holds a run") && err.contains(&out.0.display().to_string()),
        "{err}"
    );
    assert_eq!(std::fs::read(&checkpoint).unwrap(), before);
}
