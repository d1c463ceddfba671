//! CORAL: correlation alignment of second-order statistics.

use burn::config::Config;
use burn::tensor::{Tensor, backend::Backend};

use crate::error::{MmdError, check_batches};
use crate::estimator::Estimator;

/// Configuration of [`CoralLoss`]. CORAL has no hyper-parameters; the config exists so that
/// every loss of the crate is built the same way (and saved with the training configuration).
#[derive(Config, Debug)]
pub struct CoralLossConfig {}

impl CoralLossConfig {
    /// Builds the loss.
    pub fn init(&self) -> CoralLoss {
        CoralLoss
    }
}

/// Deep CORAL (Sun & Saenko, "Deep CORAL: Correlation Alignment for Deep Domain Adaptation",
/// 2016), as DeepDA's `loss_funcs/coral.py`:
///
/// ```text
/// CORAL = ||C_s - C_t||_F^2 / (4 d^2),   C = (X - mean(X))^T (X - mean(X)) / (rows - 1)
/// ```
///
/// with `C_s`, `C_t` the unbiased `d x d` covariances of the source and target rows. Gradients
/// flow to both inputs. It is symmetric, invariant to row order and to shifting either batch, and
/// 0 when the covariances agree.
///
/// # Example
/// ```
/// use burn::tensor::Tensor;
/// use burn_ndarray::NdArray;
/// use mmd_core::CoralLossConfig;
///
/// let device = Default::default();
/// let source = Tensor::<NdArray, 2>::from_floats([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]], &device);
/// let target = Tensor::<NdArray, 2>::from_floats([[0.0, 3.0], [4.0, 0.0]], &device);
/// let value: f32 = CoralLossConfig::new().init().forward(source, target).into_scalar();
/// assert!(value > 0.0);
/// ```
#[derive(Debug, Clone)]
pub struct CoralLoss;

impl CoralLoss {
    /// The CORAL loss between `source` and `target`.
    ///
    /// # Shapes
    /// - `source`: `[n, d]`, `n >= 2`
    /// - `target`: `[m, d]`, `m >= 2`
    /// - output: `[1]`
    ///
    /// # Panics
    /// When the batches are rejected; the message is that of [`CoralLoss::try_forward`].
    pub fn forward<B: Backend>(&self, source: Tensor<B, 2>, target: Tensor<B, 2>) -> Tensor<B, 1> {
        self.try_forward(source, target)
            .unwrap_or_else(|err| panic!("{err}"))
    }

    /// The CORAL loss, or why the batches cannot be compared.
    ///
    /// # Shapes
    /// As in [`CoralLoss::forward`].
    ///
    /// # Errors
    /// [`MmdError::EmptyBatch`] for a batch without rows or columns,
    /// [`MmdError::FeatureMismatch`] when the widths differ, [`MmdError::TooFewRows`] when a
    /// batch has a single row (its unbiased covariance is undefined).
    pub fn try_forward<B: Backend>(
        &self,
        source: Tensor<B, 2>,
        target: Tensor<B, 2>,
    ) -> Result<Tensor<B, 1>, MmdError> {
        let [n, d] = source.dims();
        let [m, dt] = target.dims();
        check_batches([n, d], [m, dt], Estimator::Biased)?;
        if n < 2 || m < 2 {
            return Err(MmdError::TooFewRows {
                estimator: "CORAL",
                needed: 2,
                source_rows: n,
                target_rows: m,
            });
        }
        let difference = covariance(source) - covariance(target);
        // `mul_scalar(1 / x)`, not `div_scalar(x)`: burn-autodiff 0.21's `div_scalar` backward
        // casts the scalar to f32.
        Ok(difference
            .square()
            .sum()
            .mul_scalar(1.0 / (4.0 * (d * d) as f64)))
    }
}

/// Unbiased covariance `[d, d]` of the rows of `x` (`[rows, d]`, `rows >= 2`).
fn covariance<B: Backend>(x: Tensor<B, 2>) -> Tensor<B, 2> {
    let [rows, _] = x.dims();
    let centred = x.clone() - x.mean_dim(0);
    centred
        .clone()
        .transpose()
        .matmul(centred)
        .mul_scalar(1.0 / (rows as f64 - 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::f64_matrix as matrix;
    use burn_autodiff::Autodiff;
    use burn_ndarray::NdArray;

    type Plain = NdArray<f64>;
    type Ad = Autodiff<NdArray<f64>>;

    fn scalar<B: Backend>(t: Tensor<B, 1>) -> f64 {
        t.into_data().convert::<f64>().to_vec::<f64>().unwrap()[0]
    }

    #[test]
    fn known_value_by_hand() {
        // rows (-1, 0), (1, 0): C_s = [[2, 0], [0, 0]]; rows (0, -1), (0, 1): C_t = [[0, 0], [0, 2]]
        let source = matrix::<Plain>(&[-1.0, 0.0, 1.0, 0.0], 2, 2);
        let target = matrix::<Plain>(&[0.0, -1.0, 0.0, 1.0], 2, 2);
        let value = scalar(CoralLossConfig::new().init().forward(source, target));
        // ||diag(2, -2)||^2 / (4 * 4) = 8 / 16
        assert!((value - 0.5).abs() < 1e-15, "{value}");
    }

    #[test]
    fn bad_batches_are_errors_that_name_the_shapes() {
        let loss = CoralLossConfig::new().init();
        let zeros = |r, c| Tensor::<Plain, 2>::zeros([r, c], &Default::default());
        assert_eq!(
            loss.try_forward(zeros(1, 3), zeros(4, 3))
                .unwrap_err()
                .to_string(),
            "the CORAL estimator needs at least 2 rows in each batch, got source 1 and target 4"
        );
        assert_eq!(
            loss.try_forward(zeros(3, 3), zeros(4, 2))
                .unwrap_err()
                .to_string(),
            "source and target must have the same feature width: source is 3x3, target is 4x2"
        );
        assert!(
            loss.try_forward(zeros(3, 0), zeros(4, 0))
                .unwrap_err()
                .to_string()
                .contains("source batch is empty (shape 3x0)")
        );
    }

    #[test]
    #[should_panic(expected = "got source 3 and target 1")]
    fn forward_panics_with_the_message() {
        let zeros = |r, c| Tensor::<Plain, 2>::zeros([r, c], &Default::default());
        CoralLossConfig::new()
            .init()
            .forward(zeros(3, 2), zeros(1, 2));
    }

    #[test]
    fn gradients_match_finite_differences() {
        let (n, m, d) = (4, 3, 3);
        let src: Vec<f64> = (0..n * d)
            .map(|i| ((i * 37 % 11) as f64) * 0.3 - 1.0)
            .collect();
        let tgt: Vec<f64> = (0..m * d)
            .map(|i| ((i * 53 % 13) as f64) * 0.2 + 0.5)
            .collect();
        let loss = CoralLossConfig::new().init();
        let eval =
            |s: &[f64], t: &[f64]| scalar(loss.forward(matrix::<Plain>(s, n, d), matrix(t, m, d)));
        let (s, t) = (
            matrix::<Ad>(&src, n, d).require_grad(),
            matrix::<Ad>(&tgt, m, d).require_grad(),
        );
        let grads = loss.forward(s.clone(), t.clone()).backward();
        let analytic = [s.grad(&grads).unwrap(), t.grad(&grads).unwrap()]
            .map(|g| g.into_data().convert::<f64>().to_vec::<f64>().unwrap());
        let h = 1e-6;
        for (which, grad) in analytic.iter().enumerate() {
            for k in 0..grad.len() {
                let (mut up, mut down) = ((src.clone(), tgt.clone()), (src.clone(), tgt.clone()));
                let (u, dn) = if which == 0 {
                    (&mut up.0, &mut down.0)
                } else {
                    (&mut up.1, &mut down.1)
                };
                u[k] += h;
                dn[k] -= h;
                let numeric = (eval(&up.0, &up.1) - eval(&down.0, &down.1)) / (2.0 * h);
                assert!(
                    (numeric - grad[k]).abs() < 1e-7,
                    "input {which} entry {k}: {numeric} vs {}",
                    grad[k]
                );
            }
        }
    }
}
