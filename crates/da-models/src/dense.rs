//! The fully connected layers' forward pass: burn's `Linear`, or da-models' host kernel.

use burn::nn::Linear;
use burn::tensor::{Tensor, backend::Backend};

/// `linear.forward(input)`, computed by da-models' host kernel (cnn-host's `Linear`, one node of
/// the autodiff graph with a hand-written backward pass) when `host_kernels` is set and the
/// backend is one the host kernels serve (burn-ndarray with `f32`, `ndarray` feature), by burn's
/// `Linear` otherwise. Same values and gradients up to float rounding, same parameters.
pub(crate) fn dense<B: Backend>(
    linear: &Linear<B>,
    input: Tensor<B, 2>,
    host_kernels: bool,
) -> Tensor<B, 2> {
    #[cfg(feature = "ndarray")]
    if host_kernels && crate::host::available::<B>() {
        let bias = linear.bias.as_ref().map(|bias| bias.val());
        return crate::host::linear(input, linear.weight.val(), bias);
    }
    let _ = host_kernels;
    linear.forward(input)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::LinearConfig;
    use burn::tensor::{Distribution, Int, Tolerance};
    use burn_autodiff::Autodiff;
    use burn_ndarray::NdArray;

    type TestBackend = NdArray<f32>;
    type TrainBackend = Autodiff<TestBackend>;

    /// Output and input, weight and bias gradients of `dense` with and without host kernels.
    fn agree(batch: usize, input: usize, output: usize, bias: bool, input_grad: bool) {
        let device = Default::default();
        let linear = LinearConfig::new(input, output)
            .with_bias(bias)
            .init::<TrainBackend>(&device);
        let mut x = Tensor::<TrainBackend, 2>::random(
            [batch, input],
            Distribution::Normal(0.0, 1.0),
            &device,
        );
        if input_grad {
            x = x.require_grad();
        }
        let run = |host: bool| {
            let y = dense(&linear, x.clone(), host);
            // A non-uniform upstream gradient.
            let weights =
                Tensor::<TrainBackend, 1, Int>::arange(0..(batch * output) as i64, &device)
                    .float()
                    .reshape([batch, output])
                    .sin();
            let grads = (y.clone() * weights).sum().backward();
            (
                y.inner().into_data(),
                x.grad(&grads).map(|g| g.into_data()),
                linear.weight.grad(&grads).unwrap().into_data(),
                linear
                    .bias
                    .as_ref()
                    .map(|b| b.grad(&grads).unwrap().into_data()),
            )
        };
        let (burn, host) = (run(false), run(true));
        let tolerance = Tolerance::<f32>::relative(1e-4).set_absolute(1e-5);
        burn.0.assert_approx_eq::<f32>(&host.0, tolerance);
        assert_eq!(burn.1.is_some(), input_grad);
        assert_eq!(host.1.is_some(), input_grad);
        if let (Some(a), Some(b)) = (&burn.1, &host.1) {
            a.assert_approx_eq::<f32>(b, tolerance);
        }
        burn.2.assert_approx_eq::<f32>(&host.2, tolerance);
        assert_eq!(burn.3.is_some(), host.3.is_some());
        if let (Some(a), Some(b)) = (&burn.3, &host.3) {
            a.assert_approx_eq::<f32>(b, tolerance);
        }
    }

    #[test]
    fn host_kernel_matches_burns_linear() {
        agree(64, 1024, 256, true, true); // LeNet's bottleneck, split over threads
        agree(64, 256, 10, true, true); // its classifier
        agree(3, 5, 7, false, true); // no bias
        agree(4, 6, 2, true, false); // input without gradient
        agree(1, 1, 1, true, true);
    }

    #[test]
    fn host_kernel_without_autodiff() {
        let device = Default::default();
        let linear = LinearConfig::new(9, 4).init::<TestBackend>(&device);
        let x = Tensor::<TestBackend, 2>::random([5, 9], Distribution::Default, &device);
        let tolerance = Tolerance::<f32>::relative(1e-5).set_absolute(1e-6);
        dense(&linear, x.clone(), true)
            .into_data()
            .assert_approx_eq::<f32>(&linear.forward(x).into_data(), tolerance);
    }

    #[test]
    #[cfg(feature = "ndarray")]
    #[should_panic(expected = "a linear layer of 9 inputs got rows of 8 values")]
    fn wrong_width_is_named() {
        let device = Default::default();
        let linear = LinearConfig::new(9, 4).init::<TestBackend>(&device);
        dense(&linear, Tensor::zeros([2, 8], &device), true);
    }
}
