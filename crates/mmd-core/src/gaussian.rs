//! The quadratic-time Gaussian multi-kernel MMD: a fast forward pass and a hand-written backward.
//!
//! # Forward
//! With `Z = [source; target]` (`N = n + m` rows), `D_ij = ||z_i - z_j||^2` and bandwidths
//! `b_j = b_max / kernel_mul^j` (`j = 0..kernel_num`, widest first), the loss is
//! `L = sum_ij W_ij K_ij` with `K = sum_j exp(-D / b_j)` and `W` the estimator's block weights.
//! When `kernel_mul` is a small integer `q`, `exp(-D / b_{j+1}) = exp(-D / b_j)^q`: one
//! exponential for the widest kernel and `kernel_num - 1` powers (a multiply each for `q = 2`)
//! instead of `kernel_num` exponentials. Other ratios take one exponential per kernel.
//!
//! `W` is never materialised: it is block-constant, so it factors as
//! `W = sum_k r_k c_k^T` with one term for the biased estimator (`r = c = [1/n; -1/m]`) and two
//! for the unbiased one, and the four block means become `sum_k r_k . (K c_k)`: matrix-vector
//! products, no slicing copies. `K` is processed in row blocks, so memory stays
//! `O(block rows x N)` beyond the inputs however large `N` is.
//!
//! # Backward
//! Autodiff through that chain would keep every kernel matrix alive for the backward pass. The
//! gradient is written by hand instead: `dL/dD = -W o G` with `G = sum_j K_j / b_j` (the same
//! powers give it), and since `D_ij` depends on `z_i` through `2 (z_i - z_j)`,
//!
//! ```text
//! dL/dz_i = -4 sum_j H_ij (z_i - z_j) = -4 (rowsum(H)_i z_i - (H Z)_i),   H = W o G
//! ```
//!
//! where `H Z` again factors into `sum_k r_k o (G (c_k o Z))`. The result is attached to the
//! graph with the surrogate `L + sum(grad o (Z - detach(Z)))`: its value is exactly `L` and its
//! gradient with respect to `Z` is exactly `grad`, on every backend, and autodiff stores a single
//! `N x d` matrix for it. (Second derivatives of the loss are not available this way.) Like the
//! seed, the bandwidth is a detached constant.
//!
//! The diagonal distances are set to exactly 0 (so `k(z_i, z_i)` is exactly 1 per kernel) and the
//! diagonal of `G` is left out of the gradient (it cancels there). Round-off can make
//! a distance between two distinct but nearly equal rows slightly negative; its kernel is then
//! slightly above 1, as the seed's explicit differences would nearly give, and it is not clamped.

use burn::tensor::{IndexingUpdateOp, Int, Tensor, TensorData, backend::Backend};

use crate::estimator::Estimator;

/// Preferred elements of one row block of the `N x N` kernel matrix (1 MiB in f32): the few
/// matrices of a block then stay in cache through the chain of element-wise passes.
const BLOCK_ELEMENTS: usize = 1 << 18;

/// Most elements of one row block (64 MiB in f32), which bounds the memory of the whole loss.
const MAX_BLOCK_ELEMENTS: usize = 1 << 24;

/// Rows per block for `rows` samples of width `d`. Each block multiplies against all `N x d`
/// samples (read, and on CPU backends repacked, once per block), so blocks get at least `4 d`
/// rows to keep that traffic small next to the block's `2 rows N d` flops; within the memory
/// bound, and at most `N`.
pub(crate) fn block_rows(rows: usize, d: usize) -> usize {
    let preferred = (BLOCK_ELEMENTS / rows).max(4 * d);
    preferred.min(MAX_BLOCK_ELEMENTS / rows).clamp(1, rows)
}

/// How the Gaussian kernels of one loss are built from the distances.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GaussianKernels {
    /// Ratio between consecutive bandwidths.
    pub kernel_mul: f64,
    /// Number of kernels.
    pub kernel_num: usize,
    /// Whether integer ratios may use repeated powers of one exponential.
    pub powers: bool,
}

impl GaussianKernels {
    /// The integer power linking consecutive kernels, when the power chain applies.
    pub(crate) fn integer_ratio(&self) -> Option<u32> {
        let q = self.kernel_mul.round();
        (self.powers && (self.kernel_mul - q).abs() <= f64::EPSILON * q && (1.0..=4.0).contains(&q))
            .then_some(q as u32)
    }

    /// `kernel_mul^(kernel_num - 1 - floor(kernel_num / 2))`: the widest bandwidth over the base.
    pub(crate) fn widest_factor(&self) -> f64 {
        let offset = (self.kernel_num / 2) as i32;
        self.kernel_mul.powi(self.kernel_num as i32 - 1 - offset)
    }
}

/// The biased or unbiased squared MMD with the Gaussian kernels `kernels`, `base` the detached
/// `[1]` base bandwidth (already guarded against 0). `source` is `[n, d]`, `target` `[m, d]`,
/// both checked by the caller; the output is `[1]`.
pub(crate) fn gaussian_mmd<B: Backend>(
    source: Tensor<B, 2>,
    target: Tensor<B, 2>,
    base: Tensor<B, 1>,
    kernels: GaussianKernels,
    estimator: Estimator,
) -> Tensor<B, 1> {
    let [n, d] = source.dims();
    let rows = n + target.dims()[0];
    gaussian_mmd_in_blocks(
        source,
        target,
        base,
        kernels,
        estimator,
        block_rows(rows, d),
    )
}

/// [`gaussian_mmd`] with `block` rows of the kernel matrix at a time.
fn gaussian_mmd_in_blocks<B: Backend>(
    source: Tensor<B, 2>,
    target: Tensor<B, 2>,
    base: Tensor<B, 1>,
    kernels: GaussianKernels,
    estimator: Estimator,
    block: usize,
) -> Tensor<B, 1> {
    let [n, d] = source.dims();
    let [m, _] = target.dims();
    let rows = n + m;
    let device = source.device();
    let pooled = Tensor::cat(vec![source, target], 0);
    let centred = {
        let detached = pooled.clone().detach();
        detached.clone() - detached.mean_dim(0)
    };
    let norms = centred.clone().square().sum_dim(1); // [N, 1]
    let ones = norms.ones_like();
    let weights = BlockWeights::new(n, m, estimator);
    // Row i's weights on (source columns, target columns): `W_ij = row_weights[i][side(j)]`.
    let row_weights = like(&centred, weights.row_weights(), [rows, 2]);
    let with_grad = B::ad_enabled(&device);
    // Block indicators `E = [1_s, 1_t]` and `[E_s o [Z, 1], E_t o [Z, 1]]`: products with them
    // give the per-domain row sums of `K` and `G_{., s} [Z_s, 1]`, `G_{., t} [Z_t, 1]`, without
    // slicing the blocks (slices of a block cost a strided copy on some backends).
    let indicator = like(
        &centred,
        (0..rows)
            .flat_map(|i| if i < n { [1.0, 0.0] } else { [0.0, 1.0] })
            .collect(),
        [rows, 2],
    );
    // `[E_s o [Z, 1]]` and `[E_t o [Z, 1]]` as two `[N, d + 1]` operands rather than one
    // `[N, 2 (d + 1)]`: at N = 8192, d = 2048 that one would be just over the 128 MiB that wgpu
    // devices commonly allow a single buffer binding.
    let split_columns = with_grad.then(|| {
        let augmented = Tensor::cat(vec![centred.clone(), ones.clone()], 1); // [N, d + 1]
        [0..1, 1..2].map(|side| augmented.clone() * indicator.clone().slice([0..rows, side]))
    });

    let widest = base.reshape([1, 1]).mul_scalar(kernels.widest_factor());
    // `-D / b_max` in one product: [z_i, |z_i|^2, 1] . [2 z_j, -1, -|z_j|^2] / b_max.
    let left = Tensor::cat(vec![centred.clone(), norms.clone(), ones.clone()], 1);
    let right = Tensor::cat(
        vec![
            centred.clone().mul_scalar(2.0),
            ones.neg(),
            norms.clone().neg(),
        ],
        1,
    ) * widest.clone().recip();
    let right = right.transpose(); // [d + 2, N]
    let mut domain_sums = Vec::new(); // blocks of [K 1_s, K 1_t], [block, 2]
    // Blocks of `G_s [Z_s, 1]` and of `G_t [Z_t, 1]`, each `[block, d + 1]`.
    let mut gradient_rows = [Vec::new(), Vec::new()];
    for start in (0..rows).step_by(block) {
        let end = (start + block).min(rows);
        let exponent = left
            .clone()
            .slice([start..end, 0..d + 2])
            .matmul(right.clone());
        // Round-off can leave `-D_ii / b_max` slightly off 0 and `-D_ij` of nearly equal rows
        // slightly positive: clamp so that no kernel exceeds 1.
        let exponent = exponent.clamp_max(0.0);
        let (sums, scaled) = kernel_block(exponent, &kernels, with_grad);
        domain_sums.push(sums.matmul(indicator.clone()));
        if let (Some(scaled), Some(columns)) = (scaled, &split_columns) {
            // The diagonal adds `H_ii z_i` to both terms of `rowsum(H)_i z_i - (H Z)_i`; it is
            // the largest entry of `G`, so leaving it in would cost f32 digits to cancellation.
            let scaled = zero_diagonal(scaled, start);
            for (rows, columns) in gradient_rows.iter_mut().zip(columns) {
                rows.push(scaled.clone().matmul(columns.clone()));
            }
        }
    }
    let value = (Tensor::cat(domain_sums, 0) * row_weights.clone())
        .sum()
        .sub_scalar(weights.diagonal * kernels.kernel_num as f64);

    if !with_grad {
        return value;
    }
    // `scaled` holds `sum_j q^j K_j / q^(kernel_num - 1)`; `G = sum_j K_j / b_j` is that times
    // `q^(kernel_num - 1) / b_max` (with `q = kernel_mul`).
    let g_factor = widest
        .recip()
        .mul_scalar(kernels.kernel_mul.powi(kernels.kernel_num as i32 - 1));
    let [source_products, target_products] = gradient_rows.map(|blocks| Tensor::cat(blocks, 0));
    // `(H [Z, 1])_i = W_i,s (G_s [Z_s, 1])_i + W_i,t (G_t [Z_t, 1])_i`.
    let h_augmented = source_products * row_weights.clone().slice([0..rows, 0..1])
        + target_products * row_weights.slice([0..rows, 1..2]);
    let h_z = h_augmented.clone().slice([0..rows, 0..d]);
    let h_rowsum = h_augmented.slice([0..rows, d..d + 1]);
    let grad = (centred * h_rowsum - h_z) * g_factor.mul_scalar(-4.0);
    with_gradient(value, pooled, grad)
}

/// `value + sum(grad o (pooled - detach(pooled)))`: the value exactly `value`, the gradient with
/// respect to `pooled` exactly `grad` (the surrogate of every Gaussian path, see the module notes).
pub(crate) fn with_gradient<B: Backend>(
    value: Tensor<B, 1>,
    pooled: Tensor<B, 2>,
    grad: Tensor<B, 2>,
) -> Tensor<B, 1> {
    value + (grad * (pooled.clone() - pooled.detach())).sum()
}

/// Sets the entries `(i, start + i)` of a block (its part of the full matrix's diagonal) to
/// exactly 0: an `O(rows)` gather and scatter-add, no mask over the block.
fn zero_diagonal<B: Backend>(block: Tensor<B, 2>, start: usize) -> Tensor<B, 2> {
    let [rows, _] = block.dims();
    let columns: Vec<i64> = (start..start + rows).map(|j| j as i64).collect();
    let columns =
        Tensor::<B, 2, Int>::from_data(TensorData::new(columns, [rows, 1]), &block.device());
    let diagonal = block.clone().gather(1, columns.clone());
    block.scatter(1, columns, diagonal.neg(), IndexingUpdateOp::Add)
}

/// For one block of `-D / b_max`: `sum_j K_j`, and (when `with_grad`) `sum_j q^j K_j` scaled by
/// `q^-(kernel_num - 1)` (so that it cannot overflow), where `K_j` is the kernel of bandwidth
/// `b_max / q^j`.
fn kernel_block<B: Backend>(
    exponent: Tensor<B, 2>,
    kernels: &GaussianKernels,
    with_grad: bool,
) -> (Tensor<B, 2>, Option<Tensor<B, 2>>) {
    let ratio = kernels.integer_ratio();
    // With a power chain the exponent is not needed after the first exponential.
    let (mut current, exponent) = match ratio {
        Some(_) => (exponent.exp(), None),
        None => (exponent.clone().exp(), Some(exponent)),
    };
    let mut sums = current.clone();
    let mut scaled = with_grad.then(|| current.clone());
    for j in 1..kernels.kernel_num {
        current = match (ratio, &exponent) {
            (Some(q), _) => power(current, q),
            (None, Some(exponent)) => exponent
                .clone()
                .mul_scalar(kernels.kernel_mul.powi(j as i32))
                .exp(),
            (None, None) => unreachable!("the exponent is kept without a power chain"),
        };
        sums = sums + current.clone();
        scaled = scaled.map(|s| s.mul_scalar(1.0 / kernels.kernel_mul) + current.clone());
    }
    (sums, scaled)
}

/// `x^q` by multiplications, `q` in `1..=4`.
fn power<B: Backend>(x: Tensor<B, 2>, q: u32) -> Tensor<B, 2> {
    match q {
        1 => x,
        2 => x.square(),
        3 => x.clone().square() * x,
        4 => x.square().square(),
        _ => unreachable!("integer_ratio only returns 1..=4"),
    }
}

/// The estimator's block weights: `W_ij` depends only on the domains of `i` and `j`.
pub(crate) struct BlockWeights {
    n: usize,
    m: usize,
    /// Source-source, target-target and source-target weights.
    pub(crate) ss: f64,
    pub(crate) tt: f64,
    pub(crate) st: f64,
    /// `sum_i W_ii` where the estimator excludes the diagonal (unbiased), else 0: the constant
    /// to subtract for a kernel diagonal of ones.
    pub(crate) diagonal: f64,
}

impl BlockWeights {
    pub(crate) fn new(n: usize, m: usize, estimator: Estimator) -> Self {
        let (nf, mf) = (n as f64, m as f64);
        let st = -1.0 / (nf * mf);
        match estimator {
            Estimator::Biased => BlockWeights {
                n,
                m,
                ss: 1.0 / (nf * nf),
                tt: 1.0 / (mf * mf),
                st,
                diagonal: 0.0,
            },
            // The unbiased estimator (the linear-time one never comes here).
            Estimator::Unbiased | Estimator::LinearTime => BlockWeights {
                n,
                m,
                ss: 1.0 / (nf * (nf - 1.0)),
                tt: 1.0 / (mf * (mf - 1.0)),
                st,
                diagonal: 1.0 / (nf - 1.0) + 1.0 / (mf - 1.0),
            },
        }
    }

    /// Row-major `[N, 2]`: row `i`'s weight on source columns, then on target columns.
    fn row_weights(&self) -> Vec<f64> {
        (0..self.n + self.m)
            .flat_map(|i| match i < self.n {
                true => [self.ss, self.st],
                false => [self.st, self.tt],
            })
            .collect()
    }
}

/// A `shape` tensor of `values` on the device and in the float type of `template` (see
/// `loss::like` for why).
fn like<B: Backend>(template: &Tensor<B, 2>, values: Vec<f64>, shape: [usize; 2]) -> Tensor<B, 2> {
    Tensor::from_data(
        TensorData::new(values, shape),
        (&template.device(), template.dtype()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn_autodiff::Autodiff;
    use burn_ndarray::NdArray;

    type F64 = Autodiff<NdArray<f64>>;

    fn values<B: Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f64> {
        t.into_data().convert::<f64>().to_vec().unwrap()
    }

    /// Loss and gradients (source then target) with `block` rows at a time.
    fn run(block: usize, estimator: Estimator, powers: bool) -> (f64, Vec<f64>) {
        let device = Default::default();
        let (n, m, d) = (7, 5, 3);
        let data = |rows: usize, shift: f64| {
            let values: Vec<f64> = (0..rows * d)
                .map(|i| (i * 37 % 11) as f64 * 0.3 - 1.0 + shift)
                .collect();
            Tensor::<F64, 2>::from_data(TensorData::new(values, [rows, d]), &device).require_grad()
        };
        let (source, target) = (data(n, 0.0), data(m, 0.7));
        let kernels = GaussianKernels {
            kernel_mul: 2.0,
            kernel_num: 5,
            powers,
        };
        let base = Tensor::<F64, 1>::from_data(TensorData::from([1.5f64]), &device);
        let loss = gaussian_mmd_in_blocks(
            source.clone(),
            target.clone(),
            base,
            kernels,
            estimator,
            block,
        );
        let grads = loss.backward();
        let mut gradient = values(source.grad(&grads).unwrap());
        gradient.extend(values(target.grad(&grads).unwrap()));
        (values(loss)[0], gradient)
    }

    #[test]
    fn blocks_balance_cache_traffic_and_memory() {
        assert_eq!(block_rows(2048, 14), 128); // 1 MiB blocks for thin samples
        assert_eq!(block_rows(2048, 256), 1024); // wide samples: rows >= 4 d
        assert_eq!(block_rows(8192, 2048), 2048); // capped at 64 MiB per block
        assert_eq!(block_rows(100, 14), 100); // never more than N
        assert_eq!(block_rows(1 << 26, 14), 1); // at least one row
    }

    #[test]
    fn row_blocks_give_the_same_loss_and_gradients() {
        for estimator in [Estimator::Biased, Estimator::Unbiased] {
            for powers in [true, false] {
                let (whole, whole_grad) = run(12, estimator, powers);
                for block in [1, 3, 5] {
                    let (value, grad) = run(block, estimator, powers);
                    assert!((value - whole).abs() < 1e-14, "{estimator:?} block {block}");
                    for (a, b) in grad.iter().zip(&whole_grad) {
                        assert!(
                            (a - b).abs() < 1e-14,
                            "{estimator:?} block {block}: {a} vs {b}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn without_autodiff_the_value_is_the_same() {
        let device = Default::default();
        let (source, target) = (
            Tensor::<NdArray<f64>, 2>::from_data(
                TensorData::new(vec![0.0f64, 1.0, 2.0, 0.5, -1.0, 0.3], [3, 2]),
                &device,
            ),
            Tensor::<NdArray<f64>, 2>::from_data(
                TensorData::new(vec![1.0f64, 1.0, 2.5, -0.5], [2, 2]),
                &device,
            ),
        );
        let kernels = GaussianKernels {
            kernel_mul: 2.0,
            kernel_num: 5,
            powers: true,
        };
        let base = || Tensor::<NdArray<f64>, 1>::from_data(TensorData::from([0.8f64]), &device);
        let plain = values(gaussian_mmd(
            source.clone(),
            target.clone(),
            base(),
            kernels,
            Estimator::Biased,
        ))[0];
        let tracked = values(gaussian_mmd(
            Tensor::<F64, 2>::from_inner(source),
            Tensor::<F64, 2>::from_inner(target),
            Tensor::<F64, 1>::from_inner(base()),
            kernels,
            Estimator::Biased,
        ))[0];
        assert!(
            plain > 0.0 && (plain - tracked).abs() < 1e-15,
            "{plain} vs {tracked}"
        );
    }

    #[test]
    fn integer_ratios_take_the_power_chain() {
        let kernels = |kernel_mul, powers| GaussianKernels {
            kernel_mul,
            kernel_num: 5,
            powers,
        };
        assert_eq!(kernels(2.0, true).integer_ratio(), Some(2));
        assert_eq!(kernels(3.0, true).integer_ratio(), Some(3));
        assert_eq!(kernels(1.0, true).integer_ratio(), Some(1));
        assert_eq!(kernels(1.5, true).integer_ratio(), None);
        assert_eq!(kernels(5.0, true).integer_ratio(), None);
        assert_eq!(kernels(2.0, false).integer_ratio(), None);
    }

    #[test]
    fn block_weights_rebuild_the_estimators() {
        let (n, m) = (3, 2);
        for estimator in [Estimator::Biased, Estimator::Unbiased] {
            let w = BlockWeights::new(n, m, estimator);
            let rows = w.row_weights();
            let mut diagonal = 0.0;
            for i in 0..n + m {
                for j in 0..n + m {
                    let wij = rows[2 * i + usize::from(j >= n)];
                    let expected = match (i < n, j < n, estimator) {
                        (true, true, Estimator::Biased) => 1.0 / 9.0,
                        (false, false, Estimator::Biased) => 1.0 / 4.0,
                        (true, true, _) => 1.0 / 6.0,
                        (false, false, _) => 1.0 / 2.0,
                        _ => -1.0 / 6.0,
                    };
                    assert!(
                        (wij - expected).abs() < 1e-15,
                        "{estimator:?} W[{i}][{j}] = {wij}"
                    );
                    if i == j {
                        diagonal += wij;
                    }
                }
            }
            let expected = if estimator == Estimator::Biased {
                0.0
            } else {
                diagonal
            };
            assert!((w.diagonal - expected).abs() < 1e-15);
        }
    }
}
