//! The preset feature-extractor architectures.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::conv_block::ConvBlockConfig;
use crate::error::ModelError;

/// Which convolutional feature extractor a [`DaNetConfig`](crate::DaNetConfig) builds.
///
/// Every block is `conv -> [batch-norm] -> ReLU -> max-pool 2x2 (stride 2)`; the flattened
/// width of the last map depends on the input size and is computed, never fixed
/// ([`FeatureExtractorConfig::output_shape`](crate::FeatureExtractorConfig::output_shape)).
///
/// | arch | blocks (out channels, kernel / stride / padding) | batch-norm | smallest input | flat width |
/// |---|---|---|---|---|
/// | `lenet` | 32 5/1/2, 64 5/1/2 | no | 4x4 | 1x16x16: 1024, 1x28x28: 3136 |
/// | `net_only` | 32 3/2/1, 64 3/2/1, 64 3/1/1 | yes | 27x27 | 3x128x128: 1024 |
/// | `wide` | 64 3/1/1, 128 3/1/1, 256 3/1/1 | yes | 8x8 | 1x16x16: 1024, 28x28: 2304 |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arch {
    /// LeNet-style digits network for small grayscale inputs (28x28 and smaller): two 5x5
    /// convolutions (32 and 64 filters, padding 2), each followed by ReLU and a 2x2 max-pool.
    /// Cheap enough to train on a CPU.
    Lenet,
    /// The seed blog post's `Net_only` extractor for 3x128x128 images: three 3x3 convolutions
    /// with 32, 64 and 64 filters (strides 2, 2, 1, padding 1), each followed by batch-norm,
    /// ReLU and a 2x2 max-pool, so that 128x128 becomes 64x4x4 = 1024 features, the width of
    /// the seed's first fully connected layer (`1024 -> 256 -> classes`).
    NetOnly,
    /// A wider CNN for RGB or gray inputs: three 3x3 convolutions (64, 128 and 256 filters,
    /// padding 1), each followed by batch-norm, ReLU and a 2x2 max-pool.
    Wide,
}

impl Arch {
    /// Every architecture, in declaration order.
    pub const ALL: [Arch; 3] = [Arch::Lenet, Arch::NetOnly, Arch::Wide];

    /// The snake-case name used on command lines and in configuration files.
    pub fn name(self) -> &'static str {
        match self {
            Arch::Lenet => "lenet",
            Arch::NetOnly => "net_only",
            Arch::Wide => "wide",
        }
    }

    /// The convolution blocks of this architecture for images with `in_channels` channels.
    pub fn blocks(self, in_channels: usize) -> Vec<ConvBlockConfig> {
        // (out_channels, kernel, stride, padding)
        let (layers, batch_norm): (&[(usize, usize, usize, usize)], bool) = match self {
            Arch::Lenet => (&[(32, 5, 1, 2), (64, 5, 1, 2)], false),
            Arch::NetOnly => (&[(32, 3, 2, 1), (64, 3, 2, 1), (64, 3, 1, 1)], true),
            Arch::Wide => (&[(64, 3, 1, 1), (128, 3, 1, 1), (256, 3, 1, 1)], true),
        };
        let mut channels = in_channels;
        layers
            .iter()
            .map(|&(out, kernel, stride, padding)| {
                let block = ConvBlockConfig::new(channels, out, kernel)
                    .with_stride(stride)
                    .with_padding(padding)
                    .with_batch_norm(batch_norm)
                    .with_pool(2);
                channels = out;
                block
            })
            .collect()
    }

    /// The smallest input side that leaves every block's output non-empty.
    pub fn min_input_side(self) -> usize {
        let blocks = self.blocks(1);
        (1..)
            .find(|&side| {
                let mut n = side;
                blocks.iter().all(|block| {
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
                expected: "lenet, net_only, wide",
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
            "unknown architecture `resnet`; expected one of: lenet, net_only, wide"
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
    fn smallest_inputs() {
        // lenet: 4 -> 2 -> 1; 3 -> 1 -> 0.
        assert_eq!(Arch::Lenet.min_input_side(), 4);
        // net_only (conv stride 2: n -> ceil(n / 2); pool: floor(n / 2)), conv/pool per block:
        // 27 -> 14 -> 7 -> 4 -> 2 -> 2 -> 1; 26 -> 13 -> 6 -> 3 -> 1 -> 1 -> 0.
        assert_eq!(Arch::NetOnly.min_input_side(), 27);
        // wide: 8 -> 4 -> 2 -> 1; 7 -> 3 -> 1 -> 0.
        assert_eq!(Arch::Wide.min_input_side(), 8);
    }
}
