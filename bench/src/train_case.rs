//! The data-parallel cases: `da-train`'s training loop ([`train_on`]) on 1, 2, ... devices, its
//! steps timed by the run itself (evaluation excluded).

use burn::tensor::backend::AutodiffBackend;
use clap::Args;
use da_train::datasets::Dataset;
use da_train::datasets::augment::ColourAugment;
use da_train::parallel::IndexedDevice;
use da_train::train::{Normalization, RunData, RunOptions, TrainConfig, Transfer, train_on};
use serde_json::{Value, json};

use crate::SamplingArgs;
use crate::cnn_case::{Mode, Network};

/// Steps per timed epoch.
const STEPS: usize = 5;

/// One data-parallel training case.
#[derive(Debug, Clone, Args)]
pub struct TrainArgs {
    /// Devices the batch is split over (`cpu:N` on ndarray, GPUs 0..N on wgpu and cuda; one
    /// device is the backend's default).
    #[arg(long, default_value_t = 1)]
    pub devices: usize,
    /// Network.
    #[arg(long, value_enum)]
    pub arch: Network,
    /// Loss.
    #[arg(long, value_enum)]
    pub mode: Mode,
    /// Labelled source images per step, over all devices.
    #[arg(long, default_value_t = 64)]
    pub source_batch: usize,
    /// Unlabelled target images per step, over all devices (MMD mode only).
    #[arg(long, default_value_t = 32)]
    pub target_batch: usize,
    /// Warm-up epochs (`--warmup-iters`) and timed epochs (`--samples`) of
    /// 5 steps each; the time limits are not used.
    #[command(flatten)]
    pub sampling: SamplingArgs,
}

/// Random images of `shape` with `classes` labels in turn.
fn random_domain(count: usize, shape: [usize; 3], classes: usize, seed: u64) -> Dataset {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let len = count * shape.iter().product::<usize>();
    let images = (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 24) as f32
        })
        .collect();
    Dataset {
        images,
        labels: (0..count).map(|i| i % classes).collect(),
        channels: shape[0],
        height: shape[1],
        width: shape[2],
        classes: (0..classes).map(|c| c.to_string()).collect(),
    }
}

/// Trains `1 + samples` epochs (the first `warmup_iters` untimed) of [`STEPS`] steps on random
/// images and returns the JSON row: one sample per timed epoch, its mean step time.
///
/// # Panics
/// When training fails (the message says why).
pub fn run<B: AutodiffBackend>(args: &TrainArgs, device: &B::Device) -> Value
where
    B::Device: IndexedDevice,
{
    let network = args.arch.config();
    let shape = [network.in_channels, network.height, network.width];
    let classes = network.num_classes;
    let transfer = match args.mode {
        Mode::SourceOnly => Transfer::None,
        Mode::Mmd => Transfer::Mmd,
    };
    let target_batch = if transfer == Transfer::None {
        0
    } else {
        args.target_batch
    };
    let warmup = args.sampling.warmup_iters;
    let epochs = warmup + args.sampling.samples.max(1);
    let config = TrainConfig {
        arch: args.arch.arch(),
        image_size: Some(shape[1]),
        channels: Some(shape[0]),
        transfer,
        epochs,
        iterations_per_epoch: Some(STEPS),
        batch_size: args.source_batch,
        target_batch_size: Some(args.target_batch.max(1)),
        normalization: Normalization::None,
        augment_colour: ColourAugment::Off,
        ..TrainConfig::default()
    };
    let data = RunData {
        source_train: random_domain(args.source_batch * STEPS, shape, classes, 1),
        source_test: random_domain(16, shape, classes, 2),
        target_train: random_domain(args.target_batch.max(1) * STEPS, shape, classes, 3),
        target_test: random_domain(16, shape, classes, 4),
    };
    let devices: Vec<B::Device> = match args.devices {
        0 => panic!("--devices must be at least 1, got 0"),
        1 => vec![device.clone()],
        n => (0..n).map(IndexedDevice::indexed).collect(),
    };
    let out = std::env::temp_dir().join(format!("da-bench-train-{}", std::process::id()));
    let summary = train_on::<B>(&config, &data, &out, RunOptions::default(), &devices, None)
        .unwrap_or_else(|err| panic!("training failed: {err}"));
    let _ = summary;
    let metrics = read_metrics(&out);
    let _ = std::fs::remove_dir_all(&out);
    let images_per_step = (args.source_batch + target_batch) as f64;
    let times_ms: Vec<f64> = metrics[warmup.min(metrics.len() - 1)..]
        .iter()
        .map(|ips| 1e3 * images_per_step / ips)
        .collect();
    let summary = crate::timing::Summary::new(times_ms);
    json!({
        "group": "dp",
        "implementation": format!("ours-{}dev", args.devices),
        "variant": format!("{}-{}", args.arch.name(), args.mode.name()),
        "shape": {
            "source_batch": args.source_batch,
            "target_batch": target_batch,
            "image": shape,
        },
        "samples": summary.times_ms.len(),
        "median_ms": summary.median_ms,
        "min_ms": summary.min_ms,
        "max_ms": summary.max_ms,
        "times_ms": summary.times_ms,
        "images_per_second": images_per_step / (summary.median_ms / 1e3),
    })
}

/// The per-epoch training throughputs of the run in `out`.
fn read_metrics(out: &std::path::Path) -> Vec<f64> {
    let csv = std::fs::read_to_string(out.join("metrics.csv")).expect("the run wrote metrics.csv");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    let column = header
        .iter()
        .position(|h| *h == "images_per_second")
        .expect("an images_per_second column");
    lines
        .map(|line| {
            line.split(',')
                .nth(column)
                .expect("a full row")
                .parse::<f64>()
                .expect("a number")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn_autodiff::Autodiff;
    use burn_ndarray::NdArray;

    #[test]
    fn two_cpu_devices_time_their_steps() {
        let args = TrainArgs {
            devices: 2,
            arch: Network::Lenet,
            mode: Mode::Mmd,
            source_batch: 8,
            target_batch: 4,
            sampling: SamplingArgs {
                samples: 2,
                warmup_iters: 1,
                warmup_ms: 0,
                budget_ms: 60_000,
            },
        };
        let row = run::<Autodiff<NdArray<f32>>>(&args, &Default::default());
        assert_eq!(row["group"], "dp");
        assert_eq!(row["implementation"], "ours-2dev");
        assert_eq!(row["samples"], 2);
        let expected = 12.0 / (row["median_ms"].as_f64().unwrap() / 1e3);
        let got = row["images_per_second"].as_f64().unwrap();
        assert!(
            (got - expected).abs() <= 1e-9 * expected,
            "{got} vs {expected}"
        );
    }
}
