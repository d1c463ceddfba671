//! Small synthetic domains and the run configuration shared by the training tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use da_train::datasets::Dataset;
use da_train::train::{LrSchedule, OptimizerKind, RunData, TrainConfig, Transfer};

pub const SIDE: usize = 8;
pub const CLASSES: usize = 3;

/// Class `c` lights up the `c`-th horizontal band; `shift` brightens the whole image (the domain
/// shift); `seed` varies the noise.
pub fn domain(count: usize, shift: f32, seed: u64) -> Dataset {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut noise = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as f32 / (1u64 << 31) as f32 - 0.5) * 0.4
    };
    let mut images = Vec::with_capacity(count * SIDE * SIDE);
    let mut labels = Vec::with_capacity(count);
    for i in 0..count {
        let class = i % CLASSES;
        for row in 0..SIDE {
            for _ in 0..SIDE {
                let on = row * CLASSES / SIDE == class;
                images.push((if on { 0.8 } else { 0.1 } + shift + noise()).clamp(0.0, 1.0));
            }
        }
        labels.push(class);
    }
    Dataset {
        images,
        labels,
        channels: 1,
        height: SIDE,
        width: SIDE,
        classes: (0..CLASSES).map(|c| c.to_string()).collect(),
    }
}

pub fn data() -> RunData {
    RunData {
        source_train: domain(96, 0.0, 1),
        source_test: domain(30, 0.0, 2),
        target_train: domain(60, 0.15, 3),
        target_test: domain(30, 0.15, 4),
    }
}

pub fn config(epochs: usize) -> TrainConfig {
    TrainConfig {
        image_size: Some(SIDE),
        bottleneck: Some(16),
        epochs,
        batch_size: 16,
        target_batch_size: Some(12),
        optimizer: OptimizerKind::Adam,
        lr: 3e-3,
        lr_schedule: LrSchedule::Constant,
        transfer: Transfer::Mmd,
        lambda: 0.3,
        ..TrainConfig::default()
    }
}

pub fn out_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("train-e2e-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Writes a domain as a CSV of pixels with the label last.
pub fn write_csv(path: &Path, domain: &Dataset) {
    let pixels = domain.channels * domain.height * domain.width;
    let mut text = String::new();
    for (image, label) in domain.images.chunks(pixels).zip(&domain.labels) {
        for value in image {
            text.push_str(&format!("{value},"));
        }
        text.push_str(&format!("{label}\n"));
    }
    std::fs::write(path, text).unwrap();
}

/// Runs the `da-train` binary (autotuning kept minimal for wgpu on software drivers).
pub fn da_train(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_da-train"))
        .env("CUBECL_AUTOTUNE_LEVEL", "minimal")
        .args(args)
        .output()
        .expect("run da-train")
}

/// `da-train eval --checkpoint <dir> --data <file> --backend <backend> --json`, which must
/// succeed: its JSON output.
pub fn eval_json(checkpoint: &Path, data: &Path, backend: &str) -> serde_json::Value {
    let output = da_train(&[
        "eval",
        "--checkpoint",
        checkpoint.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--backend",
        backend,
        "--json",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("eval --json prints JSON")
}
