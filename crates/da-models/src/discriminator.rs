//! The domain discriminator of DANN: tells source features from target features.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Tensor, backend::Backend};

/// Configuration of a [`DomainDiscriminator`]:
/// `Linear(in_features, hidden) -> BatchNorm -> ReLU -> Linear(hidden, hidden) -> BatchNorm ->
/// ReLU -> Linear(hidden, 1)`, the discriminator of DeepDA's adversarial loss
/// (`loss_funcs/adv.py`) without its final sigmoid: it returns logits, which a
/// binary cross-entropy on logits (`mmd_core::dann_loss`) turns into a loss without
/// overflow.
///
/// | field | default | purpose | range |
/// |---|---|---|---|
/// | `in_features` | required | width of the features it classifies (the bottleneck width) | >= 1 |
/// | `hidden` | `1024` | width of both hidden layers (DANN's paper: 1024; DeepDA: 256) | >= 1 |
#[derive(Config, Debug)]
pub struct DomainDiscriminatorConfig {
    /// Width of the input rows.
    pub in_features: usize,
    /// Width of the two hidden layers.
    #[config(default = 1024)]
    pub hidden: usize,
}

impl DomainDiscriminatorConfig {
    /// Builds the discriminator with freshly initialised weights.
    ///
    /// # Panics
    /// If `in_features` or `hidden` is 0; the message names the value.
    pub fn init<B: Backend>(&self, device: &B::Device) -> DomainDiscriminator<B> {
        assert!(
            self.in_features >= 1,
            "in_features of the domain discriminator must be at least 1, got {}",
            self.in_features
        );
        assert!(
            self.hidden >= 1,
            "the domain discriminator's hidden width must be at least 1, got {}",
            self.hidden
        );
        DomainDiscriminator {
            input: LinearConfig::new(self.in_features, self.hidden).init(device),
            input_norm: BatchNormConfig::new(self.hidden).init(device),
            hidden: LinearConfig::new(self.hidden, self.hidden).init(device),
            hidden_norm: BatchNormConfig::new(self.hidden).init(device),
            output: LinearConfig::new(self.hidden, 1).init(device),
        }
    }
}

/// A small fully connected network scoring how likely each row comes from the source domain
/// (a logit: positive means source). Built by [`DomainDiscriminatorConfig`].
///
/// Its batch-norms use batch statistics on an autodiff backend (training) and their running
/// averages after `valid()`. Feed it source and target rows in one batch, so that the
/// normalisation does not remove the very difference in mean and scale between the domains
/// that it has to detect.
#[derive(Module, Debug)]
pub struct DomainDiscriminator<B: Backend> {
    /// First fully connected layer.
    pub input: Linear<B>,
    /// Batch-norm after the first layer.
    pub input_norm: BatchNorm<B>,
    /// Second fully connected layer.
    pub hidden: Linear<B>,
    /// Batch-norm after the second layer.
    pub hidden_norm: BatchNorm<B>,
    /// The output layer, one logit per row.
    pub output: Linear<B>,
}

impl<B: Backend> DomainDiscriminator<B> {
    /// Width of the input rows.
    pub fn in_features(&self) -> usize {
        let [input, _] = self.input.weight.lazy_shape().dims();
        input
    }

    /// Domain logits: positive for rows that look like source rows.
    ///
    /// # Shapes
    /// - `features`: `[batch_size, in_features]`
    /// - output: `[batch_size, 1]`
    pub fn forward(&self, features: Tensor<B, 2>) -> Tensor<B, 2> {
        let x = relu(self.input_norm.forward(self.input.forward(features)));
        let x = relu(self.hidden_norm.forward(self.hidden.forward(x)));
        self.output.forward(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::module::AutodiffModule;
    use burn::tensor::Distribution;
    use burn_autodiff::Autodiff;
    use burn_ndarray::NdArray;

    type TestBackend = NdArray<f32>;

    #[test]
    fn one_logit_per_row() {
        let device = Default::default();
        let config = DomainDiscriminatorConfig::new(12).with_hidden(7);
        let discriminator = config.init::<TestBackend>(&device);
        assert_eq!(discriminator.in_features(), 12);
        for batch in [1, 5] {
            let input = Tensor::random([batch, 12], Distribution::Normal(0.0, 1.0), &device);
            assert_eq!(discriminator.forward(input).dims(), [batch, 1]);
        }
        assert_eq!(DomainDiscriminatorConfig::new(3).hidden, 1024);
    }

    #[test]
    fn parameters_and_gradients_reach_every_layer() {
        type B = Autodiff<TestBackend>;
        let device = Default::default();
        let discriminator = DomainDiscriminatorConfig::new(4)
            .with_hidden(6)
            .init::<B>(&device);
        // Linear 4*6+6, batch-norm 4*6 (scale, shift and the two running statistics, which burn
        // counts too), Linear 6*6+6, batch-norm 4*6, Linear 6*1+1.
        assert_eq!(discriminator.num_params(), 30 + 24 + 42 + 24 + 7);
        let input = Tensor::<B, 2>::random([8, 4], Distribution::Normal(0.0, 1.0), &device);
        let grads = discriminator.forward(input).sum().backward();
        for weight in [
            &discriminator.input.weight,
            &discriminator.hidden.weight,
            &discriminator.output.weight,
        ] {
            let grad = weight.grad(&grads).expect("a gradient");
            assert!(grad.abs().sum().into_scalar() > 0.0);
        }
        // Inference mode works on a single row (running statistics, not batch statistics).
        let valid = discriminator.valid();
        let row = Tensor::<TestBackend, 2>::ones([1, 4], &device);
        let logit = valid.forward(row).into_scalar();
        assert!(logit.is_finite());
    }

    #[test]
    #[should_panic(expected = "hidden width must be at least 1, got 0")]
    fn zero_width_is_named() {
        DomainDiscriminatorConfig::new(4)
            .with_hidden(0)
            .init::<TestBackend>(&Default::default());
    }
}
