//! The transfer loss of a run: one of MMD, LMMD, JMMD, CORAL, DANN or BNM, taken on the
//! network's source and target outputs.

use burn::tensor::activation::softmax;
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor};
use da_models::{DaOutput, DomainDiscriminator, DomainDiscriminatorConfig, MmdOn};
use mmd_core::{
    BnmLoss, BnmLossConfig, CoralLoss, CoralLossConfig, JmmdLoss, JmmdLossConfig, LmmdLoss,
    LmmdLossConfig, MmdLoss, dann_coefficient, dann_loss, grad_reverse,
};

use super::config::{ConfigError, TrainConfig, Transfer};

/// The loss that aligns the domains, built once per run from its configuration.
///
/// Where each method takes its inputs:
///
/// | method | inputs |
/// |---|---|
/// | `mmd` | source and target `mmd_on` layer (features or logits) |
/// | `coral` | source and target `mmd_on` layer |
/// | `lmmd` | source and target features, source labels, target softmax (a constant weight) |
/// | `jmmd` | `[features, softmax(logits)]` of source and target, JAN's kernels: the configured Gaussian multi-kernel on the features, `exp(-D / (2 * 0.92^2))` on the softmax |
/// | `dann` | the domain discriminator on `[source; target]` features behind a gradient reversal whose coefficient ramps with `2 / (1 + exp(-gamma p)) - 1` |
/// | `bnm` | target logits |
///
/// The training loop weights it as `clf_loss + lambda * transfer` for every method.
#[derive(Debug, Clone)]
pub struct TransferLoss {
    method: Method,
    mmd_on: MmdOn,
    gamma: f64,
}

/// The configured loss of each method.
#[derive(Debug, Clone)]
enum Method {
    Mmd(MmdLoss),
    Lmmd(LmmdLoss),
    Jmmd(JmmdLoss),
    Coral(CoralLoss),
    Dann(DomainDiscriminatorConfig),
    Bnm(BnmLoss),
}

impl TransferLoss {
    /// The transfer loss `config` asks for, for data with `num_classes` classes; `None` for
    /// source-only training.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] when the loss rejects the kernel options.
    pub fn new(config: &TrainConfig, num_classes: usize) -> Result<Option<Self>, ConfigError> {
        let invalid = |err: mmd_core::MmdError| ConfigError::Invalid(err.to_string());
        let method = match config.transfer {
            Transfer::None => return Ok(None),
            Transfer::Mmd => Method::Mmd(config.mmd_loss().map_err(invalid)?),
            Transfer::Lmmd => Method::Lmmd(
                LmmdLossConfig::new(num_classes)
                    .with_kernel_mul(config.kernel_mul)
                    .with_kernel_num(config.kernel_num)
                    .with_bandwidth(config.kernel_bandwidth())
                    .try_init()
                    .map_err(invalid)?,
            ),
            Transfer::Jmmd => Method::Jmmd(
                JmmdLossConfig::jan()
                    .with_kernel_mul(config.kernel_mul)
                    .with_kernel_num(config.kernel_num)
                    .with_bandwidth(config.kernel_bandwidth())
                    .try_init()
                    .map_err(invalid)?,
            ),
            Transfer::Coral => Method::Coral(CoralLossConfig::new().init()),
            Transfer::Dann => {
                if config.dann_hidden == 0 {
                    return Err(ConfigError::Invalid(
                        "dann_hidden must be at least 1, got 0".into(),
                    ));
                }
                Method::Dann(
                    DomainDiscriminatorConfig::new(config.bottleneck_width())
                        .with_hidden(config.dann_hidden),
                )
            }
            Transfer::Bnm => Method::Bnm(BnmLossConfig::new().init()),
        };
        Ok(Some(Self {
            method,
            mmd_on: config.mmd_on,
            gamma: config.gamma(),
        }))
    }

    /// A freshly initialised domain discriminator for DANN; `None` for the other methods.
    pub fn discriminator<B: Backend>(&self, device: &B::Device) -> Option<DomainDiscriminator<B>> {
        match &self.method {
            Method::Dann(config) => Some(config.init(device)),
            _ => None,
        }
    }

    /// The transfer loss of one step.
    ///
    /// `progress` is the training progress in `[0, 1]` (DANN's reversal coefficient ramps with
    /// it); `discriminator` is the one [`TransferLoss::discriminator`] built, trained alongside
    /// the network.
    ///
    /// # Shapes
    /// - `source`: features `[n, feature_dim]`, logits `[n, num_classes]`
    /// - `target`: features `[m, feature_dim]`, logits `[m, num_classes]`
    /// - `source_labels`: `[n]`
    /// - output: `[1]`
    ///
    /// # Panics
    /// For DANN without a discriminator, and when a loss rejects its inputs (the loss's
    /// message).
    pub fn forward<B: Backend>(
        &self,
        source: &DaOutput<B>,
        target: &DaOutput<B>,
        source_labels: Tensor<B, 1, Int>,
        discriminator: Option<&DomainDiscriminator<B>>,
        progress: f64,
    ) -> Tensor<B, 1> {
        let probs = |output: &DaOutput<B>| softmax(output.logits.clone(), 1);
        match &self.method {
            Method::Mmd(mmd) => mmd.forward(self.mmd_on.select(source), self.mmd_on.select(target)),
            Method::Coral(coral) => {
                coral.forward(self.mmd_on.select(source), self.mmd_on.select(target))
            }
            Method::Lmmd(lmmd) => lmmd.forward(
                source.features.clone(),
                target.features.clone(),
                source_labels,
                probs(target),
            ),
            Method::Jmmd(jmmd) => jmmd.forward(
                vec![source.features.clone(), probs(source)],
                vec![target.features.clone(), probs(target)],
            ),
            Method::Dann(_) => {
                let discriminator = discriminator.expect("DANN trains with a domain discriminator");
                let n = source.features.dims()[0];
                // One batch, so that the discriminator's batch-norm sees both domains together.
                let features =
                    Tensor::cat(vec![source.features.clone(), target.features.clone()], 0);
                let reversed = grad_reverse(features, dann_coefficient(progress, self.gamma));
                let logits = discriminator.forward(reversed);
                let total = logits.dims()[0];
                dann_loss(
                    logits.clone().narrow(0, 0, n),
                    logits.narrow(0, n, total - n),
                )
            }
            Method::Bnm(bnm) => bnm.forward(target.logits.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::module::Module;
    use burn::tensor::{Distribution, TensorData};
    use burn_autodiff::Autodiff;
    use burn_ndarray::NdArray;

    type B = Autodiff<NdArray<f64>>;

    fn output(rows: usize, shift: f64) -> DaOutput<B> {
        let device = Default::default();
        DaOutput {
            features: Tensor::random([rows, 6], Distribution::Normal(shift, 1.0), &device)
                .require_grad(),
            logits: Tensor::random([rows, 3], Distribution::Normal(shift, 1.0), &device)
                .require_grad(),
        }
    }

    fn config(transfer: Transfer) -> TrainConfig {
        TrainConfig {
            transfer,
            bottleneck: Some(6),
            dann_hidden: 8,
            ..TrainConfig::default()
        }
    }

    #[test]
    fn source_only_has_no_transfer_loss() {
        assert!(
            TransferLoss::new(&config(Transfer::None), 3)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn every_method_gives_a_finite_loss_with_gradients_to_the_network() {
        let device = Default::default();
        let (source, target) = (output(5, 0.0), output(4, 1.0));
        let labels = Tensor::<B, 1, Int>::from_ints([0, 1, 2, 0, 1], &device);
        for method in Transfer::ALL.into_iter().skip(1) {
            let loss = TransferLoss::new(&config(method), 3).unwrap().unwrap();
            let discriminator = loss.discriminator::<B>(&device);
            assert_eq!(discriminator.is_some(), method == Transfer::Dann);
            // Past the start of the ramp, so that DANN's reversed gradient is not zero.
            let value = loss.forward(
                &source,
                &target,
                labels.clone(),
                discriminator.as_ref(),
                0.5,
            );
            assert_eq!(value.dims(), [1], "{method:?}");
            let scalar: f64 = value.clone().into_scalar();
            assert!(scalar.is_finite(), "{method:?}: {scalar}");
            let grads = value.backward();
            // Which outputs each method reads (the `mmd_on` default is the logits).
            let (features, logits) = match method {
                Transfer::Mmd | Transfer::Coral | Transfer::Bnm => (false, true),
                Transfer::Lmmd | Transfer::Dann => (true, false),
                Transfer::Jmmd => (true, true),
                Transfer::None => unreachable!(),
            };
            let reached = |t: &Tensor<B, 2>| {
                t.grad(&grads)
                    .is_some_and(|g| g.abs().sum().into_scalar() > 0.0)
            };
            assert_eq!(reached(&target.features), features, "{method:?}");
            assert_eq!(reached(&target.logits), logits, "{method:?}");
            if let Some(d) = discriminator {
                assert!(
                    d.output.weight.grad(&grads).is_some(),
                    "discriminator untrained"
                );
                assert!(d.num_params() > 0);
            }
        }
    }

    #[test]
    fn dann_reverses_the_discriminators_gradient_by_the_ramp() {
        // The gradient that DANN sends to the features is -coefficient times the gradient of
        // the plain discriminator loss, with the ramp's coefficient at that progress.
        let device = Default::default();
        let (source, target) = (output(4, 0.0), output(4, 2.0));
        let labels = Tensor::<B, 1, Int>::from_ints([0, 1, 2, 0], &device);
        let loss = TransferLoss::new(&config(Transfer::Dann), 3)
            .unwrap()
            .unwrap();
        let discriminator = loss.discriminator::<B>(&device).unwrap();
        let progress = 0.3;
        let grads = loss
            .forward(&source, &target, labels, Some(&discriminator), progress)
            .backward();
        let reversed = source.features.grad(&grads).unwrap();
        let plain_features = Tensor::cat(vec![source.features.clone(), target.features.clone()], 0);
        let logits = discriminator.forward(plain_features);
        let plain = dann_loss(logits.clone().narrow(0, 0, 4), logits.narrow(0, 4, 4)).backward();
        let expected = source
            .features
            .grad(&plain)
            .unwrap()
            .mul_scalar(-dann_coefficient(progress, 10.0));
        reversed.into_data().assert_approx_eq::<f64>(
            &expected.into_data(),
            burn::tensor::Tolerance::absolute(1e-12),
        );
        // At the very start the coefficient is 0: the features get no gradient at all.
        let grads = loss
            .forward(
                &source,
                &target,
                Tensor::from_ints([0, 1, 2, 0], &device),
                Some(&discriminator),
                0.0,
            )
            .backward();
        assert_eq!(
            source
                .features
                .grad(&grads)
                .unwrap()
                .abs()
                .sum()
                .into_data(),
            TensorData::from([0.0])
        );
    }
}
