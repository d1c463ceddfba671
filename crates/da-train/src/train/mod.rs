//! Training with `clf_loss + lambda * transfer_loss`: configuration, loop, checkpoints, reports.

mod checkpoint;
mod config;
mod metrics;
mod model;
mod optimizer;
mod report;
mod run;
mod schedule;
pub mod selection_score;
mod transfer;

pub use checkpoint::{CheckpointError, CheckpointParts};
pub use config::{
    BandwidthRule, ConfigError, Normalization, OptimizerKind, PlotFormat, Score, Selection,
    TrainConfig, Transfer,
};
pub use metrics::EpochMetrics;
pub use model::TrainModel;
pub use optimizer::RunOptimizer;
pub use run::{
    BEST_CHECKPOINT, CHECKPOINT, RunData, RunOptions, SCORE_IMAGES, Summary, TrainError, accuracy,
    model_config, prepare, probabilities, train, train_on,
};
pub use schedule::{LambdaSchedule, LrSchedule};
pub use transfer::TransferLoss;
