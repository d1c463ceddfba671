//! The MMD loss: configuration, validation and forward pass.

use burn::config::Config;
use burn::tensor::{Int, Tensor, TensorData, backend::Backend};

use crate::bandwidth::{self, Bandwidth};
use crate::compute::Compute;
use crate::distance::{pairwise_sq_distances, row_sq_distances};
use crate::error::{MmdError, check_batches};
use crate::estimator::Estimator;
use crate::gaussian::{GaussianKernels, gaussian_mmd};
use crate::gaussian_host::gaussian_mmd_host;
use crate::host::{like, to_f64};
use crate::kernel::Kernel;

/// Configuration of [`MmdLoss`]. The defaults are the seed's `MMDLoss()`.
///
/// | field | default | seed argument | range |
/// |---|---|---|---|
/// | `kernel` | [`Kernel::Gaussian`] | `kernel_type='rbf'` (`'linear'` = [`Kernel::Linear`]) | |
/// | `kernel_mul` | `2.0` | `kernel_mul` | finite, > 0 |
/// | `kernel_num` | `5` | `kernel_num` | >= 1 |
/// | `bandwidth` | [`Bandwidth::Mean`] | `fix_sigma=None` (`fix_sigma=s` = [`Bandwidth::Fixed`]`(s)`, which the seed ignores and this crate honours) | fixed: finite, > 0 |
/// | `estimator` | [`Estimator::Biased`] | the seed has only the biased V-statistic | |
/// | `fast_gaussian` | `true` | (the seed computes one exponential per kernel) | |
/// | `compute` | `None`: by backend (see [`Compute`]) | (the seed uses torch operations) | |
///
/// Where this crate differs from the seed on purpose: a fixed bandwidth is honoured; all points
/// coinciding gives a loss of 0 with zero gradients instead of NaN; pairwise distances come from a
/// matrix product on centred rows (`O(N^2)` memory instead of the seed's `O(N^2 d)`).
#[derive(Config, Debug)]
pub struct MmdLossConfig {
    /// The kernel family.
    #[config(default = "Kernel::Gaussian")]
    pub kernel: Kernel,
    /// Ratio between consecutive Gaussian bandwidths.
    #[config(default = 2.0)]
    pub kernel_mul: f64,
    /// Number of Gaussian kernels summed.
    #[config(default = 5)]
    pub kernel_num: usize,
    /// How the base bandwidth is chosen.
    #[config(default = "Bandwidth::Mean")]
    pub bandwidth: Bandwidth,
    /// Which estimator of the squared MMD.
    #[config(default = "Estimator::Biased")]
    pub estimator: Estimator,
    /// For the Gaussian quadratic estimators with an integer `kernel_mul` from 1 to 4 (the
    /// default 2 among them), compute one exponential for the widest kernel and the others as its
    /// powers (`exp(-D/b)^2 = exp(-D/(b/2))`) instead of one exponential per kernel. Same values
    /// up to rounding; `false` forces the exponential per kernel.
    #[config(default = true)]
    pub fast_gaussian: bool,
    /// Where the quadratic Gaussian estimators are computed, when forced; `None` (the default)
    /// takes the fused host kernel on burn-ndarray and tensor operations elsewhere (see
    /// [`Compute`]).
    pub compute: Option<Compute>,
}

impl MmdLossConfig {
    /// Checks the configuration and builds the loss.
    ///
    /// # Errors
    /// [`MmdError::InvalidKernelMul`], [`MmdError::InvalidKernelNum`] or
    /// [`MmdError::InvalidBandwidth`], naming the rejected value.
    pub fn try_init(&self) -> Result<MmdLoss, MmdError> {
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
        Ok(MmdLoss {
            kernel: self.kernel,
            kernel_mul: self.kernel_mul,
            kernel_num: self.kernel_num,
            bandwidth: self.bandwidth,
            estimator: self.estimator,
            fast_gaussian: self.fast_gaussian,
            compute: self.compute,
        })
    }

    /// Builds the loss.
    ///
    /// # Panics
    /// When the configuration is invalid; the message is that of [`MmdLossConfig::try_init`].
    pub fn init(&self) -> MmdLoss {
        self.try_init().unwrap_or_else(|err| panic!("{err}"))
    }
}

/// Squared maximum mean discrepancy between a source and a target batch.
///
/// With `Z = [source; target]` (`N = n + m` rows) and a kernel `k`, the biased estimate is
///
/// ```text
/// MMD^2 = 1/n^2 sum_{i,j<n} k(x_i, x_j) + 1/m^2 sum_{i,j<m} k(y_i, y_j) - 2/(n m) sum_{i<n, j<m} k(x_i, y_j)
/// ```
///
/// and for the Gaussian family `k(a, b) = sum_{i<kernel_num} exp(-||a - b||^2 / b_i)` with
/// `b_i = base * kernel_mul^(i - floor(kernel_num / 2))`. See [`Estimator`] for the unbiased and
/// linear-time variants and [`Bandwidth`] for `base`.
///
/// Build it with [`MmdLossConfig`]. It has no parameters; gradients flow to both inputs when the
/// backend is an autodiff backend (the data-driven bandwidth is detached).
///
/// # Example
/// ```
/// use burn::tensor::Tensor;
/// use burn_ndarray::NdArray;
/// use mmd_core::{Estimator, MmdLossConfig};
///
/// let device = Default::default();
/// let source = Tensor::<NdArray, 2>::from_floats([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], &device);
/// let target = Tensor::<NdArray, 2>::from_floats([[3.0, 3.0], [4.0, 3.0]], &device);
///
/// let loss = MmdLossConfig::new().init();          // the seed's default loss
/// let value: f32 = loss.forward(source.clone(), target.clone()).into_scalar();
/// assert!(value > 0.0);
///
/// let unbiased = MmdLossConfig::new().with_estimator(Estimator::Unbiased).init();
/// assert!(unbiased.try_forward(source, target).is_ok());
/// ```
#[derive(Debug, Clone)]
pub struct MmdLoss {
    kernel: Kernel,
    kernel_mul: f64,
    kernel_num: usize,
    bandwidth: Bandwidth,
    estimator: Estimator,
    fast_gaussian: bool,
    compute: Option<Compute>,
}

impl MmdLoss {
    /// The squared MMD between `source` and `target`.
    ///
    /// # Shapes
    /// - `source`: `[n, d]`
    /// - `target`: `[m, d]`
    /// - output: `[1]`
    ///
    /// # Panics
    /// When the batches are rejected; the message is that of [`MmdLoss::try_forward`].
    pub fn forward<B: Backend>(&self, source: Tensor<B, 2>, target: Tensor<B, 2>) -> Tensor<B, 1> {
        self.try_forward(source, target)
            .unwrap_or_else(|err| panic!("{err}"))
    }

    /// The squared MMD between `source` and `target`, or why the batches cannot be compared.
    ///
    /// # Shapes
    /// - `source`: `[n, d]`
    /// - `target`: `[m, d]`
    /// - output: `[1]`
    ///
    /// # Errors
    /// [`MmdError::FeatureMismatch`] when the widths differ, [`MmdError::EmptyBatch`] for a batch
    /// without rows or columns, [`MmdError::TooFewRows`] when the estimator needs two rows,
    /// [`MmdError::ComputeUnavailable`] when [`Compute::Cube`] is forced on a backend it cannot
    /// run on.
    pub fn try_forward<B: Backend>(
        &self,
        source: Tensor<B, 2>,
        target: Tensor<B, 2>,
    ) -> Result<Tensor<B, 1>, MmdError> {
        check_batches(source.dims(), target.dims(), self.estimator)?;
        if self.compute == Some(Compute::Cube) && !Compute::cube_available::<B>() {
            return Err(MmdError::ComputeUnavailable {
                backend: B::name(&source.device()),
            });
        }
        Ok(match (self.kernel, self.estimator) {
            (_, Estimator::LinearTime) => self.linear_time(source, target),
            (Kernel::Linear, estimator) => linear_kernel(source, target, estimator),
            (Kernel::Gaussian, estimator) => self.gaussian_quadratic(source, target, estimator),
        })
    }

    /// The kernel family.
    pub fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// The estimator.
    pub fn estimator(&self) -> Estimator {
        self.estimator
    }

    /// `sum_i exp(-dist / (base * factor_i))` for the configured bandwidth series.
    fn gaussian_sum<B: Backend, const D: usize>(
        &self,
        dist: Tensor<B, D>,
        base: Tensor<B, 1>,
    ) -> Tensor<B, D> {
        let base = base.reshape([1; D]);
        let offset = (self.kernel_num / 2) as i32;
        (0..self.kernel_num)
            .map(|i| {
                let factor = self.kernel_mul.powi(i as i32 - offset);
                dist.clone()
                    .div(base.clone().mul_scalar(factor))
                    .neg()
                    .exp()
            })
            .reduce(|acc, k| acc + k)
            .expect("kernel_num >= 1 is checked at init")
    }

    /// Base bandwidth as a detached `[1]` tensor, 0 replaced by 1. `pair_dists` is called for the
    /// median heuristic only and returns the detached squared distances of the pairs to consider.
    fn base_bandwidth<B: Backend>(
        &self,
        pooled: Tensor<B, 2>,
        pair_dists: impl FnOnce() -> Vec<f64>,
    ) -> Tensor<B, 1> {
        let scalar = |value: f64| like(&pooled, TensorData::from([value]));
        let base = match self.bandwidth {
            Bandwidth::Fixed(sigma) => return scalar(sigma),
            Bandwidth::Mean => bandwidth::mean_sq_distance(pooled),
            Bandwidth::Median => match bandwidth::median(pair_dists()) {
                Some(median) if median > 0.0 => scalar(median),
                _ => bandwidth::mean_sq_distance(pooled),
            },
        };
        bandwidth::guard_zero(base)
    }

    fn gaussian_quadratic<B: Backend>(
        &self,
        source: Tensor<B, 2>,
        target: Tensor<B, 2>,
        estimator: Estimator,
    ) -> Tensor<B, 1> {
        let pooled = Tensor::cat(vec![source.clone(), target.clone()], 0).detach();
        // Only the median heuristic needs every pairwise distance at once.
        let base = self.base_bandwidth(pooled.clone(), || {
            upper_triangle(pairwise_sq_distances(pooled))
        });
        let kernels = GaussianKernels {
            kernel_mul: self.kernel_mul,
            kernel_num: self.kernel_num,
            powers: self.fast_gaussian,
        };
        match Compute::resolve::<B>(self.compute, &source.device()) {
            Compute::Host => gaussian_mmd_host(source, target, base, kernels, estimator),
            Compute::Tensor => gaussian_mmd(source, target, base, kernels, estimator),
            Compute::Cube => {
                #[cfg(feature = "cubecl-kernel")]
                if let Some(loss) = crate::gaussian_cube::gaussian_mmd_cube(
                    &source, &target, &base, kernels, estimator,
                ) {
                    return loss;
                }
                // Not f32: the documented fallback.
                gaussian_mmd(source, target, base, kernels, estimator)
            }
        }
    }

    fn linear_time<B: Backend>(&self, source: Tensor<B, 2>, target: Tensor<B, 2>) -> Tensor<B, 1> {
        let [n, _] = source.dims();
        let [m, _] = target.dims();
        let device = source.device();
        let pick = |rows: Tensor<B, 2>, indices: Vec<i64>| {
            let count = indices.len();
            rows.select(
                0,
                Tensor::<B, 1, Int>::from_data(TensorData::new(indices, [count]), &device),
            )
        };
        let even = |len: usize| (0..len / 2).map(|i| 2 * i as i64).collect::<Vec<_>>();
        let odd = |len: usize| (0..len / 2).map(|i| 2 * i as i64 + 1).collect::<Vec<_>>();
        let cross = n.max(m);
        let pairs = [
            (pick(source.clone(), even(n)), pick(source.clone(), odd(n))),
            (pick(target.clone(), even(m)), pick(target.clone(), odd(m))),
            (
                pick(source.clone(), (0..cross).map(|i| (i % n) as i64).collect()),
                pick(
                    target.clone(),
                    (0..cross).map(|i| ((i ^ 1) % m) as i64).collect(),
                ),
            ),
        ];
        let means: Vec<Tensor<B, 1>> = match self.kernel {
            Kernel::Linear => pairs
                .into_iter()
                .map(|(a, b)| (a * b).sum_dim(1).mean())
                .collect(),
            Kernel::Gaussian => {
                let dists: Vec<Tensor<B, 2>> = pairs
                    .into_iter()
                    .map(|(a, b)| row_sq_distances(a, b))
                    .collect();
                let pooled = Tensor::cat(vec![source, target], 0);
                let base = self.base_bandwidth(pooled, || {
                    dists.iter().flat_map(|d| to_f64(d.clone())).collect()
                });
                dists
                    .into_iter()
                    .map(|d| self.gaussian_sum(d, base.clone()).mean())
                    .collect()
            }
        };
        let [xx, yy, xy] = <[Tensor<B, 1>; 3]>::try_from(means).expect("three pair groups");
        xx + yy - xy.mul_scalar(2.0)
    }
}

/// Linear kernel, biased or unbiased, on rows centred at their (detached) pooled mean.
fn linear_kernel<B: Backend>(
    source: Tensor<B, 2>,
    target: Tensor<B, 2>,
    estimator: Estimator,
) -> Tensor<B, 1> {
    let [n, _] = source.dims();
    let [m, _] = target.dims();
    // Both estimators are invariant to a common shift; centring keeps f32 accurate.
    let centre = Tensor::cat(vec![source.clone(), target.clone()], 0)
        .detach()
        .mean_dim(0);
    let (source, target) = (source - centre.clone(), target - centre);
    let sum_s = source.clone().sum_dim(0);
    let sum_t = target.clone().sum_dim(0);
    let (nf, mf) = (n as f64, m as f64);
    // `mul_scalar(1 / x)`, not `div_scalar(x)`: burn-autodiff 0.21 computes the backward of
    // `div_scalar` with the scalar cast to f32, which costs f64 users 8 digits of gradient.
    match estimator {
        Estimator::Biased => {
            let delta = sum_s.mul_scalar(1.0 / nf) - sum_t.mul_scalar(1.0 / mf);
            delta.square().sum()
        }
        _ => {
            // sum_{i != j} x_i . x_j = ||sum x||^2 - sum ||x_i||^2
            let within = |sum: Tensor<B, 2>, rows: Tensor<B, 2>, count: f64| {
                (sum.square().sum() - rows.square().sum()).mul_scalar(1.0 / (count * (count - 1.0)))
            };
            let cross = (sum_s.clone() * sum_t.clone())
                .sum()
                .mul_scalar(1.0 / (nf * mf));
            within(sum_s, source, nf) + within(sum_t, target, mf) - cross.mul_scalar(2.0)
        }
    }
}

/// Entries `i < j` of a square matrix, detached, on the host.
fn upper_triangle<B: Backend>(matrix: Tensor<B, 2>) -> Vec<f64> {
    let [rows, _] = matrix.dims();
    let values = to_f64(matrix);
    (0..rows)
        .flat_map(|i| (i + 1..rows).map(move |j| (i, j)))
        .map(|(i, j)| values[i * rows + j])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn_ndarray::NdArray;

    type B = NdArray<f64>;

    fn zeros(rows: usize, cols: usize) -> Tensor<B, 2> {
        Tensor::zeros([rows, cols], &Default::default())
    }

    #[test]
    fn invalid_configurations_name_the_value() {
        let cases = [
            (
                MmdLossConfig::new().with_kernel_mul(0.0),
                "kernel_mul must be a finite number > 0, got 0",
            ),
            (MmdLossConfig::new().with_kernel_mul(f64::NAN), "got NaN"),
            (
                MmdLossConfig::new().with_kernel_num(0),
                "kernel_num must be at least 1, got 0",
            ),
            (
                MmdLossConfig::new().with_bandwidth(Bandwidth::Fixed(-1.0)),
                "fix_sigma) must be a finite number > 0, got -1",
            ),
            (
                MmdLossConfig::new().with_bandwidth(Bandwidth::Fixed(f64::INFINITY)),
                "got inf",
            ),
        ];
        for (config, message) in cases {
            let err = config.try_init().unwrap_err().to_string();
            assert!(err.contains(message), "{err:?} should contain {message:?}");
        }
    }

    #[test]
    #[should_panic(expected = "kernel_num must be at least 1, got 0")]
    fn init_panics_with_the_message() {
        MmdLossConfig::new().with_kernel_num(0).init();
    }

    #[test]
    fn bad_batches_are_errors_that_name_the_shapes() {
        let loss = MmdLossConfig::new().init();
        let err = loss.try_forward(zeros(3, 4), zeros(2, 5)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "source and target must have the same feature width: source is 3x4, target is 2x5"
        );
        let err = loss.try_forward(zeros(0, 4), zeros(2, 4)).unwrap_err();
        assert!(
            err.to_string()
                .contains("source batch is empty (shape 0x4)"),
            "{err}"
        );
        let err = loss.try_forward(zeros(2, 4), zeros(2, 0)).unwrap_err();
        assert!(
            err.to_string()
                .contains("target batch is empty (shape 2x0)"),
            "{err}"
        );
        for estimator in [Estimator::Unbiased, Estimator::LinearTime] {
            let loss = MmdLossConfig::new().with_estimator(estimator).init();
            let err = loss.try_forward(zeros(1, 3), zeros(5, 3)).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "the {} estimator needs at least 2 rows in each batch, got source 1 and target 5",
                    estimator.name()
                )
            );
        }
    }

    #[test]
    fn forcing_the_cubecl_kernel_on_ndarray_names_the_backend() {
        let device = Default::default();
        let batch = || Tensor::<NdArray<f32>, 2>::from_floats([[0.0, 1.0], [2.0, 0.5]], &device);
        let loss = MmdLossConfig::new()
            .with_compute(Some(Compute::Cube))
            .init();
        let err = loss.try_forward(batch(), batch()).unwrap_err();
        assert!(
            matches!(&err, MmdError::ComputeUnavailable { backend } if backend.contains("ndarray"))
        );
        assert!(err.to_string().contains("compute = cube"), "{err}");
    }

    #[test]
    #[should_panic(expected = "source is 3x4, target is 2x5")]
    fn forward_panics_with_the_message() {
        MmdLossConfig::new()
            .init()
            .forward(zeros(3, 4), zeros(2, 5));
    }

    #[test]
    fn unequal_batch_sizes_work_for_every_estimator() {
        let device = Default::default();
        let source = Tensor::<B, 2>::from_floats([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]], &device);
        let target = Tensor::<B, 2>::from_floats(
            [[3.0, 1.0], [1.0, 4.0], [0.5, 0.5], [2.0, 0.0], [1.0, 1.0]],
            &device,
        );
        for kernel in [Kernel::Gaussian, Kernel::Linear] {
            for estimator in [
                Estimator::Biased,
                Estimator::Unbiased,
                Estimator::LinearTime,
            ] {
                let loss = MmdLossConfig::new()
                    .with_kernel(kernel)
                    .with_estimator(estimator)
                    .init();
                let value: f64 = loss.forward(source.clone(), target.clone()).into_scalar();
                assert!(value.is_finite(), "{kernel:?} {estimator:?}: {value}");
            }
        }
    }

    #[test]
    fn config_round_trips_through_json() {
        let config = MmdLossConfig::new()
            .with_bandwidth(Bandwidth::Fixed(2.5))
            .with_estimator(Estimator::LinearTime);
        let json = config.to_string();
        let back = MmdLossConfig::load_binary(json.as_bytes()).expect("parses");
        assert_eq!(back.bandwidth, Bandwidth::Fixed(2.5));
        assert_eq!(back.estimator, Estimator::LinearTime);
        let host = MmdLossConfig::new().with_compute(Some(Compute::Host));
        let back = MmdLossConfig::load_binary(host.to_string().as_bytes()).expect("parses");
        assert_eq!(back.compute, Some(Compute::Host));
        // A configuration saved before `compute` existed still loads, with the default.
        let old = r#"{"kernel":"gaussian","kernel_mul":2.0,"kernel_num":5,"bandwidth":"mean","estimator":"biased","fast_gaussian":true}"#;
        let back = MmdLossConfig::load_binary(old.as_bytes()).expect("parses");
        assert_eq!(back.compute, None);
    }
}
