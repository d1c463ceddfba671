//! The host convolution as a burn operation, with its backward pass.

use burn::tensor::{Tensor, backend::Backend};

use super::weighted::{WeightedKernel, apply};

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
    apply(shape, input, weight, bias)
}

impl WeightedKernel<4, 4> for cnn_host::Conv2d {
    fn input_dims(&self) -> [usize; 4] {
        [self.batch, self.in_channels, self.height, self.width]
    }

    fn weight_dims(&self) -> [usize; 4] {
        [
            self.out_channels,
            self.in_channels,
            self.kernel,
            self.kernel,
        ]
    }

    fn output_dims(&self) -> [usize; 4] {
        [
            self.batch,
            self.out_channels,
            self.out_height(),
            self.out_width(),
        ]
    }

    fn bias_len(&self) -> usize {
        self.out_channels
    }
}
