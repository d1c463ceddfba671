//! Burn-free CPU kernels of [mmd-core](../mmd_core/index.html): the quadratic-time Gaussian
//! multi-kernel MMD with its gradient in one fused, vectorised, multi-threaded pass per row block
//! ([`GaussianMmd`]), and the vectorised exponential it uses ([`exp_nonpositive_in_place`]).
//!
//! A crate of its own so that dev builds can optimise it fully (`opt-level = 3` in the
//! workspace's dev profile) without compiling mmd-core's backend-generic tests at that level.
//! Most users want mmd-core's `MmdLoss`, which calls this on burn-ndarray.
//!
//! ```
//! use mmd_host::GaussianMmd;
//!
//! // Two source rows and two target rows of width 1.
//! let problem = GaussianMmd {
//!     n: 2,
//!     m: 2,
//!     d: 1,
//!     widest_bandwidth: 4.0,
//!     kernel_mul: 2.0,
//!     kernel_num: 5,
//!     power: Some(2),
//!     unbiased: false,
//!     with_grad: true,
//!     block_rows: 4,
//! };
//! let (loss, grad) = problem.solve_f64(vec![0.0, 1.0, 3.0, 4.0]);
//! assert!(loss > 0.0);
//! assert_eq!(grad.unwrap().len(), 4);
//! ```
#![warn(missing_docs)]

mod float;
mod gaussian;

pub use float::exp_nonpositive_in_place;
pub use gaussian::{FUSED_MAX_WIDTH, GaussianMmd};
