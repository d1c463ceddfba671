//! Training with `clf_loss + lambda * transfer_loss`: configuration, loop, checkpoints, reports.

mod atomic;
mod checkpoint;
mod config;
mod metrics;
mod model;
mod optimizer;
mod report;
mod run;
mod schedule;
mod transfer;

pub use atomic::write_atomic;
pub use checkpoint::{CheckpointError, CheckpointParts};
pub use config::{BandwidthRule, ConfigError, OptimizerKind, TrainConfig, Transfer};
pub use metrics::EpochMetrics;
pub use model::TrainModel;
pub use optimizer::RunOptimizer;
pub use run::{
    CHECKPOINT, RunData, RunOptions, Summary, TrainError, accuracy, model_config, train,
};
pub use schedule::{LambdaSchedule, LrSchedule};
pub use transfer::TransferLoss;
