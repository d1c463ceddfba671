//! The host fully connected layer as a burn operation, with its backward pass.

use burn::tensor::{Tensor, backend::Backend};

use cnn_host::LayerGrads;

use super::weighted::{WeightedKernel, apply};

/// `input W + bias` (burn's `Linear::forward` on `[batch, input]` rows) with cnn-host's kernel,
/// for a backend that [`available`](super::available) accepts.
///
/// # Panics
/// If the rows of `input` are not as wide as the weight's input side.
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
    apply(shape, input, weight, bias)
}

impl WeightedKernel<2, 2> for cnn_host::Linear {
    fn input_dims(&self) -> [usize; 2] {
        [self.batch, self.input]
    }

    fn weight_dims(&self) -> [usize; 2] {
        [self.input, self.output]
    }

    fn output_dims(&self) -> [usize; 2] {
        [self.batch, self.output]
    }

    fn bias_len(&self) -> usize {
        self.output
    }

    fn forward(&self, input: &[f32], weight: &[f32], bias: Option<&[f32]>) -> Vec<f32> {
        cnn_host::Linear::forward(self, input, weight, bias)
    }

    fn backward(
        &self,
        input: &[f32],
        weight: &[f32],
        grad_output: &[f32],
        input_grad: bool,
    ) -> LayerGrads {
        cnn_host::Linear::backward(self, input, weight, grad_output, input_grad)
    }
}
