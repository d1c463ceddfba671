//! BNM: batch nuclear-norm maximisation of the target predictions.

use burn::config::Config;
use burn::tensor::{Tensor, TensorData, activation::softmax, backend::Backend};

use crate::error::MmdError;
use crate::lmmd::{like, to_f64};

/// Configuration of [`BnmLoss`]. BNM has no hyper-parameters; the config exists so that every
/// loss of the crate is built the same way (and saved with the training configuration).
#[derive(Config, Debug)]
pub struct BnmLossConfig {}

impl BnmLossConfig {
    /// Builds the loss.
    pub fn init(&self) -> BnmLoss {
        BnmLoss
    }
}

/// Batch nuclear-norm maximisation (Cui et al., "Towards Discriminability and Diversity: Batch
/// Nuclear-norm Maximization under Label Insufficient Situations", CVPR 2020):
///
/// ```text
/// BNM = -||A||_* / batch_size,   A = softmax(target_logits) (row-wise),
/// ```
///
/// `||A||_*` the nuclear norm (sum of singular values). Minimising it maximises the nuclear
/// norm, which rewards confident and diverse target predictions. It needs no source batch.
///
/// DeepDA's `loss_funcs/bnm.py` returns `-mean(singular values)`, i.e. divides by
/// `min(batch_size, classes)` instead of `batch_size`; the two differ by that constant factor
/// only (and agree when `batch_size <= classes`).
///
/// # How it is computed
/// Burn has no SVD. The singular values are computed on the host, in f64, by one-sided
/// (Hestenes) Jacobi rotations on `A` (or `A^T` when there are more classes than rows), which is
/// accurate to f64 round-off relative to the largest singular value. The gradient of `||A||_*`
/// is `U V^T` over the singular values above `max(sigma) * max(B, C) * f64::EPSILON` (for a
/// rank-deficient `A` this is the minimum-norm subgradient). It is attached to the autodiff graph
/// with the surrogate
///
/// ```text
/// loss = value + sum(G o (A - detach(A))),   G = -U V^T / batch_size (a constant)
/// ```
///
/// whose value is exactly `value` and whose gradient with respect to `A` is exactly `G`, on any
/// backend; autodiff then carries it through the softmax to the logits. Second derivatives are
/// not available this way. The host round trip is cheap: `A` is `batch_size x classes`. A NaN in
/// the logits gives a NaN loss (and NaN gradients).
///
/// # Example
/// ```
/// use burn::tensor::Tensor;
/// use burn_ndarray::NdArray;
/// use mmd_core::BnmLossConfig;
///
/// let device = Default::default();
/// let logits = Tensor::<NdArray, 2>::from_floats([[4.0, 0.0, 0.0], [0.0, 4.0, 0.0]], &device);
/// let value: f32 = BnmLossConfig::new().init().forward(logits).into_scalar();
/// assert!(value < -0.9 && value >= -1.0); // two confident, different predictions
/// ```
#[derive(Debug, Clone)]
pub struct BnmLoss;

impl BnmLoss {
    /// The BNM loss of a batch of target logits.
    ///
    /// # Shapes
    /// - `target_logits`: `[batch_size, classes]`
    /// - output: `[1]`
    ///
    /// # Panics
    /// When the batch is empty; the message is that of [`BnmLoss::try_forward`].
    pub fn forward<B: Backend>(&self, target_logits: Tensor<B, 2>) -> Tensor<B, 1> {
        self.try_forward(target_logits)
            .unwrap_or_else(|err| panic!("{err}"))
    }

    /// The BNM loss of a batch of target logits, or why it cannot be computed.
    ///
    /// # Shapes
    /// As in [`BnmLoss::forward`].
    ///
    /// # Errors
    /// [`MmdError::EmptyBatch`] when the batch has no rows or no columns.
    pub fn try_forward<B: Backend>(
        &self,
        target_logits: Tensor<B, 2>,
    ) -> Result<Tensor<B, 1>, MmdError> {
        let [rows, cols] = target_logits.dims();
        if rows == 0 || cols == 0 {
            return Err(MmdError::EmptyBatch {
                which: "target",
                rows,
                cols,
            });
        }
        let with_grad = B::ad_enabled(&target_logits.device());
        let probs = softmax(target_logits, 1);
        let nuclear = nuclear_norm(&to_f64(probs.clone()), rows, cols, with_grad);
        let scale = -1.0 / rows as f64;
        let value: Tensor<B, 1> = like(&probs, TensorData::new(vec![nuclear.value * scale], [1]));
        let Some(gradient) = nuclear.gradient else {
            return Ok(value);
        };
        let gradient: Tensor<B, 2> = like(
            &probs,
            TensorData::new(gradient.iter().map(|g| g * scale).collect(), [rows, cols]),
        );
        Ok(value + (gradient * (probs.clone() - probs.detach())).sum())
    }
}

/// `||A||_*` and, when asked, its gradient `U V^T`.
struct NuclearNorm {
    value: f64,
    /// Row-major, the shape of `A`.
    gradient: Option<Vec<f64>>,
}

/// Nuclear norm of the row-major `rows x cols` matrix `a`; NaN (value and gradient) when `a` has
/// a non-finite entry.
fn nuclear_norm(a: &[f64], rows: usize, cols: usize, with_grad: bool) -> NuclearNorm {
    if a.iter().any(|v| !v.is_finite()) {
        return NuclearNorm {
            value: f64::NAN,
            gradient: with_grad.then(|| vec![f64::NAN; rows * cols]),
        };
    }
    // Work on the tall orientation: `M` is `r x k` with `k <= r`.
    let transposed = cols > rows;
    let (r, k) = if transposed {
        (cols, rows)
    } else {
        (rows, cols)
    };
    let mut m: Vec<f64> = if transposed {
        (0..r * k)
            .map(|idx| a[(idx % k) * cols + idx / k])
            .collect()
    } else {
        a.to_vec()
    };
    let (sigma, v) = one_sided_jacobi(&mut m, r, k);
    let value = sigma.iter().sum();
    let gradient = with_grad.then(|| {
        let largest = sigma.iter().copied().fold(0.0, f64::max);
        let tolerance = largest * r as f64 * f64::EPSILON;
        // G_M = sum_{j: sigma_j > tol} u_j v_j^T with u_j = (M V)_j / sigma_j (now in `m`).
        let mut g = vec![0.0; r * k];
        for (j, &s) in sigma.iter().enumerate() {
            if s <= tolerance {
                continue;
            }
            for i in 0..r {
                let u = m[i * k + j] / s;
                for c in 0..k {
                    g[i * k + c] += u * v[c * k + j];
                }
            }
        }
        if transposed {
            (0..rows * cols)
                .map(|idx| g[(idx % cols) * k + idx / cols])
                .collect()
        } else {
            g
        }
    });
    NuclearNorm { value, gradient }
}

/// One-sided Jacobi SVD of the row-major `r x k` matrix `m` (`k <= r`): rotates column pairs
/// until all columns are orthogonal, so that `m` becomes `M V = U Sigma`. Returns the singular
/// values (column norms, unsorted) and the row-major `k x k` orthogonal `V`.
fn one_sided_jacobi(m: &mut [f64], r: usize, k: usize) -> (Vec<f64>, Vec<f64>) {
    let mut v = vec![0.0; k * k];
    (0..k).for_each(|i| v[i * k + i] = 1.0);
    const MAX_SWEEPS: usize = 60;
    for _ in 0..MAX_SWEEPS {
        let mut rotated = false;
        for p in 0..k {
            for q in p + 1..k {
                let (mut alpha, mut beta, mut gamma) = (0.0, 0.0, 0.0);
                for i in 0..r {
                    let (x, y) = (m[i * k + p], m[i * k + q]);
                    alpha += x * x;
                    beta += y * y;
                    gamma += x * y;
                }
                if gamma.abs() <= f64::EPSILON * (alpha * beta).sqrt() {
                    continue;
                }
                rotated = true;
                let zeta = (beta - alpha) / (2.0 * gamma);
                let t = zeta.signum() / (zeta.abs() + (1.0 + zeta * zeta).sqrt());
                let c = 1.0 / (1.0 + t * t).sqrt();
                let s = c * t;
                let rotate = |data: &mut [f64], rows: usize| {
                    for i in 0..rows {
                        let (x, y) = (data[i * k + p], data[i * k + q]);
                        data[i * k + p] = c * x - s * y;
                        data[i * k + q] = s * x + c * y;
                    }
                };
                rotate(m, r);
                rotate(&mut v, k);
            }
        }
        if !rotated {
            break;
        }
    }
    let sigma = (0..k)
        .map(|j| {
            (0..r)
                .map(|i| m[i * k + j] * m[i * k + j])
                .sum::<f64>()
                .sqrt()
        })
        .collect();
    (sigma, v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::f64_matrix as matrix;
    use burn_autodiff::Autodiff;
    use burn_ndarray::NdArray;

    type Plain = NdArray<f64>;
    type Ad = Autodiff<NdArray<f64>>;

    #[test]
    fn singular_values_of_known_matrices() {
        // diag(3, 2) padded with a zero row, columns swapped: singular values 3 and 2.
        let mut m = vec![0.0, 3.0, 2.0, 0.0, 0.0, 0.0];
        let (mut sigma, _) = one_sided_jacobi(&mut m, 3, 2);
        sigma.sort_by(f64::total_cmp);
        assert_eq!(sigma, vec![2.0, 3.0]);
        // [[1, 1], [1, 1]]: singular values 2 and 0 (rank one); nuclear norm 2, gradient
        // U V^T = [[1, 1], [1, 1]] / 2 from the one non-zero singular value.
        let norm = nuclear_norm(&[1.0, 1.0, 1.0, 1.0], 2, 2, true);
        assert!((norm.value - 2.0).abs() < 1e-15);
        for g in norm.gradient.unwrap() {
            assert!((g - 0.5).abs() < 1e-15, "{g}");
        }
        // [[3, 4]] (wide, transposed path): sigma 5, gradient [[0.6, 0.8]].
        let norm = nuclear_norm(&[3.0, 4.0], 1, 2, true);
        assert!((norm.value - 5.0).abs() < 1e-15);
        let g = norm.gradient.unwrap();
        assert!(
            (g[0] - 0.6).abs() < 1e-15 && (g[1] - 0.8).abs() < 1e-15,
            "{g:?}"
        );
    }

    #[test]
    fn nuclear_norm_equals_the_trace_norm_of_an_orthogonal_product() {
        // A = Q diag(5, 1e-3, 0.5) with Q orthogonal (a rotation in the first two axes).
        let (c, s) = (0.6, 0.8);
        let a = [
            5.0 * c,
            -1e-3 * s,
            0.0,
            5.0 * s,
            1e-3 * c,
            0.0,
            0.0,
            0.0,
            0.5,
        ];
        let norm = nuclear_norm(&a, 3, 3, false);
        assert!((norm.value - 5.501).abs() < 1e-14, "{}", norm.value);
    }

    #[test]
    fn empty_batches_are_errors() {
        let loss = BnmLossConfig::new().init();
        let err = loss
            .try_forward(Tensor::<Plain, 2>::zeros([0, 3], &Default::default()))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the target batch is empty (shape 0x3); MMD needs at least one row and one column"
        );
    }

    #[test]
    fn nan_logits_give_nan() {
        let loss = BnmLossConfig::new().init();
        let logits = matrix::<Ad>(&[0.0, f64::NAN, 1.0, 2.0], 2, 2).require_grad();
        let value = loss.forward(logits.clone());
        let grads = value.clone().backward();
        assert!(to_f64(value)[0].is_nan());
        assert!(
            to_f64(logits.grad(&grads).unwrap())
                .iter()
                .any(|g| g.is_nan())
        );
    }

    /// Central differences of the loss against the surrogate gradient, tall, wide and square
    /// batches of full rank (at a rank-deficient `A` the nuclear norm has a kink).
    #[test]
    fn gradients_match_finite_differences() {
        let loss = BnmLossConfig::new().init();
        for (rows, cols) in [(6, 4), (3, 5), (4, 4)] {
            let logits: Vec<f64> = (0..rows * cols)
                .map(|i| ((i * i) as f64 * 0.7 + 1.0).sin() * 2.0)
                .collect();
            let eval = |z: &[f64]| to_f64(loss.forward(matrix::<Plain>(z, rows, cols)))[0];
            let tracked = matrix::<Ad>(&logits, rows, cols).require_grad();
            let value = loss.forward(tracked.clone());
            assert!((to_f64(value.clone())[0] - eval(&logits)).abs() < 1e-15);
            let grads = value.backward();
            let analytic = to_f64(tracked.grad(&grads).unwrap());
            let h = 1e-6;
            for k in 0..logits.len() {
                let (mut up, mut down) = (logits.clone(), logits.clone());
                up[k] += h;
                down[k] -= h;
                let numeric = (eval(&up) - eval(&down)) / (2.0 * h);
                assert!(
                    (numeric - analytic[k]).abs() < 1e-8,
                    "{rows}x{cols} entry {k}: {numeric} vs {}",
                    analytic[k]
                );
            }
        }
    }
}
