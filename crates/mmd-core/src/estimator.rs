//! MMD estimators.

use serde::{Deserialize, Serialize};

/// How the squared MMD is estimated from the two batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Estimator {
    /// The V-statistic, diagonal included: `mean(K_ss) + mean(K_tt) - 2 mean(K_st)`.
    /// Always >= 0, biased upwards; what the seed computes. Needs one row per batch.
    Biased,
    /// The U-statistic: the within-batch means exclude the diagonal `k(x_i, x_i)`.
    /// Unbiased, can be negative. Needs two rows per batch.
    Unbiased,
    /// Gretton et al.'s linear-time statistic: kernels are evaluated on `O(n + m)` pairs only,
    /// `(x_0, x_1), (x_2, x_3), ...` within each batch and `(x_{i mod n}, y_{(i xor 1) mod m})` for
    /// `i < max(n, m)` across them. Unbiased, higher variance, `O((n + m) d)` time and memory.
    /// For `n = m` it is exactly the classic `h`-statistic. An odd last row is left out of the
    /// within-batch pairs. Needs two rows per batch.
    #[serde(rename = "linear")]
    LinearTime,
}

impl Estimator {
    /// The lower-case name used on command lines and in configuration files.
    pub fn name(self) -> &'static str {
        match self {
            Estimator::Biased => "biased",
            Estimator::Unbiased => "unbiased",
            Estimator::LinearTime => "linear",
        }
    }

    /// Rows each batch needs at least.
    pub fn min_rows(self) -> usize {
        match self {
            Estimator::Biased => 1,
            Estimator::Unbiased | Estimator::LinearTime => 2,
        }
    }
}
