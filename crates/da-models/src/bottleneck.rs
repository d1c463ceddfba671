//! The bottleneck: a fully connected layer with ReLU and dropout between the extractor and the
//! classifier.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Tensor, backend::Backend};

use crate::dense::dense;
use crate::error::ModelError;

/// Configuration of a [`Bottleneck`]: `Linear(input, width) -> ReLU -> Dropout(dropout)`.
///
/// | field | default | purpose | range |
/// |---|---|---|---|
/// | `input` | required | width of the flattened extractor output | >= 1 |
/// | `width` | `256` | output width, the features the MMD can compare | >= 1 |
/// | `dropout` | `0.0` | dropout probability after the ReLU (training only) | `[0, 1)` |
/// | `host_kernels` | `true` | the layer on da-models' CPU kernel where it runs | |
#[derive(Config, Debug)]
pub struct BottleneckConfig {
    /// Width of the input rows.
    pub input: usize,
    /// Width of the output rows.
    #[config(default = 256)]
    pub width: usize,
    /// Probability that dropout zeroes an output during training.
    #[config(default = 0.0)]
    pub dropout: f64,
    /// Whether the fully connected layer runs on da-models' CPU kernel where it can
    /// (burn-ndarray with `f32` and the `ndarray` feature, as
    /// [`ConvAlgorithm::Host`](crate::ConvAlgorithm::Host)); burn's `Linear` otherwise. Same
    /// parameters either way.
    #[config(default = true)]
    pub host_kernels: bool,
}

impl BottleneckConfig {
    /// Checks the configuration and builds the bottleneck.
    ///
    /// # Errors
    /// [`ModelError::InvalidBottleneck`] for a zero input or output width,
    /// [`ModelError::InvalidDropout`] for a dropout outside `[0, 1)`.
    pub fn try_init<B: Backend>(&self, device: &B::Device) -> Result<Bottleneck<B>, ModelError> {
        if self.width == 0 {
            return Err(ModelError::InvalidBottleneck(self.width));
        }
        if self.input == 0 {
            return Err(ModelError::InvalidBottleneck(self.input));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(ModelError::InvalidDropout(self.dropout));
        }
        Ok(Bottleneck {
            linear: LinearConfig::new(self.input, self.width).init(device),
            dropout: DropoutConfig::new(self.dropout).init(),
            host_kernels: self.host_kernels,
        })
    }

    /// Builds the bottleneck.
    ///
    /// # Panics
    /// With the message of the [`ModelError`] that [`try_init`](Self::try_init) returns.
    pub fn init<B: Backend>(&self, device: &B::Device) -> Bottleneck<B> {
        self.try_init(device).unwrap_or_else(|err| panic!("{err}"))
    }
}

/// `Linear -> ReLU -> Dropout`, built by [`BottleneckConfig`].
///
/// Dropout is active only on an autodiff backend (training); after `model.valid()` it is the
/// identity, per burn's convention.
#[derive(Module, Debug)]
pub struct Bottleneck<B: Backend> {
    /// The fully connected layer.
    pub linear: Linear<B>,
    /// Dropout after the ReLU.
    pub dropout: Dropout,
    #[module(skip)]
    host_kernels: bool,
}

impl<B: Backend> Bottleneck<B> {
    /// Width of the output rows.
    pub fn width(&self) -> usize {
        let [_, output] = self.linear.weight.lazy_shape().dims();
        output
    }

    /// Applies the bottleneck.
    ///
    /// # Shapes
    /// - `input`: `[batch_size, input]`
    /// - output: `[batch_size, width]`
    pub fn forward(&self, input: Tensor<B, 2>) -> Tensor<B, 2> {
        self.dropout
            .forward(relu(dense(&self.linear, input, self.host_kernels)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Distribution;
    use burn_autodiff::Autodiff;
    use burn_ndarray::NdArray;

    type TestBackend = NdArray<f32>;

    #[test]
    fn shape_and_relu() {
        let device = Default::default();
        let bottleneck = BottleneckConfig::new(12)
            .with_width(5)
            .init::<TestBackend>(&device);
        assert_eq!(bottleneck.width(), 5);
        let input = Tensor::random([3, 12], Distribution::Normal(0.0, 1.0), &device);
        let out = bottleneck.forward(input);
        assert_eq!(out.dims(), [3, 5]);
        assert!(out.min().into_scalar() >= 0.0);
    }

    #[test]
    fn invalid_values_are_named() {
        let device = Default::default();
        let err = BottleneckConfig::new(12)
            .with_width(0)
            .try_init::<TestBackend>(&device)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the bottleneck width must be at least 1, got 0"
        );
        for p in [-0.1, 1.0, f64::NAN] {
            let err = BottleneckConfig::new(12)
                .with_dropout(p)
                .try_init::<TestBackend>(&device)
                .unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("dropout must be a probability in [0, 1), got {p}")
            );
        }
    }

    #[test]
    fn dropout_only_in_training() {
        let device = Default::default();
        let bottleneck = BottleneckConfig::new(64)
            .with_width(256)
            .with_dropout(0.5)
            .init::<Autodiff<TestBackend>>(&device);
        let input = Tensor::<Autodiff<TestBackend>, 2>::ones([4, 64], &device);
        // Training: about half of the units are zeroed, the rest scaled by 2.
        let train = bottleneck.forward(input.clone());
        let reference = relu(bottleneck.linear.forward(input.clone()));
        let zeros_train = train.clone().equal_elem(0.0).int().sum().into_scalar();
        let zeros_ref = reference.equal_elem(0.0).int().sum().into_scalar();
        assert!(
            zeros_train > zeros_ref + 100,
            "{zeros_train} vs {zeros_ref} zeros"
        );
        // Inference (valid): deterministic, no zeroing beyond the ReLU's.
        let valid = burn::module::AutodiffModule::valid(&bottleneck);
        let inner = input.inner();
        let a = valid.forward(inner.clone());
        let b = relu(valid.linear.forward(inner));
        a.into_data().assert_eq(&b.into_data(), true);
    }
}
