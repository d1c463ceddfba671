//! CNN feature extractors, bottlenecks and classifiers for domain adaptation, as
//! [Burn](https://burn.dev) modules generic over the backend.
//!
//! [`DaNet`] chains a convolutional [`FeatureExtractor`] (preset [`Arch`]: the digit networks of
//! the literature, the seed blog post's `Net_only`, a wider CNN or a small ResNet for photos), a [`Bottleneck`] and a
//! [`Classifier`]. Its forward pass returns both the bottleneck features and the logits
//! ([`DaOutput`]), so that a training loop can take the MMD on either ([`MmdOn`]).
//!
//! ```
//! use burn::tensor::{Distribution, Tensor};
//! use burn_ndarray::NdArray;
//! use da_models::{DaNetConfig, MmdOn};
//!
//! let device = Default::default();
//! let config = DaNetConfig::lenet(); // 1x16x16 digits, 10 classes, 256 features
//! let model = config.init::<NdArray>(&device);
//! let images = Tensor::<NdArray, 4>::random([8, 1, 16, 16], Distribution::Default, &device);
//! let output = model.forward(images);
//! assert_eq!(MmdOn::Features.select(&output).dims(), [8, model.feature_dim()]);
//! assert_eq!(output.logits.dims(), [8, model.num_classes()]);
//! ```
//!
//! Convolutions are computed by da-models' own CPU kernels on burn-ndarray
//! ([`ConvAlgorithm::Host`], the default; needs the `ndarray` feature, else it is `Im2col`), as
//! patches times weights in tensor operations on any backend ([`ConvAlgorithm::Im2col`]) or with
//! the backend's own kernel ([`ConvAlgorithm::Native`], for GPU backends); the parameters and
//! records are the same either way.
//!
//! Configurations that cannot work (an input too small for the convolutions and pools, zero
//! classes, channels or bottleneck units, a dropout outside `[0, 1)`) are a [`ModelError`] from
//! `try_init` that names the values; `init` panics with the same message.
//!
//! No backend is forced on users: the crate depends on `burn` without backend features.
#![warn(missing_docs)]

mod arch;
mod bottleneck;
mod classifier;
mod conv_algorithm;
mod conv_block;
mod dense;
mod discriminator;
mod error;
mod extractor;
#[cfg(feature = "ndarray")]
mod host;
mod mmd_on;
mod net;
mod output;
mod residual_block;

pub use arch::Arch;
pub use bottleneck::{Bottleneck, BottleneckConfig};
pub use classifier::{Classifier, ClassifierConfig};
pub use conv_algorithm::ConvAlgorithm;
pub use conv_block::{ConvBlock, ConvBlockConfig};
pub use discriminator::{DomainDiscriminator, DomainDiscriminatorConfig};
pub use error::ModelError;
pub use extractor::{FeatureExtractor, FeatureExtractorConfig};
pub use mmd_on::MmdOn;
pub use net::{DaNet, DaNetConfig};
pub use output::DaOutput;
pub use residual_block::{ResidualBlock, ResidualBlockConfig, Shortcut};
