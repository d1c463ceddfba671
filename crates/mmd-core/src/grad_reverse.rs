//! The gradient reversal layer of DANN (Ganin & Lempitsky, 2015) and its coefficient ramp.

use burn::tensor::{Tensor, backend::Backend};

/// Identity in the forward pass; multiplies the gradient by `-coefficient` in the backward pass.
///
/// Placed between a feature extractor and a domain discriminator, it lets one optimiser step
/// train the discriminator to tell the domains apart (its own gradients are untouched) while
/// pushing the features to make them indistinguishable (their gradients are reversed).
///
/// It is built from ordinary tensor operations, so it works on every backend, with or without
/// autodiff:
///
/// ```text
/// out = detach(x) + (-coefficient) * (x - detach(x))
/// ```
///
/// - forward: `x - detach(x)` is exactly `0` for every finite `x`, and `detach(x) + (±0)` is
///   exactly `x`, so the output is bit-for-bit the input;
/// - backward: `detach(x)` has no gradient, and `d out / d x = -coefficient` exactly.
///
/// A non-finite `x` gives NaN (`inf - inf`), which a training loop then reports as a non-finite
/// loss instead of silently propagating it.
///
/// # Shapes
/// - x: any shape; the output has the same shape.
///
/// ```
/// use burn::tensor::Tensor;
/// use burn_ndarray::NdArray;
/// use mmd_core::grad_reverse;
///
/// let x = Tensor::<NdArray, 2>::from_floats([[1.0, -2.0]], &Default::default());
/// let y = grad_reverse(x.clone(), 0.5);
/// assert_eq!(y.into_data(), x.into_data());
/// ```
pub fn grad_reverse<B: Backend, const D: usize>(x: Tensor<B, D>, coefficient: f64) -> Tensor<B, D> {
    let detached = x.clone().detach();
    detached.clone() + (x - detached).mul_scalar(-coefficient)
}

/// The coefficient of the gradient reversal at training progress `progress` in `[0, 1]`:
/// `2 / (1 + exp(-gamma * progress)) - 1`.
///
/// It is 0 at the start and approaches 1 at the end, so that the domain discriminator's noisy
/// early signal does not disturb the features (DANN's schedule, `gamma = 10` in the paper;
/// DeepDA's `LambdaSheduler`). The same ramp weights the transfer loss of the training program.
pub fn dann_coefficient(progress: f64, gamma: f64) -> f64 {
    2.0 / (1.0 + (-gamma * progress).exp()) - 1.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Distribution, TensorData, Tolerance};
    use burn_autodiff::Autodiff;
    use burn_ndarray::NdArray;

    type B = Autodiff<NdArray<f64>>;

    #[test]
    fn forward_is_the_identity() {
        let device = Default::default();
        let x = Tensor::<B, 3>::random([2, 3, 4], Distribution::Normal(0.0, 100.0), &device);
        for c in [0.0, 0.3, 1.0, 7.5] {
            assert_eq!(
                grad_reverse(x.clone(), c).into_data(),
                x.clone().into_data(),
                "c = {c}"
            );
        }
        // Without autodiff too.
        let plain = Tensor::<NdArray<f64>, 1>::from_floats([1.5, -0.25, 1e30], &device);
        assert_eq!(
            grad_reverse(plain.clone(), 2.0)
                .into_data()
                .to_vec::<f64>()
                .unwrap(),
            plain.into_data().to_vec::<f64>().unwrap()
        );
    }

    #[test]
    fn gradient_is_minus_coefficient_times_upstream() {
        let device = Default::default();
        let x = Tensor::<B, 2>::from_floats([[1.0, -2.0, 3.0], [0.5, 0.0, -4.0]], &device)
            .require_grad();
        let upstream = [[1.0, 2.0, -3.0], [0.25, -1.0, 10.0]];
        let weights = Tensor::<B, 2>::from_floats(upstream, &device);
        for c in [0.0, 0.4, 1.0, 3.0] {
            // loss = sum(w * grl(x)) so d loss / d grl(x) = w, and d loss / d x = -c w.
            let loss = (grad_reverse(x.clone(), c) * weights.clone()).sum();
            let grads = loss.backward();
            let grad = x.grad(&grads).expect("x requires grad");
            let expected: Vec<f64> = upstream.iter().flatten().map(|w| -c * w).collect();
            grad.into_data().assert_approx_eq::<f64>(
                &TensorData::new(expected, [2, 3]),
                Tolerance::absolute(1e-15),
            );
        }
    }

    #[test]
    fn gradients_before_the_layer_are_untouched() {
        // The layer only flips what flows through it: a parameter used after it keeps its
        // ordinary gradient.
        let device = Default::default();
        let x = Tensor::<B, 1>::from_floats([2.0, -1.0], &device).require_grad();
        let w = Tensor::<B, 1>::from_floats([3.0, 5.0], &device).require_grad();
        let loss = (grad_reverse(x.clone(), 0.5) * w.clone()).sum();
        let grads = loss.backward();
        assert_eq!(
            w.grad(&grads).unwrap().into_data(),
            TensorData::from([2.0, -1.0])
        );
        assert_eq!(
            x.grad(&grads).unwrap().into_data(),
            TensorData::from([-1.5, -2.5])
        );
    }

    #[test]
    fn coefficient_ramps_from_zero_towards_one() {
        assert_eq!(dann_coefficient(0.0, 10.0), 0.0);
        // numpy: 2 / (1 + np.exp(-10 * 0.5)) - 1 = 0.9866142981514305
        assert!((dann_coefficient(0.5, 10.0) - 0.986_614_298_151_430_5).abs() < 1e-15);
        // numpy: 2 / (1 + np.exp(-1.0)) - 1 = 0.46211715726000974
        assert!((dann_coefficient(1.0, 1.0) - 0.462_117_157_260_009_74).abs() < 1e-15);
        assert!(dann_coefficient(0.2, 10.0) < dann_coefficient(0.3, 10.0));
        assert!(dann_coefficient(1.0, 10.0) < 1.0);
    }
}
