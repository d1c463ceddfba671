//! Squared Euclidean distances, computed without an `N x N x d` tensor.

use burn::tensor::{Bool, Tensor, backend::Backend};

/// All pairwise squared distances `D_ij = ||z_i - z_j||^2` between the rows of `pooled`.
///
/// Uses `||a||^2 + ||b||^2 - 2 a.b` (one matrix product, `O(N^2)` memory) on rows centred at
/// their mean first, so that `f32` stays accurate for data far from the origin; negative
/// round-off is clamped to 0 and the diagonal is exactly 0.
///
/// # Shapes
/// - `pooled`: `[N, d]`
/// - output: `[N, N]`
pub(crate) fn pairwise_sq_distances<B: Backend>(pooled: Tensor<B, 2>) -> Tensor<B, 2> {
    let [rows, _] = pooled.dims();
    let device = pooled.device();
    // Distances do not depend on the centre, so it can be a detached constant.
    let centre = pooled.clone().detach().mean_dim(0);
    let centred = pooled - centre;
    let norms = centred.clone().square().sum_dim(1);
    let gram = centred.clone().matmul(centred.transpose());
    let dist = (norms.clone() + norms.transpose() - gram.mul_scalar(2.0)).clamp_min(0.0);
    let diagonal = Tensor::<B, 2, Bool>::diag_mask([rows, rows], 0, &device).bool_not();
    dist.mask_fill(diagonal, 0.0)
}

/// Squared distances between corresponding rows of `a` and `b`.
///
/// # Shapes
/// - `a`, `b`: `[k, d]`
/// - output: `[k, 1]`
pub(crate) fn row_sq_distances<B: Backend>(a: Tensor<B, 2>, b: Tensor<B, 2>) -> Tensor<B, 2> {
    (a - b).square().sum_dim(1)
}
