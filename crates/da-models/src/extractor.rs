//! The convolutional feature extractor.

use burn::config::Config;
use burn::module::Module;
use burn::tensor::{Tensor, backend::Backend};

use crate::arch::Arch;
use crate::conv_algorithm::ConvAlgorithm;
use crate::conv_block::ConvBlock;
use crate::error::ModelError;
use crate::residual_block::ResidualBlock;

/// Configuration of a [`FeatureExtractor`]: the preset [`Arch`] and the input image size.
///
/// | field | default | purpose | range |
/// |---|---|---|---|
/// | `arch` | [`Arch::Lenet`] | which conv blocks | |
/// | `in_channels` | `1` | image channels (1 gray, 3 RGB) | >= 1 |
/// | `height`, `width` | `16` | image size in pixels | >= [`Arch::min_input_side`] |
/// | `conv` | [`ConvAlgorithm::Host`] | how convolutions are computed | |
#[derive(Config, Debug)]
pub struct FeatureExtractorConfig {
    /// The preset architecture.
    #[config(default = "Arch::Lenet")]
    pub arch: Arch,
    /// Channels of the input images.
    #[config(default = 1)]
    pub in_channels: usize,
    /// Height of the input images.
    #[config(default = 16)]
    pub height: usize,
    /// Width of the input images.
    #[config(default = 16)]
    pub width: usize,
    /// How the convolutions are computed.
    #[config(default = "ConvAlgorithm::Host")]
    pub conv: ConvAlgorithm,
}

impl FeatureExtractorConfig {
    /// The `[channels, height, width]` of the last block's output map.
    ///
    /// # Errors
    /// [`ModelError::InvalidInChannels`] for zero channels, [`ModelError::InputTooSmall`] when a
    /// block would output an empty map (naming the block, the sizes and the smallest input).
    pub fn output_shape(&self) -> Result<[usize; 3], ModelError> {
        if self.in_channels == 0 {
            return Err(ModelError::InvalidInChannels(self.in_channels));
        }
        let (mut h, mut w) = (self.height, self.width);
        let mut channels = self.in_channels;
        for (index, block) in self.arch.blocks(self.in_channels).iter().enumerate() {
            (h, w) = block.output_size(h, w);
            channels = block.out_channels;
            if h == 0 || w == 0 {
                let min = self.arch.min_input_side();
                return Err(ModelError::InputTooSmall {
                    arch: self.arch,
                    height: self.height,
                    width: self.width,
                    block: index + 1,
                    out_height: h,
                    out_width: w,
                    min_height: min,
                    min_width: min,
                });
            }
        }
        // The residual stages never empty a non-empty map (3x3 convolutions with padding 1).
        for block in self.arch.residual_blocks(self.in_channels) {
            (h, w) = block.output_size(h, w);
            channels = block.out_channels;
        }
        if self.arch.global_average_pool() {
            (h, w) = (1, 1);
        }
        Ok([channels, h, w])
    }

    /// The width of the flattened features, `channels * height * width` of the last map.
    ///
    /// # Errors
    /// As [`output_shape`](Self::output_shape).
    pub fn flat_dim(&self) -> Result<usize, ModelError> {
        self.output_shape().map(|[c, h, w]| c * h * w)
    }

    /// Checks the configuration and builds the extractor.
    ///
    /// # Errors
    /// As [`output_shape`](Self::output_shape).
    pub fn try_init<B: Backend>(
        &self,
        device: &B::Device,
    ) -> Result<FeatureExtractor<B>, ModelError> {
        let flat_dim = self.flat_dim()?;
        let blocks = self
            .arch
            .blocks(self.in_channels)
            .iter()
            .map(|block| block.clone().with_algorithm(self.conv).init(device))
            .collect();
        let residual = self
            .arch
            .residual_blocks(self.in_channels)
            .iter()
            .map(|block| block.clone().with_algorithm(self.conv).init(device))
            .collect();
        Ok(FeatureExtractor {
            blocks,
            residual,
            global_average_pool: self.arch.global_average_pool(),
            in_channels: self.in_channels,
            height: self.height,
            width: self.width,
            flat_dim,
        })
    }

    /// Builds the extractor.
    ///
    /// # Panics
    /// With the message of the [`ModelError`] that [`try_init`](Self::try_init) returns.
    pub fn init<B: Backend>(&self, device: &B::Device) -> FeatureExtractor<B> {
        self.try_init(device).unwrap_or_else(|err| panic!("{err}"))
    }
}

/// A stack of [`ConvBlock`]s, then [`ResidualBlock`]s (for the ResNet preset), followed by a
/// flatten or a global average pool, built by [`FeatureExtractorConfig`].
#[derive(Module, Debug)]
pub struct FeatureExtractor<B: Backend> {
    /// The convolution blocks, applied in order.
    pub blocks: Vec<ConvBlock<B>>,
    /// The residual blocks applied after the convolution blocks (empty for the plain presets).
    pub residual: Vec<ResidualBlock<B>>,
    global_average_pool: bool,
    in_channels: usize,
    height: usize,
    width: usize,
    flat_dim: usize,
}

impl<B: Backend> FeatureExtractor<B> {
    /// The width of the flattened output.
    pub fn flat_dim(&self) -> usize {
        self.flat_dim
    }

    /// The `[channels, height, width]` of the images the extractor was built for.
    pub fn input_shape(&self) -> [usize; 3] {
        [self.in_channels, self.height, self.width]
    }

    /// The last block's output map, before flattening (`1 x 1` after a global average pool).
    ///
    /// # Shapes
    /// - `images`: `[batch_size, in_channels, height, width]`
    /// - output: `[batch_size, channels, out_height, out_width]`
    ///
    /// # Panics
    /// If `images` does not have the configured channels, height and width.
    pub fn forward_map(&self, images: Tensor<B, 4>) -> Tensor<B, 4> {
        let [_, c, h, w] = images.dims();
        assert!(
            [c, h, w] == self.input_shape(),
            "the feature extractor was built for [batch, {}, {}, {}] images, got {:?}",
            self.in_channels,
            self.height,
            self.width,
            images.dims()
        );
        let x = self.blocks.iter().fold(images, |x, block| block.forward(x));
        let x = self.residual.iter().fold(x, |x, block| block.forward(x));
        if self.global_average_pool {
            x.mean_dim(2).mean_dim(3)
        } else {
            x
        }
    }

    /// The flattened features (row-major over channels, height, width, like PyTorch's
    /// `x.view(x.size(0), -1)`).
    ///
    /// # Shapes
    /// - `images`: `[batch_size, in_channels, height, width]`
    /// - output: `[batch_size, flat_dim]`
    ///
    /// # Panics
    /// If `images` does not have the configured channels, height and width.
    pub fn forward(&self, images: Tensor<B, 4>) -> Tensor<B, 2> {
        self.forward_map(images).flatten(1, 3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Distribution;
    use burn_ndarray::NdArray;

    type TestBackend = NdArray<f32>;

    fn flat_width(arch: Arch, channels: usize, height: usize, width: usize) -> usize {
        let config = FeatureExtractorConfig::new()
            .with_arch(arch)
            .with_in_channels(channels)
            .with_height(height)
            .with_width(width);
        let device = Default::default();
        let extractor = config.init::<TestBackend>(&device);
        let images = Tensor::random([2, channels, height, width], Distribution::Default, &device);
        let features = extractor.forward(images);
        assert_eq!(features.dims(), [2, extractor.flat_dim()]);
        assert_eq!(config.flat_dim(), Ok(extractor.flat_dim()));
        extractor.flat_dim()
    }

    #[test]
    fn lenet_widths() {
        // 16 -> 8 -> 4: 64 * 4 * 4; 28 -> 14 -> 7: 64 * 7 * 7; MFEAT 16 high, 15 wide:
        // 16 -> 8 -> 4 by 15 -> 7 -> 3; OPTDIGITS 8 -> 4 -> 2.
        assert_eq!(flat_width(Arch::Lenet, 1, 16, 16), 1024);
        assert_eq!(flat_width(Arch::Lenet, 1, 28, 28), 3136);
        assert_eq!(flat_width(Arch::Lenet, 1, 16, 15), 64 * 4 * 3);
        assert_eq!(flat_width(Arch::Lenet, 1, 8, 8), 256);
        assert_eq!(flat_width(Arch::Lenet, 3, 4, 4), 64);
    }

    #[test]
    fn net_only_width_is_the_seeds_1024() {
        // 128 -> 64 -> 32 -> 16 -> 8 -> 8 -> 4: 64 * 4 * 4.
        assert_eq!(flat_width(Arch::NetOnly, 3, 128, 128), 1024);
        // 64 -> 32 -> 16 -> 8 -> 4 -> 4 -> 2 by 96 -> 48 -> 24 -> 12 -> 6 -> 6 -> 3.
        assert_eq!(flat_width(Arch::NetOnly, 1, 64, 96), 64 * 2 * 3);
    }

    #[test]
    fn resnet10_width_does_not_depend_on_the_size() {
        // 64 -> stem pool 32 -> 32, 16, 8, 4 -> global pool: 256 whatever the input.
        assert_eq!(flat_width(Arch::Resnet10, 3, 64, 64), 256);
        assert_eq!(flat_width(Arch::Resnet10, 1, 28, 28), 256);
        assert_eq!(flat_width(Arch::Resnet10, 3, 2, 3), 256);
        let config = FeatureExtractorConfig::new()
            .with_arch(Arch::Resnet10)
            .with_in_channels(3)
            .with_height(64)
            .with_width(48);
        assert_eq!(config.output_shape(), Ok([256, 1, 1]));
    }

    #[test]
    fn wide_widths() {
        // 16 -> 8 -> 4 -> 2: 256 * 2 * 2; 28 -> 14 -> 7 -> 3: 256 * 3 * 3.
        assert_eq!(flat_width(Arch::Wide, 1, 16, 16), 1024);
        assert_eq!(flat_width(Arch::Wide, 3, 28, 28), 2304);
        assert_eq!(flat_width(Arch::Wide, 3, 8, 8), 256);
    }

    #[test]
    fn too_small_inputs_name_the_block_and_the_sizes() {
        let err = FeatureExtractorConfig::new()
            .with_height(3)
            .with_width(16)
            .flat_dim()
            .unwrap_err();
        assert_eq!(
            err,
            ModelError::InputTooSmall {
                arch: Arch::Lenet,
                height: 3,
                width: 16,
                block: 2,
                out_height: 0,
                out_width: 4,
                min_height: 4,
                min_width: 4,
            }
        );
        assert_eq!(
            err.to_string(),
            "a 3x16 input is too small for the lenet extractor: conv block 2 would output a 0x4 \
             map; lenet needs inputs of at least 4x4"
        );
        let zero = FeatureExtractorConfig::new().with_width(0).output_shape();
        assert!(matches!(
            zero,
            Err(ModelError::InputTooSmall {
                block: 1,
                width: 0,
                ..
            })
        ));
        let channels = FeatureExtractorConfig::new()
            .with_in_channels(0)
            .output_shape();
        assert_eq!(channels, Err(ModelError::InvalidInChannels(0)));
    }

    #[test]
    #[should_panic(expected = "built for [batch, 1, 16, 16] images, got [2, 1, 28, 28]")]
    fn wrong_image_size_panics_with_both_shapes() {
        let device = Default::default();
        let extractor = FeatureExtractorConfig::new().init::<TestBackend>(&device);
        extractor.forward(Tensor::zeros([2, 1, 28, 28], &device));
    }
}
