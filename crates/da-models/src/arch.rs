//! The preset feature-extractor architectures.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::conv_block::ConvBlockConfig;
use crate::error::ModelError;
use crate::residual_block::ResidualBlockConfig;

/// Which convolutional feature extractor a [`DaNetConfig`](crate::DaNetConfig) builds.
///
/// Every block is `conv -> [batch-norm] -> ReLU -> [max-pool p x p (stride p)]` (a max-pool
/// commutes with the ReLU, so `conv -> pool -> ReLU` networks are the same function); the
/// flattened width of the last map depends on the input size and is computed, never fixed
/// ([`FeatureExtractorConfig::output_shape`](crate::FeatureExtractorConfig::output_shape)).
/// Every preset takes any number of input channels (1 grey, 3 colour).
///
/// | arch | blocks (out channels, kernel / stride / padding, pool) | batch-norm | input side | bottleneck | flat width |
/// |---|---|---|---|---|---|
/// | `lenet` | 32 5/1/2 p2, 64 5/1/2 p2 | no | 16 (>= 4) | 256 | 16x16: 1024, 28x28: 3136 |
/// | `tllib_lenet` | 20 5/1/0 p2, 50 5/1/0 p2 | no | 28 (>= 16) | 500 | 28x28: 800 |
/// | `dann_digits` | 32 5/1/0 p2, 48 5/1/0 p2 | no | 28 (>= 16) | 100 | 28x28: 768 |
/// | `dtn` | 64 5/2/2, 128 5/2/2, 256 5/2/2 | yes | 32 (>= 1) | 512 | 32x32: 4096 |
/// | `net_only` | 32 3/2/1 p2, 64 3/2/1 p2, 64 3/1/1 p2 | yes | 128 (>= 27) | 256 | 128x128: 1024 |
/// | `wide` | 64 3/1/1 p2, 128 3/1/1 p2, 256 3/1/1 p2 | yes | 28 (>= 8) | 256 | 28x28: 2304 |
/// | `resnet10` | 32 3/1/1 p2, then residual stages 32 /1, 64 /2, 128 /2, 256 /2, global average pool | yes | 64 (>= 2) | 256 | any size: 256 |
///
/// The "input side" is [`default_side`](Arch::default_side), what a training run resamples its
/// images to unless told otherwise, and the bottleneck is
/// [`default_bottleneck`](Arch::default_bottleneck), both from the network's source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arch {
    /// LeNet-style digits network: two 5x5 convolutions (32 and 64 filters, padding 2), each
    /// followed by ReLU and a 2x2 max-pool, as in TensorFlow's MNIST tutorial network.
    /// Cheap enough to train on a CPU.
    Lenet,
    /// The LeNet of the Transfer-Learning-Library's digit benchmarks
    /// (`tllib.vision.models.digits.lenet`, after LeCun et al. 1998): 5x5 convolutions with 20
    /// and 50 filters without padding, each followed by a 2x2 max-pool and ReLU, so 28x28 becomes
    /// 50x4x4 = 800 features, then a 500-wide bottleneck. tllib's 2-D dropout after the second
    /// convolution is left out (set `dropout` for the bottleneck instead).
    TllibLenet,
    /// The MNIST -> MNIST-M network of Ganin et al., "Domain-Adversarial Training of Neural
    /// Networks" (JMLR 2016, figure 4): 5x5 convolutions with 32 and 48 filters, each followed
    /// by ReLU and a 2x2 max-pool (28x28 -> 48x4x4 = 768 features). The paper's label predictor
    /// has two 100-wide hidden layers; here it is the 100-wide bottleneck and the classifier.
    DannDigits,
    /// The DTN of the Transfer-Learning-Library's SVHN -> MNIST benchmark (after Taigman et al.,
    /// "Unsupervised Cross-Domain Image Generation", ICLR 2017): three 5x5 convolutions with
    /// stride 2 and padding 2 (64, 128 and 256 filters), each followed by batch-norm and ReLU,
    /// no pooling, so 32x32 becomes 256x4x4 = 4096 features, then a 512-wide bottleneck.
    /// tllib's dropout between the blocks is left out.
    Dtn,
    /// The seed blog post's `Net_only` extractor for 3x128x128 images: three 3x3 convolutions
    /// with 32, 64 and 64 filters (strides 2, 2, 1, padding 1), each followed by batch-norm,
    /// ReLU and a 2x2 max-pool, so that 128x128 becomes 64x4x4 = 1024 features, the width of
    /// the seed's first fully connected layer (`1024 -> 256 -> classes`).
    NetOnly,
    /// A wider CNN for RGB or gray inputs: three 3x3 convolutions (64, 128 and 256 filters,
    /// padding 1), each followed by batch-norm, ReLU and a 2x2 max-pool.
    Wide,
    /// A small ResNet for photos (Office-31-like folders) on a CPU: the ResNet-10 layout of
    /// He et al., "Deep Residual Learning for Image Recognition" (CVPR 2016), that is ResNet-18
    /// with one basic block per stage instead of two, at half its widths (32, 64, 128, 256
    /// instead of 64-512). A 3x3 stem convolution (32 filters, batch-norm, ReLU, 2x2 max-pool)
    /// replaces ResNet's 7x7 stride-2 stem and its pool, which suits 64x64 inputs (the stem
    /// leaves 32x32, the stages 32, 16, 8, 4); each stage is a
    /// [`ResidualBlock`](crate::ResidualBlock) (stride 2 from the second stage on, with a
    /// projection shortcut), and a global average pool gives 256 features whatever the input
    /// size, as in torchvision's `resnet18` (`avgpool`, then 512 features there).
    Resnet10,
}

/// One block of a preset: (out channels, kernel, stride, padding, pool).
type Layer = (usize, usize, usize, usize, usize);

impl Arch {
    /// Every architecture, in declaration order.
    pub const ALL: [Arch; 7] = [
        Arch::Lenet,
        Arch::TllibLenet,
        Arch::DannDigits,
        Arch::Dtn,
        Arch::NetOnly,
        Arch::Wide,
        Arch::Resnet10,
    ];

    /// The snake-case name used on command lines and in configuration files.
    pub fn name(self) -> &'static str {
        match self {
            Arch::Lenet => "lenet",
            Arch::TllibLenet => "tllib_lenet",
            Arch::DannDigits => "dann_digits",
            Arch::Dtn => "dtn",
            Arch::NetOnly => "net_only",
            Arch::Wide => "wide",
            Arch::Resnet10 => "resnet10",
        }
    }

    /// The image side the network is made for: 28 for the digit networks of the literature
    /// (MNIST's size), 16 for the project's small `lenet` (the default, sized for a 2-core CPU),
    /// 32 for the DTN (SVHN's), 128 for `net_only` (the seed's), 64 for `resnet10` (photos at a
    /// size a CPU trains in minutes).
    pub fn default_side(self) -> usize {
        match self {
            // Measured on the main job (MNIST -> MFEAT, 8 epochs, 2-core CPU): 16x16 runs in
            // 44 s, 28x28 in 136 s, over the job's 2-minute budget.
            Arch::Lenet => 16,
            Arch::TllibLenet | Arch::DannDigits | Arch::Wide => 28,
            Arch::Dtn => 32,
            Arch::NetOnly => 128,
            Arch::Resnet10 => 64,
        }
    }

    /// The bottleneck (feature) width of the network's source: 500 for tllib's LeNet, 100 for
    /// DANN's digits network, 512 for the DTN, 256 otherwise.
    pub fn default_bottleneck(self) -> usize {
        match self {
            Arch::TllibLenet => 500,
            Arch::DannDigits => 100,
            Arch::Dtn => 512,
            Arch::Lenet | Arch::NetOnly | Arch::Wide | Arch::Resnet10 => 256,
        }
    }

    fn layers(self) -> (&'static [Layer], bool) {
        match self {
            Arch::Lenet => (&[(32, 5, 1, 2, 2), (64, 5, 1, 2, 2)], false),
            Arch::TllibLenet => (&[(20, 5, 1, 0, 2), (50, 5, 1, 0, 2)], false),
            Arch::DannDigits => (&[(32, 5, 1, 0, 2), (48, 5, 1, 0, 2)], false),
            Arch::Dtn => (
                &[(64, 5, 2, 2, 1), (128, 5, 2, 2, 1), (256, 5, 2, 2, 1)],
                true,
            ),
            Arch::NetOnly => (
                &[(32, 3, 2, 1, 2), (64, 3, 2, 1, 2), (64, 3, 1, 1, 2)],
                true,
            ),
            Arch::Wide => (
                &[(64, 3, 1, 1, 2), (128, 3, 1, 1, 2), (256, 3, 1, 1, 2)],
                true,
            ),
            Arch::Resnet10 => (&[(32, 3, 1, 1, 2)], true),
        }
    }

    /// The residual stages after the plain blocks, as (out channels, stride); empty for the
    /// networks without shortcuts.
    fn stages(self) -> &'static [(usize, usize)] {
        match self {
            Arch::Resnet10 => &[(32, 1), (64, 2), (128, 2), (256, 2)],
            _ => &[],
        }
    }

    /// Whether the last map is averaged over its height and width (a global average pool)
    /// instead of flattened, so that the feature width does not depend on the input size.
    pub fn global_average_pool(self) -> bool {
        self == Arch::Resnet10
    }

    /// The convolution blocks of this architecture for images with `in_channels` channels.
    pub fn blocks(self, in_channels: usize) -> Vec<ConvBlockConfig> {
        let (layers, batch_norm) = self.layers();
        let mut channels = in_channels;
        layers
            .iter()
            .map(|&(out, kernel, stride, padding, pool)| {
                let block = ConvBlockConfig::new(channels, out, kernel)
                    .with_stride(stride)
                    .with_padding(padding)
                    .with_batch_norm(batch_norm)
                    .with_pool(pool);
                channels = out;
                block
            })
            .collect()
    }

    /// The residual blocks that follow [`blocks`](Self::blocks), for images with `in_channels`
    /// channels; empty for the networks without shortcuts.
    pub fn residual_blocks(self, in_channels: usize) -> Vec<ResidualBlockConfig> {
        let mut channels = self
            .blocks(in_channels)
            .last()
            .map_or(in_channels, |block| block.out_channels);
        self.stages()
            .iter()
            .map(|&(out, stride)| {
                let block = ResidualBlockConfig::new(channels, out).with_stride(stride);
                channels = out;
                block
            })
            .collect()
    }

    /// The smallest input side that leaves every block's output non-empty.
    pub fn min_input_side(self) -> usize {
        let (blocks, residual) = (self.blocks(1), self.residual_blocks(1));
        (1..)
            .find(|&side| {
                let mut n = side;
                blocks.iter().all(|block| {
                    n = block.output_size(n, n).0;
                    n > 0
                }) && residual.iter().all(|block| {
                    n = block.output_size(n, n).0;
                    n > 0
                })
            })
            .expect("every preset accepts some finite input size")
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Arch {
    type Err = ModelError;

    /// Parses a name as written by [`Arch::name`] (`-` is accepted for `_`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let normalised = s.trim().to_ascii_lowercase().replace('-', "_");
        Arch::ALL
            .into_iter()
            .find(|arch| arch.name() == normalised)
            .ok_or_else(|| ModelError::UnknownName {
                what: "architecture",
                got: s.to_string(),
                expected: "lenet, tllib_lenet, dann_digits, dtn, net_only, wide, resnet10",
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for arch in Arch::ALL {
            assert_eq!(arch.name().parse::<Arch>(), Ok(arch));
            assert_eq!(arch.to_string(), arch.name());
            let json = serde_json::to_string(&arch).unwrap();
            assert_eq!(json, format!("\"{}\"", arch.name()));
            assert_eq!(serde_json::from_str::<Arch>(&json).unwrap(), arch);
        }
        assert_eq!("Net-Only".parse::<Arch>(), Ok(Arch::NetOnly));
    }

    #[test]
    fn unknown_name_is_an_error_that_names_it() {
        let err = "resnet".parse::<Arch>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown architecture `resnet`; expected one of: lenet, tllib_lenet, dann_digits, dtn, net_only, \
             wide, resnet10"
        );
    }

    #[test]
    fn blocks_chain_their_channels() {
        for arch in Arch::ALL {
            let blocks = arch.blocks(3);
            assert_eq!(blocks[0].in_channels, 3);
            for pair in blocks.windows(2) {
                assert_eq!(pair[0].out_channels, pair[1].in_channels, "{arch}");
            }
        }
    }

    #[test]
    fn residual_stages_chain_their_channels() {
        let stages = Arch::Resnet10.residual_blocks(3);
        assert_eq!(stages.len(), 4);
        assert_eq!(
            stages[0].in_channels,
            Arch::Resnet10.blocks(3)[0].out_channels
        );
        assert!(!stages[0].projects() && stages[1..].iter().all(|stage| stage.projects()));
        for pair in stages.windows(2) {
            assert_eq!(pair[0].out_channels, pair[1].in_channels);
        }
        assert!(Arch::Lenet.residual_blocks(1).is_empty());
    }

    #[test]
    fn smallest_inputs() {
        // lenet: 4 -> 2 -> 1; 3 -> 1 -> 0.
        assert_eq!(Arch::Lenet.min_input_side(), 4);
        // net_only (conv stride 2: n -> ceil(n / 2); pool: floor(n / 2)), conv/pool per block:
        // 27 -> 14 -> 7 -> 4 -> 2 -> 2 -> 1; 26 -> 13 -> 6 -> 3 -> 1 -> 1 -> 0.
        assert_eq!(Arch::NetOnly.min_input_side(), 27);
        // wide: 8 -> 4 -> 2 -> 1; 7 -> 3 -> 1 -> 0.
        assert_eq!(Arch::Wide.min_input_side(), 8);
        // resnet10: the stem's pool 2 -> 1, then stride-2 stages keep 1; 1 -> 0 at the pool.
        assert_eq!(Arch::Resnet10.min_input_side(), 2);
        // tllib_lenet / dann_digits (conv 5 without padding, pool 2):
        // 16 -> 12 -> 6 -> 2 -> 1; 15 -> 11 -> 5 -> 1 -> 0.
        assert_eq!(Arch::TllibLenet.min_input_side(), 16);
        assert_eq!(Arch::DannDigits.min_input_side(), 16);
        // dtn (stride 2, padding 2, no pool): every side >= 1 stays >= 1.
        assert_eq!(Arch::Dtn.min_input_side(), 1);
        for arch in Arch::ALL {
            assert!(arch.default_side() >= arch.min_input_side(), "{arch}");
        }
    }
}
