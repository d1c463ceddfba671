//! One device's link to the others: burn-collective's register and all-reduce, each call
//! bounded by a deadline and stopped when another device of this process has failed.

use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorPrimitive};
use burn_collective::{
    AllReduceStrategy, CollectiveConfig, CollectiveError, PeerId, ReduceOperation,
};

use super::cluster::Cluster;

/// Why a collective operation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParallelError {
    /// The other nodes did not answer in time.
    #[error(
        "{what}: no answer from the other nodes within {seconds} s (is every node started, with \
         the same --nodes and the orchestrator's address, and is the orchestrator running?)"
    )]
    Timeout {
        /// The operation that waited.
        what: String,
        /// The deadline, in seconds.
        seconds: u64,
    },
    /// burn-collective refused the operation.
    #[error("{what}: burn-collective failed: {error}")]
    Collective {
        /// The operation.
        what: String,
        /// burn-collective's error.
        error: String,
    },
    /// Another device of this process failed first (its error is the run's error).
    #[error("stopped because another device failed")]
    Aborted,
    /// The devices or nodes disagree about the run.
    #[error("{0}")]
    Mismatch(String),
}

/// The devices of this process and, with a [`Cluster`], the other nodes: the collective that
/// the peers of one run join.
#[derive(Debug, Clone)]
pub struct Group {
    local_devices: usize,
    cluster: Option<Cluster>,
    abort: Arc<AtomicBool>,
}

impl Group {
    /// A group of `local_devices` devices in this process, on several nodes with `cluster`.
    pub fn new(local_devices: usize, cluster: Option<Cluster>) -> Self {
        Self {
            local_devices,
            cluster,
            abort: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Devices in all nodes together.
    pub fn world(&self) -> usize {
        self.local_devices * self.cluster.as_ref().map_or(1, |c| c.nodes)
    }

    /// The global rank of this process's device `local`.
    pub fn rank(&self, local: usize) -> usize {
        self.cluster.as_ref().map_or(0, |c| c.node_rank) * self.local_devices + local
    }

    /// Whether the run spans several processes.
    pub fn is_multi_node(&self) -> bool {
        self.cluster.as_ref().is_some_and(|c| c.nodes > 1)
    }

    /// Tells every peer of this process to stop waiting (a device failed).
    pub fn abort(&self) {
        self.abort.store(true, Ordering::SeqCst);
    }

    fn config(&self) -> CollectiveConfig {
        let config = CollectiveConfig::default()
            .with_num_devices(self.local_devices)
            .with_local_all_reduce_strategy(AllReduceStrategy::Tree(2));
        match &self.cluster {
            Some(cluster) if cluster.nodes > 1 => config
                .with_num_nodes(cluster.nodes as u32)
                .with_global_address(cluster.orchestrator_address())
                .with_node_address(cluster.node_address())
                .with_data_service_port(cluster.data_port())
                .with_global_all_reduce_strategy(AllReduceStrategy::Tree(2)),
            _ => config,
        }
    }

    /// Only calls that wait on other processes have a deadline: within one process a failing
    /// device aborts the others instead.
    fn timeout(&self) -> Option<Duration> {
        self.cluster
            .as_ref()
            .filter(|c| c.nodes > 1)
            .map(|c| c.timeout)
    }
}

/// One device's membership of a [`Group`], on the backend `B` that burn-collective reduces
/// on (the inner backend of an autodiff one).
#[derive(Debug)]
pub struct Peer<B: Backend> {
    id: PeerId,
    rank: usize,
    world: usize,
    group: Group,
    _backend: PhantomData<B>,
}

impl<B: Backend> Peer<B> {
    /// Registers this process's device `local` (on `device`); returns once every device of
    /// every node has registered.
    pub fn join(group: &Group, local: usize, device: B::Device) -> Result<Self, ParallelError> {
        let peer = Self {
            id: PeerId::from(local),
            rank: group.rank(local),
            world: group.world(),
            group: group.clone(),
            _backend: PhantomData,
        };
        let (id, config) = (peer.id, group.config());
        peer.wait("registering with the other devices", move || {
            burn_collective::register::<B>(id, device, config)
        })?;
        Ok(peer)
    }

    /// This device's global rank.
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// Devices in all.
    pub fn world(&self) -> usize {
        self.world
    }

    /// The element-wise sum of `tensor` over all devices, on every device.
    pub fn all_reduce_sum(
        &self,
        tensor: Tensor<B, 1>,
        what: &str,
    ) -> Result<Tensor<B, 1>, ParallelError> {
        let (id, primitive) = (self.id, tensor.into_primitive().tensor());
        let reduced = self.wait(what, move || {
            burn_collective::all_reduce::<B>(id, primitive, ReduceOperation::Sum)
        })?;
        Ok(Tensor::from_primitive(TensorPrimitive::Float(reduced)))
    }

    /// Leaves the collective (the last call of a run).
    pub fn finish(self) -> Result<(), ParallelError> {
        let id = self.id;
        self.wait("leaving the collective", move || {
            burn_collective::finish_collective::<B>(id)
        })
    }

    /// Runs a blocking burn-collective call on a helper thread and waits for it, until the
    /// group's deadline or until another device of this process has failed.
    fn wait<T: Send + 'static>(
        &self,
        what: &str,
        call: impl FnOnce() -> Result<T, CollectiveError> + Send + 'static,
    ) -> Result<T, ParallelError> {
        let (sender, receiver) = mpsc::channel();
        std::thread::Builder::new()
            .name(format!("collective-{}", self.rank))
            .spawn(move || {
                let _ = sender.send(call());
            })
            .map_err(|e| ParallelError::Collective {
                what: what.to_string(),
                error: format!("cannot start a thread: {e}"),
            })?;
        let started = Instant::now();
        loop {
            match receiver.recv_timeout(Duration::from_millis(20)) {
                Ok(Ok(value)) => return Ok(value),
                Ok(Err(error)) => {
                    return Err(ParallelError::Collective {
                        what: what.to_string(),
                        error: format!("{error:?}"),
                    });
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(ParallelError::Collective {
                        what: what.to_string(),
                        error: "the call panicked (the log above says why)".into(),
                    });
                }
                Err(RecvTimeoutError::Timeout) => {
                    if self.group.abort.load(Ordering::SeqCst) {
                        return Err(ParallelError::Aborted);
                    }
                    if let Some(limit) = self.group.timeout()
                        && started.elapsed() > limit
                    {
                        return Err(ParallelError::Timeout {
                            what: what.to_string(),
                            seconds: limit.as_secs(),
                        });
                    }
                }
            }
        }
    }
}
