//! The host fully connected layer as a burn operation, with its backward pass.

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

/// `input W + bias` (burn's `Linear::forward` on `[batch, input]` rows) with cnn-host's kernel,
/// for a backend that [`available`](super::available) accepts.
pub(crate) fn linear<B: Backend>(
    input: Tensor<B, 2>,
    weight: Tensor<B, 2>,
    bias: Option<Tensor<B, 1>>,
) -> Tensor<B, 2> {
    let [batch, d_in] = input.dims();
    let [weight_in, output] = weight.dims();
    assert_eq!(
        d_in, weight_in,
        "a linear layer of {weight_in} inputs got rows of {d_in} values"
    );
    let shape = cnn_host::Linear {
        batch,
        input: d_in,
        output,
    };
    if is::<B, Tracked>() {
        return cast(tracked::<NdArray<f32>, NoCheckpointing>(
            shape,
            cast(input),
            cast(weight),
            bias.map(cast),
        ));
    }
    let device = input.device();
    let output = shape.forward(
        &to_host(input),
        &to_host(weight),
        bias.map(to_host).as_deref(),
    );
    from_host(output, [batch, shape.output], &device)
}

/// The layer on an autodiff backend: the forward pass on the host, recorded in the graph with
/// [`LinearBackward`] (parents: input, weight, bias; a missing bias is a constant zero).
fn tracked<B: Backend, C: CheckpointStrategy>(
    shape: cnn_host::Linear,
    input: Tensor<Autodiff<B, C>, 2>,
    weight: Tensor<Autodiff<B, C>, 2>,
    bias: Option<Tensor<Autodiff<B, C>, 1>>,
) -> Tensor<Autodiff<B, C>, 2> {
    let device = input.device();
    let bias = bias.unwrap_or_else(|| Tensor::zeros([shape.output], &device));
    let parents = [
        input.into_primitive().tensor(),
        weight.into_primitive().tensor(),
        bias.into_primitive().tensor(),
    ];
    record(LinearBackward, parents, |[input, weight, bias]| {
        let input = primitive_to_host::<B, 2>(input);
        let weight = primitive_to_host::<B, 2>(weight);
        let output = shape.forward(&input, &weight, Some(&primitive_to_host::<B, 1>(bias)));
        let output = host_to_primitive::<B, 2>(output, [shape.batch, shape.output], &device);
        let state = LinearState {
            shape,
            input,
            weight,
            device,
        };
        (output, Arc::new(state))
    })
}

/// What the backward pass needs: the input and the weight, on the host.
struct LinearState<B: Backend> {
    shape: cnn_host::Linear,
    input: Vec<f32>,
    weight: Vec<f32>,
    device: B::Device,
}

impl<B: Backend> fmt::Debug for LinearState<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinearState")
            .field("shape", &self.shape)
            .finish_non_exhaustive()
    }
}

/// The backward pass of the host layer (cnn-host's `Linear::backward`).
#[derive(Debug)]
struct LinearBackward;

impl<B: Backend> Backward<B, 3> for LinearBackward {
    type State = Arc<LinearState<B>>;

    fn backward(
        self,
        ops: Ops<Self::State, 3>,
        grads: &mut Gradients,
        _checkpointer: &mut Checkpointer,
    ) {
        let [input_node, weight_node, bias_node] = ops.parents;
        let grad_output = primitive_to_host::<B, 2>(grads.consume::<B>(&ops.node));
        let state = &ops.state;
        let shape = state.shape;
        let result = shape.backward(
            &state.input,
            &state.weight,
            &grad_output,
            input_node.is_some(),
        );
        let device = &state.device;
        if let (Some(node), Some(input)) = (input_node, result.input) {
            let dims = [shape.batch, shape.input];
            grads.register::<B>(node.id, host_to_primitive::<B, 2>(input, dims, device));
        }
        if let Some(node) = weight_node {
            let dims = [shape.input, shape.output];
            let weight = host_to_primitive::<B, 2>(result.weight, dims, device);
            grads.register::<B>(node.id, weight);
        }
        if let Some(node) = bias_node {
            let bias = host_to_primitive::<B, 1>(result.bias, [shape.output], device);
            grads.register::<B>(node.id, bias);
        }
    }
}
