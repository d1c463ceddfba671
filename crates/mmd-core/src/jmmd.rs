//! Joint MMD (JMMD) of JAN: MMD under the product of per-layer Gaussian kernels.

use burn::config::Config;
use burn::tensor::{Tensor, TensorData, backend::Backend};

use crate::bandwidth::Bandwidth;
use crate::error::MmdError;
use crate::lmmd::{GaussianFamily, like};

/// Configuration of [`JmmdLoss`].
///
/// | field | default | purpose | range |
/// |---|---|---|---|
/// | `kernel_mul` | `2.0` | ratio between consecutive bandwidths of a layer's multi-kernel | finite, > 0 |
/// | `kernel_num` | `5` | Gaussian kernels summed per layer | >= 1 |
/// | `bandwidth` | [`Bandwidth::Mean`] | base bandwidth of each multi-kernel layer, from that layer's pooled batch (detached) | fixed: finite, > 0 |
/// | `fixed_layer_bandwidths` | `[]` (every layer multi-kernel) | `Some(b)` at index `l` gives layer `l` the single kernel `exp(-D / b)` | each `b` finite, > 0; at most one entry per layer |
///
/// JAN as in Transfer-Learning-Library (`tllib/alignment/jan.py` with
/// `GaussianKernel(alpha=2^k), k = -3..1` on the features and `GaussianKernel(sigma=0.92)` on the
/// softmax outputs) is [`JmmdLossConfig::jan`]: its five feature kernels
/// `exp(-D / (2 alpha mean(D)))` are this crate's defaults, `base * 2^(i - 2)`, `i = 0..5`, and
/// its softmax kernel `exp(-D / (2 * 0.92^2))` is the fixed bandwidth
/// [`JmmdLossConfig::JAN_SOFTMAX_BANDWIDTH`] on the second layer.
#[derive(Config, Debug)]
pub struct JmmdLossConfig {
    /// Ratio between consecutive Gaussian bandwidths of a multi-kernel layer.
    #[config(default = 2.0)]
    pub kernel_mul: f64,
    /// Number of Gaussian kernels summed in a multi-kernel layer.
    #[config(default = 5)]
    pub kernel_num: usize,
    /// How the base bandwidth of a multi-kernel layer is chosen.
    #[config(default = "Bandwidth::Mean")]
    pub bandwidth: Bandwidth,
    /// Per-layer override: `Some(b)` at index `l` replaces layer `l`'s multi-kernel by the single
    /// Gaussian `exp(-||a - b||^2 / b)`; `None` and layers past the end keep the multi-kernel.
    #[config(default = "Vec::new()")]
    pub fixed_layer_bandwidths: Vec<Option<f64>>,
}

impl JmmdLossConfig {
    /// `2 * 0.92^2`: Transfer-Learning-Library's `GaussianKernel(sigma=0.92)`, which JAN uses on
    /// the softmax outputs, as a divisor of the squared distance.
    pub const JAN_SOFTMAX_BANDWIDTH: f64 = 2.0 * 0.92 * 0.92;

    /// JAN's two-layer setting: the default multi-kernel on layer 0 (features) and the fixed
    /// kernel [`JmmdLossConfig::JAN_SOFTMAX_BANDWIDTH`] on layer 1 (softmax outputs).
    pub fn jan() -> Self {
        Self::new().with_fixed_layer_bandwidths(vec![None, Some(Self::JAN_SOFTMAX_BANDWIDTH)])
    }

    /// Checks the configuration and builds the loss.
    ///
    /// # Errors
    /// [`MmdError::InvalidKernelMul`], [`MmdError::InvalidKernelNum`] or
    /// [`MmdError::InvalidBandwidth`] (also for a per-layer bandwidth), naming the rejected value.
    pub fn try_init(&self) -> Result<JmmdLoss, MmdError> {
        let multi = GaussianFamily {
            kernel_mul: self.kernel_mul,
            kernel_num: self.kernel_num,
            bandwidth: self.bandwidth,
        };
        multi.validate()?;
        let fixed = self
            .fixed_layer_bandwidths
            .iter()
            .map(|b| {
                b.map(|b| {
                    let single = GaussianFamily {
                        kernel_mul: 1.0,
                        kernel_num: 1,
                        bandwidth: Bandwidth::Fixed(b),
                    };
                    single.validate().map(|()| single)
                })
                .transpose()
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(JmmdLoss { multi, fixed })
    }

    /// Builds the loss.
    ///
    /// # Panics
    /// When the configuration is invalid; the message is that of [`JmmdLossConfig::try_init`].
    pub fn init(&self) -> JmmdLoss {
        self.try_init().unwrap_or_else(|err| panic!("{err}"))
    }
}

/// Joint maximum mean discrepancy (Long et al., "Deep Transfer Learning with Joint Adaptation
/// Networks", ICML 2017).
///
/// Each sample is a tuple of activations of several layers (e.g. bottleneck features and softmax
/// outputs). With `Z^l = [source_l; target_l]` (`N = n + m` rows) and a Gaussian (multi-)kernel
/// `k^l` per layer, the joint kernel is the product `K = prod_l K^l` and the loss is the biased
/// estimate
///
/// ```text
/// JMMD = mean(K_ss) + mean(K_tt) - 2 mean(K_st)
/// ```
///
/// Each multi-kernel layer is the kernel of [`crate::MmdLoss`] (same bandwidth rule, computed
/// from that layer's pooled batch and detached); see [`JmmdLossConfig`] for single fixed kernels.
/// Gradients flow to every layer of both domains. With one layer this is the biased Gaussian
/// [`crate::MmdLoss`].
///
/// Where this differs from Transfer-Learning-Library's JAN: the batches may differ in size
/// (`n != m`); it is the plain biased estimator (TLL leaves the diagonal out of `K_ss`, `K_tt` and
/// adds back `2 / (n - 1)`, which is that diagonal only for kernels equal to 1 on it, not for its
/// sums of five); the data-driven bandwidth is the mean over pairs `i != j` (TLL's mean includes
/// the zero diagonal); there is no running average of the bandwidth and no adversarial `theta`.
///
/// # Example
/// ```
/// use burn::tensor::Tensor;
/// use burn_ndarray::NdArray;
/// use mmd_core::JmmdLossConfig;
///
/// let device = Default::default();
/// let features_s = Tensor::<NdArray, 2>::from_floats([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], &device);
/// let features_t = Tensor::<NdArray, 2>::from_floats([[3.0, 3.0], [4.0, 3.0]], &device);
/// let probs_s = Tensor::<NdArray, 2>::from_floats([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]], &device);
/// let probs_t = Tensor::<NdArray, 2>::from_floats([[0.6, 0.4], [0.3, 0.7]], &device);
///
/// let loss = JmmdLossConfig::jan().init();
/// let value: f32 = loss
///     .forward(vec![features_s, probs_s], vec![features_t, probs_t])
///     .into_scalar();
/// assert!(value > 0.0);
/// ```
#[derive(Debug, Clone)]
pub struct JmmdLoss {
    multi: GaussianFamily,
    /// Per-layer single fixed kernels (`None`: the multi-kernel).
    fixed: Vec<Option<GaussianFamily>>,
}

impl JmmdLoss {
    /// The JMMD between the source and target activations, one tensor per layer.
    ///
    /// # Shapes
    /// - `source_layers[l]`: `[n, d_l]`
    /// - `target_layers[l]`: `[m, d_l]`
    /// - output: `[1]`
    ///
    /// # Panics
    /// When the layers are rejected; the message is that of [`JmmdLoss::try_forward`].
    pub fn forward<B: Backend>(
        &self,
        source_layers: Vec<Tensor<B, 2>>,
        target_layers: Vec<Tensor<B, 2>>,
    ) -> Tensor<B, 1> {
        self.try_forward(source_layers, target_layers)
            .unwrap_or_else(|err| panic!("{err}"))
    }

    /// The JMMD, or why the layers cannot be compared.
    ///
    /// # Shapes
    /// As in [`JmmdLoss::forward`].
    ///
    /// # Errors
    /// [`MmdError::LayerCountMismatch`] when the two lists differ in length or are empty,
    /// [`MmdError::TooManyLayerBandwidths`] when more per-layer bandwidths are configured than
    /// there are layers, [`MmdError::EmptyBatch`] for a layer without rows or columns,
    /// [`MmdError::LayerShapeMismatch`] when a layer's rows differ from layer 0's or its source
    /// and target widths differ.
    pub fn try_forward<B: Backend>(
        &self,
        source_layers: Vec<Tensor<B, 2>>,
        target_layers: Vec<Tensor<B, 2>>,
    ) -> Result<Tensor<B, 1>, MmdError> {
        let (n, m) = self.check_layers(&source_layers, &target_layers)?;
        let mut joint: Option<Tensor<B, 2>> = None;
        for (layer, (source, target)) in source_layers.into_iter().zip(target_layers).enumerate() {
            let kernels = self
                .fixed
                .get(layer)
                .copied()
                .flatten()
                .unwrap_or(self.multi);
            let kernel = kernels.matrix(Tensor::cat(vec![source, target], 0));
            joint = Some(match joint {
                Some(product) => product * kernel,
                None => kernel,
            });
        }
        let joint = joint.expect("at least one layer is checked");
        let weights: Vec<f64> = (0..n + m)
            .map(|i| {
                if i < n {
                    1.0 / n as f64
                } else {
                    -1.0 / m as f64
                }
            })
            .collect();
        let w: Tensor<B, 2> = like(&joint, TensorData::new(weights, [n + m, 1]));
        Ok((w.clone() * joint.matmul(w)).sum())
    }

    /// Checks the layer lists; returns the source and target row counts.
    fn check_layers<B: Backend>(
        &self,
        source_layers: &[Tensor<B, 2>],
        target_layers: &[Tensor<B, 2>],
    ) -> Result<(usize, usize), MmdError> {
        let layers = source_layers.len();
        if layers != target_layers.len() || layers == 0 {
            return Err(MmdError::LayerCountMismatch {
                source_layers: layers,
                target_layers: target_layers.len(),
            });
        }
        if self.fixed.len() > layers {
            return Err(MmdError::TooManyLayerBandwidths {
                configured: self.fixed.len(),
                layers,
            });
        }
        let [n, _] = source_layers[0].dims();
        let [m, _] = target_layers[0].dims();
        for (layer, (source, target)) in source_layers.iter().zip(target_layers).enumerate() {
            let [source_rows, source_cols] = source.dims();
            let [target_rows, target_cols] = target.dims();
            for (which, rows, cols) in [
                ("source", source_rows, source_cols),
                ("target", target_rows, target_cols),
            ] {
                if rows == 0 || cols == 0 {
                    return Err(MmdError::EmptyBatch { which, rows, cols });
                }
            }
            if source_rows != n || target_rows != m || source_cols != target_cols {
                return Err(MmdError::LayerShapeMismatch {
                    layer,
                    source_rows,
                    source_cols,
                    target_rows,
                    target_cols,
                    expected_source_rows: n,
                    expected_target_rows: m,
                });
            }
        }
        Ok((n, m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::f64_matrix as matrix;
    use crate::lmmd::to_f64;
    use burn_autodiff::Autodiff;
    use burn_ndarray::NdArray;

    type Plain = NdArray<f64>;
    type Ad = Autodiff<NdArray<f64>>;

    fn sample(rows: usize, cols: usize, seed: u64) -> Vec<f64> {
        (0..rows * cols)
            .map(|i| ((i as u64 * 7919 + seed * 104_729) % 89) as f64 / 29.0 - 1.5)
            .collect()
    }

    #[test]
    fn invalid_configurations_name_the_value() {
        let cases = [
            (
                JmmdLossConfig::new().with_kernel_num(0),
                "kernel_num must be at least 1, got 0",
            ),
            (
                JmmdLossConfig::new().with_kernel_mul(f64::INFINITY),
                "kernel_mul must be a finite number > 0, got inf",
            ),
            (
                JmmdLossConfig::new().with_fixed_layer_bandwidths(vec![None, Some(-0.5)]),
                "must be a finite number > 0, got -0.5",
            ),
        ];
        for (config, message) in cases {
            let err = config.try_init().unwrap_err().to_string();
            assert!(err.contains(message), "{err:?} should contain {message:?}");
        }
    }

    #[test]
    fn bad_layers_are_errors_that_name_the_values() {
        let z = |r, c| Tensor::<Plain, 2>::zeros([r, c], &Default::default());
        let loss = JmmdLossConfig::new().init();
        let err = |s: Vec<Tensor<Plain, 2>>, t| loss.try_forward(s, t).unwrap_err().to_string();
        assert_eq!(
            err(vec![z(3, 2), z(3, 4)], vec![z(2, 2)]),
            "JMMD needs the same number (at least 1) of source and target layers, got 2 source and 1 target layers"
        );
        assert_eq!(
            err(vec![], vec![]),
            "JMMD needs the same number (at least 1) of source and target layers, got 0 source and 0 target layers"
        );
        assert_eq!(
            err(vec![z(3, 2), z(3, 4)], vec![z(2, 2), z(2, 5)]),
            "layer 1: source is 3x4 and target is 2x5; every source layer needs 3 rows, every target layer 2 rows, and source and target the same width"
        );
        assert_eq!(
            err(vec![z(3, 2), z(4, 4)], vec![z(2, 2), z(2, 4)]),
            "layer 1: source is 4x4 and target is 2x4; every source layer needs 3 rows, every target layer 2 rows, and source and target the same width"
        );
        let jan = JmmdLossConfig::jan().init();
        assert_eq!(
            jan.try_forward(vec![z(3, 2)], vec![z(2, 2)])
                .unwrap_err()
                .to_string(),
            "2 per-layer fixed bandwidths are configured but there are only 1 layers"
        );
    }

    #[test]
    #[should_panic(expected = "got 1 source and 2 target layers")]
    fn forward_panics_with_the_message() {
        let z = |r, c| Tensor::<Plain, 2>::zeros([r, c], &Default::default());
        JmmdLossConfig::new()
            .init()
            .forward(vec![z(3, 2)], vec![z(2, 2), z(2, 2)]);
    }

    /// Central differences in f64; fixed bandwidths, since data-driven ones are detached.
    #[test]
    fn gradients_match_finite_differences() {
        let (n, m, widths) = (4, 3, [3, 2]);
        let loss = JmmdLossConfig::new()
            .with_kernel_num(3)
            .with_bandwidth(Bandwidth::Fixed(2.2))
            .with_fixed_layer_bandwidths(vec![None, Some(0.9)])
            .init();
        let inputs: Vec<Vec<f64>> = widths
            .iter()
            .enumerate()
            .flat_map(|(l, &w)| [sample(n, w, l as u64), sample(m, w, 10 + l as u64)])
            .collect();
        let build = |inputs: &[Vec<f64>]| -> (Vec<Tensor<Plain, 2>>, Vec<Tensor<Plain, 2>>) {
            let s = (0..2)
                .map(|l| matrix(&inputs[2 * l], n, widths[l]))
                .collect();
            let t = (0..2)
                .map(|l| matrix(&inputs[2 * l + 1], m, widths[l]))
                .collect();
            (s, t)
        };
        let eval = |inputs: &[Vec<f64>]| {
            let (s, t) = build(inputs);
            to_f64(loss.forward(s, t))[0]
        };
        let tracked: Vec<Tensor<Ad, 2>> = inputs
            .iter()
            .enumerate()
            .map(|(k, v)| matrix(v, if k % 2 == 0 { n } else { m }, widths[k / 2]).require_grad())
            .collect();
        let value = loss.forward(
            vec![tracked[0].clone(), tracked[2].clone()],
            vec![tracked[1].clone(), tracked[3].clone()],
        );
        let grads = value.backward();
        let h = 1e-6;
        for (k, tensor) in tracked.iter().enumerate() {
            let analytic = to_f64(tensor.grad(&grads).unwrap());
            for e in 0..analytic.len() {
                let (mut up, mut down) = (inputs.clone(), inputs.clone());
                up[k][e] += h;
                down[k][e] -= h;
                let numeric = (eval(&up) - eval(&down)) / (2.0 * h);
                assert!(
                    (numeric - analytic[e]).abs() < 1e-8,
                    "tensor {k} entry {e}: {numeric} vs {}",
                    analytic[e]
                );
            }
        }
    }

    #[test]
    fn jan_preset_matches_tll_kernels() {
        let config = JmmdLossConfig::jan();
        assert_eq!(config.fixed_layer_bandwidths, vec![None, Some(1.6928)]);
        assert_eq!((config.kernel_mul, config.kernel_num), (2.0, 5));
        let back = JmmdLossConfig::load_binary(config.to_string().as_bytes()).expect("parses");
        assert_eq!(back.fixed_layer_bandwidths, config.fixed_layer_bandwidths);
    }
}
