//! Multi-kernel MMD with kernel weights learned to maximise the power of the test.
//!
//! See [`MkMmdConfig`] for the method, [`MkMmdLoss`] for the loss.

use burn::config::Config;
use burn::tensor::{Bool, Tensor, TensorData, backend::Backend};
use serde::{Deserialize, Serialize};

use crate::bandwidth::Bandwidth;
use crate::error::MmdError;
use crate::error::check_batches;
use crate::estimator::Estimator;
use crate::two_sample::{PooledSample, gaussian_bandwidths, to_f64};

/// Configuration of the kernel-weight fit ([`MkMmdConfig::fit`]).
///
/// DAN (Long et al. 2015) combines Gaussian kernels `k = sum_k beta_k k_k` with weights on the
/// simplex chosen as in Gretton et al. 2012, "Optimal kernel choice for large-scale two-sample
/// tests". With the linear-time statistic on `L` disjoint quadruples `(x, x', y, y')`,
///
/// ```text
/// h_k = k_k(x, x') + k_k(y, y') - k_k(x, y') - k_k(x', y),   MMD_k^2 = E h_k
/// ```
///
/// the statistic of the combined kernel is `beta^T d` (`d_k` the mean of `h_k` over the
/// quadruples) with variance `beta^T Q beta / L` (`Q` the covariance of the `h` vectors), so the
/// test is most powerful (asymptotically) for the `beta` that maximises
/// `d^T beta / sqrt(beta^T Q beta)`. That ratio is scale-free; its maximiser over `beta >= 0` is
/// the solution of
///
/// ```text
/// minimise beta^T (Q + lambda I) beta   subject to   d^T beta = 1, beta >= 0
/// ```
///
/// normalised to sum 1 (`lambda` is [`MkMmdConfig::regularisation`]). [`MkMmdConfig::fit`] solves it as
/// the equivalent non-negative problem `min 1/2 beta^T A beta - d^T beta, beta >= 0`,
/// `A = Q + lambda I` (the two have the same solution up to a positive factor), with an exact
/// active-set method (Lawson and Hanson's, for a positive definite `A`).
///
/// Fit the weights on data that is not used for the test itself (a held-out split), or the
/// test's level is no longer guaranteed.
///
///
/// | field | default | purpose | range |
/// |---|---|---|---|
/// | `kernel_mul` | `2.0` | ratio between consecutive bandwidths | finite, > 0 |
/// | `kernel_num` | `5` | number of Gaussian kernels | >= 1 |
/// | `bandwidth` | [`Bandwidth::Mean`] | base bandwidth, from the pooled sample as for [`crate::MmdLoss`] | fixed: finite, > 0 |
/// | `regularisation` | `1e-3` | `lambda` added to the diagonal of the covariance `Q` | finite, > 0 |
///
/// The bandwidths are those of [`crate::MmdLoss`] with the same options:
/// `b_k = base * kernel_mul^(k - floor(kernel_num / 2))`, `k < kernel_num`.
#[derive(Config, Debug)]
pub struct MkMmdConfig {
    /// Ratio between consecutive Gaussian bandwidths.
    #[config(default = 2.0)]
    pub kernel_mul: f64,
    /// Number of Gaussian kernels.
    #[config(default = 5)]
    pub kernel_num: usize,
    /// How the base bandwidth is chosen.
    #[config(default = "Bandwidth::Mean")]
    pub bandwidth: Bandwidth,
    /// Ridge `lambda` added to the covariance of the kernels' `h` values: it keeps the problem
    /// well posed when kernels are nearly collinear. `h` values lie in `[-2, 2]`.
    #[config(default = 1e-3)]
    pub regularisation: f64,
}

/// Gaussian kernel bandwidths and their weights: the kernel
/// `k(x, y) = sum_k weights[k] exp(-||x - y||^2 / bandwidths[k])`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KernelWeights {
    /// The bandwidths `b_k`, squared distances, in the order of [`crate::MmdLoss`]'s kernels
    /// (`base * kernel_mul^(k - floor(kernel_num / 2))`).
    pub bandwidths: Vec<f64>,
    /// The weight of each kernel: `>= 0`, summing to 1 when they come from
    /// [`MkMmdConfig::fit`] or [`KernelWeights::uniform`].
    pub weights: Vec<f64>,
    /// `true` when [`MkMmdConfig::fit`] maximised the estimated test power; `false` for uniform
    /// weights, either built with [`KernelWeights::uniform`] or because no kernel had a positive
    /// mean `d_k` (the samples then look alike to every kernel and there is nothing to maximise).
    pub fitted: bool,
}

impl KernelWeights {
    /// Equal weights `1 / len` on the given bandwidths, `fitted: false`.
    pub fn uniform(bandwidths: Vec<f64>) -> Self {
        let weight = 1.0 / bandwidths.len() as f64;
        Self {
            weights: vec![weight; bandwidths.len()],
            bandwidths,
            fitted: false,
        }
    }

    fn check(&self) -> Result<(), MmdError> {
        let invalid = |message: String| Err(MmdError::InvalidKernelWeights(message));
        if self.bandwidths.is_empty() || self.bandwidths.len() != self.weights.len() {
            return invalid(format!(
                "{} bandwidths and {} weights; there must be as many of each, at least one",
                self.bandwidths.len(),
                self.weights.len()
            ));
        }
        for (k, &b) in self.bandwidths.iter().enumerate() {
            if !(b.is_finite() && b > 0.0) {
                return invalid(format!(
                    "bandwidth {k} is {b}; it must be a finite number > 0"
                ));
            }
        }
        for (k, &w) in self.weights.iter().enumerate() {
            if !(w.is_finite() && w >= 0.0) {
                return invalid(format!(
                    "weight {k} is {w}; it must be a finite number >= 0"
                ));
            }
        }
        if self.weights.iter().all(|&w| w == 0.0) {
            return invalid("every weight is 0".into());
        }
        Ok(())
    }
}

impl MkMmdConfig {
    fn check(&self) -> Result<(), MmdError> {
        if !(self.kernel_mul.is_finite() && self.kernel_mul > 0.0) {
            return Err(MmdError::InvalidKernelMul(self.kernel_mul));
        }
        if self.kernel_num == 0 {
            return Err(MmdError::InvalidKernelNum(self.kernel_num));
        }
        if let Bandwidth::Fixed(sigma) = self.bandwidth
            && !(sigma.is_finite() && sigma > 0.0)
        {
            return Err(MmdError::InvalidBandwidth(sigma));
        }
        if !(self.regularisation.is_finite() && self.regularisation > 0.0) {
            return Err(MmdError::InvalidRegularisation(self.regularisation));
        }
        Ok(())
    }

    /// The bandwidths of the pooled sample and the weights that maximise the estimated power
    /// of the linear-time test (see [`MkMmdConfig`]).
    ///
    /// The quadruples are `(x_2i, x_2i+1, y_2i, y_2i+1)` for `i < min(n, m) / 2`; rows beyond
    /// are left out. The bandwidths use every row.
    ///
    /// # Shapes
    /// - `source`: `[n, d]`
    /// - `target`: `[m, d]`
    ///
    /// # Errors
    /// Invalid options ([`MmdError::InvalidKernelMul`], [`MmdError::InvalidKernelNum`],
    /// [`MmdError::InvalidBandwidth`], [`MmdError::InvalidRegularisation`]), then
    /// [`MmdError::EmptyBatch`], [`MmdError::FeatureMismatch`], and [`MmdError::TooFewRows`] for
    /// fewer than 4 rows in a sample (two quadruples are needed for a covariance).
    pub fn fit<B: Backend>(
        &self,
        source: Tensor<B, 2>,
        target: Tensor<B, 2>,
    ) -> Result<KernelWeights, MmdError> {
        self.check()?;
        let [n, m] = check_batches(source.dims(), target.dims(), Estimator::Biased)?;
        if n.min(m) < 4 {
            return Err(MmdError::TooFewRows {
                estimator: "kernel-weight fit (linear-time)",
                needed: 4,
                source_rows: n,
                target_rows: m,
            });
        }
        let (source, target) = (source.detach(), target.detach());
        let base = PooledSample::new(Tensor::cat(vec![source.clone(), target.clone()], 0))
            .base_bandwidth(self.bandwidth);
        let bandwidths = gaussian_bandwidths(base, self.kernel_mul, self.kernel_num);

        let quadruples = n.min(m) / 2;
        let d = source.dims()[1];
        let halves = |rows: Tensor<B, 2>| {
            let pairs = rows
                .slice([0..2 * quadruples, 0..d])
                .reshape([quadruples, 2 * d]);
            (
                pairs.clone().slice([0..quadruples, 0..d]),
                pairs.slice([0..quadruples, d..2 * d]),
            )
        };
        let (x0, x1) = halves(source);
        let (y0, y1) = halves(target);
        let sq = |a: Tensor<B, 2>, b: Tensor<B, 2>| (a - b).square().sum_dim(1);
        // Per quadruple: ||x - x'||^2, ||y - y'||^2, ||x - y'||^2, ||x' - y||^2.
        let distances = to_f64(Tensor::cat(
            vec![
                sq(x0.clone(), x1.clone()),
                sq(y0.clone(), y1.clone()),
                sq(x0, y1),
                sq(x1, y0),
            ],
            1,
        ));
        let h: Vec<Vec<f64>> = distances
            .chunks_exact(4)
            .map(|q| {
                bandwidths
                    .iter()
                    .map(|b| {
                        let k = |dist: f64| (-dist / b).exp();
                        k(q[0]) + k(q[1]) - k(q[2]) - k(q[3])
                    })
                    .collect()
            })
            .collect();

        let kernels = bandwidths.len();
        let count = h.len() as f64;
        let mean: Vec<f64> = (0..kernels)
            .map(|k| h.iter().map(|row| row[k]).sum::<f64>() / count)
            .collect();
        if mean.iter().all(|&value| value <= 0.0) {
            return Ok(KernelWeights::uniform(bandwidths));
        }
        let mut a = vec![vec![0.0; kernels]; kernels];
        for row in &h {
            for i in 0..kernels {
                for j in 0..kernels {
                    a[i][j] += (row[i] - mean[i]) * (row[j] - mean[j]) / (count - 1.0);
                }
            }
        }
        for (i, row) in a.iter_mut().enumerate() {
            row[i] += self.regularisation;
        }
        let beta = nonnegative_quadratic(&a, &mean);
        let total: f64 = beta.iter().sum();
        if total <= 0.0 {
            return Ok(KernelWeights::uniform(bandwidths));
        }
        Ok(KernelWeights {
            bandwidths,
            weights: beta.iter().map(|b| b / total).collect(),
            fitted: true,
        })
    }
}

/// The weighted multi-kernel Gaussian MMD: the biased (V-statistic) estimate of the squared MMD
/// with the kernel `k(x, y) = sum_k w_k exp(-||x - y||^2 / b_k)` of a [`KernelWeights`], i.e.
/// `sum_k w_k MMD_k^2`.
///
/// Scaling: with weights on the simplex this is a weighted *mean* of the kernels' MMDs, so
/// uniform weights on the bandwidths of an [`crate::MmdLoss`] give that loss divided by
/// `kernel_num` (the seed's loss sums the kernels).
///
/// The bandwidths are fixed numbers (those of the fit), not recomputed per batch; the weights
/// are constants for autodiff. Gradients flow to both inputs. To follow features that change
/// during training, refit now and then and [`MkMmdLoss::update`] the weights. Memory is
/// `O((n + m)^2)`.
///
/// # Example
/// ```
/// use burn::tensor::Tensor;
/// use burn_ndarray::NdArray;
/// use mmd_core::{MkMmdConfig, MkMmdLoss};
///
/// let device = Default::default();
/// let source = Tensor::<NdArray, 2>::from_floats([[0.0], [0.1], [0.2], [0.3], [0.4], [0.5]], &device);
/// let target = Tensor::<NdArray, 2>::from_floats([[1.0], [1.1], [1.2], [1.3], [1.4], [1.5]], &device);
/// let weights = MkMmdConfig::new().fit(source.clone(), target.clone()).unwrap();
/// let loss = MkMmdLoss::new(weights);
/// let value: f32 = loss.forward(source, target).into_scalar();
/// assert!(value > 0.0);
/// ```
#[derive(Debug, Clone)]
pub struct MkMmdLoss {
    weights: KernelWeights,
}

impl MkMmdLoss {
    /// The loss with these kernels and weights.
    ///
    /// # Errors
    /// [`MmdError::InvalidKernelWeights`] when the lists are empty or of different lengths, a
    /// bandwidth is not a finite number > 0, a weight is not a finite number >= 0, or all weights
    /// are 0.
    pub fn try_new(weights: KernelWeights) -> Result<Self, MmdError> {
        weights.check()?;
        Ok(Self { weights })
    }

    /// The loss with these kernels and weights.
    ///
    /// # Panics
    /// When the weights are invalid; the message is that of [`MkMmdLoss::try_new`].
    pub fn new(weights: KernelWeights) -> Self {
        Self::try_new(weights).unwrap_or_else(|err| panic!("{err}"))
    }

    /// Replaces the kernels and weights (after a refit); on error the loss is unchanged.
    ///
    /// # Errors
    /// Those of [`MkMmdLoss::try_new`].
    pub fn update(&mut self, weights: KernelWeights) -> Result<(), MmdError> {
        weights.check()?;
        self.weights = weights;
        Ok(())
    }

    /// The kernels and weights in use.
    pub fn weights(&self) -> &KernelWeights {
        &self.weights
    }

    /// The weighted squared MMD between `source` and `target`.
    ///
    /// # Shapes
    /// - `source`: `[n, d]`
    /// - `target`: `[m, d]`
    /// - output: `[1]`
    ///
    /// # Panics
    /// When the batches are rejected; the message is that of [`MkMmdLoss::try_forward`].
    pub fn forward<B: Backend>(&self, source: Tensor<B, 2>, target: Tensor<B, 2>) -> Tensor<B, 1> {
        self.try_forward(source, target)
            .unwrap_or_else(|err| panic!("{err}"))
    }

    /// The weighted squared MMD between `source` and `target`, or why they cannot be compared.
    ///
    /// # Shapes
    /// - `source`: `[n, d]`
    /// - `target`: `[m, d]`
    /// - output: `[1]`
    ///
    /// # Errors
    /// [`MmdError::FeatureMismatch`] when the widths differ, [`MmdError::EmptyBatch`] for a batch
    /// without rows or columns.
    pub fn try_forward<B: Backend>(
        &self,
        source: Tensor<B, 2>,
        target: Tensor<B, 2>,
    ) -> Result<Tensor<B, 1>, MmdError> {
        let [n, m] = check_batches(source.dims(), target.dims(), Estimator::Biased)?;
        let rows = n + m;
        let device = source.device();
        let pooled = Tensor::cat(vec![source, target], 0);
        // Distances do not depend on the centre, so it can be a detached constant.
        let centre = pooled.clone().detach().mean_dim(0);
        let centred = pooled - centre;
        let norms = centred.clone().square().sum_dim(1);
        let gram = centred.clone().matmul(centred.transpose());
        let dist = (norms.clone() + norms.transpose() - gram.mul_scalar(2.0)).clamp_min(0.0);
        let diagonal = Tensor::<B, 2, Bool>::diag_mask([rows, rows], 0, &device).bool_not();
        let dist = dist.mask_fill(diagonal, 0.0);
        let kernel = self
            .weights
            .bandwidths
            .iter()
            .zip(&self.weights.weights)
            .filter(|(_, w)| **w > 0.0)
            .map(|(b, w)| dist.clone().mul_scalar(-1.0 / b).exp().mul_scalar(*w))
            .reduce(|acc, k| acc + k)
            .expect("a positive weight is checked at construction");
        // MMD^2 = w^T K w with w_i = 1/n on source rows and -1/m on target rows.
        let signed: Vec<f64> = (0..rows)
            .map(|i| {
                if i < n {
                    1.0 / n as f64
                } else {
                    -1.0 / m as f64
                }
            })
            .collect();
        let signed = Tensor::<B, 2>::from_data(
            TensorData::new(signed, [rows, 1]),
            (&device, kernel.dtype()),
        );
        Ok((kernel.matmul(signed.clone()) * signed).sum())
    }
}

/// The minimiser of `1/2 x^T A x - d^T x` over `x >= 0`, `A` symmetric positive definite
/// (`k x k`): Lawson and Hanson's active-set method, which adds the variable with the most
/// negative gradient to the free set, solves the unconstrained problem on the free set, and
/// steps back to the boundary when that solution leaves the feasible set. Finite; a few
/// iterations for a handful of kernels.
fn nonnegative_quadratic(a: &[Vec<f64>], d: &[f64]) -> Vec<f64> {
    let k = d.len();
    let scale = d.iter().fold(0.0f64, |acc, v| acc.max(v.abs()));
    let tolerance = 1e-12 * scale.max(f64::MIN_POSITIVE);
    let mut x = vec![0.0; k];
    let mut free = vec![false; k];
    // Each outer step frees a variable; the iteration cap only guards against round-off cycles.
    for _ in 0..10 * k + 10 {
        let residual: Vec<f64> = (0..k)
            .map(|i| d[i] - (0..k).map(|j| a[i][j] * x[j]).sum::<f64>())
            .collect();
        let entering = (0..k)
            .filter(|&i| !free[i] && residual[i] > tolerance)
            .max_by(|&i, &j| residual[i].total_cmp(&residual[j]));
        let Some(entering) = entering else {
            break;
        };
        free[entering] = true;
        for _ in 0..k + 1 {
            let z = solve_free(a, d, &free);
            if (0..k).filter(|&i| free[i]).all(|i| z[i] > 0.0) {
                x = z;
                break;
            }
            // Move from x towards z until the first free variable reaches 0, and fix it there.
            let (blocking, step) = (0..k)
                .filter(|&i| free[i] && z[i] <= 0.0)
                .map(|i| (i, x[i] / (x[i] - z[i])))
                .min_by(|(_, s), (_, t)| s.total_cmp(t))
                .expect("some free z_i <= 0");
            for i in 0..k {
                x[i] += step * (z[i] - x[i]);
            }
            x[blocking] = 0.0;
            for i in 0..k {
                if free[i] && x[i] <= 0.0 {
                    free[i] = false;
                    x[i] = 0.0;
                }
            }
        }
    }
    x
}

/// Solves `A_FF z_F = d_F` on the free set `F` (Gaussian elimination with partial pivoting);
/// `z` is 0 off `F`.
fn solve_free(a: &[Vec<f64>], d: &[f64], free: &[bool]) -> Vec<f64> {
    let index: Vec<usize> = (0..d.len()).filter(|&i| free[i]).collect();
    let size = index.len();
    let mut system: Vec<Vec<f64>> = index
        .iter()
        .map(|&i| {
            let mut row: Vec<f64> = index.iter().map(|&j| a[i][j]).collect();
            row.push(d[i]);
            row
        })
        .collect();
    for col in 0..size {
        let pivot = (col..size)
            .max_by(|&r, &s| system[r][col].abs().total_cmp(&system[s][col].abs()))
            .expect("a non-empty range");
        system.swap(col, pivot);
        let (upper, lower) = system.split_at_mut(col + 1);
        let pivot_row = &upper[col];
        for row in lower {
            let factor = row[col] / pivot_row[col];
            for (value, above) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                *value -= factor * above;
            }
        }
    }
    let mut solution = vec![0.0; size];
    for r in (0..size).rev() {
        let known: f64 = (r + 1..size).map(|c| system[r][c] * solution[c]).sum();
        solution[r] = (system[r][size] - known) / system[r][r];
    }
    let mut z = vec![0.0; d.len()];
    for (position, &i) in index.iter().enumerate() {
        z[i] = solution[position];
    }
    z
}

#[cfg(test)]
mod tests {
    use super::*;

    /// KKT conditions of `min 1/2 x'Ax - d'x, x >= 0`: `x >= 0`, `Ax - d >= 0`, and
    /// `(Ax - d)_i = 0` wherever `x_i > 0`.
    fn assert_kkt(a: &[Vec<f64>], d: &[f64], x: &[f64]) {
        for i in 0..d.len() {
            let gradient: f64 = (0..d.len()).map(|j| a[i][j] * x[j]).sum::<f64>() - d[i];
            assert!(x[i] >= 0.0, "x = {x:?}");
            assert!(gradient >= -1e-12, "gradient {i} = {gradient}, x = {x:?}");
            if x[i] > 0.0 {
                assert!(
                    gradient.abs() < 1e-12,
                    "gradient {i} = {gradient}, x = {x:?}"
                );
            }
        }
    }

    #[test]
    fn diagonal_problems_have_the_closed_form() {
        // With A diagonal the problem separates: x_i = max(d_i, 0) / A_ii.
        let a = vec![
            vec![2.0, 0.0, 0.0, 0.0],
            vec![0.0, 0.5, 0.0, 0.0],
            vec![0.0, 0.0, 1.0, 0.0],
            vec![0.0, 0.0, 0.0, 4.0],
        ];
        let d = [1.0, 0.25, -3.0, 2.0];
        let x = nonnegative_quadratic(&a, &d);
        let expected = [0.5, 0.5, 0.0, 0.5];
        for (value, want) in x.iter().zip(expected) {
            assert!((value - want).abs() < 1e-15, "{x:?}");
        }
    }

    #[test]
    fn correlated_problems_meet_the_optimality_conditions() {
        // The unconstrained minimiser A^-1 d = (3, -1) leaves the feasible set: the solution
        // is x = (d_0 / A_00, 0) = (1.5, 0), and the gradient on x_1 is 2 * 1.5 - 2 = 1 > 0.
        let a = vec![vec![2.0, 2.0], vec![2.0, 3.0]];
        let d = [3.0, 2.0];
        let x = nonnegative_quadratic(&a, &d);
        assert!((x[0] - 1.5).abs() < 1e-15 && x[1] == 0.0, "{x:?}");
        assert_kkt(&a, &d, &x);

        // A 5 x 5 covariance-like matrix, B B^T + 0.1 I, with mixed signs in d.
        let b = [
            [1.0, 0.3, -0.2],
            [0.9, 0.4, 0.1],
            [0.2, -1.0, 0.5],
            [-0.3, 0.2, 0.8],
            [0.5, 0.5, 0.5],
        ];
        let a: Vec<Vec<f64>> = (0..5)
            .map(|i| {
                (0..5)
                    .map(|j| {
                        let dot: f64 = (0..3).map(|k| b[i][k] * b[j][k]).sum();
                        dot + if i == j { 0.1 } else { 0.0 }
                    })
                    .collect()
            })
            .collect();
        for d in [
            [1.0, 0.8, -0.2, 0.3, 0.9],
            [0.1, 0.2, 0.3, 0.4, 0.5],
            [-1.0, 2.0, -0.5, 0.0, 0.2],
        ] {
            let x = nonnegative_quadratic(&a, &d);
            assert!(x.iter().any(|&v| v > 0.0), "{x:?}");
            assert_kkt(&a, &d, &x);
        }
    }

    #[test]
    fn no_positive_mean_gives_zero() {
        let a = vec![vec![1.0, 0.2], vec![0.2, 1.0]];
        assert_eq!(nonnegative_quadratic(&a, &[-1.0, 0.0]), vec![0.0, 0.0]);
    }

    #[test]
    fn invalid_weights_name_the_value() {
        let cases = [
            (
                KernelWeights {
                    bandwidths: vec![1.0, 2.0],
                    weights: vec![1.0],
                    fitted: false,
                },
                "2 bandwidths and 1 weights",
            ),
            (
                KernelWeights {
                    bandwidths: vec![1.0, 0.0],
                    weights: vec![0.5, 0.5],
                    fitted: false,
                },
                "bandwidth 1 is 0;",
            ),
            (
                KernelWeights {
                    bandwidths: vec![1.0, 2.0],
                    weights: vec![-0.5, 1.5],
                    fitted: false,
                },
                "weight 0 is -0.5;",
            ),
            (
                KernelWeights {
                    bandwidths: vec![1.0],
                    weights: vec![0.0],
                    fitted: false,
                },
                "every weight is 0",
            ),
        ];
        for (weights, message) in cases {
            let err = MkMmdLoss::try_new(weights).unwrap_err().to_string();
            assert!(err.contains(message), "{err:?} should contain {message:?}");
        }
        let mut loss = MkMmdLoss::new(KernelWeights::uniform(vec![1.0, 2.0]));
        let bad = KernelWeights::uniform(vec![f64::NAN]);
        assert!(loss.update(bad).is_err());
        assert_eq!(loss.weights().bandwidths, vec![1.0, 2.0]);
    }

    #[test]
    fn invalid_configurations_name_the_value() {
        let err = MkMmdConfig::new().with_regularisation(0.0).check();
        assert_eq!(
            err.unwrap_err().to_string(),
            "regularisation must be a finite number > 0, got 0"
        );
        let err = MkMmdConfig::new().with_kernel_num(0).check();
        assert_eq!(
            err.unwrap_err().to_string(),
            "kernel_num must be at least 1, got 0"
        );
    }
}
