//! Kernel families.

use serde::{Deserialize, Serialize};

/// The kernel `k(x, y)` whose mean embeddings the MMD compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kernel {
    /// Sum of `kernel_num` Gaussian kernels `exp(-||x - y||^2 / b_i)` with geometric bandwidths
    /// `b_i = base * kernel_mul^(i - floor(kernel_num / 2))` (the seed's `kernel_type='rbf'`).
    Gaussian,
    /// The linear kernel `k(x, y) = x . y`; with the biased estimator the MMD is
    /// `||mean(source) - mean(target)||^2` (the seed's `kernel_type='linear'`).
    Linear,
}

impl Kernel {
    /// The lower-case name used on command lines and in configuration files.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Gaussian => "gaussian",
            Kernel::Linear => "linear",
        }
    }
}
