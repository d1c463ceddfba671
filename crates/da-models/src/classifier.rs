//! The classifier: one fully connected layer from the features to the class logits.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Tensor, backend::Backend};

use crate::dense::dense;
use crate::error::ModelError;

/// Configuration of a [`Classifier`]: `Linear(input, num_classes)`, no activation (the logits go
/// to a cross-entropy loss).
///
/// | field | default | purpose | range |
/// |---|---|---|---|
/// | `input` | required | width of the features | >= 1 |
/// | `num_classes` | required | number of classes | >= 1 |
/// | `host_kernels` | `true` | the layer on da-models' CPU kernel where it runs | |
#[derive(Config, Debug)]
pub struct ClassifierConfig {
    /// Width of the input rows (the bottleneck width).
    pub input: usize,
    /// Number of classes.
    pub num_classes: usize,
    /// Whether the fully connected layer runs on da-models' CPU kernel where it can, as
    /// [`BottleneckConfig::host_kernels`](crate::BottleneckConfig::host_kernels).
    #[config(default = true)]
    pub host_kernels: bool,
}

impl ClassifierConfig {
    /// Checks the configuration and builds the classifier.
    ///
    /// # Errors
    /// [`ModelError::InvalidNumClasses`] for zero classes, [`ModelError::InvalidBottleneck`]
    /// for a zero input width.
    pub fn try_init<B: Backend>(&self, device: &B::Device) -> Result<Classifier<B>, ModelError> {
        if self.num_classes == 0 {
            return Err(ModelError::InvalidNumClasses(self.num_classes));
        }
        if self.input == 0 {
            return Err(ModelError::InvalidBottleneck(self.input));
        }
        Ok(Classifier {
            linear: LinearConfig::new(self.input, self.num_classes).init(device),
            host_kernels: self.host_kernels,
        })
    }

    /// Builds the classifier.
    ///
    /// # Panics
    /// With the message of the [`ModelError`] that [`try_init`](Self::try_init) returns.
    pub fn init<B: Backend>(&self, device: &B::Device) -> Classifier<B> {
        self.try_init(device).unwrap_or_else(|err| panic!("{err}"))
    }
}

/// A fully connected layer producing class logits, built by [`ClassifierConfig`].
#[derive(Module, Debug)]
pub struct Classifier<B: Backend> {
    /// The fully connected layer.
    pub linear: Linear<B>,
    #[module(skip)]
    host_kernels: bool,
}

impl<B: Backend> Classifier<B> {
    /// Number of classes (width of the logits).
    pub fn num_classes(&self) -> usize {
        let [_, output] = self.linear.weight.lazy_shape().dims();
        output
    }

    /// The class logits.
    ///
    /// # Shapes
    /// - `features`: `[batch_size, input]`
    /// - output: `[batch_size, num_classes]`
    pub fn forward(&self, features: Tensor<B, 2>) -> Tensor<B, 2> {
        dense(&self.linear, features, self.host_kernels)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn_ndarray::NdArray;

    type TestBackend = NdArray<f32>;

    #[test]
    fn shape() {
        let device = Default::default();
        let classifier = ClassifierConfig::new(7, 3).init::<TestBackend>(&device);
        assert_eq!(classifier.num_classes(), 3);
        assert_eq!(
            classifier.forward(Tensor::ones([2, 7], &device)).dims(),
            [2, 3]
        );
    }

    #[test]
    #[should_panic(expected = "num_classes must be at least 1, got 0")]
    fn zero_classes_panics_with_the_message() {
        ClassifierConfig::new(7, 0).init::<TestBackend>(&Default::default());
    }
}
