//! The host kernels with a weight and a bias (convolution, fully connected layer) as burn
//! operations, with their backward passes: one generic node for both.

use std::fmt;
use std::sync::Arc;

use burn::tensor::{Tensor, backend::Backend};
use burn_autodiff::Autodiff;
use burn_autodiff::checkpoint::base::Checkpointer;
use burn_autodiff::checkpoint::strategy::{CheckpointStrategy, NoCheckpointing};
use burn_autodiff::grads::Gradients;
use burn_autodiff::ops::{Backward, Ops};
use burn_ndarray::NdArray;
use cnn_host::Layer;

use super::{Tracked, cast, from_host, host_to_primitive, is, primitive_to_host, record, to_host};

/// A cnn-host [`Layer`] (`output = f(input, weight) + bias`) on rank-`D` inputs and outputs and a
/// rank-`W` weight, with its operands' shapes.
pub(super) trait WeightedKernel<const D: usize, const W: usize>:
    Layer + Copy + fmt::Debug + Send + Sync + 'static
{
    /// Shape of the input.
    fn input_dims(&self) -> [usize; D];
    /// Shape of the weight.
    fn weight_dims(&self) -> [usize; W];
    /// Shape of the output.
    fn output_dims(&self) -> [usize; D];
    /// Length of the bias.
    fn bias_len(&self) -> usize;
}

/// `kernel` applied to `input`, `weight` and `bias` on a backend that
/// [`available`](super::available) accepts, recorded in the autodiff graph when `B` is the
/// tracked one. Operand shapes already checked by the caller.
pub(super) fn apply<B, K, const D: usize, const W: usize>(
    kernel: K,
    input: Tensor<B, D>,
    weight: Tensor<B, W>,
    bias: Option<Tensor<B, 1>>,
) -> Tensor<B, D>
where
    B: Backend,
    K: WeightedKernel<D, W>,
{
    if is::<B, Tracked>() {
        return cast(tracked::<NdArray<f32>, NoCheckpointing, K, D, W>(
            kernel,
            cast(input),
            cast(weight),
            bias.map(cast),
        ));
    }
    let device = input.device();
    let output = kernel.forward(
        &to_host(input),
        &to_host(weight),
        bias.map(to_host).as_deref(),
    );
    from_host(output, kernel.output_dims(), &device)
}

/// The kernel on an autodiff backend: the forward pass on the host, recorded in the graph with
/// [`WeightedBackward`] (parents: input, weight, bias; a missing bias is a constant zero).
fn tracked<B, C, K, const D: usize, const W: usize>(
    kernel: K,
    input: Tensor<Autodiff<B, C>, D>,
    weight: Tensor<Autodiff<B, C>, W>,
    bias: Option<Tensor<Autodiff<B, C>, 1>>,
) -> Tensor<Autodiff<B, C>, D>
where
    B: Backend,
    C: CheckpointStrategy,
    K: WeightedKernel<D, W>,
{
    let device = input.device();
    let bias = bias.unwrap_or_else(|| Tensor::zeros([kernel.bias_len()], &device));
    let parents = [
        input.into_primitive().tensor(),
        weight.into_primitive().tensor(),
        bias.into_primitive().tensor(),
    ];
    record(
        WeightedBackward::<K, D, W>(kernel),
        parents,
        |[input, weight, bias]| {
            let input = primitive_to_host::<B, D>(input);
            let weight = primitive_to_host::<B, W>(weight);
            let output = kernel.forward(&input, &weight, Some(&primitive_to_host::<B, 1>(bias)));
            let output = host_to_primitive::<B, D>(output, kernel.output_dims(), &device);
            let state = WeightedState {
                input,
                weight,
                device,
            };
            (output, Arc::new(state))
        },
    )
}

/// What the backward pass needs: the input and the weight, on the host.
struct WeightedState<B: Backend> {
    input: Vec<f32>,
    weight: Vec<f32>,
    device: B::Device,
}

impl<B: Backend> fmt::Debug for WeightedState<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeightedState")
            .field("input", &self.input.len())
            .field("weight", &self.weight.len())
            .finish_non_exhaustive()
    }
}

/// The backward pass of a [`WeightedKernel`].
#[derive(Debug)]
struct WeightedBackward<K, const D: usize, const W: usize>(K);

impl<B, K, const D: usize, const W: usize> Backward<B, 3> for WeightedBackward<K, D, W>
where
    B: Backend,
    K: WeightedKernel<D, W>,
{
    type State = Arc<WeightedState<B>>;

    fn backward(
        self,
        ops: Ops<Self::State, 3>,
        grads: &mut Gradients,
        _checkpointer: &mut Checkpointer,
    ) {
        let kernel = self.0;
        let [input_node, weight_node, bias_node] = ops.parents;
        let grad_output = primitive_to_host::<B, D>(grads.consume::<B>(&ops.node));
        let state = &ops.state;
        let result = kernel.backward(
            &state.input,
            &state.weight,
            &grad_output,
            input_node.is_some(),
        );
        let device = &state.device;
        if let (Some(node), Some(input)) = (input_node, result.input) {
            let input = host_to_primitive::<B, D>(input, kernel.input_dims(), device);
            grads.register::<B>(node.id, input);
        }
        if let Some(node) = weight_node {
            let weight = host_to_primitive::<B, W>(result.weight, kernel.weight_dims(), device);
            grads.register::<B>(node.id, weight);
        }
        if let Some(node) = bias_node {
            let bias = host_to_primitive::<B, 1>(result.bias, [kernel.bias_len()], device);
            grads.register::<B>(node.id, bias);
        }
    }
}
