//! `da-train eval`: the accuracy of a checkpoint on a domain.

use std::path::PathBuf;

use burn::module::{AutodiffModule, Module};
use burn::record::{BinBytesRecorder, FullPrecisionSettings, Recorder};
use clap::Args;
use da_models::{DaNet, DaNetConfig};

use crate::backend::BackendKind;
use crate::datasets::DomainSource;
use crate::train::{
    BEST_CHECKPOINT, CHECKPOINT, CheckpointError, CheckpointParts, Normalization, Selection,
    TrainConfig, accuracy, prepare,
};
use crate::with_backend;

use super::CommandError;

/// Options of `da-train eval`.
#[derive(Debug, Clone, Args)]
pub struct EvalArgs {
    /// A `checkpoint.bin` or `best.bin` written by `train`, or the run directory holding them
    /// (then `best.bin` when the run selected by score, else `checkpoint.bin`).
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// Domain to evaluate on: mnist, mfeat, optdigits, mnistm-synth, an image folder, a CSV or
    /// an IDX pair; converted to the run's channels, size and normalisation.
    #[arg(long)]
    pub data: String,
    /// Evaluate on the domain's training split instead of its test split.
    #[arg(long)]
    pub train_split: bool,
    /// Directory of the built-in domains (default: the one the run used).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Compute backend (default: wgpu when built with it, else cuda when built with it, else
    /// ndarray).
    #[arg(long, value_enum)]
    pub backend: Option<BackendKind>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// The part of the checkpoint header that evaluation needs.
#[derive(serde::Serialize, serde::Deserialize)]
struct Header {
    config: TrainConfig,
    model: DaNetConfig,
}

/// Runs `da-train eval`.
pub fn run(args: &EvalArgs) -> Result<(), CommandError> {
    let path = match args.checkpoint.is_dir() {
        true => args.checkpoint.join(CHECKPOINT),
        false => args.checkpoint.clone(),
    };
    let mut parts = CheckpointParts::<Header>::load(&path)?;
    // A run directory whose run selected by score: its best.bin (a best.bin left by an earlier
    // run with another selection is not used).
    let best = args.checkpoint.join(BEST_CHECKPOINT);
    if args.checkpoint.is_dir()
        && parts.header.config.select == Selection::BestScore
        && best.is_file()
    {
        parts = CheckpointParts::<Header>::load(&best)?;
    }
    let Header { config, model } = parts.header;
    let data_dir = args.data_dir.clone().or(config.data_dir.clone());
    let (train, test) =
        DomainSource::parse(&args.data)?.load(data_dir.as_deref(), config.side(), config.crop)?;
    let data = if args.train_split {
        train.clone()
    } else {
        test
    };
    // A checkpoint from before channels and normalisation were recorded was trained on grey,
    // unnormalised images.
    let config = TrainConfig {
        channels: config.channels.or(Some(1)),
        normalization: match config.normalization {
            Normalization::Dataset => Normalization::None,
            recorded => recorded,
        },
        ..config
    };
    let data = prepare(data, &train, &config)
        .map_err(|e| CommandError::Input(format!("{}: {e}", args.data)))?;
    if data.classes.len() != model.num_classes {
        return Err(CommandError::Input(format!(
            "{} has {} classes but the checkpoint's network predicts {}",
            args.data,
            data.classes.len(),
            model.num_classes
        )));
    }
    let backend = args.backend.unwrap_or_else(BackendKind::preferred);
    let acc = with_backend!(backend, |B, device| {
        let net: DaNet<B> = model.try_init(&device)?;
        let recorder = BinBytesRecorder::<FullPrecisionSettings>::default();
        let record = Recorder::<B>::load(&recorder, parts.model, &device).map_err(|e| {
            CheckpointError::Mismatch {
                path: path.clone(),
                reason: e.to_string(),
            }
        })?;
        accuracy(&net.load_record(record).valid(), &data, &device)
    })
    .map_err(CommandError::Input)?;
    if args.json {
        println!(
            "{}",
            serde_json::json!({"accuracy": acc, "images": data.len(), "data": args.data, "checkpoint": path})
        );
    } else {
        println!(
            "accuracy on {} ({} images): {:.2}%",
            args.data,
            data.len(),
            100.0 * acc
        );
    }
    Ok(())
}
