//! Training on several devices and several machines: data-parallel on burn-collective.
//!
//! Every device holds a replica of the network and takes a contiguous slice of each source and
//! target batch ([`slice_of`]). After the backward pass the gradients of all devices are summed
//! by one burn-collective all-reduce ([`GradientBucket`]) and every replica takes the same
//! optimiser step, so the replicas keep identical weights; at the end of each epoch device 0's
//! weights, batch-norm statistics included, are copied to the others ([`broadcast_module`]).
//!
//! The transfer loss is taken over the whole batch ([`TransferScope::Global`], the default:
//! the features are all-gathered, [`all_gather_rows`], and the loss is that of one device) or
//! per device ([`TransferScope::Local`]).
//!
//! Several processes (one per machine, each with its devices) join through burn-collective's
//! global orchestrator ([`Cluster`], [`run_orchestrator`]).

mod cluster;
mod collective;
mod devices;
mod scope;
mod sync;

pub use cluster::{Cluster, DEFAULT_TIMEOUT, run_orchestrator};
pub use collective::{Group, ParallelError, Peer};
pub use devices::{DeviceSpec, DeviceSpecError, IndexedDevice};
pub use scope::{TransferScope, slice_of};
pub use sync::{GradientBucket, ReducedGradients, Rows, all_gather_rows, broadcast_module};
