//! mmd-core inside burn-train: a [`Learner`] whose training step takes a (source, target) batch
//! pair and adds `lambda * MMD` to the classification loss, with burn-train's metrics
//! (`AccuracyMetric`, `LossMetric`), full-precision file checkpoints and, with `devices > 1`,
//! its in-process multi-device strategy ([`ExecutionStrategy::MultiDevice`]).
//!
//! burn-train has no two-domain step: its `TrainStep` takes one input from one data loader. What
//! had to be written for domain adaptation:
//! - [`data::DomainPairDataset`]: a burn-dataset `Dataset` whose item pairs each labelled source
//!   image with an unlabelled target image (target cycled through a seeded permutation), so one
//!   burn `DataLoader` yields both domains; an epoch is one pass over the source;
//! - [`data::DomainPairBatch`] and its `Batcher`: the batch pair the step receives;
//! - [`model::MmdModel`]: a module wrapping the network, the MMD and `lambda`, whose
//!   `TrainStep` runs both batches through the network and returns
//!   `ce + lambda * MMD` in a `ClassificationOutput` of the source batch;
//! - [`renderer::LineRenderer`]: plain stdout lines (burn-train without `tui` prints raw
//!   progress structs).
//!
//! The multi-device strategy splits the (paired) data loader into one contiguous slice per
//! device, runs the step on every device in its own thread, sums the gradients on the first
//! device and steps the optimiser there. Each device's MMD therefore compares its own source
//! and target halves; nothing had to be written for that.
pub mod data;
pub mod model;
pub mod renderer;

use std::path::{Path, PathBuf};

use burn::data::dataloader::DataLoaderBuilder;
use burn::module::Module;
use burn::optim::AdamConfig;
use burn::record::{FullPrecisionSettings, NamedMpkFileRecorder};
use burn::tensor::backend::AutodiffBackend;
use burn::train::metric::{AccuracyMetric, LossMetric};
use burn::train::{
    ExecutionStrategy, Learner, LearnerSummary, MultiDeviceOptim, SupervisedTraining,
    TrainingStrategy,
};
use da_train::datasets::{Crop, Dataset as Images, DomainSource};

use data::{DomainPairDataset, ImageBatcher, ImageDataset};
use model::MmdModel;

/// What to train and where to write burn-train's artifacts.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Labelled source domain (a da-train domain name).
    pub source: String,
    /// Unlabelled target domain; its test split is the validation set.
    pub target: String,
    /// Source images per epoch (a seeded subset; `None`: all).
    pub source_images: Option<usize>,
    /// Target test images validated on (`None`: all).
    pub valid_images: Option<usize>,
    /// Epochs.
    pub epochs: usize,
    /// Batch size (per device).
    pub batch_size: usize,
    /// Weight of the MMD in the loss.
    pub lambda: f64,
    /// Adam's learning rate.
    pub learning_rate: f64,
    /// Seed of the backend, the subsets, the pairing and the loader's shuffle.
    pub seed: u64,
    /// burn-train's artifact directory (checkpoints, metric logs, `experiment.log`, the model).
    pub out: PathBuf,
    /// Print the training metrics every this many iterations.
    pub print_every: usize,
    /// Replace the checkpoints and metric logs of an earlier run in `out`; without it such a
    /// folder is an error and nothing in it is touched.
    pub overwrite: bool,
}

impl RunConfig {
    /// MNIST -> MFEAT, 3 epochs of 20 000 source images in batches of 64, `lambda = 0.5`.
    pub fn full(out: impl Into<PathBuf>) -> Self {
        Self {
            source: "mnist".into(),
            target: "mfeat".into(),
            source_images: Some(20_000),
            valid_images: None,
            epochs: 3,
            batch_size: 64,
            lambda: 0.5,
            learning_rate: 1e-3,
            seed: 42,
            out: out.into(),
            print_every: 100,
            overwrite: false,
        }
    }

    /// One epoch of 40 batches of 32 source images (seconds), at a learning rate of `1e-2` so
    /// that the accuracy moves within so few steps.
    pub fn quick(out: impl Into<PathBuf>) -> Self {
        Self {
            source_images: Some(40 * 32),
            epochs: 1,
            batch_size: 32,
            learning_rate: 1e-2,
            print_every: 10,
            ..Self::full(out)
        }
    }
}

/// burn-train's per-epoch metrics, read back from its metric logs.
#[derive(Debug, Clone)]
pub struct Report {
    /// Mean training loss (`ce + lambda * MMD`) of each epoch.
    pub train_loss: Vec<f64>,
    /// Source training accuracy of each epoch, in percent.
    pub train_accuracy: Vec<f64>,
    /// Target validation cross-entropy of each epoch.
    pub valid_loss: Vec<f64>,
    /// Target validation accuracy of each epoch, in percent.
    pub valid_accuracy: Vec<f64>,
    /// Where the final model was saved.
    pub model_file: PathBuf,
}

/// The three image sets of a run, at 16x16, each domain standardised by its own training
/// pixels (as in examples/own-backbone).
#[derive(Debug, Clone)]
pub struct Domains {
    /// Labelled source training images (the configured subset).
    pub source: Images,
    /// Unlabelled target training images.
    pub target: Images,
    /// Labelled target test images: the validation set.
    pub target_test: Images,
}

impl Domains {
    /// Loads the built-in domains of `config`.
    ///
    /// # Errors
    /// When a domain name is unknown or its data cannot be read.
    pub fn load(config: &RunConfig) -> Result<Self, Box<dyn std::error::Error>> {
        let load = |name: &str| DomainSource::parse(name)?.load(None, 16, Crop::Ink);
        let ((source, _), (target, target_test)) = (load(&config.source)?, load(&config.target)?);
        let source = match config.source_images {
            Some(n) => source.subset(n, config.seed),
            None => source,
        };
        let target_test = match config.valid_images {
            Some(n) => target_test.subset(n, config.seed),
            None => target_test,
        };
        let standardise = |d: &Images, by: &Images| {
            let (mean, std) = Images::channel_stats(&[by]);
            d.normalized(&[mean[0] as f32], &[std[0] as f32])
        };
        Ok(Self {
            source: standardise(&source, &source),
            target_test: standardise(&target_test, &target),
            target: standardise(&target, &target),
        })
    }
}

/// With `overwrite`, removes what an earlier run left in `out` (only burn-train's own entries),
/// so that the summary read back from the logs is this run's; without it, an earlier run there
/// is an error that names the folder, and nothing is removed.
fn clear_artifacts(out: &Path, overwrite: bool) -> std::io::Result<()> {
    let earlier: Vec<_> = ["checkpoint", "train", "valid"]
        .iter()
        .map(|dir| out.join(dir))
        .filter(|path| path.exists())
        .collect();
    if !earlier.is_empty() && !overwrite {
        return Err(std::io::Error::other(format!(
            "{} already holds a run ({}); pass --overwrite to replace it, or choose another --out",
            out.display(),
            earlier[0].display()
        )));
    }
    for path in earlier {
        std::fs::remove_dir_all(path)?;
    }
    std::fs::create_dir_all(out)
}

/// Trains on `devices` (one: burn-train's single-device strategy; several: its multi-device
/// strategy, optimiser on the first) and returns burn-train's metrics.
///
/// # Errors
/// When a domain cannot be loaded or an artifact cannot be written or read back.
pub fn run<B: AutodiffBackend>(
    config: &RunConfig,
    devices: Vec<B::Device>,
) -> Result<Report, Box<dyn std::error::Error>> {
    let main_device = devices.first().ok_or("no device")?.clone();
    B::seed(&main_device, config.seed);
    clear_artifacts(&config.out, config.overwrite)?;

    let Domains {
        source,
        target,
        target_test,
    } = Domains::load(config)?;
    println!(
        "{} -> {}: {} source images, {} unlabelled target images, {} target test images, {} device(s)",
        config.source,
        config.target,
        source.len(),
        target.len(),
        target_test.len(),
        devices.len()
    );

    let (source, target) = (ImageDataset::new(source), ImageDataset::new(target));
    let batcher = ImageBatcher::new(source.image_shape());
    let pairs = DomainPairDataset::new(source, target, config.seed);
    let loader_train = DataLoaderBuilder::<B, _, _>::new(batcher.clone())
        .batch_size(config.batch_size)
        .shuffle(config.seed)
        .set_device(main_device.clone())
        .build(pairs);
    let loader_valid = DataLoaderBuilder::<B::InnerBackend, _, _>::new(batcher)
        .batch_size(256)
        .build(ImageDataset::new(target_test));

    let strategy = if devices.len() == 1 {
        ExecutionStrategy::single(main_device.clone())
    } else {
        ExecutionStrategy::multi(devices, MultiDeviceOptim::OptimMainDevice)
    };
    let recorder = NamedMpkFileRecorder::<FullPrecisionSettings>::new();
    let training = SupervisedTraining::new(&config.out, loader_train, loader_valid)
        .metrics((AccuracyMetric::new(), LossMetric::new()))
        .with_file_checkpointer(recorder.clone())
        .with_training_strategy(TrainingStrategy::Default(strategy))
        .renderer(renderer::LineRenderer::new(config.print_every))
        .num_epochs(config.epochs)
        .summary();
    let model = MmdModel::<B>::new(config.lambda, &main_device);
    let learner = Learner::new(model, AdamConfig::new().init(), config.learning_rate);
    let result = training.launch(learner);

    let model_file = config.out.join("model");
    result.model.save_file(&model_file, &recorder)?;
    let summary = LearnerSummary::new(&config.out, &["Accuracy", "Loss"])?;
    let values = |split: &[burn::train::MetricSummary], name: &str| -> Vec<f64> {
        split
            .iter()
            .find(|m| m.name == name)
            .map(|m| m.entries.iter().map(|e| e.value).collect())
            .unwrap_or_default()
    };
    let (train, valid) = (&summary.metrics.train, &summary.metrics.valid);
    Ok(Report {
        train_loss: values(train, "Loss"),
        train_accuracy: values(train, "Accuracy"),
        valid_loss: values(valid, "Loss"),
        valid_accuracy: values(valid, "Accuracy"),
        model_file: model_file.with_extension("mpk"),
    })
}
