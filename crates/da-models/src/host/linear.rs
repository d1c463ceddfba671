//! The host fully connected layer as a burn operation, with its backward pass.

use burn::tensor::{Tensor, backend::Backend};

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
}
