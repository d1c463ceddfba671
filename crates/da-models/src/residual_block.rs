//! One residual block of a ResNet: two 3x3 convolutions with batch-norm and a shortcut.

use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, PaddingConfig2d};
use burn::tensor::activation::relu;
use burn::tensor::{Tensor, backend::Backend};

use crate::conv_algorithm::ConvAlgorithm;

/// Configuration of a [`ResidualBlock`], the "basic block" of He et al., "Deep Residual Learning
/// for Image Recognition" (CVPR 2016), as in torchvision's `BasicBlock`:
///
/// ```text
/// out = ReLU( BN(conv3x3(ReLU(BN(conv3x3/stride(x))))) + shortcut(x) )
/// ```
///
/// The shortcut is the identity when the block keeps the channels and the size, otherwise a 1x1
/// convolution with the block's stride followed by batch-norm (torchvision's `downsample`). The
/// convolutions have no bias (each is followed by batch-norm), as in torchvision.
///
/// | field | default | purpose |
/// |---|---|---|
/// | `in_channels`, `out_channels` | required | channels in and out of the block |
/// | `stride` | `1` | stride of the first convolution and of the shortcut (2 halves the size) |
/// | `algorithm` | [`ConvAlgorithm::Host`] | how the convolutions are computed |
#[derive(Config, Debug)]
pub struct ResidualBlockConfig {
    /// Channels of the input map.
    pub in_channels: usize,
    /// Channels of the output map.
    pub out_channels: usize,
    /// Stride of the first convolution and of the projection shortcut.
    #[config(default = 1)]
    pub stride: usize,
    /// How the convolutions are computed (the parameters are the same either way).
    #[config(default = "ConvAlgorithm::Host")]
    pub algorithm: ConvAlgorithm,
}

impl ResidualBlockConfig {
    /// The `(height, width)` of the block's output for an input of `height x width`:
    /// `floor((n - 1) / stride) + 1` (a 3x3 convolution with padding 1), 0 for an empty input.
    pub fn output_size(&self, height: usize, width: usize) -> (usize, usize) {
        let side = |n: usize| {
            if n == 0 || self.stride == 0 {
                0
            } else {
                (n - 1) / self.stride + 1
            }
        };
        (side(height), side(width))
    }

    /// Whether the shortcut is a projection (1x1 convolution and batch-norm) rather than the
    /// identity.
    pub fn projects(&self) -> bool {
        self.stride != 1 || self.in_channels != self.out_channels
    }

    /// Builds the block on `device`.
    ///
    /// # Panics
    /// If a size is zero (burn's layer configurations reject those).
    pub fn init<B: Backend>(&self, device: &B::Device) -> ResidualBlock<B> {
        assert!(
            self.in_channels > 0 && self.out_channels > 0 && self.stride > 0,
            "residual block sizes must be at least 1, got in_channels {}, out_channels {}, \
             stride {}",
            self.in_channels,
            self.out_channels,
            self.stride
        );
        let conv = |in_channels, kernel: usize, stride, padding| {
            Conv2dConfig::new([in_channels, self.out_channels], [kernel, kernel])
                .with_stride([stride, stride])
                .with_padding(PaddingConfig2d::Explicit(
                    padding, padding, padding, padding,
                ))
                .with_bias(false)
                .init(device)
        };
        let norm = || BatchNormConfig::new(self.out_channels).init(device);
        ResidualBlock {
            conv1: conv(self.in_channels, 3, self.stride, 1),
            norm1: norm(),
            conv2: conv(self.out_channels, 3, 1, 1),
            norm2: norm(),
            shortcut: self.projects().then(|| Shortcut {
                conv: conv(self.in_channels, 1, self.stride, 0),
                norm: norm(),
            }),
            stride: self.stride,
            algorithm: self.algorithm,
        }
    }
}

/// The projection shortcut of a [`ResidualBlock`]: a 1x1 convolution and batch-norm.
#[derive(Module, Debug)]
pub struct Shortcut<B: Backend> {
    /// The 1x1 convolution, with the block's stride and no bias.
    pub conv: Conv2d<B>,
    /// The batch-norm after it.
    pub norm: BatchNorm<B>,
}

/// A ResNet basic block, built by [`ResidualBlockConfig`].
///
/// The batch-norms follow burn's convention: batch statistics (and running-statistics updates)
/// on an autodiff backend, running statistics otherwise (e.g. after `model.valid()`). With
/// [`ConvAlgorithm::Host`] on burn-ndarray the convolutions and batch-norms run on da-models'
/// host kernels; the additions and ReLUs are tensor operations.
#[derive(Module, Debug)]
pub struct ResidualBlock<B: Backend> {
    /// The first 3x3 convolution (the block's stride, padding 1).
    pub conv1: Conv2d<B>,
    /// The batch-norm after the first convolution.
    pub norm1: BatchNorm<B>,
    /// The second 3x3 convolution (stride 1, padding 1).
    pub conv2: Conv2d<B>,
    /// The batch-norm after the second convolution.
    pub norm2: BatchNorm<B>,
    /// The projection shortcut, `None` for the identity.
    pub shortcut: Option<Shortcut<B>>,
    stride: usize,
    #[module(skip)]
    algorithm: ConvAlgorithm,
}

impl<B: Backend> ResidualBlock<B> {
    /// The same block computing its convolutions with `algorithm`.
    pub fn with_algorithm(mut self, algorithm: ConvAlgorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// Applies the block.
    ///
    /// # Shapes
    /// - `input`: `[batch_size, in_channels, height, width]`
    /// - output: `[batch_size, out_channels, out_height, out_width]`, see
    ///   [`ResidualBlockConfig::output_size`]
    pub fn forward(&self, input: Tensor<B, 4>) -> Tensor<B, 4> {
        let x = self.conv_norm(&self.conv1, &self.norm1, input.clone(), self.stride, 1);
        let x = self.conv_norm(&self.conv2, &self.norm2, relu(x), 1, 1);
        let shortcut = match &self.shortcut {
            Some(shortcut) => self.conv_norm(&shortcut.conv, &shortcut.norm, input, self.stride, 0),
            None => input,
        };
        relu(x + shortcut)
    }

    /// `norm(conv(input))`, on the host kernels where they run.
    fn conv_norm(
        &self,
        conv: &Conv2d<B>,
        norm: &BatchNorm<B>,
        input: Tensor<B, 4>,
        stride: usize,
        padding: usize,
    ) -> Tensor<B, 4> {
        let x = self
            .algorithm
            .conv2d(input, conv.weight.val(), None, stride, padding);
        #[cfg(feature = "ndarray")]
        if self.algorithm.runs_on_host::<B>() {
            return crate::host::batch_norm(norm, x, None);
        }
        norm.forward(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Distribution, Int, Tolerance};
    use burn_autodiff::Autodiff;
    use burn_ndarray::NdArray;

    type TestBackend = NdArray<f32>;
    type TestAutodiff = Autodiff<NdArray<f32>>;

    #[test]
    fn output_size_and_shortcut_kind() {
        let same = ResidualBlockConfig::new(8, 8);
        assert_eq!(same.output_size(15, 16), (15, 16));
        assert!(!same.projects());
        // torchvision: BasicBlock(8, 16, stride=2) on 15x16 -> 8x8, with a downsample.
        let down = ResidualBlockConfig::new(8, 16).with_stride(2);
        assert_eq!(down.output_size(15, 16), (8, 8));
        assert_eq!(down.output_size(1, 0), (1, 0));
        assert!(down.projects());
        assert!(ResidualBlockConfig::new(8, 16).projects());
    }

    #[test]
    fn forward_shape_matches_output_size() {
        let device = Default::default();
        for (config, h, w) in [
            (ResidualBlockConfig::new(3, 3), 9, 7),
            (ResidualBlockConfig::new(3, 8).with_stride(2), 9, 7),
            (ResidualBlockConfig::new(4, 6), 5, 5),
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

    /// The identity shortcut adds the input: with the second batch-norm's scale at zero the
    /// block is `ReLU(input)`.
    #[test]
    fn identity_shortcut_adds_the_input() {
        let device = Default::default();
        let mut block = ResidualBlockConfig::new(4, 4).init::<TestBackend>(&device);
        block.norm2.gamma = block.norm2.gamma.map(|gamma| gamma.zeros_like());
        let input =
            Tensor::<TestBackend, 4>::random([2, 4, 6, 5], Distribution::Normal(0.0, 1.0), &device);
        block
            .forward(input.clone())
            .into_data()
            .assert_approx_eq::<f32>(&relu(input).into_data(), Tolerance::default());
    }

    /// Output and every gradient (input and all parameters) are the same with the host kernels
    /// and with tensor operations, for both kinds of shortcut.
    #[test]
    fn host_and_tensor_paths_agree_with_gradients() {
        let device = Default::default();
        for config in [
            ResidualBlockConfig::new(3, 3),
            ResidualBlockConfig::new(3, 6).with_stride(2),
        ] {
            let block = config.init::<TestAutodiff>(&device);
            let input = Tensor::<TestAutodiff, 4>::random(
                [3, config.in_channels, 7, 6],
                Distribution::Normal(0.0, 1.0),
                &device,
            )
            .require_grad();
            // Parameters are initialised lazily, on first use: do it once, before the clones.
            let _ = block.forward(input.clone());
            let run = |algorithm: ConvAlgorithm| {
                let block = block.clone().with_algorithm(algorithm);
                let y = block.forward(input.clone());
                let weights = Tensor::<TestAutodiff, 1, Int>::arange(
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
                    block.conv1.weight.grad(&grads).unwrap().into_data(),
                    block.conv2.weight.grad(&grads).unwrap().into_data(),
                    block.norm1.gamma.grad(&grads).unwrap().into_data(),
                    block.norm2.beta.grad(&grads).unwrap().into_data(),
                ];
                if let Some(shortcut) = &block.shortcut {
                    values.push(shortcut.conv.weight.grad(&grads).unwrap().into_data());
                    values.push(shortcut.norm.gamma.grad(&grads).unwrap().into_data());
                }
                values
            };
            let (tensor, host) = (run(ConvAlgorithm::Im2col), run(ConvAlgorithm::Host));
            assert_eq!(tensor.len(), if config.projects() { 8 } else { 6 });
            let tolerance = Tolerance::<f32>::relative(1e-4).set_absolute(1e-4);
            for (a, b) in tensor.iter().zip(&host) {
                a.assert_approx_eq::<f32>(b, tolerance);
            }
        }
    }
}
