//! Burn-free CPU kernels of [da-models](../da_models/index.html): a 2-D convolution as patches
//! (im2col) times weights ([`Conv2d`]), batch normalisation ([`BatchNorm`]), a fused ReLU +
//! max-pool ([`ReluMaxPool`]), all three of the latter fused ([`BatchNormReluMaxPool`]) and a
//! fully connected layer ([`Linear`]), each with a hand-written backward pass, on row-major
//! (NCHW) `f32` data. The work is split over rayon's thread pool. [`keep_freed_memory`] is a
//! process setting of glibc's allocator for the programs that train with them.
//!
//! A crate of its own so that dev builds can optimise it fully (`opt-level = 3` in the
//! workspace's dev profile), like mmd-host. Most users want da-models' `ConvBlock`, which calls
//! these on burn-ndarray and attaches their backward passes to burn's autodiff graph.
//!
//! ```
//! use cnn_host::{Conv2d, Layer};
//!
//! // One 1x3x3 image, one 2x2 filter, stride 1, no padding: a 2x2 output.
//! let conv = Conv2d {
//!     batch: 1,
//!     in_channels: 1,
//!     height: 3,
//!     width: 3,
//!     out_channels: 1,
//!     kernel: 2,
//!     stride: 1,
//!     padding: 0,
//! };
//! let image = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
//! let output = conv.forward(&image, &[1.0, 0.0, 0.0, -1.0], Some(&[0.5]));
//! assert_eq!(output, vec![-3.5; 4]);
//! ```
#![warn(missing_docs)]

mod allocator;
mod batch_norm;
mod batch_norm_pool;
mod conv2d;
mod gemm;
mod layer;
mod linear;
mod relu_max_pool;
mod scratch;
mod sums;
mod threads;

pub use allocator::keep_freed_memory;
pub use batch_norm::{BatchNorm, BatchNormGrads, BatchStats};
pub use batch_norm_pool::BatchNormReluMaxPool;
pub use conv2d::Conv2d;
pub use layer::{Layer, LayerGrads};
pub use linear::Linear;
pub use relu_max_pool::{NO_GRADIENT, ReluMaxPool};
