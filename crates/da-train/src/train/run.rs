//! The training loop: `loss = clf_loss + lambda * transfer_loss` on labelled source batches and
//! unlabelled target batches, evaluation each epoch, checkpoints, metrics and pictures.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::module::{AutodiffModule, Module};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::GradientsParams;
use burn::record::{BinBytesRecorder, FullPrecisionSettings, Recorder};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{ElementConversion, Int, Tensor};
use da_models::{DaNet, DaNetConfig, DaOutput, ModelError};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};

use super::checkpoint::{CheckpointError, CheckpointParts};
use super::config::{ConfigError, Normalization, Score, Selection, TrainConfig, Transfer};
use super::metrics::{EpochMetrics, write_csv};
use super::model::TrainModel;
use super::optimizer::RunOptimizer;
use super::report;
use super::selection_score::{mean_entropy, soft_neighborhood_density, spearman};
use super::transfer::TransferLoss;
use crate::datasets::augment::{ColourAugment, step_seed};
use crate::datasets::{BatchLoader, Dataset, LoaderState};
use crate::parallel::{
    Cluster, GradientBucket, Group, ParallelError, Peer, Rows, TransferScope, all_gather_rows,
    broadcast_module, slice_of,
};

/// The data of one run: labelled source training set, unlabelled target training set, and the
/// test sets that accuracy is measured on.
pub struct RunData {
    /// Labelled source training images.
    pub source_train: Dataset,
    /// Source test images (source accuracy).
    pub source_test: Dataset,
    /// Target training images; their labels are never used for training.
    pub target_train: Dataset,
    /// Target test images (target accuracy).
    pub target_test: Dataset,
}

/// What a finished run reports (`summary.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Accuracy on the target test set after the last epoch.
    pub target_accuracy: f64,
    /// Accuracy on the source test set after the last epoch.
    pub source_accuracy: f64,
    /// The transfer loss used (`none`, `mmd`, `lmmd`, `jmmd`, `coral`, `dann` or `bnm`).
    pub transfer: Transfer,
    /// Source domain.
    pub source: String,
    /// Target domain.
    pub target: String,
    /// Epochs trained.
    pub epochs: usize,
    /// Best target accuracy over the epochs (reported, never used to select a model).
    pub best_target_accuracy: f64,
    /// How the result was chosen (`last` or `best-score`).
    pub select: Selection,
    /// The unsupervised score the run computed.
    pub score: Score,
    /// The epoch whose network is the result (the last, or the best score's).
    pub selected_epoch: usize,
    /// Target test accuracy of the selected epoch's network.
    pub selected_target_accuracy: f64,
    /// Source test accuracy of the selected epoch's network.
    pub selected_source_accuracy: f64,
    /// Spearman rank correlation over the epochs between the score (oriented so that higher is
    /// better) and the target accuracy: how well the score would rank the epochs without target
    /// labels. `None` with fewer than 2 epochs or a constant series.
    pub score_accuracy_spearman: Option<f64>,
    /// Mean seconds per epoch.
    pub seconds_per_epoch: f64,
    /// Mean training throughput over the epochs ([`EpochMetrics::images_per_second`]).
    #[serde(default)]
    pub images_per_second: f64,
    /// The backend that ran the training.
    pub backend: String,
}

/// Why training stopped.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The network cannot be built.
    #[error("model: {0}")]
    Model(#[from] ModelError),
    /// A checkpoint could not be read or written, or does not fit this run.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// The loss became NaN or infinite.
    #[error(
        "the loss became {value} at epoch {epoch}, step {step} (clf {clf}, transfer {transfer}); training stopped, the last good checkpoint is kept"
    )]
    NonFinite {
        /// 1-based epoch.
        epoch: usize,
        /// 1-based step within the epoch.
        step: usize,
        /// The total loss.
        value: f64,
        /// The classification loss.
        clf: f64,
        /// The transfer loss.
        transfer: f64,
    },
    /// Output files could not be written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Source and target classes differ, or the data is unusable.
    #[error("data: {0}")]
    Data(String),
    /// A device or node of a data-parallel run failed or did not answer.
    #[error("data-parallel training: {0}")]
    Parallel(#[from] ParallelError),
}

/// The checkpoint's header: everything but the weights needed to continue exactly.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct TrainState {
    config: TrainConfig,
    model: DaNetConfig,
    epochs_done: usize,
    source_loader: LoaderState,
    target_loader: LoaderState,
    metrics: Vec<EpochMetrics>,
}

/// How one invocation runs, apart from the configuration (which a checkpoint pins).
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    /// Continue from the checkpoint in the output directory.
    pub resume: bool,
    /// Show a progress bar and per-epoch lines on the terminal.
    pub progress: bool,
    /// Stop after this many epochs in this invocation (a checkpoint is written; `resume`
    /// continues). The schedules still span all `epochs`.
    pub stop_after: Option<usize>,
}

/// File names inside the output directory.
pub const CHECKPOINT: &str = "checkpoint.bin";
/// The best-score epoch's checkpoint (same format), written with `select = "best-score"`.
pub const BEST_CHECKPOINT: &str = "best.bin";

/// Target training images the per-epoch unsupervised score is computed on (a fixed, seeded
/// subset when there are more).
pub const SCORE_IMAGES: usize = 1000;
/// Temperature of the soft neighbourhood density (Saito et al. 2021).
const SND_TEMPERATURE: f64 = 0.05;

/// The network configuration for a run's data.
pub fn model_config(config: &TrainConfig, data: &Dataset) -> DaNetConfig {
    DaNetConfig::preset(config.arch)
        .with_in_channels(data.channels)
        .with_height(data.height)
        .with_width(data.width)
        .with_num_classes(data.classes.len())
        .with_bottleneck(config.bottleneck_width())
        .with_dropout(config.dropout)
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> TrainError + '_ {
    move |source| TrainError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Trains with `config` on `data`, writing `metrics.csv`, `checkpoint.bin`, `config.json`,
/// `summary.json` and the pictures into `out`. With `options.resume`, continues from
/// `out/checkpoint.bin`; a resumed run ends with the same weights as an uninterrupted one.
///
/// Each step computes `clf_loss + lambda * transfer` on a labelled source batch and, unless the
/// run is source-only, an unlabelled target batch ([`TransferLoss`] says which outputs each
/// method compares); for DANN the domain discriminator is trained by the same optimiser.
/// Returns `None` when `options.stop_after` stopped the run before its last epoch.
pub fn train<B: AutodiffBackend>(
    config: &TrainConfig,
    data: &RunData,
    out: &Path,
    options: RunOptions,
    device: &B::Device,
) -> Result<Option<Summary>, TrainError> {
    train_on::<B>(
        config,
        data,
        out,
        options,
        std::slice::from_ref(device),
        None,
    )
}

/// [`train`] data-parallel: every batch is split over `devices` and, with a [`Cluster`], over
/// the devices of every node; the gradients are summed through burn-collective and all replicas
/// take the same step (see [`crate::parallel`]). `config.transfer_scope` says whether the
/// transfer loss is the whole batch's (`global`, the same loss and step as one device up to
/// f32 rounding) or the mean of the per-device ones (`local`).
///
/// The first device of each node evaluates and writes that node's results; every node writes
/// the same checkpoint. Batch-norm layers normalise each device's slice by its own statistics
/// (as PyTorch's DDP without `SyncBatchNorm`), and dropout draws differ from one device's.
///
/// # Errors
/// As [`train`]; [`TrainError::Parallel`] when a device or node fails or does not answer, and
/// [`TrainError::Config`] when a batch is too small to give every device its images.
pub fn train_on<B: AutodiffBackend>(
    config: &TrainConfig,
    data: &RunData,
    out: &Path,
    options: RunOptions,
    devices: &[B::Device],
    cluster: Option<&Cluster>,
) -> Result<Option<Summary>, TrainError> {
    let Some(first) = devices.first() else {
        return Err(TrainError::Data("no device to train on".into()));
    };
    if let Some(cluster) = cluster {
        cluster.validate().map_err(ConfigError::Invalid)?;
    }
    config.validate()?;
    // Method-, preset- and data-dependent defaults, filled in once: config.json and the
    // checkpoint record them, and `eval` prepares its images with them.
    let config = &resolve(config, data)?;
    if data.source_train.classes != data.target_test.classes {
        return Err(TrainError::Data(format!(
            "source classes {:?} and target classes {:?} differ",
            data.source_train.classes, data.target_test.classes
        )));
    }
    let group = Group::new(devices.len(), cluster.cloned());
    check_split(config, group.world())?;
    let normalized = |d: &Dataset, domain: &Dataset| {
        prepare(d.clone(), domain, config).map_err(TrainError::Data)
    };
    let data = &RunData {
        source_train: normalized(&data.source_train, &data.source_train)?,
        source_test: normalized(&data.source_test, &data.source_train)?,
        target_train: normalized(&data.target_train, &data.target_train)?,
        target_test: normalized(&data.target_test, &data.target_train)?,
    };
    std::fs::create_dir_all(out).map_err(io_err(out))?;
    let checkpoint_path = out.join(CHECKPOINT);
    let model_config = model_config(config, &data.source_train);
    model_config.validate()?;
    let transfer_loss = TransferLoss::new(config, data.source_train.classes.len())?;

    B::seed(first, config.seed);
    let net: DaNet<B> = model_config.try_init(first)?;
    let mut model = TrainModel {
        net,
        discriminator: transfer_loss
            .as_ref()
            .and_then(|transfer| transfer.discriminator(first)),
    };
    // The features before adaptation (the network at initialisation) for the t-SNE picture.
    let initial_features = report::SampledFeatures::of(&model.net.valid(), data, first);
    // Burn draws a parameter's initial value when it is first read: draw the discriminator's
    // now, so that it does not depend on when (and on which device) it is first used.
    if let Some(discriminator) = &model.discriminator {
        initialize(discriminator);
    }
    let recorder = BinBytesRecorder::<FullPrecisionSettings>::default();
    let mut resumed = None;
    if options.resume {
        let parts = CheckpointParts::<TrainState>::load(&checkpoint_path)?;
        check_resumable(&parts.header, config, &model_config, &checkpoint_path)?;
        let mismatch = |reason: String| CheckpointError::Mismatch {
            path: checkpoint_path.clone(),
            reason,
        };
        let record = Recorder::<B>::load(&recorder, parts.model, first)
            .map_err(|e| mismatch(e.to_string()))?;
        let discriminator = match (model.discriminator, parts.discriminator) {
            (None, None) => None,
            (Some(discriminator), Some(bytes)) => {
                let record = Recorder::<B>::load(&recorder, bytes, first)
                    .map_err(|e| mismatch(format!("domain discriminator: {e}")))?;
                Some(discriminator.load_record(record))
            }
            (Some(_), None) => {
                return Err(mismatch("it holds no domain discriminator".into()).into());
            }
            (None, Some(_)) => {
                return Err(mismatch("it holds a domain discriminator".into()).into());
            }
        };
        model = TrainModel {
            net: model.net.load_record(record),
            discriminator,
        };
        resumed = Some((parts.header, parts.optimizer));
    }
    config_file(config, out)?;
    let run = Run {
        config,
        data,
        out,
        options,
        model_config,
        transfer_loss,
        score_set: data.target_train.subset(SCORE_IMAGES, config.seed ^ 0x5C0E),
        initial_features,
        resumed,
    };
    if group.world() == 1 && cluster.is_none() {
        return run.replica::<B>(model, first, None);
    }

    // Every device starts from the same weights: those built (or resumed) here.
    let net_bytes = Recorder::<B>::record(&recorder, model.net.into_record(), ())
        .expect("in-memory recording cannot fail");
    let discriminator_bytes = model.discriminator.map(|discriminator| {
        Recorder::<B>::record(&recorder, discriminator.into_record(), ())
            .expect("in-memory recording cannot fail")
    });
    // Forget whatever an earlier run of this process left in burn-collective.
    burn_collective::reset_collective::<B::InnerBackend>();
    let results: Vec<Result<Option<Summary>, TrainError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = devices
            .iter()
            .enumerate()
            .map(|(local, device)| {
                let (run, group) = (&run, &group);
                let (net_bytes, discriminator_bytes) = (&net_bytes, &discriminator_bytes);
                scope.spawn(move || {
                    // A failed or panicking device releases the others from their waits.
                    let guard = AbortOnDrop(group);
                    let result = run
                        .replica_model::<B>(net_bytes, discriminator_bytes.as_deref(), device)
                        .and_then(|model| run.replica::<B>(model, device, Some((group, local))));
                    if result.is_ok() {
                        std::mem::forget(guard);
                    }
                    result
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle.join().unwrap_or_else(|_| {
                    Err(TrainError::Data(
                        "a training thread panicked (see above)".into(),
                    ))
                })
            })
            .collect()
    });
    // Device 0's result, or the first real error (the others' then say they were aborted).
    let mut first_error = None;
    let mut summary = None;
    for (local, result) in results.into_iter().enumerate() {
        match result {
            Ok(value) if local == 0 => summary = Some(value),
            Ok(_) => {}
            Err(TrainError::Parallel(ParallelError::Aborted)) => {
                first_error.get_or_insert(TrainError::Parallel(ParallelError::Aborted));
            }
            Err(err) => {
                if matches!(
                    first_error,
                    None | Some(TrainError::Parallel(ParallelError::Aborted))
                ) {
                    first_error = Some(err);
                }
            }
        }
    }
    match (first_error, summary) {
        (Some(err), _) => Err(err),
        (None, Some(summary)) => Ok(summary),
        (None, None) => unreachable!("device 0 always reports"),
    }
}

/// Sets the group's abort flag when dropped (a device returned an error or panicked).
struct AbortOnDrop<'a>(&'a Group);

impl Drop for AbortOnDrop<'_> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Every device needs images of each batch: the batches must be at least as large as the
/// number of devices, and at least twice as large for a per-device (`local`) transfer loss.
fn check_split(config: &TrainConfig, world: usize) -> Result<(), ConfigError> {
    if world == 1 {
        return Ok(());
    }
    let per_device = match (config.transfer, config.transfer_scope) {
        (Transfer::None, _) | (_, TransferScope::Global) => 1,
        (_, TransferScope::Local) => 2,
    };
    let needed = per_device * world;
    let mut batches = vec![("source batch_size", config.batch_size)];
    if config.transfer != Transfer::None {
        batches.push(("target batch size", config.target_batch()));
    }
    for (name, size) in batches {
        if size < needed {
            return Err(ConfigError::Invalid(format!(
                "{world} devices split a {name} of {size}: each device needs at least \
                 {per_device} image{} of it{}, so the batch must hold at least {needed}; use a \
                 larger batch or fewer devices",
                if per_device == 1 { "" } else { "s" },
                if per_device == 2 {
                    " for its own (local) transfer loss"
                } else {
                    ""
                },
            )));
        }
    }
    Ok(())
}

/// What every device of one run shares.
struct Run<'a> {
    config: &'a TrainConfig,
    data: &'a RunData,
    out: &'a Path,
    options: RunOptions,
    model_config: DaNetConfig,
    transfer_loss: Option<TransferLoss>,
    score_set: Dataset,
    initial_features: report::SampledFeatures,
    /// The checkpoint's header and optimiser state when resuming.
    resumed: Option<(TrainState, Vec<u8>)>,
}

impl Run<'_> {
    /// The model on `device` with the weights recorded in `net` and `discriminator`.
    fn replica_model<B: AutodiffBackend>(
        &self,
        net: &[u8],
        discriminator: Option<&[u8]>,
        device: &B::Device,
    ) -> Result<TrainModel<B>, TrainError> {
        let recorder = BinBytesRecorder::<FullPrecisionSettings>::default();
        let failed = |e: burn::record::RecorderError| {
            TrainError::Data(format!("copying the weights to a device: {e}"))
        };
        let record = Recorder::<B>::load(&recorder, net.to_vec(), device).map_err(failed)?;
        let net = self.model_config.try_init::<B>(device)?.load_record(record);
        let discriminator = match (
            self.transfer_loss
                .as_ref()
                .and_then(|transfer| transfer.discriminator::<B>(device)),
            discriminator,
        ) {
            (Some(module), Some(bytes)) => {
                let record =
                    Recorder::<B>::load(&recorder, bytes.to_vec(), device).map_err(failed)?;
                Some(module.load_record(record))
            }
            _ => None,
        };
        Ok(TrainModel { net, discriminator })
    }

    /// The training loop of one device; `peer` is its group and its index in this process
    /// when the batch is split. Only the first device of a process evaluates and writes files.
    fn replica<B: AutodiffBackend>(
        &self,
        mut model: TrainModel<B>,
        device: &B::Device,
        peer: Option<(&Group, usize)>,
    ) -> Result<Option<Summary>, TrainError> {
        let Self {
            config,
            data,
            out,
            options,
            ..
        } = *self;
        let checkpoint_path = out.join(CHECKPOINT);
        let writer = peer.is_none_or(|(_, local)| local == 0);
        let peer = match peer {
            Some((group, local)) => {
                Some(Peer::<B::InnerBackend>::join(group, local, device.clone())?)
            }
            None => None,
        };
        let (rank, world) = peer.as_ref().map_or((0, 1), |p| (p.rank(), p.world()));
        let mut optim = RunOptimizer::<B, TrainModel<B>>::new(config);
        let mut source_loader =
            BatchLoader::new(data.source_train.len(), config.batch_size, config.seed);
        let mut target_loader = BatchLoader::new(
            data.target_train.len(),
            config.target_batch(),
            config.seed.wrapping_add(1),
        );
        let mut metrics = Vec::new();
        let mut epochs_done = 0;
        if let Some((state, optimizer)) = &self.resumed {
            optim = optim
                .load_bytes(optimizer.clone(), device)
                .map_err(|reason| CheckpointError::Mismatch {
                    path: checkpoint_path.clone(),
                    reason,
                })?;
            source_loader.restore(&state.source_loader);
            target_loader.restore(&state.target_loader);
            metrics = state.metrics.clone();
            epochs_done = state.epochs_done;
        }
        if let Some(peer) = &peer {
            check_peers(peer, device)?;
            model = broadcast_module(peer, model)?;
        }

        let ce = CrossEntropyLossConfig::new().init(device);
        let steps = config
            .iterations_per_epoch
            .unwrap_or_else(|| source_loader.batches_per_epoch());
        let total_steps = (config.epochs * steps) as f64;
        let last_epoch = match options.stop_after {
            Some(count) => config.epochs.min(epochs_done + count),
            None => config.epochs,
        };
        let bar = progress_bar(
            options.progress && writer,
            last_epoch.saturating_sub(epochs_done) * steps,
        );
        // The share of each loss in this device's objective: the slice's share of the batch
        // for the classification mean; the whole loss (global: this device's rows of the
        // batch's loss) or its 1/world share (local) for the transfer loss.
        let transfer_weight = match config.transfer_scope {
            TransferScope::Global => 1.0,
            TransferScope::Local => 1.0 / world as f64,
        };
        // A discriminator sees the whole gathered batch on every device in the global scope:
        // its gradient is the same on each, so their sum is `world` times too large.
        let discriminator_scale = match config.transfer_scope {
            TransferScope::Global => 1.0 / world as f64,
            TransferScope::Local => 1.0,
        };

        for epoch in epochs_done..last_epoch {
            let started = Instant::now();
            // Re-seeding at every epoch makes dropout draws independent of whether the run
            // resumed.
            B::seed(
                device,
                config
                    .seed
                    .wrapping_mul(1_000_003)
                    .wrapping_add(epoch as u64 + 1),
            );
            let (mut clf_sum, mut transfer_sum, mut total_sum) = (0.0, 0.0, 0.0);
            let (mut lambda, mut lr) = (0.0, config.lr);
            let mut images = 0;
            for step in 0..steps {
                let p = (epoch * steps + step) as f64 / total_steps;
                lambda = config
                    .lambda_schedule
                    .weight(config.lambda, config.gamma(), p);
                lr = config.lr_schedule.rate(config.lr, p);
                // Every device draws the whole batch (the same on all: the loaders and the
                // augmentation are seeded) and uploads its rows.
                let source_indices = source_loader.next_batch();
                let n = source_indices.len();
                images += n;
                let source_rows = slice_of(n, world, rank);
                let (source_images, source_labels) = data.source_train.augmented_rows::<B>(
                    &source_indices,
                    source_rows.clone(),
                    config.augment_shift,
                    config.augment_colour == ColourAugment::On,
                    step_seed(config.seed, epoch, step, 0),
                    device,
                );
                let output = model.net.forward(source_images);
                let labels_here = rows(source_labels.clone(), &source_rows, n);
                let clf = ce.forward(output.logits.clone(), labels_here.clone());
                let transfer = match &self.transfer_loss {
                    None => None,
                    Some(transfer_loss) => {
                        let target_indices = target_loader.next_batch();
                        let m = target_indices.len();
                        images += m;
                        let target_rows = slice_of(m, world, rank);
                        let (target_images, _) = data.target_train.augmented_rows::<B>(
                            &target_indices,
                            target_rows.clone(),
                            config.augment_shift,
                            false,
                            step_seed(config.seed, epoch, step, 1),
                            device,
                        );
                        let target_output = model.net.forward(target_images);
                        let discriminator = model.discriminator.as_ref();
                        Some(match &peer {
                            Some(peer) if config.transfer_scope == TransferScope::Global => {
                                let part =
                                    |tensor: &Tensor<B, 2>, rows: &Range<usize>, total| Rows {
                                        tensor: tensor.clone(),
                                        rows: rows.clone(),
                                        total,
                                    };
                                let mut whole = all_gather_rows(
                                    peer,
                                    vec![
                                        part(&output.features, &source_rows, n),
                                        part(&output.logits, &source_rows, n),
                                        part(&target_output.features, &target_rows, m),
                                        part(&target_output.logits, &target_rows, m),
                                    ],
                                )?
                                .into_iter();
                                let mut next = || whole.next().expect("four gathered tensors");
                                let source_all = DaOutput {
                                    features: next(),
                                    logits: next(),
                                };
                                let target_all = DaOutput {
                                    features: next(),
                                    logits: next(),
                                };
                                transfer_loss.forward(
                                    &source_all,
                                    &target_all,
                                    source_labels,
                                    discriminator,
                                    p,
                                )
                            }
                            _ => transfer_loss.forward(
                                &output,
                                &target_output,
                                labels_here,
                                discriminator,
                                p,
                            ),
                        })
                    }
                };
                let (grads, total, clf_value, transfer_value) = match &peer {
                    None => {
                        let loss = match &transfer {
                            Some(transfer) => clf.clone() + transfer.clone().mul_scalar(lambda),
                            None => clf.clone(),
                        };
                        let values = scalars(&[Some(loss.clone()), Some(clf), transfer]);
                        let grads = (values[0].is_finite())
                            .then(|| GradientsParams::from_grads(loss.backward(), &model));
                        (grads, values[0], values[1], values[2])
                    }
                    Some(peer) => {
                        let clf_weight = source_rows.len() as f64 / n as f64;
                        let values = scalars(&[Some(clf.clone()), transfer.clone()]);
                        let loss = match transfer {
                            Some(transfer) => {
                                clf.mul_scalar(clf_weight)
                                    + transfer.mul_scalar(lambda * transfer_weight)
                            }
                            None => clf.mul_scalar(clf_weight),
                        };
                        let mut grads = GradientsParams::from_grads(loss.backward(), &model);
                        // Summed over the devices these are the batch's classification mean
                        // and its transfer loss (global) or the mean of the devices' (local).
                        let mut bucket = GradientBucket::<B>::new(
                            &[values[0] * clf_weight, values[1] / world as f64],
                            device,
                        );
                        bucket.add(&model.net, &mut grads, 1.0);
                        bucket.add(&model.discriminator, &mut grads, discriminator_scale);
                        let (sums, reduced) = bucket.all_reduce(peer)?;
                        let grads = reduced
                            .take(&model.net)
                            .take(&model.discriminator)
                            .into_grads();
                        let total = sums[0] + lambda * sums[1];
                        (total.is_finite().then_some(grads), total, sums[0], sums[1])
                    }
                };
                let Some(grads) = grads else {
                    bar.abandon();
                    return Err(TrainError::NonFinite {
                        epoch: epoch + 1,
                        step: step + 1,
                        value: total,
                        clf: clf_value,
                        transfer: transfer_value,
                    });
                };
                clf_sum += clf_value;
                transfer_sum += transfer_value;
                total_sum += total;
                model = optim.step(lr, model, grads);
                bar.inc(1);
                bar.set_message(format!("epoch {} loss {total:.4}", epoch + 1));
            }
            let images_per_second = images as f64 / started.elapsed().as_secs_f64();
            if let Some(peer) = &peer {
                // Batch-norm statistics differ between the devices' slices: device 0's become
                // everyone's, so that every node evaluates and saves the same network.
                model = broadcast_module(peer, model)?;
            }
            if !writer {
                continue;
            }
            let inference = model.net.valid();
            let source_accuracy = accuracy(&inference, &data.source_test, device);
            let target_accuracy = accuracy(&inference, &data.target_test, device);
            let probs = probabilities(&inference, &self.score_set, device);
            let classes = self.score_set.classes.len();
            let target_entropy = mean_entropy(&probs, classes);
            let target_snd = match self.score_set.len() {
                // One image has no neighbours: its density is 0.
                0 | 1 => 0.0,
                _ => soft_neighborhood_density(&probs, classes, SND_TEMPERATURE),
            };
            let n = steps as f64;
            metrics.push(EpochMetrics {
                epoch: epoch + 1,
                clf_loss: clf_sum / n,
                transfer_loss: transfer_sum / n,
                total_loss: total_sum / n,
                lambda,
                lr,
                source_accuracy,
                target_accuracy,
                target_entropy,
                target_snd,
                seconds: started.elapsed().as_secs_f64(),
                images_per_second,
            });
            bar.println(format!(
                "epoch {:>3}: clf {:.4}  transfer {:.4}  source acc {:.2}%  target acc {:.2}%  \
                 target {} {:.4}",
                epoch + 1,
                clf_sum / n,
                transfer_sum / n,
                100.0 * source_accuracy,
                100.0 * target_accuracy,
                config.score.name(),
                score_of(config.score, metrics.last().expect("just pushed")),
            ));
            let metrics_path = out.join("metrics.csv");
            write_csv(&metrics_path, &metrics, config.transfer).map_err(io_err(&metrics_path))?;
            let state = TrainState {
                config: config.clone(),
                model: self.model_config.clone(),
                epochs_done: epoch + 1,
                source_loader: source_loader.state(),
                target_loader: target_loader.state(),
                metrics: metrics.clone(),
            };
            let recorder = BinBytesRecorder::<FullPrecisionSettings>::default();
            let model_bytes = Recorder::<B>::record(&recorder, model.net.clone().into_record(), ())
                .expect("in-memory recording cannot fail");
            let discriminator_bytes = model.discriminator.clone().map(|discriminator| {
                Recorder::<B>::record(&recorder, discriminator.into_record(), ())
                    .expect("in-memory recording cannot fail")
            });
            let parts = CheckpointParts {
                header: state,
                model: model_bytes,
                optimizer: optim.to_bytes(),
                discriminator: discriminator_bytes,
            };
            // The best-score copy first: if the run is stopped between the two writes, the
            // checkpoint it resumes from is the older one and the epoch is trained again.
            if config.select == Selection::BestScore
                && selected_epoch(&metrics, config) == epoch + 1
            {
                parts.save(&out.join(BEST_CHECKPOINT))?;
            }
            parts.save(&checkpoint_path)?;
        }
        bar.finish_and_clear();
        if let Some(peer) = peer {
            peer.finish()?;
        }
        if last_epoch < config.epochs || !writer {
            return Ok(None);
        }

        let last = metrics.last().cloned().ok_or_else(|| {
            TrainError::Data("no epoch was trained (epochs already done in the checkpoint)".into())
        })?;
        let selected = metrics[selected_epoch(&metrics, config) - 1].clone();
        let (scores, accuracies): (Vec<f64>, Vec<f64>) = metrics
            .iter()
            .map(|m| {
                (
                    config.score.higher_is_better(score_of(config.score, m)),
                    m.target_accuracy,
                )
            })
            .unzip();
        let summary = Summary {
            target_accuracy: last.target_accuracy,
            source_accuracy: last.source_accuracy,
            transfer: config.transfer,
            source: config.source.clone(),
            target: config.target.clone(),
            epochs: metrics.len(),
            best_target_accuracy: metrics
                .iter()
                .map(|m| m.target_accuracy)
                .fold(0.0, f64::max),
            select: config.select,
            score: config.score,
            selected_epoch: selected.epoch,
            selected_target_accuracy: selected.target_accuracy,
            selected_source_accuracy: selected.source_accuracy,
            score_accuracy_spearman: spearman(&scores, &accuracies),
            seconds_per_epoch: metrics.iter().map(|m| m.seconds).sum::<f64>()
                / metrics.len() as f64,
            images_per_second: metrics.iter().map(|m| m.images_per_second).sum::<f64>()
                / metrics.len() as f64,
            backend: match world {
                1 => B::name(device),
                _ => format!("{} ({world} devices)", B::name(device)),
            },
        };
        let summary_path = out.join("summary.json");
        atomic_file::write(
            &summary_path,
            serde_json::to_string_pretty(&summary)
                .expect("serialises")
                .as_bytes(),
        )
        .map_err(io_err(&summary_path))?;
        report::write_pictures(
            out,
            &metrics,
            &model.net.valid(),
            &self.initial_features,
            data,
            config,
            device,
        )?;
        Ok(Some(summary))
    }
}

/// Draws the initial value of every parameter of `module` (burn initialises them lazily).
fn initialize<B: Backend, M: Module<B>>(module: &M) {
    struct Touch;
    impl<B: Backend> burn::module::ModuleVisitor<B> for Touch {
        fn visit_float<const D: usize>(&mut self, param: &burn::module::Param<Tensor<B, D>>) {
            let _ = param.val();
        }
    }
    module.visit(&mut Touch);
}

/// Rows `range` of a batch of `total` (the batch itself when the range is all of it).
fn rows<B: Backend, const D: usize, K: burn::tensor::TensorKind<B> + burn::tensor::BasicOps<B>>(
    batch: Tensor<B, D, K>,
    range: &Range<usize>,
    total: usize,
) -> Tensor<B, D, K> {
    if range.len() == total {
        batch
    } else {
        batch.narrow(0, range.start, range.len())
    }
}

/// Checks that the devices agree on the run's layout: every rank is taken exactly once (two
/// nodes with the same `--node-rank`, or nodes with different device counts, are errors).
fn check_peers<B: Backend>(peer: &Peer<B>, device: &B::Device) -> Result<(), ParallelError> {
    let world = peer.world();
    let mut one_hot = vec![0.0f32; world];
    one_hot[peer.rank()] = 1.0;
    let counts = peer
        .all_reduce_sum(
            Tensor::from_floats(one_hot.as_slice(), device),
            "checking the ranks of the devices",
        )
        .map_err(|err| match err {
            ParallelError::Collective { what, error } if error.contains("ShapeMismatch") => {
                ParallelError::Mismatch(format!(
                    "{what}: the nodes have different numbers of devices (this one counts \
                     {world} in all); give every node the same --devices"
                ))
            }
            other => other,
        })?;
    let counts: Vec<f32> = counts.into_data().to_vec().expect("f32");
    if let Some((rank, count)) = counts.iter().enumerate().find(|(_, c)| **c != 1.0) {
        return Err(ParallelError::Mismatch(format!(
            "device rank {rank} is taken {count} times among the {world} devices: every node \
             needs its own --node-rank"
        )));
    }
    Ok(())
}

/// `config` with what depends on the data filled in: the channels (those of the data, which
/// must agree with an explicit `channels`), what `augment_colour = auto` becomes, and dataset
/// normalisation statistics (per channel, over the source and target training images). Checks that every set has the configured size.
fn resolve(config: &TrainConfig, data: &RunData) -> Result<TrainConfig, TrainError> {
    let mut config = config.resolved();
    let sets = [
        ("source training", &data.source_train),
        ("source test", &data.source_test),
        ("target training", &data.target_train),
        ("target test", &data.target_test),
    ];
    let channels = data.source_train.channels;
    let side = config.side();
    for (name, set) in sets {
        if set.is_empty() {
            return Err(TrainError::Data(format!("the {name} set has no images")));
        }
        if set.channels != channels {
            return Err(TrainError::Data(format!(
                "the {name} set has {} channels but the source training set {channels} \
                 (convert them with Dataset::with_channels)",
                set.channels
            )));
        }
        if (set.height, set.width) != (side, side) {
            return Err(TrainError::Data(format!(
                "the {name} images are {}x{} but the run is configured for {side}x{side}",
                set.height, set.width
            )));
        }
    }
    if let Some(wanted) = config.channels
        && wanted != channels
    {
        return Err(TrainError::Data(format!(
            "the configuration asks for {wanted} channels but the data has {channels}"
        )));
    }
    config.channels = Some(channels);
    if config.augment_colour == ColourAugment::Auto {
        let grey_to_colour =
            channels == 3 && data.source_train.is_grey() && !data.target_train.is_grey();
        config.augment_colour = if grey_to_colour {
            ColourAugment::On
        } else {
            ColourAugment::Off
        };
    }
    config.normalization = match config.normalization {
        Normalization::None => Normalization::None,
        Normalization::Dataset => {
            let (mean, std) = Dataset::channel_stats(&[&data.source_train, &data.target_train]);
            Normalization::Fixed {
                mean: mean.iter().map(|&m| m as f32).collect(),
                std: std.iter().map(|&s| (s as f32).max(1e-6)).collect(),
            }
        }
        other @ (Normalization::Fixed { .. } | Normalization::PerDomain) => other,
    };
    Ok(config)
}

/// Images as a run with the resolved `config` sees them: converted to its channels (grey
/// replicated, colour to luma) and normalised. `domain_train` is the training split of the
/// domain `data` comes from (its statistics are used by [`Normalization::PerDomain`] only).
/// What `eval` applies to new data.
pub fn prepare(
    data: Dataset,
    domain_train: &Dataset,
    config: &TrainConfig,
) -> Result<Dataset, String> {
    let convert = |d: Dataset| match config.channels {
        Some(channels) => d.with_channels(channels),
        None => Ok(d),
    };
    let data = convert(data)?;
    match &config.normalization {
        Normalization::PerDomain => {
            let reference = convert(domain_train.clone())?;
            let (mean, std) = Dataset::channel_stats(&[&reference]);
            let mean: Vec<f32> = mean.iter().map(|&m| m as f32).collect();
            let std: Vec<f32> = std.iter().map(|&s| (s as f32).max(1e-6)).collect();
            Ok(data.normalized(&mean, &std))
        }
        Normalization::Fixed { mean, std } => {
            if mean.len() != data.channels {
                return Err(format!(
                    "the normalisation has {} channels but the images {}",
                    mean.len(),
                    data.channels
                ));
            }
            Ok(data.normalized(mean, std))
        }
        Normalization::None => Ok(data),
        Normalization::Dataset => {
            Err("dataset normalisation must be resolved by a run before images are prepared".into())
        }
    }
}

/// The value of `score` in an epoch's metrics.
fn score_of(score: Score, m: &EpochMetrics) -> f64 {
    match score {
        Score::Snd => m.target_snd,
        Score::Entropy => m.target_entropy,
    }
}

/// The 1-based epoch whose network is the run's result: the last, or the first epoch with the
/// best score (NaN scores never win).
fn selected_epoch(metrics: &[EpochMetrics], config: &TrainConfig) -> usize {
    match config.select {
        Selection::Last => metrics.len(),
        Selection::BestScore => {
            let mut best = (metrics.len(), f64::NEG_INFINITY);
            for m in metrics {
                let value = config.score.higher_is_better(score_of(config.score, m));
                if value > best.1 {
                    best = (m.epoch, value);
                }
            }
            best.0
        }
    }
}

/// Saves the effective configuration beside the results (atomically).
fn config_file(config: &TrainConfig, out: &Path) -> Result<(), TrainError> {
    let path = out.join("config.json");
    atomic_file::write(
        &path,
        serde_json::to_string_pretty(config)
            .expect("serialises")
            .as_bytes(),
    )
    .map_err(io_err(&path))
}

fn check_resumable(
    state: &TrainState,
    config: &TrainConfig,
    model: &DaNetConfig,
    path: &Path,
) -> Result<(), CheckpointError> {
    let mismatch = |reason: String| {
        Err(CheckpointError::Mismatch {
            path: path.to_path_buf(),
            reason,
        })
    };
    if state.model.to_string() != model.to_string() {
        return mismatch(format!(
            "it holds the network {} but this run builds {}",
            state.model, model
        ));
    }
    // Everything but the number of epochs (and the pictures' format) must be the same to continue
    // the same run.
    let mut saved = state.config.clone();
    saved.epochs = config.epochs;
    saved.plot_format = config.plot_format;
    // A run may continue on other devices: the global transfer loss does not depend on them.
    saved.devices = config.devices.clone();
    if &saved != config {
        let ours = serde_json::to_value(config).expect("serialises");
        let theirs = serde_json::to_value(&state.config).expect("serialises");
        let differing: Vec<String> = ours
            .as_object()
            .expect("object")
            .iter()
            .filter(|(k, v)| {
                !["epochs", "plot_format", "devices"].contains(&k.as_str())
                    && theirs.get(k.as_str()) != Some(v)
            })
            .map(|(k, v)| {
                format!(
                    "{k} = {v} (checkpoint: {})",
                    theirs.get(k.as_str()).unwrap_or(&serde_json::Value::Null)
                )
            })
            .collect();
        return mismatch(format!(
            "the configuration differs: {}",
            differing.join(", ")
        ));
    }
    Ok(())
}

/// Reads scalar losses back to the host (one sync); missing ones are 0.
fn scalars<B: Backend>(values: &[Option<Tensor<B, 1>>]) -> Vec<f64> {
    values
        .iter()
        .map(|v| match v {
            Some(t) => t.clone().into_scalar().elem::<f64>(),
            None => 0.0,
        })
        .collect()
}

fn progress_bar(show: bool, len: usize) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40} {pos}/{len} steps, {elapsed} elapsed, ETA {eta} {msg}",
        )
        .expect("valid template"),
    );
    bar
}

/// Evaluation batch size.
const EVAL_BATCH: usize = 256;

/// Softmax predictions of `model` on every image of `data`, row-major `len x classes`.
pub fn probabilities<B: Backend>(model: &DaNet<B>, data: &Dataset, device: &B::Device) -> Vec<f32> {
    let mut out = Vec::with_capacity(data.len() * data.classes.len());
    let indices: Vec<usize> = (0..data.len()).collect();
    for chunk in indices.chunks(EVAL_BATCH) {
        let (images, _) = data.batch::<B>(chunk, device);
        let probs = burn::tensor::activation::softmax(model.forward(images).logits, 1);
        out.extend(
            probs
                .into_data()
                .convert::<f32>()
                .to_vec::<f32>()
                .expect("f32"),
        );
    }
    out
}

/// Fraction of `data` that `model` classifies correctly.
pub fn accuracy<B: Backend>(model: &DaNet<B>, data: &Dataset, device: &B::Device) -> f64 {
    let mut correct = 0i64;
    let indices: Vec<usize> = (0..data.len()).collect();
    for chunk in indices.chunks(EVAL_BATCH) {
        let (images, labels): (Tensor<B, 4>, Tensor<B, 1, Int>) = data.batch::<B>(chunk, device);
        let predicted = model.forward(images).logits.argmax(1).flatten::<1>(0, 1);
        correct += predicted
            .equal(labels)
            .int()
            .sum()
            .into_scalar()
            .elem::<i64>();
    }
    correct as f64 / data.len().max(1) as f64
}
