//! The host batch normalisation, alone or fused with the block's ReLU and max-pool, as a burn
//! operation, with its backward pass.

use std::fmt;
use std::sync::Arc;

use burn::module::RunningState;
use burn::nn::BatchNorm;
use burn::tensor::{Tensor, backend::Backend};
use burn_autodiff::Autodiff;
use burn_autodiff::checkpoint::base::Checkpointer;
use burn_autodiff::checkpoint::strategy::{CheckpointStrategy, NoCheckpointing};
use burn_autodiff::grads::Gradients;
use burn_autodiff::ops::{Backward, Ops};
use burn_ndarray::NdArray;
use cnn_host::BatchStats;

use super::{Tracked, cast, from_host, host_to_primitive, is, primitive_to_host, record, to_host};

/// `norm.forward(input)`, followed by ReLU and a `pool x pool` max-pool (stride `pool`, floor
/// rounding) when `pool` is given, with cnn-host's kernels, for a backend that
/// [`available`](super::available) accepts. burn's semantics: batch statistics and a
/// running-statistics update on the autodiff backend, running statistics on the plain one.
pub(crate) fn batch_norm<B: Backend>(
    norm: &BatchNorm<B>,
    input: Tensor<B, 4>,
    pool: Option<usize>,
) -> Tensor<B, 4> {
    let [batch, channels, height, width] = input.dims();
    let shape = Shape {
        norm: cnn_host::BatchNorm {
            batch,
            channels,
            plane: height * width,
            epsilon: norm.epsilon,
        },
        input: [batch, channels, height, width],
        pool: pool.map(|pool| cnn_host::ReluMaxPool {
            planes: batch * channels,
            height,
            width,
            pool,
        }),
    };
    let device = input.device();
    if !is::<B, Tracked>() {
        let (input, gamma, beta) = (
            to_host(input),
            to_host(norm.gamma.val()),
            to_host(norm.beta.val()),
        );
        let (mean, var) = (
            to_host(norm.running_mean.value()),
            to_host(norm.running_var.value()),
        );
        let output = match shape.fused() {
            Some(fused) => fused.forward_eval(&input, &gamma, &beta, &mean, &var),
            None => shape.norm.forward_eval(&input, &gamma, &beta, &mean, &var),
        };
        return from_host(output, shape.output_dims(), &device);
    }
    let (output, stats) = tracked::<NdArray<f32>, NoCheckpointing>(
        shape,
        cast(input),
        cast(norm.gamma.val()),
        cast(norm.beta.val()),
    );
    // burn's update: running = (1 - momentum) running + momentum batch (biased variance).
    let mix = |running: &RunningState<Tensor<B, 1>>, batch: Vec<f32>| {
        let batch = from_host::<B, 1>(batch, [channels], &device);
        let mixed = running
            .value_sync()
            .to_device(&device)
            .mul_scalar(1.0 - norm.momentum)
            .add(batch.mul_scalar(norm.momentum));
        running.update(mixed.detach());
    };
    mix(&norm.running_mean, stats.mean);
    mix(&norm.running_var, stats.var);
    cast(output)
}

/// The operation's shapes: the normalisation, and the pooling when fused.
#[derive(Debug, Clone, Copy)]
struct Shape {
    norm: cnn_host::BatchNorm,
    input: [usize; 4],
    pool: Option<cnn_host::ReluMaxPool>,
}

impl Shape {
    fn fused(&self) -> Option<cnn_host::BatchNormReluMaxPool> {
        self.pool.map(|pool| cnn_host::BatchNormReluMaxPool {
            norm: self.norm,
            pool,
        })
    }

    fn output_dims(&self) -> [usize; 4] {
        match self.pool {
            Some(pool) => [
                self.input[0],
                self.input[1],
                pool.out_height(),
                pool.out_width(),
            ],
            None => self.input,
        }
    }
}

/// Training-mode normalisation (and pooling) on an autodiff backend, recorded in the graph with
/// [`BatchNormBackward`] (parents: input, gamma, beta); also returns the batch statistics.
fn tracked<B: Backend, C: CheckpointStrategy>(
    shape: Shape,
    input: Tensor<Autodiff<B, C>, 4>,
    gamma: Tensor<Autodiff<B, C>, 1>,
    beta: Tensor<Autodiff<B, C>, 1>,
) -> (Tensor<Autodiff<B, C>, 4>, BatchStats) {
    let device = input.device();
    let parents = [
        input.into_primitive().tensor(),
        gamma.into_primitive().tensor(),
        beta.into_primitive().tensor(),
    ];
    let mut batch_stats = None;
    let output = record(BatchNormBackward, parents, |[input, gamma, beta]| {
        let input = primitive_to_host::<B, 4>(input);
        let gamma = primitive_to_host::<B, 1>(gamma);
        let beta = primitive_to_host::<B, 1>(beta);
        let (output, argmax, stats) = match shape.fused() {
            Some(fused) => fused.forward_train(&input, &gamma, &beta),
            None => {
                let (output, stats) = shape.norm.forward_train(&input, &gamma, &beta);
                (output, Vec::new(), stats)
            }
        };
        batch_stats = Some(stats.clone());
        let output = host_to_primitive::<B, 4>(output, shape.output_dims(), &device);
        let state = BatchNormState {
            shape,
            input,
            gamma,
            stats,
            argmax,
            device,
        };
        (output, Arc::new(state))
    });
    (output, batch_stats.expect("set by the forward pass"))
}

/// What the backward pass needs: the input, `gamma`, the batch statistics and, when pooled, the
/// argmax of the pooling.
struct BatchNormState<B: Backend> {
    shape: Shape,
    input: Vec<f32>,
    gamma: Vec<f32>,
    stats: BatchStats,
    argmax: Vec<u32>,
    device: B::Device,
}

impl<B: Backend> fmt::Debug for BatchNormState<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchNormState")
            .field("shape", &self.shape)
            .finish_non_exhaustive()
    }
}

/// The backward pass of the host batch normalisation (cnn-host's `BatchNorm::backward`, or
/// `BatchNormReluMaxPool::backward` when pooled).
#[derive(Debug)]
struct BatchNormBackward;

impl<B: Backend> Backward<B, 3> for BatchNormBackward {
    type State = Arc<BatchNormState<B>>;

    fn backward(
        self,
        ops: Ops<Self::State, 3>,
        grads: &mut Gradients,
        _checkpointer: &mut Checkpointer,
    ) {
        let [input_node, gamma_node, beta_node] = ops.parents;
        let grad_output = primitive_to_host::<B, 4>(grads.consume::<B>(&ops.node));
        let state = &ops.state;
        let (input, gamma, stats) = (&state.input, &state.gamma, &state.stats);
        let result = match state.shape.fused() {
            Some(fused) => fused.backward(input, gamma, stats, &state.argmax, &grad_output),
            None => state.shape.norm.backward(input, gamma, stats, &grad_output),
        };
        let channels = [state.shape.norm.channels];
        if let Some(node) = input_node {
            let input = host_to_primitive::<B, 4>(result.input, state.shape.input, &state.device);
            grads.register::<B>(node.id, input);
        }
        if let Some(node) = gamma_node {
            let gamma = host_to_primitive::<B, 1>(result.gamma, channels, &state.device);
            grads.register::<B>(node.id, gamma);
        }
        if let Some(node) = beta_node {
            let beta = host_to_primitive::<B, 1>(result.beta, channels, &state.device);
            grads.register::<B>(node.id, beta);
        }
    }
}
