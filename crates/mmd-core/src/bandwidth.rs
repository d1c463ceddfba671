//! Choice of the Gaussian kernels' base bandwidth.

use burn::tensor::{Tensor, backend::Backend};
use serde::{Deserialize, Serialize};

/// The base bandwidth `base` of the Gaussian kernels `exp(-||x - y||^2 / b_i)`,
/// `b_i = base * kernel_mul^(i - floor(kernel_num / 2))`.
///
/// Data-driven bandwidths are computed from the pooled batch `[source; target]` and **detached**
/// from the autodiff graph, as in the seed (`L2_distance.data`): gradients treat them as
/// constants. Note that `base` is a squared distance: it divides `||x - y||^2` directly.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Bandwidth {
    /// Mean squared distance over all ordered pairs `i != j` of the pooled batch (the seed's
    /// default). Computed in `O((n + m) d)` as `2 sum_i ||z_i - mean(z)||^2 / (N - 1)`.
    Mean,
    /// Median squared distance over the pairs `i < j` of the pooled batch (the median
    /// heuristic). Needs the distances on the host; falls back to [`Bandwidth::Mean`] when the
    /// median is 0 (more than half of the pairs coincide).
    Median,
    /// A fixed base bandwidth, the seed's `fix_sigma` (which the seed accepts and then ignores).
    Fixed(f64),
}

impl Bandwidth {
    /// The lower-case name used on command lines and in configuration files.
    pub fn name(self) -> &'static str {
        match self {
            Bandwidth::Mean => "mean",
            Bandwidth::Median => "median",
            Bandwidth::Fixed(_) => "fixed",
        }
    }
}

/// Mean squared distance over ordered pairs `i != j` of the rows of `pooled`, detached, shape `[1]`.
///
/// `sum_{i,j} ||z_i - z_j||^2 = 2 N sum_i ||z_i - mean(z)||^2`, so no pairwise matrix is needed.
pub(crate) fn mean_sq_distance<B: Backend>(pooled: Tensor<B, 2>) -> Tensor<B, 1> {
    let [rows, _] = pooled.dims();
    let pooled = pooled.detach();
    let centred = pooled.clone() - pooled.mean_dim(0);
    centred.square().sum().mul_scalar(2.0 / (rows as f64 - 1.0))
}

/// Median of the given squared distances; `None` when there are none.
pub(crate) fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mid = values.len() / 2;
    let (_, upper, _) = values.select_nth_unstable_by(mid, f64::total_cmp);
    let upper = *upper;
    if values.len() % 2 == 1 {
        return Some(upper);
    }
    let lower = values[..mid]
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    Some((lower + upper) / 2.0)
}

/// Replaces a zero base bandwidth (all points coincide) by 1, so that `exp(-0 / b)` is 1 instead
/// of the seed's `0 / 0 = NaN`; every distance is then 0 and the loss is exactly 0.
pub(crate) fn guard_zero<B: Backend>(base: Tensor<B, 1>) -> Tensor<B, 1> {
    let zero = base.clone().lower_equal_elem(0.0);
    base.mask_fill(zero, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(vec![]), None);
    }
}
