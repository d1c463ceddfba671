//! Local MMD (LMMD) of DSAN: class-conditional, weighted Gaussian multi-kernel MMD.
//!
//! Also home of the Gaussian kernel matrix that [`crate::jmmd`] multiplies across layers.

pub(crate) use crate::host::{like, to_f64};
use burn::config::Config;
use burn::tensor::{Bool, Int, Tensor, TensorData, backend::Backend};

use crate::bandwidth::Bandwidth;
use crate::error::{MmdError, check_batches};
use crate::estimator::Estimator;

/// Configuration of [`LmmdLoss`]. The defaults are DeepDA's `LMMDLoss(num_class)`.
///
/// | field | default | DeepDA argument | range |
/// |---|---|---|---|
/// | `num_classes` | (required) | `num_class` | >= 1 |
/// | `kernel_mul` | `2.0` | `kernel_mul` | finite, > 0 |
/// | `kernel_num` | `5` | `kernel_num` | >= 1 |
/// | `bandwidth` | [`Bandwidth::Mean`] | `fix_sigma=None` (`fix_sigma=s` = [`Bandwidth::Fixed`]`(s)`, which DeepDA ignores and this crate honours) | fixed: finite, > 0 |
///
/// DeepDA multiplies the loss by a warm-up schedule (`lamb()`, `LambdaSheduler`); that schedule
/// belongs to the training loop and is not part of this loss.
#[derive(Config, Debug)]
pub struct LmmdLossConfig {
    /// Number of classes: the width of the target probabilities and the range of the labels.
    pub num_classes: usize,
    /// Ratio between consecutive Gaussian bandwidths.
    #[config(default = 2.0)]
    pub kernel_mul: f64,
    /// Number of Gaussian kernels summed.
    #[config(default = 5)]
    pub kernel_num: usize,
    /// How the base bandwidth is chosen (from the pooled batch, detached).
    #[config(default = "Bandwidth::Mean")]
    pub bandwidth: Bandwidth,
}

impl LmmdLossConfig {
    /// Checks the configuration and builds the loss.
    ///
    /// # Errors
    /// [`MmdError::InvalidNumClasses`], [`MmdError::InvalidKernelMul`],
    /// [`MmdError::InvalidKernelNum`] or [`MmdError::InvalidBandwidth`], naming the rejected
    /// value.
    pub fn try_init(&self) -> Result<LmmdLoss, MmdError> {
        if self.num_classes == 0 {
            return Err(MmdError::InvalidNumClasses(self.num_classes));
        }
        let kernels = GaussianFamily {
            kernel_mul: self.kernel_mul,
            kernel_num: self.kernel_num,
            bandwidth: self.bandwidth,
        };
        kernels.validate()?;
        Ok(LmmdLoss {
            num_classes: self.num_classes,
            kernels,
        })
    }

    /// Builds the loss.
    ///
    /// # Panics
    /// When the configuration is invalid; the message is that of [`LmmdLossConfig::try_init`].
    pub fn init(&self) -> LmmdLoss {
        self.try_init().unwrap_or_else(|err| panic!("{err}"))
    }
}

/// Local maximum mean discrepancy (LMMD), the subdomain-alignment loss of DSAN (Zhu et al.,
/// "Deep Subdomain Adaptation Network for Image Classification", 2020), as in DeepDA's
/// `loss_funcs/lmmd.py`.
///
/// Source row `i` gets the class weight `s_ic = 1[y_i = c] / #{y = c}` and target row `j` the
/// weight `t_jc = p_jc / sum_j' p_j'c` (its predicted probability over the class column sum).
/// Over the classes `C` present both among the source labels and among the target predictions
/// (row-wise argmax, first maximum on ties), with `v_c = [s_c; -t_c]` and the Gaussian
/// multi-kernel matrix `K` of `[source; target]` (as in [`crate::MmdLoss`], same bandwidth rule),
///
/// ```text
/// LMMD = 1/|C| sum_{c in C} v_c^T K v_c
///      = 1/|C| sum_c ( s_c^T K_ss s_c + t_c^T K_tt t_c - 2 s_c^T K_st t_c )
/// ```
///
/// Gradients flow to `source` and `target`; the target probabilities and the data-driven
/// bandwidth are constants, as in DSAN (`.data`). When no class is in `C` the loss is 0.
///
/// Where this differs from DeepDA on purpose: unequal batch sizes `n != m` work (DeepDA slices
/// the kernel matrix at the source batch size and needs `n = m`; for `n = m` the two agree); a
/// NaN anywhere in the inputs gives a NaN loss (DeepDA silently returns 0 when the kernel matrix
/// has a NaN); weights stay in the input's float type (DeepDA rounds them to f32); a fixed
/// bandwidth is honoured; pairwise distances come from a matrix product on centred rows. DeepDA
/// replaces a zero class column sum by 100; here it is left as is, which gives the same weights
/// whenever the probabilities are non-negative (the column is then all zeros) and a non-finite
/// loss otherwise.
///
/// # Example
/// ```
/// use burn::tensor::{Int, Tensor};
/// use burn_ndarray::NdArray;
/// use mmd_core::LmmdLossConfig;
///
/// let device = Default::default();
/// let source = Tensor::<NdArray, 2>::from_floats([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0]], &device);
/// let target = Tensor::<NdArray, 2>::from_floats([[3.0, 3.0], [4.0, 3.0]], &device);
/// let labels = Tensor::<NdArray, 1, Int>::from_ints([0, 1, 1], &device);
/// let probs = Tensor::<NdArray, 2>::from_floats([[0.9, 0.1], [0.2, 0.8]], &device);
///
/// let loss = LmmdLossConfig::new(2).init();
/// let value: f32 = loss.forward(source, target, labels, probs).into_scalar();
/// assert!(value > 0.0);
/// ```
#[derive(Debug, Clone)]
pub struct LmmdLoss {
    num_classes: usize,
    kernels: GaussianFamily,
}

impl LmmdLoss {
    /// The LMMD between `source` (with its labels) and `target` (with its predicted class
    /// probabilities).
    ///
    /// # Shapes
    /// - `source`: `[n, d]`
    /// - `target`: `[m, d]`
    /// - `source_labels`: `[n]`, values in `0..num_classes`
    /// - `target_probs`: `[m, num_classes]` (e.g. the softmax of the classifier's target logits)
    /// - output: `[1]`
    ///
    /// # Panics
    /// When the inputs are rejected; the message is that of [`LmmdLoss::try_forward`].
    pub fn forward<B: Backend>(
        &self,
        source: Tensor<B, 2>,
        target: Tensor<B, 2>,
        source_labels: Tensor<B, 1, Int>,
        target_probs: Tensor<B, 2>,
    ) -> Tensor<B, 1> {
        self.try_forward(source, target, source_labels, target_probs)
            .unwrap_or_else(|err| panic!("{err}"))
    }

    /// The LMMD, or why the inputs cannot be compared.
    ///
    /// # Shapes
    /// As in [`LmmdLoss::forward`].
    ///
    /// # Errors
    /// [`MmdError::EmptyBatch`] for a batch without rows or columns,
    /// [`MmdError::FeatureMismatch`] when the feature widths differ,
    /// [`MmdError::LabelCountMismatch`] when there is not one label per source row,
    /// [`MmdError::ProbsShapeMismatch`] when `target_probs` is not `[m, num_classes]`,
    /// [`MmdError::LabelOutOfRange`] for a label outside `0..num_classes`.
    pub fn try_forward<B: Backend>(
        &self,
        source: Tensor<B, 2>,
        target: Tensor<B, 2>,
        source_labels: Tensor<B, 1, Int>,
        target_probs: Tensor<B, 2>,
    ) -> Result<Tensor<B, 1>, MmdError> {
        let [n, ds] = source.dims();
        let [m, dt] = target.dims();
        check_batches([n, ds], [m, dt], Estimator::Biased)?;
        let [labels_len] = source_labels.dims();
        if labels_len != n {
            return Err(MmdError::LabelCountMismatch {
                labels: labels_len,
                rows: n,
            });
        }
        let [rows, cols] = target_probs.dims();
        if rows != m || cols != self.num_classes {
            return Err(MmdError::ProbsShapeMismatch {
                rows,
                cols,
                target_rows: m,
                num_classes: self.num_classes,
            });
        }
        let labels: Vec<i64> = source_labels
            .into_data()
            .convert::<i64>()
            .to_vec()
            .expect("converted to i64");
        let mut classes = Vec::with_capacity(n);
        for (row, &label) in labels.iter().enumerate() {
            match usize::try_from(label) {
                Ok(class) if class < self.num_classes => classes.push(class),
                _ => {
                    return Err(MmdError::LabelOutOfRange {
                        row,
                        label,
                        num_classes: self.num_classes,
                    });
                }
            }
        }
        let target_probs = target_probs.detach();
        let probs = to_f64(target_probs.clone());
        let weights = class_weights(&classes, &probs, self.num_classes);

        let pooled = Tensor::cat(vec![source, target], 0);
        let kernel = self.kernels.matrix(pooled);
        // Non-finite probabilities in a class outside `C` would otherwise vanish from the loss.
        let probs_guard = target_probs.sum().mul_scalar(0.0);
        let used = weights.len() / (n + m);
        if used == 0 {
            // No common class: 0, but still NaN when the features are.
            return Ok(kernel.sum().mul_scalar(0.0) + probs_guard);
        }
        let v: Tensor<B, 2> = like(&kernel, TensorData::new(weights, [n + m, used]));
        let value = (v.clone() * kernel.matmul(v))
            .sum()
            .mul_scalar(1.0 / used as f64);
        Ok(value + probs_guard)
    }

    /// Number of classes.
    pub fn num_classes(&self) -> usize {
        self.num_classes
    }
}

/// The `[n + m, |C|]` row-major matrix whose column for class `c in C` is `v_c = [s_c; -t_c]`.
fn class_weights(labels: &[usize], probs: &[f64], num_classes: usize) -> Vec<f64> {
    let (n, m) = (labels.len(), probs.len() / num_classes);
    let mut source_counts = vec![0usize; num_classes];
    labels.iter().for_each(|&c| source_counts[c] += 1);
    let mut predicted = vec![false; num_classes];
    let mut column_sums = vec![0.0f64; num_classes];
    for row in probs.chunks(num_classes) {
        // First maximum, as numpy's and DeepDA's argmax; a NaN counts as the maximum.
        let mut best = 0;
        for (c, &p) in row.iter().enumerate() {
            column_sums[c] += p;
            if p > row[best] || (p.is_nan() && !row[best].is_nan()) {
                best = c;
            }
        }
        predicted[best] = true;
    }
    let common: Vec<usize> = (0..num_classes)
        .filter(|&c| source_counts[c] > 0 && predicted[c])
        .collect();
    let used = common.len();
    let mut v = vec![0.0f64; (n + m) * used];
    for (k, &c) in common.iter().enumerate() {
        let count = source_counts[c] as f64;
        for (i, &label) in labels.iter().enumerate() {
            if label == c {
                v[i * used + k] = 1.0 / count;
            }
        }
        let sum = if column_sums[c] == 0.0 {
            1.0
        } else {
            column_sums[c]
        };
        for j in 0..m {
            v[(n + j) * used + k] = -probs[j * num_classes + c] / sum;
        }
    }
    v
}

/// A Gaussian multi-kernel `k(a, b) = sum_{i < kernel_num} exp(-||a - b||^2 / b_i)` with
/// `b_i = base * kernel_mul^(i - floor(kernel_num / 2))`, `base` chosen by `bandwidth` from the
/// rows the kernel is evaluated on (detached; 0 is replaced by 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct GaussianFamily {
    pub(crate) kernel_mul: f64,
    pub(crate) kernel_num: usize,
    pub(crate) bandwidth: Bandwidth,
}

impl GaussianFamily {
    /// Rejects a `kernel_mul`, `kernel_num` or fixed bandwidth that defines no kernel.
    pub(crate) fn validate(&self) -> Result<(), MmdError> {
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
        Ok(())
    }

    /// The kernel matrix `K_ij = k(z_i, z_j)` of the rows of `pooled` (`[N, d]`, `N >= 2`),
    /// shape `[N, N]`, differentiable with respect to `pooled`.
    pub(crate) fn matrix<B: Backend>(&self, pooled: Tensor<B, 2>) -> Tensor<B, 2> {
        let dist = pairwise_sq_distances(pooled);
        let inv_base = self.base(dist.clone().detach()).recip().reshape([1, 1]);
        let offset = (self.kernel_num / 2) as i32;
        (0..self.kernel_num)
            .map(|i| {
                let factor = self.kernel_mul.powi(i as i32 - offset);
                (dist.clone() * inv_base.clone().mul_scalar(1.0 / factor))
                    .neg()
                    .exp()
            })
            .reduce(|acc, k| acc + k)
            .expect("kernel_num >= 1 is checked at init")
    }

    /// The base bandwidth from the detached distance matrix, shape `[1]`.
    fn base<B: Backend>(&self, dist: Tensor<B, 2>) -> Tensor<B, 1> {
        let [rows, _] = dist.dims();
        let mean = |dist: Tensor<B, 2>| {
            dist.sum()
                .mul_scalar(1.0 / (rows as f64 * (rows as f64 - 1.0)))
        };
        let base = match self.bandwidth {
            Bandwidth::Fixed(sigma) => return like(&dist, TensorData::from([sigma])),
            Bandwidth::Mean => mean(dist),
            Bandwidth::Median => {
                let values = to_f64(dist.clone());
                let pairs: Vec<f64> = (0..rows)
                    .flat_map(|i| (i + 1..rows).map(move |j| (i, j)))
                    .map(|(i, j)| values[i * rows + j])
                    .collect();
                match crate::bandwidth::median(pairs) {
                    Some(median) if median > 0.0 => like(&dist, TensorData::from([median])),
                    _ => mean(dist),
                }
            }
        };
        // All rows equal: every distance is 0 and any bandwidth gives K = 1; avoid 0 / 0.
        let zero = base.clone().lower_equal_elem(0.0);
        base.mask_fill(zero, 1.0)
    }
}

/// `D_ij = ||z_i - z_j||^2` for the rows of `pooled` (`[N, d]` to `[N, N]`) by one matrix
/// product on rows centred at their (detached) mean, never an `N x N x d` tensor. Negative
/// round-off is set to 0 and the diagonal is exactly 0; NaN stays NaN (no `clamp`, whose SIMD
/// `max` may drop it).
pub(crate) fn pairwise_sq_distances<B: Backend>(pooled: Tensor<B, 2>) -> Tensor<B, 2> {
    let [rows, _] = pooled.dims();
    let centre = pooled.clone().detach().mean_dim(0);
    let centred = pooled - centre;
    let norms = centred.clone().square().sum_dim(1);
    let gram = centred.clone().matmul(centred.transpose());
    let dist = norms.clone() + norms.transpose() - gram.mul_scalar(2.0);
    let negative = dist.clone().lower_elem(0.0);
    let dist = dist.mask_fill(negative, 0.0);
    let diagonal = Tensor::<B, 2, Bool>::diag_mask([rows, rows], 0, &dist.device()).bool_not();
    dist.mask_fill(diagonal, 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::f64_matrix as matrix;
    use burn_autodiff::Autodiff;
    use burn_ndarray::NdArray;

    type Plain = NdArray<f64>;
    type Ad = Autodiff<NdArray<f64>>;

    fn labels<B: Backend>(values: &[i64]) -> Tensor<B, 1, Int> {
        Tensor::from_data(
            TensorData::new(values.to_vec(), [values.len()]),
            &Default::default(),
        )
    }

    fn sample(rows: usize, cols: usize, seed: u64) -> Vec<f64> {
        (0..rows * cols)
            .map(|i| ((i as u64 * 7919 + seed * 104_729) % 97) as f64 / 31.0 - 1.5)
            .collect()
    }

    const PROBS: [f64; 12] = [0.7, 0.2, 0.1, 0.1, 0.3, 0.6, 0.5, 0.4, 0.1, 0.2, 0.2, 0.6];

    #[test]
    fn invalid_configurations_name_the_value() {
        let cases = [
            (
                LmmdLossConfig::new(0),
                "num_classes must be at least 1, got 0",
            ),
            (
                LmmdLossConfig::new(3).with_kernel_mul(-2.0),
                "kernel_mul must be a finite number > 0, got -2",
            ),
            (
                LmmdLossConfig::new(3).with_kernel_num(0),
                "kernel_num must be at least 1, got 0",
            ),
            (
                LmmdLossConfig::new(3).with_bandwidth(Bandwidth::Fixed(0.0)),
                "must be a finite number > 0, got 0",
            ),
        ];
        for (config, message) in cases {
            let err = config.try_init().unwrap_err().to_string();
            assert!(err.contains(message), "{err:?} should contain {message:?}");
        }
    }

    #[test]
    fn bad_inputs_are_errors_that_name_the_values() {
        let loss = LmmdLossConfig::new(3).init();
        let (s, t) = (
            matrix::<Plain>(&sample(5, 2, 1), 5, 2),
            matrix(&sample(4, 2, 2), 4, 2),
        );
        let probs = matrix::<Plain>(&PROBS, 4, 3);
        let err =
            |s: Tensor<Plain, 2>, t, l, p| loss.try_forward(s, t, l, p).unwrap_err().to_string();
        assert_eq!(
            err(
                s.clone(),
                t.clone(),
                labels(&[0, 1, 2, 3, 0]),
                probs.clone()
            ),
            "source label 3 at row 3 is out of range for num_classes = 3"
        );
        assert_eq!(
            err(
                s.clone(),
                t.clone(),
                labels(&[0, -1, 2, 1, 0]),
                probs.clone()
            ),
            "source label -1 at row 1 is out of range for num_classes = 3"
        );
        assert_eq!(
            err(s.clone(), t.clone(), labels(&[0, 1, 2]), probs.clone()),
            "source_labels has 3 entries but the source batch has 5 rows"
        );
        assert_eq!(
            err(
                s.clone(),
                t.clone(),
                labels(&[0, 1, 2, 1, 0]),
                matrix(&PROBS, 3, 4)
            ),
            "target_probs must be 4x3 (target rows x num_classes), got 3x4"
        );
        assert_eq!(
            err(
                s.clone(),
                matrix(&sample(4, 3, 2), 4, 3),
                labels(&[0, 1, 2, 1, 0]),
                probs
            ),
            "source and target must have the same feature width: source is 5x2, target is 4x3"
        );
    }

    #[test]
    #[should_panic(expected = "source label 7 at row 0 is out of range for num_classes = 3")]
    fn forward_panics_with_the_message() {
        let loss = LmmdLossConfig::new(3).init();
        loss.forward(
            matrix::<Plain>(&sample(2, 2, 1), 2, 2),
            matrix(&sample(4, 2, 2), 4, 2),
            labels(&[7, 0]),
            matrix(&PROBS, 4, 3),
        );
    }

    #[test]
    fn distances_match_explicit_differences() {
        let (rows, cols) = (6, 3);
        let values: Vec<f64> = sample(rows, cols, 5).iter().map(|v| v + 1e3).collect();
        let got = to_f64(pairwise_sq_distances(matrix::<Plain>(&values, rows, cols)));
        for i in 0..rows {
            for j in 0..rows {
                let expected: f64 = (0..cols)
                    .map(|k| (values[i * cols + k] - values[j * cols + k]).powi(2))
                    .sum();
                assert!((got[i * rows + j] - expected).abs() < 1e-9, "{i} {j}");
            }
        }
    }

    #[test]
    fn class_weights_follow_deepda() {
        // labels 0, 0, 2 (class 1 absent); predictions 0, 2, 0, 2: C = {0, 2}
        let v = class_weights(&[0, 0, 2], &PROBS, 3);
        let (s0, s2) = (0.5, 1.0);
        let t0 = [0.7, 0.1, 0.5, 0.2].map(|p| -p / 1.5);
        let t2 = [0.1, 0.6, 0.1, 0.6].map(|p| -p / 1.4);
        let expected = [
            s0, 0.0, s0, 0.0, 0.0, s2, t0[0], t2[0], t0[1], t2[1], t0[2], t2[2], t0[3], t2[3],
        ];
        assert_eq!(v.len(), expected.len());
        for (a, b) in v.iter().zip(expected) {
            assert!((a - b).abs() < 1e-15, "{v:?}");
        }
    }

    #[test]
    fn no_common_class_gives_zero_and_no_gradient() {
        let loss = LmmdLossConfig::new(3).init();
        let s = matrix::<Ad>(&sample(3, 2, 1), 3, 2).require_grad();
        // every target row predicts class 0, no source row has label 0
        let probs = matrix::<Ad>(&[0.8, 0.1, 0.1, 0.6, 0.3, 0.1], 2, 3);
        let value = loss.forward(
            s.clone(),
            matrix(&sample(2, 2, 2), 2, 2),
            labels(&[1, 2, 2]),
            probs,
        );
        assert_eq!(to_f64(value.clone()), vec![0.0]);
        let grads = value.backward();
        assert!(to_f64(s.grad(&grads).unwrap()).iter().all(|g| *g == 0.0));
    }

    /// Central differences in f64 with a fixed bandwidth (a data-driven one is detached, so the
    /// analytic gradient does not see it).
    #[test]
    fn gradients_match_finite_differences() {
        let (n, m, d) = (5, 4, 3);
        let loss = LmmdLossConfig::new(3)
            .with_bandwidth(Bandwidth::Fixed(1.7))
            .with_kernel_num(3)
            .init();
        let lab = [0, 1, 1, 2, 0];
        let (src, tgt) = (sample(n, d, 3), sample(m, d, 4));
        let eval = |s: &[f64], t: &[f64]| {
            to_f64(loss.forward(
                matrix::<Plain>(s, n, d),
                matrix(t, m, d),
                labels(&lab),
                matrix(&PROBS, m, 3),
            ))[0]
        };
        let (s, t) = (
            matrix::<Ad>(&src, n, d).require_grad(),
            matrix::<Ad>(&tgt, m, d).require_grad(),
        );
        let value = loss.forward(s.clone(), t.clone(), labels(&lab), matrix(&PROBS, m, 3));
        let grads = value.backward();
        let analytic = [
            to_f64(s.grad(&grads).unwrap()),
            to_f64(t.grad(&grads).unwrap()),
        ];
        let h = 1e-6;
        for (which, grad) in analytic.iter().enumerate() {
            for (k, &analytic) in grad.iter().enumerate() {
                let (mut up, mut down) = ((src.clone(), tgt.clone()), (src.clone(), tgt.clone()));
                if which == 0 {
                    up.0[k] += h;
                    down.0[k] -= h;
                } else {
                    up.1[k] += h;
                    down.1[k] -= h;
                }
                let numeric = (eval(&up.0, &up.1) - eval(&down.0, &down.1)) / (2.0 * h);
                assert!(
                    (numeric - analytic).abs() < 1e-7,
                    "input {which} entry {k}: {numeric} vs {analytic}"
                );
            }
        }
    }

    #[test]
    fn median_bandwidth_and_identical_points_are_finite() {
        let lab = [0, 1, 1, 2, 0];
        for bandwidth in [Bandwidth::Mean, Bandwidth::Median] {
            let loss = LmmdLossConfig::new(3).with_bandwidth(bandwidth).init();
            let value = to_f64(loss.forward(
                matrix::<Plain>(&sample(5, 2, 1), 5, 2),
                matrix(&sample(4, 2, 2), 4, 2),
                labels(&lab),
                matrix(&PROBS, 4, 3),
            ))[0];
            assert!(value.is_finite() && value > 0.0, "{bandwidth:?}: {value}");
            let same = to_f64(loss.forward(
                matrix::<Plain>(&[1.0; 10], 5, 2),
                matrix(&[1.0; 8], 4, 2),
                labels(&lab),
                matrix(&PROBS, 4, 3),
            ))[0];
            // K is constant, and sum(s_c) = sum(t_c) = 1 for every class: v_c^T K v_c = 0.
            assert!(same.abs() < 1e-12, "{bandwidth:?}: {same}");
        }
    }
}
