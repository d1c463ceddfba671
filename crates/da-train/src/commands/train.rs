//! `da-train train`: one training run.

use std::path::{Path, PathBuf};

use clap::Args;
use da_models::{Arch, MmdOn};

use crate::backend::BackendKind;
use crate::datasets::augment::ColourAugment;
use crate::datasets::{Crop, Dataset, DomainSource};
use crate::parallel::{Cluster, DEFAULT_TIMEOUT, DeviceSpec, IndexedDevice, TransferScope};
use crate::train::{
    BandwidthRule, LambdaSchedule, LrSchedule, Normalization, OptimizerKind, PlotFormat, RunData,
    RunOptions, Score, Selection, Summary, TrainConfig, Transfer, train_on,
};
use crate::with_backend;

use super::CommandError;
use super::mmd::{EstimatorArg, KernelArg};

/// Options of `da-train train`.
#[derive(Debug, Clone, Default, Args)]
pub struct TrainArgs {
    /// Output directory: metrics.csv, checkpoint.bin, config.json, summary.json, pictures.
    #[arg(long, default_value = "runs/train")]
    pub out: PathBuf,
    /// Continue the run whose checkpoint is in the output directory; without --config, from the
    /// configuration saved there (options given override it and must agree with the checkpoint).
    #[arg(long)]
    pub resume: bool,
    /// Stop after this many epochs (checkpoint written; --resume continues the same schedule).
    #[arg(long)]
    pub stop_after: Option<usize>,
    /// Train together with other processes (nodes, usually one per machine): how many. Every
    /// node runs the same command with its own --node-rank, --node-address and --out, and
    /// reaches the orchestrator (`da-train orchestrator`) at --orchestrator.
    #[arg(long)]
    pub nodes: Option<usize>,
    /// This node's number, 0 to --nodes - 1.
    #[arg(long)]
    pub node_rank: Option<usize>,
    /// The orchestrator's address, ws://HOST:PORT.
    #[arg(long)]
    pub orchestrator: Option<String>,
    /// The address the other nodes reach this one at, ws://HOST:PORT (this node serves its
    /// tensors on that port).
    #[arg(long)]
    pub node_address: Option<String>,
    /// Seconds a node waits for the others at each exchange before the run stops with an error
    /// (default 300; it must cover an epoch's evaluation).
    #[arg(long)]
    pub node_timeout: Option<u64>,
    /// The run's configuration.
    #[command(flatten)]
    pub run: ConfigArgs,
}

/// The hyper-parameters of a run. Each option overrides the configuration file, which
/// overrides the defaults.
#[derive(Debug, Clone, Default, Args)]
pub struct ConfigArgs {
    /// Configuration file (`.toml` or `.json`) with any of the options below (snake_case keys).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Compute backend (default: wgpu when built with it, else cuda when built with it, else
    /// ndarray).
    #[arg(long, value_enum)]
    pub backend: Option<BackendKind>,
    /// Devices to split every batch over, all of one backend: cpu:N, wgpu:I,J,... (discrete
    /// GPUs) or cuda:I,J,... (default: the backend's default device).
    #[arg(long, value_parser = parse_devices)]
    pub devices: Option<DeviceSpec>,
    /// With several devices, where the transfer loss is taken: global (the whole batch's loss on
    /// all-gathered features, the same as one device) or local (the mean of each device's loss
    /// on its slice).
    #[arg(long, value_enum)]
    pub transfer_scope: Option<TransferScope>,
    /// Hide the progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// Labelled source domain: mnist, mfeat, optdigits, mnistm-synth, an image folder, a CSV or
    /// an IDX pair.
    #[arg(long)]
    pub source: Option<String>,
    /// Unlabelled target domain (same forms as --source).
    #[arg(long)]
    pub target: Option<String>,
    /// Directory of the built-in domains, laid out like the repository's data/ (default: the
    /// copy built into the program).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Side of the square images every domain is resampled to (default: the preset's, 28 for
    /// the digit networks, 32 for dtn, 64 for resnet10, 128 for net_only).
    #[arg(long)]
    pub image_size: Option<usize>,
    /// Framing of grey images (built-in digits, IDX, CSV) before resampling: ink (cropped to
    /// the bounding box of their ink, so every digit set is framed alike) or none.
    #[arg(long, value_enum)]
    pub crop: Option<Crop>,
    /// Image channels: auto (3 when either domain has colour, grey replicated), 1 or 3.
    #[arg(long, value_parser = parse_channels)]
    pub channels: Option<ChannelsArg>,
    /// Per-channel normalisation: dataset (statistics of the source and target training
    /// images, recorded in the checkpoint), per-domain (each domain by its own training images'
    /// statistics), none, or MEAN/STD with comma-separated values per channel
    /// (`0.5,0.5,0.5/0.25,0.25,0.25`).
    #[arg(long, value_parser = parse_normalization)]
    pub normalization: Option<Normalization>,
    /// Network preset: lenet, tllib_lenet, dann_digits, dtn, net_only, wide, resnet10.
    #[arg(long, value_parser = parse_arch)]
    pub arch: Option<Arch>,
    /// Bottleneck (feature) width (default: the preset's).
    #[arg(long)]
    pub bottleneck: Option<usize>,
    /// Dropout after the bottleneck.
    #[arg(long)]
    pub dropout: Option<f64>,
    /// Transfer loss: MMD or CORAL on --mmd-on, LMMD on the features with the source labels and
    /// target predictions, JMMD on features and predictions, DANN (a domain discriminator
    /// behind gradient reversal) on the features, BNM on the target predictions.
    #[arg(long, value_enum)]
    pub transfer: Option<Transfer>,
    /// Where MMD and CORAL are taken: features or logits.
    #[arg(long, value_parser = parse_mmd_on)]
    pub mmd_on: Option<MmdOn>,
    /// MMD kernel (mmd only).
    #[arg(long, value_enum)]
    pub kernel: Option<KernelArg>,
    /// Ratio between Gaussian bandwidths (mmd, lmmd, jmmd).
    #[arg(long)]
    pub kernel_mul: Option<f64>,
    /// Number of Gaussian kernels (mmd, lmmd, jmmd).
    #[arg(long)]
    pub kernel_num: Option<usize>,
    /// Bandwidth rule: mean or median (mmd, lmmd, jmmd).
    #[arg(long, value_enum)]
    pub bandwidth: Option<BandwidthRule>,
    /// Fixed base bandwidth (overrides --bandwidth).
    #[arg(long)]
    pub fix_sigma: Option<f64>,
    /// MMD estimator (mmd only).
    #[arg(long, value_enum)]
    pub estimator: Option<EstimatorArg>,
    /// Width of the hidden layers of DANN's domain discriminator.
    #[arg(long)]
    pub dann_hidden: Option<usize>,
    /// Transfer weight.
    #[arg(long)]
    pub lambda: Option<f64>,
    /// Transfer weight schedule.
    #[arg(long, value_enum)]
    pub lambda_schedule: Option<LambdaSchedule>,
    /// Steepness of the ramp schedule and of DANN's reversal coefficient (default: 1 for LMMD,
    /// 10 for the other methods).
    #[arg(long)]
    pub gamma: Option<f64>,
    /// Optimiser.
    #[arg(long, value_enum)]
    pub optimizer: Option<OptimizerKind>,
    /// Base learning rate.
    #[arg(long)]
    pub lr: Option<f64>,
    /// Learning-rate schedule.
    #[arg(long, value_enum)]
    pub lr_schedule: Option<LrSchedule>,
    /// SGD momentum.
    #[arg(long)]
    pub momentum: Option<f64>,
    /// Weight decay.
    #[arg(long)]
    pub weight_decay: Option<f64>,
    /// Epochs of training.
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Training steps per epoch (default: one pass over the source training set).
    #[arg(long)]
    pub iterations_per_epoch: Option<usize>,
    /// Random translation of training images by up to this many pixels (0: off).
    #[arg(long)]
    pub augment_shift: Option<usize>,
    /// Random per-channel polarity, contrast and brightness of the source training images:
    /// auto (on for a grey source with a colour target), on or off.
    #[arg(long, value_enum)]
    pub augment_colour: Option<ColourAugment>,
    /// Unsupervised score computed every epoch on the target training images.
    #[arg(long, value_enum)]
    pub score: Option<Score>,
    /// Which epoch's network is the result: last, or best-score (saved as best.bin).
    #[arg(long, value_enum)]
    pub select: Option<Selection>,
    /// File format of the pictures (loss, accuracy, features, tsne): png or svg.
    #[arg(long, value_enum)]
    pub plot_format: Option<PlotFormat>,
    /// Source batch size.
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Target batch size (default: the source batch size).
    #[arg(long)]
    pub target_batch_size: Option<usize>,
    /// Seed of weights, shuffling and dropout.
    #[arg(long)]
    pub seed: Option<u64>,
}

fn parse_arch(s: &str) -> Result<Arch, String> {
    s.parse::<Arch>().map_err(|e| e.to_string())
}

/// `--channels`: `auto` (`None`), 1 or 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelsArg(pub Option<usize>);

fn parse_channels(s: &str) -> Result<ChannelsArg, String> {
    match s {
        "auto" => Ok(ChannelsArg(None)),
        "1" => Ok(ChannelsArg(Some(1))),
        "3" => Ok(ChannelsArg(Some(3))),
        other => Err(format!("expected auto, 1 or 3, got '{other}'")),
    }
}

fn parse_normalization(s: &str) -> Result<Normalization, String> {
    match s {
        "none" => return Ok(Normalization::None),
        "dataset" => return Ok(Normalization::Dataset),
        "per-domain" => return Ok(Normalization::PerDomain),
        _ => {}
    }
    let values = |part: &str| -> Result<Vec<f32>, String> {
        part.split(',')
            .map(|v| {
                v.trim()
                    .parse::<f32>()
                    .map_err(|_| format!("'{v}' is not a number"))
            })
            .collect()
    };
    let Some((mean, std)) = s.split_once('/') else {
        return Err(format!(
            "expected dataset, per-domain, none or MEAN/STD (comma-separated per channel), got '{s}'"
        ));
    };
    Ok(Normalization::Fixed {
        mean: values(mean)?,
        std: values(std)?,
    })
}

fn parse_devices(s: &str) -> Result<DeviceSpec, String> {
    s.parse::<DeviceSpec>().map_err(|e| e.to_string())
}

fn parse_mmd_on(s: &str) -> Result<MmdOn, String> {
    s.parse::<MmdOn>().map_err(|e| e.to_string())
}

impl ConfigArgs {
    /// The backend to run on.
    pub fn backend(&self) -> BackendKind {
        self.backend.unwrap_or_else(BackendKind::preferred)
    }

    /// The effective configuration: defaults, then the file, then these options.
    pub fn config(&self) -> Result<TrainConfig, CommandError> {
        let base = match &self.config {
            Some(path) => TrainConfig::from_file(path)?,
            None => TrainConfig::default(),
        };
        self.config_over(base)
    }

    /// `base` with these options applied over it, validated.
    pub fn config_over(&self, base: TrainConfig) -> Result<TrainConfig, CommandError> {
        let mut c = base;
        macro_rules! set {
            ($($field:ident),*) => {$( if let Some(v) = &self.$field { c.$field = v.clone(); } )*};
        }
        set!(
            source,
            target,
            crop,
            normalization,
            arch,
            dropout,
            transfer,
            mmd_on
        );
        set!(
            kernel_mul,
            kernel_num,
            bandwidth,
            dann_hidden,
            lambda,
            lambda_schedule
        );
        set!(
            optimizer,
            lr,
            lr_schedule,
            momentum,
            weight_decay,
            epochs,
            augment_shift,
            augment_colour,
            batch_size,
            seed,
            score,
            select,
            plot_format,
            transfer_scope
        );
        if self.devices.is_some() {
            c.devices = self.devices.clone();
        }
        if let (Some(backend), Some(devices)) = (self.backend, &c.devices)
            && backend != devices.backend
        {
            return Err(CommandError::Input(format!(
                "--backend {} and --devices {devices} name different backends; give one of them",
                backend.name()
            )));
        }
        if let Some(kernel) = self.kernel {
            c.kernel = kernel.into();
        }
        if let Some(estimator) = self.estimator {
            c.estimator = estimator.into();
        }
        if self.data_dir.is_some() {
            c.data_dir = self.data_dir.clone();
        }
        if self.gamma.is_some() {
            c.gamma = self.gamma;
        }
        if self.fix_sigma.is_some() {
            c.fix_sigma = self.fix_sigma;
        }
        if self.target_batch_size.is_some() {
            c.target_batch_size = self.target_batch_size;
        }
        if let Some(ChannelsArg(channels)) = self.channels {
            c.channels = channels;
        }
        for (given, field) in [
            (self.image_size, &mut c.image_size),
            (self.bottleneck, &mut c.bottleneck),
            (self.iterations_per_epoch, &mut c.iterations_per_epoch),
        ] {
            if given.is_some() {
                *field = given;
            }
        }
        c.validate()?;
        Ok(c)
    }
}

/// Loads the four datasets of a run at the configured size and channels (`auto`: 3 when either
/// domain has colour). The target's training images are used without labels.
pub fn load_run_data(config: &TrainConfig, limit: Option<usize>) -> Result<RunData, CommandError> {
    let load = |spec: &str| -> Result<(Dataset, Dataset), CommandError> {
        let source = DomainSource::parse(spec)?;
        Ok(source.load(config.data_dir.as_deref(), config.side(), config.crop)?)
    };
    let (source_train, source_test) = load(&config.source)?;
    let (target_train, target_test) = load(&config.target)?;
    let channels = config
        .channels
        .unwrap_or(source_train.channels.max(target_train.channels));
    let convert = |d: Dataset, spec: &str| {
        d.with_channels(channels)
            .map_err(|e| CommandError::Input(format!("{spec}: {e}")))
    };
    let source_train = convert(source_train, &config.source)?;
    let source_test = convert(source_test, &config.source)?;
    let target_train = convert(target_train, &config.target)?;
    let target_test = convert(target_test, &config.target)?;
    if source_train.classes != target_train.classes {
        let only = |a: &Dataset, b: &Dataset| {
            a.classes
                .iter()
                .filter(|c| !b.classes.contains(c))
                .cloned()
                .collect::<Vec<_>>()
        };
        return Err(CommandError::Input(format!(
            "the class sets of source '{}' and target '{}' differ: only in the source {:?}, only in the target {:?}",
            config.source,
            config.target,
            only(&source_train, &target_train),
            only(&target_train, &source_train)
        )));
    }
    let cap = |d: Dataset| match limit {
        Some(n) => d.subset(n, config.seed),
        None => d,
    };
    Ok(RunData {
        source_train: cap(source_train),
        source_test: cap(source_test),
        target_train: cap(target_train),
        target_test: cap(target_test),
    })
}

/// Trains one configuration on the chosen backend, or on the configuration's `devices` (which
/// name their backend), with the other nodes of `cluster`; `None` when `options.stop_after`
/// stopped it.
pub fn run_config(
    config: &TrainConfig,
    data: &RunData,
    out: &Path,
    options: RunOptions,
    backend: BackendKind,
    cluster: Option<&Cluster>,
) -> Result<Option<Summary>, CommandError> {
    let backend = config.devices.as_ref().map_or(backend, |spec| spec.backend);
    let summary = with_backend!(backend, |B, device| {
        let devices: Vec<_> = match &config.devices {
            Some(spec) => spec
                .indices
                .iter()
                .map(|&i| IndexedDevice::indexed(i))
                .collect(),
            None => vec![device],
        };
        train_on::<B>(config, data, out, options, &devices, cluster)
    })
    .map_err(CommandError::Input)??;
    Ok(summary)
}

impl TrainArgs {
    /// The node settings, when --nodes is given; the message names a missing or stray option.
    pub fn cluster(&self) -> Result<Option<Cluster>, CommandError> {
        let Some(nodes) = self.nodes else {
            let stray = [
                ("--node-rank", self.node_rank.is_some()),
                ("--orchestrator", self.orchestrator.is_some()),
                ("--node-address", self.node_address.is_some()),
                ("--node-timeout", self.node_timeout.is_some()),
            ];
            if let Some((option, _)) = stray.iter().find(|(_, given)| *given) {
                return Err(CommandError::Input(format!(
                    "{option} applies to a run on several nodes: give --nodes too"
                )));
            }
            return Ok(None);
        };
        let missing = |option: &str, example: &str| {
            CommandError::Input(format!("--nodes {nodes} needs {option} ({example})"))
        };
        let cluster = Cluster {
            nodes,
            node_rank: self
                .node_rank
                .ok_or_else(|| missing("--node-rank", "this node's number from 0"))?,
            orchestrator: self
                .orchestrator
                .clone()
                .ok_or_else(|| missing("--orchestrator", "ws://HOST:PORT"))?,
            node_address: self
                .node_address
                .clone()
                .ok_or_else(|| missing("--node-address", "ws://HOST:PORT"))?,
            timeout: self
                .node_timeout
                .map_or(DEFAULT_TIMEOUT, std::time::Duration::from_secs),
        };
        cluster.validate().map_err(CommandError::Input)?;
        Ok(Some(cluster))
    }
}

/// Runs `da-train train`.
pub fn run(args: &TrainArgs) -> Result<(), CommandError> {
    let cluster = args.cluster()?;
    let config = if args.resume && args.run.config.is_none() {
        // `--resume --out DIR` alone continues the run saved in DIR; options given with it
        // override the saved ones, and the checkpoint check names any that contradict it.
        let saved = args.out.join("config.json");
        if !saved.is_file() {
            return Err(CommandError::Input(format!(
                "--resume: {} has no config.json (is it the --out of a run?)",
                args.out.display()
            )));
        }
        args.run.config_over(TrainConfig::from_file(&saved)?)?
    } else {
        args.run.config()?
    };
    let data = load_run_data(&config, None)?;
    let options = RunOptions {
        resume: args.resume,
        progress: !args.run.no_progress,
        stop_after: args.stop_after,
    };
    let Some(summary) = run_config(
        &config,
        &data,
        &args.out,
        options,
        args.run.backend(),
        cluster.as_ref(),
    )?
    else {
        println!(
            "stopped after --stop-after epochs; continue with --resume --out {}",
            args.out.display()
        );
        return Ok(());
    };
    let selected = match summary.select {
        Selection::Last => String::new(),
        Selection::BestScore => format!(
            " (epoch {} of {}, best {}; saved as best.bin)",
            summary.selected_epoch,
            summary.epochs,
            summary.score.name()
        ),
    };
    println!(
        "{} -> {} ({}): target accuracy {:.2}%, source accuracy {:.2}%{selected}; results in {}",
        summary.source,
        summary.target,
        summary.transfer.name(),
        100.0 * summary.selected_target_accuracy,
        100.0 * summary.selected_source_accuracy,
        args.out.display()
    );
    Ok(())
}
