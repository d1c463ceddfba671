//! One convolution block: convolution, optional batch-norm, ReLU, max-pool.

use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, PaddingConfig2d};
use burn::tensor::activation::relu;
use burn::tensor::{Tensor, backend::Backend};

use crate::conv_algorithm::ConvAlgorithm;

/// Configuration of a [`ConvBlock`]: `conv k x k (stride, zero padding) -> [batch-norm] -> ReLU ->
/// max-pool p x p (stride p)`.
///
/// | field | default | purpose |
/// |---|---|---|
/// | `in_channels`, `out_channels` | required | channels in and out of the convolution |
/// | `kernel_size` | required | square convolution kernel side |
/// | `stride` | `1` | convolution stride |
/// | `padding` | `0` | zero padding on each side of the convolution input |
/// | `batch_norm` | `false` | batch-norm between the convolution and the ReLU |
/// | `pool` | `2` | side and stride of the max-pool window (`1` = no pooling) |
/// | `algorithm` | [`ConvAlgorithm::Host`] | how the convolution is computed |
#[derive(Config, Debug)]
pub struct ConvBlockConfig {
    /// Channels of the input map.
    pub in_channels: usize,
    /// Channels of the output map (number of convolution filters).
    pub out_channels: usize,
    /// Side of the square convolution kernel.
    pub kernel_size: usize,
    /// Convolution stride, the same along height and width.
    #[config(default = 1)]
    pub stride: usize,
    /// Zero padding added on every side before the convolution.
    #[config(default = 0)]
    pub padding: usize,
    /// Whether a batch-norm follows the convolution. The convolution keeps its bias either way,
    /// as PyTorch's `Conv2d` does by default.
    #[config(default = false)]
    pub batch_norm: bool,
    /// Side and stride of the max-pool window, with floor rounding (`1` disables pooling).
    #[config(default = 2)]
    pub pool: usize,
    /// How the convolution is computed (the parameters are the same either way).
    #[config(default = "ConvAlgorithm::Host")]
    pub algorithm: ConvAlgorithm,
}

impl ConvBlockConfig {
    /// The `(height, width)` of the block's output for an input of `height x width`.
    ///
    /// A side is `0` when the input is too small for the kernel or the pooling window; the caller
    /// turns that into an error. Same arithmetic as PyTorch's `Conv2d` and `MaxPool2d`
    /// (`floor((n + 2p - k) / s) + 1`, then `floor(n / pool)`).
    pub fn output_size(&self, height: usize, width: usize) -> (usize, usize) {
        (self.output_side(height), self.output_side(width))
    }

    fn output_side(&self, side: usize) -> usize {
        let padded = side + 2 * self.padding;
        if side == 0 || padded < self.kernel_size || self.stride == 0 || self.pool == 0 {
            return 0;
        }
        let conv = (padded - self.kernel_size) / self.stride + 1;
        conv / self.pool
    }

    /// Builds the block on `device`.
    ///
    /// # Panics
    /// If a size is zero (burn's layer configurations reject those).
    pub fn init<B: Backend>(&self, device: &B::Device) -> ConvBlock<B> {
        assert!(
            self.in_channels > 0
                && self.out_channels > 0
                && self.kernel_size > 0
                && self.stride > 0
                && self.pool > 0,
            "conv block sizes must be at least 1, got in_channels {}, out_channels {}, \
             kernel_size {}, stride {}, pool {}",
            self.in_channels,
            self.out_channels,
            self.kernel_size,
            self.stride,
            self.pool
        );
        let p = self.padding;
        let conv = Conv2dConfig::new(
            [self.in_channels, self.out_channels],
            [self.kernel_size, self.kernel_size],
        )
        .with_stride([self.stride, self.stride])
        .with_padding(PaddingConfig2d::Explicit(p, p, p, p))
        .init(device);
        let norm = self
            .batch_norm
            .then(|| BatchNormConfig::new(self.out_channels).init(device));
        let pool = (self.pool > 1).then(|| MaxPool2dConfig::new([self.pool, self.pool]).init());
        ConvBlock {
            conv,
            norm,
            pool,
            padding: self.padding,
            algorithm: self.algorithm,
        }
    }
}

/// `conv -> [batch-norm] -> ReLU -> [max-pool]`, built by [`ConvBlockConfig`].
///
/// The batch-norm follows burn's convention: batch statistics (and running-statistics updates)
/// on an autodiff backend, running statistics otherwise (e.g. after `model.valid()`).
#[derive(Module, Debug)]
pub struct ConvBlock<B: Backend> {
    /// The convolution.
    pub conv: Conv2d<B>,
    /// The batch-norm, if configured.
    pub norm: Option<BatchNorm<B>>,
    /// The max-pool, if the window is larger than 1.
    pub pool: Option<MaxPool2d>,
    padding: usize,
    #[module(skip)]
    algorithm: ConvAlgorithm,
}

impl<B: Backend> ConvBlock<B> {
    /// How this block computes its convolution.
    pub fn algorithm(&self) -> ConvAlgorithm {
        self.algorithm
    }

    /// The same block computing its convolution with `algorithm`.
    pub fn with_algorithm(mut self, algorithm: ConvAlgorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// Applies the block.
    ///
    /// # Shapes
    /// - `input`: `[batch_size, in_channels, height, width]`
    /// - output: `[batch_size, out_channels, out_height, out_width]`, see
    ///   [`ConvBlockConfig::output_size`]
    pub fn forward(&self, input: Tensor<B, 4>) -> Tensor<B, 4> {
        let x = self.algorithm.conv2d(
            input,
            self.conv.weight.val(),
            self.conv.bias.as_ref().map(|bias| bias.val()),
            self.conv.stride[0],
            self.padding,
        );
        #[cfg(feature = "ndarray")]
        if self.algorithm.runs_on_host::<B>() {
            let pool = self.pool.as_ref().map(|pool| pool.kernel_size[0]);
            return match (&self.norm, pool) {
                // One pass for the normalisation, ReLU and max-pool.
                (Some(norm), pool) => {
                    let x = crate::host::batch_norm(norm, x, pool);
                    if pool.is_some() { x } else { relu(x) }
                }
                (None, Some(pool)) => crate::host::relu_max_pool(x, pool),
                (None, None) => relu(x),
            };
        }
        let x = match &self.norm {
            Some(norm) => norm.forward(x),
            None => x,
        };
        let x = relu(x);
        match &self.pool {
            Some(pool) => pool.forward(x),
            None => x,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Distribution;
    use burn_ndarray::NdArray;

    type TestBackend = NdArray<f32>;

    #[test]
    fn output_size_follows_pytorch_arithmetic() {
        // torch: Conv2d(3, 8, 3, stride=2, padding=1) then MaxPool2d(2) on 128x128 -> 32x32;
        // on 15x16 -> conv 8x8 -> pool 4x4.
        let block = ConvBlockConfig::new(3, 8, 3).with_stride(2).with_padding(1);
        assert_eq!(block.output_size(128, 128), (32, 32));
        assert_eq!(block.output_size(15, 16), (4, 4));
        // Conv2d(1, 8, 5) (no padding) then MaxPool2d(2): 28 -> 24 -> 12; 5 -> 1 -> 0; 4 -> none.
        let valid = ConvBlockConfig::new(1, 8, 5);
        assert_eq!(valid.output_size(28, 5), (12, 0));
        assert_eq!(valid.output_size(4, 4), (0, 0));
        // No pooling: Conv2d(1, 8, 5, padding=2) keeps the size.
        let same = ConvBlockConfig::new(1, 8, 5).with_padding(2).with_pool(1);
        assert_eq!(same.output_size(7, 9), (7, 9));
    }

    #[test]
    fn forward_shape_matches_output_size() {
        let device = Default::default();
        for (config, h, w) in [
            (
                ConvBlockConfig::new(3, 8, 3).with_stride(2).with_padding(1),
                17,
                30,
            ),
            (ConvBlockConfig::new(1, 4, 5).with_padding(2), 15, 16),
            (
                ConvBlockConfig::new(2, 6, 3)
                    .with_batch_norm(true)
                    .with_pool(3),
                11,
                9,
            ),
        ] {
            let block = config.init::<TestBackend>(&device);
            let input = Tensor::random(
                [2, config.in_channels, h, w],
                Distribution::Default,
                &device,
            );
            let (oh, ow) = config.output_size(h, w);
            assert_eq!(
                block.forward(input).dims(),
                [2, config.out_channels, oh, ow]
            );
        }
    }

    #[test]
    fn both_algorithms_give_the_same_block_output() {
        let device = Default::default();
        let config = ConvBlockConfig::new(3, 8, 3).with_stride(2).with_padding(1);
        let block = config.init::<TestBackend>(&device);
        assert_eq!(block.algorithm(), ConvAlgorithm::Host);
        let input = Tensor::random([2, 3, 13, 14], Distribution::Normal(0.0, 1.0), &device);
        let im2col = block.forward(input.clone());
        let native = block.with_algorithm(ConvAlgorithm::Native).forward(input);
        im2col
            .into_data()
            .assert_approx_eq::<f32>(&native.into_data(), burn::tensor::Tolerance::default());
    }

    /// Output and every gradient (input and all parameters) of a block computed with the host
    /// kernels (fused ReLU + max-pool) and with tensor operations.
    #[test]
    fn host_block_matches_the_tensor_block() {
        use burn::tensor::{Int, Tolerance};
        type Train = burn_autodiff::Autodiff<TestBackend>;
        let device = Default::default();
        for (config, h, w) in [
            (ConvBlockConfig::new(2, 4, 5).with_padding(2), 10, 9),
            (
                ConvBlockConfig::new(3, 5, 3)
                    .with_stride(2)
                    .with_padding(1)
                    .with_batch_norm(true),
                17,
                12,
            ),
            (
                ConvBlockConfig::new(2, 3, 3).with_padding(1).with_pool(3),
                11,
                10,
            ),
            (ConvBlockConfig::new(2, 3, 3).with_pool(1), 6, 7),
            (
                ConvBlockConfig::new(2, 3, 3)
                    .with_pool(1)
                    .with_batch_norm(true),
                6,
                7,
            ),
        ] {
            let block = config.init::<Train>(&device);
            let input = Tensor::<Train, 4>::random(
                [3, config.in_channels, h, w],
                Distribution::Normal(0.0, 1.0),
                &device,
            )
            .require_grad();
            // Parameters are initialised lazily, on first use: do it once, before the clones.
            let _ = block.forward(input.clone());
            let run = |algorithm: ConvAlgorithm| {
                let block = block.clone().with_algorithm(algorithm);
                let y = block.forward(input.clone());
                let weights = Tensor::<Train, 1, Int>::arange(
                    0..y.dims().iter().product::<usize>() as i64,
                    &device,
                )
                .float()
                .reshape(y.dims())
                .sin();
                let grads = (y.clone() * weights).sum().backward();
                let mut values = vec![
                    y.inner().into_data(),
                    input.grad(&grads).unwrap().into_data(),
                    block.conv.weight.grad(&grads).unwrap().into_data(),
                    block
                        .conv
                        .bias
                        .as_ref()
                        .unwrap()
                        .grad(&grads)
                        .unwrap()
                        .into_data(),
                ];
                if let Some(norm) = &block.norm {
                    values.push(norm.gamma.grad(&grads).unwrap().into_data());
                    values.push(norm.beta.grad(&grads).unwrap().into_data());
                }
                values
            };
            let (tensor, host) = (run(ConvAlgorithm::Im2col), run(ConvAlgorithm::Host));
            let tolerance = Tolerance::<f32>::relative(1e-4).set_absolute(1e-4);
            for (a, b) in tensor.iter().zip(&host) {
                a.assert_approx_eq::<f32>(b, tolerance);
            }
        }
    }

    /// The host batch-norm updates the running statistics as burn's does, and inference (the
    /// plain backend, running statistics) agrees too.
    #[test]
    fn host_batch_norm_running_statistics_and_inference() {
        use burn::module::{AutodiffModule, Module};
        use burn::tensor::Tolerance;
        type Train = burn_autodiff::Autodiff<TestBackend>;
        let device = Default::default();
        let config = ConvBlockConfig::new(3, 4, 3)
            .with_padding(1)
            .with_batch_norm(true);
        let input =
            Tensor::<Train, 4>::random([5, 3, 9, 8], Distribution::Normal(1.0, 2.0), &device);
        // Both blocks load the record of one initialised block (the same parameters, separate
        // running statistics), then run two training-mode forward passes.
        let base = config.init::<Train>(&device);
        base.forward(input.clone());
        let block = |algorithm| {
            let block = config
                .init::<Train>(&device)
                .load_record(base.clone().into_record())
                .with_algorithm(algorithm);
            block.forward(input.clone());
            block.forward(input.clone());
            block
        };
        let (tensor, host) = (block(ConvAlgorithm::Im2col), block(ConvAlgorithm::Host));
        let tolerance = Tolerance::<f32>::relative(1e-4).set_absolute(1e-5);
        let (a, b) = (tensor.norm.as_ref().unwrap(), host.norm.as_ref().unwrap());
        a.running_mean
            .value()
            .into_data()
            .assert_approx_eq::<f32>(&b.running_mean.value().into_data(), tolerance);
        a.running_var
            .value()
            .into_data()
            .assert_approx_eq::<f32>(&b.running_var.value().into_data(), tolerance);
        let (tensor, host) = (tensor.valid(), host.valid());
        assert!(host.algorithm().runs_on_host::<TestBackend>());
        let input = input.inner();
        tensor
            .forward(input.clone())
            .into_data()
            .assert_approx_eq::<f32>(&host.forward(input).into_data(), tolerance);
    }

    #[test]
    fn batch_norm_is_optional() {
        let device = Default::default();
        let with_bn = ConvBlockConfig::new(1, 4, 3)
            .with_batch_norm(true)
            .init::<TestBackend>(&device);
        assert!(with_bn.norm.is_some() && with_bn.pool.is_some());
        let plain = ConvBlockConfig::new(1, 4, 3)
            .with_pool(1)
            .init::<TestBackend>(&device);
        assert!(plain.norm.is_none() && plain.pool.is_none());
    }

    #[test]
    fn output_is_non_negative_after_relu_and_pool() {
        let device = Default::default();
        let block = ConvBlockConfig::new(1, 4, 3)
            .with_padding(1)
            .init::<TestBackend>(&device);
        let input =
            Tensor::<TestBackend, 4>::random([2, 1, 8, 8], Distribution::Normal(0.0, 1.0), &device);
        let min = block.forward(input).min().into_scalar();
        assert!(min >= 0.0, "ReLU output has a negative value {min}");
    }
}
