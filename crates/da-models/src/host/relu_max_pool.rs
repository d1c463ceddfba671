//! The host fused ReLU + max-pool as a burn operation, with its backward pass.

use std::fmt;
use std::sync::Arc;

use burn::tensor::{Tensor, backend::Backend};
use burn_autodiff::Autodiff;
use burn_autodiff::checkpoint::base::Checkpointer;
use burn_autodiff::checkpoint::strategy::{CheckpointStrategy, NoCheckpointing};
use burn_autodiff::grads::Gradients;
use burn_autodiff::ops::{Backward, Ops};
use burn_ndarray::NdArray;

use super::{Tracked, cast, from_host, host_to_primitive, is, primitive_to_host, record, to_host};

/// `max_pool2d(relu(input))` with a `pool x pool` window and stride (floor rounding), with
/// cnn-host's kernel, for a backend that [`available`](super::available) accepts.
pub(crate) fn relu_max_pool<B: Backend>(input: Tensor<B, 4>, pool: usize) -> Tensor<B, 4> {
    let [batch, channels, height, width] = input.dims();
    let shape = cnn_host::ReluMaxPool {
        planes: batch * channels,
        height,
        width,
        pool,
    };
    let dims = [batch, channels, shape.out_height(), shape.out_width()];
    if is::<B, Tracked>() {
        return cast(tracked::<NdArray<f32>, NoCheckpointing>(
            shape,
            dims,
            cast(input),
        ));
    }
    let device = input.device();
    let (output, _) = shape.forward(&to_host(input));
    from_host(output, dims, &device)
}

/// The pooling on an autodiff backend, recorded in the graph with [`ReluMaxPoolBackward`].
fn tracked<B: Backend, C: CheckpointStrategy>(
    shape: cnn_host::ReluMaxPool,
    dims: [usize; 4],
    input: Tensor<Autodiff<B, C>, 4>,
) -> Tensor<Autodiff<B, C>, 4> {
    let device = input.device();
    let input_dims = input.dims();
    record(
        ReluMaxPoolBackward,
        [input.into_primitive().tensor()],
        |[input]| {
            let (output, argmax) = shape.forward(&primitive_to_host::<B, 4>(input));
            let output = host_to_primitive::<B, 4>(output, dims, &device);
            let state = ReluMaxPoolState {
                shape,
                input_dims,
                argmax,
                device,
            };
            (output, Arc::new(state))
        },
    )
}

/// What the backward pass needs: where each output's gradient goes.
struct ReluMaxPoolState<B: Backend> {
    shape: cnn_host::ReluMaxPool,
    input_dims: [usize; 4],
    argmax: Vec<u32>,
    device: B::Device,
}

impl<B: Backend> fmt::Debug for ReluMaxPoolState<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReluMaxPoolState")
            .field("shape", &self.shape)
            .finish_non_exhaustive()
    }
}

/// The backward pass of the fused ReLU + max-pool (cnn-host's `ReluMaxPool::backward`).
#[derive(Debug)]
struct ReluMaxPoolBackward;

impl<B: Backend> Backward<B, 1> for ReluMaxPoolBackward {
    type State = Arc<ReluMaxPoolState<B>>;

    fn backward(
        self,
        ops: Ops<Self::State, 1>,
        grads: &mut Gradients,
        _checkpointer: &mut Checkpointer,
    ) {
        let [input_node] = ops.parents;
        let grad_output = primitive_to_host::<B, 4>(grads.consume::<B>(&ops.node));
        if let Some(node) = input_node {
            let state = &ops.state;
            let grad = state.shape.backward(&state.argmax, &grad_output);
            let grad = host_to_primitive::<B, 4>(grad, state.input_dims, &state.device);
            grads.register::<B>(node.id, grad);
        }
    }
}
