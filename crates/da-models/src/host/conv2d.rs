//! The host convolution as a burn operation, with its backward pass.

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

/// [`ConvAlgorithm::conv2d`](crate::ConvAlgorithm::conv2d) with cnn-host's kernel, for a backend
/// that [`available`](super::available) accepts. Arguments already checked by the caller.
pub(crate) fn conv2d<B: Backend>(
    input: Tensor<B, 4>,
    weight: Tensor<B, 4>,
    bias: Option<Tensor<B, 1>>,
    stride: usize,
    padding: usize,
) -> Tensor<B, 4> {
    let [batch, in_channels, height, width] = input.dims();
    let [out_channels, _, kernel, _] = weight.dims();
    let shape = cnn_host::Conv2d {
        batch,
        in_channels,
        height,
        width,
        out_channels,
        kernel,
        stride,
        padding,
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
    from_host(output, output_dims(&shape), &device)
}

fn output_dims(shape: &cnn_host::Conv2d) -> [usize; 4] {
    [
        shape.batch,
        shape.out_channels,
        shape.out_height(),
        shape.out_width(),
    ]
}

/// The convolution on an autodiff backend: the forward pass on the host, recorded in the graph
/// with [`Conv2dBackward`] (parents: input, weight, bias; a missing bias is a constant zero).
fn tracked<B: Backend, C: CheckpointStrategy>(
    shape: cnn_host::Conv2d,
    input: Tensor<Autodiff<B, C>, 4>,
    weight: Tensor<Autodiff<B, C>, 4>,
    bias: Option<Tensor<Autodiff<B, C>, 1>>,
) -> Tensor<Autodiff<B, C>, 4> {
    let device = input.device();
    let bias = bias.unwrap_or_else(|| Tensor::zeros([shape.out_channels], &device));
    let parents = [
        input.into_primitive().tensor(),
        weight.into_primitive().tensor(),
        bias.into_primitive().tensor(),
    ];
    record(Conv2dBackward, parents, |[input, weight, bias]| {
        let input = primitive_to_host::<B, 4>(input);
        let weight = primitive_to_host::<B, 4>(weight);
        let output = shape.forward(&input, &weight, Some(&primitive_to_host::<B, 1>(bias)));
        let output = host_to_primitive::<B, 4>(output, output_dims(&shape), &device);
        let state = Conv2dState {
            shape,
            input,
            weight,
            device,
        };
        (output, Arc::new(state))
    })
}

/// What the backward pass needs: the input and the weight, on the host.
struct Conv2dState<B: Backend> {
    shape: cnn_host::Conv2d,
    input: Vec<f32>,
    weight: Vec<f32>,
    device: B::Device,
}

impl<B: Backend> fmt::Debug for Conv2dState<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Conv2dState")
            .field("shape", &self.shape)
            .finish_non_exhaustive()
    }
}

/// The backward pass of the host convolution (cnn-host's `Conv2d::backward`).
#[derive(Debug)]
struct Conv2dBackward;

impl<B: Backend> Backward<B, 3> for Conv2dBackward {
    type State = Arc<Conv2dState<B>>;

    fn backward(
        self,
        ops: Ops<Self::State, 3>,
        grads: &mut Gradients,
        _checkpointer: &mut Checkpointer,
    ) {
        let [input_node, weight_node, bias_node] = ops.parents;
        let grad_output = primitive_to_host::<B, 4>(grads.consume::<B>(&ops.node));
        let state = &ops.state;
        let shape = state.shape;
        let result = shape.backward(
            &state.input,
            &state.weight,
            &grad_output,
            input_node.is_some(),
        );
        if let (Some(node), Some(input)) = (input_node, result.input) {
            let dims = [shape.batch, shape.in_channels, shape.height, shape.width];
            grads.register::<B>(
                node.id,
                host_to_primitive::<B, 4>(input, dims, &state.device),
            );
        }
        if let Some(node) = weight_node {
            let (k, c) = (shape.kernel, shape.in_channels);
            let dims = [shape.out_channels, c, k, k];
            let weight = host_to_primitive::<B, 4>(result.weight, dims, &state.device);
            grads.register::<B>(node.id, weight);
        }
        if let Some(node) = bias_node {
            let bias = host_to_primitive::<B, 1>(result.bias, [shape.out_channels], &state.device);
            grads.register::<B>(node.id, bias);
        }
    }
}
