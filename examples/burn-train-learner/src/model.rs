//! The network and the two burn-train steps: [`TrainStep`] on a (source, target) batch pair with
//! the loss `cross_entropy + lambda * MMD`, [`InferenceStep`] (validation) on labelled target
//! images with the cross-entropy alone.
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, LinearConfig, Relu};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Int, Tensor};
use burn::train::{ClassificationOutput, InferenceStep, TrainOutput, TrainStep};
use mmd_core::{MmdLoss, MmdLossConfig};

use crate::data::{DomainPairBatch, ImageBatch};

/// A LeNet-like network on `[batch, 1, 16, 16]` images: two convolutions, a 64-wide feature
/// layer (where the MMD is taken) and a 10-way classifier.
#[derive(Module, Debug)]
pub struct Net<B: Backend> {
    conv1: Conv2d<B>,
    conv2: Conv2d<B>,
    pool: MaxPool2d,
    features: Linear<B>,
    classifier: Linear<B>,
    relu: Relu,
}

impl<B: Backend> Net<B> {
    /// A freshly initialised network on `device`.
    pub fn new(device: &B::Device) -> Self {
        Self {
            conv1: Conv2dConfig::new([1, 16], [3, 3]).init(device),
            conv2: Conv2dConfig::new([16, 32], [3, 3]).init(device),
            pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            features: LinearConfig::new(32 * 2 * 2, 64).init(device),
            classifier: LinearConfig::new(64, 10).init(device),
            relu: Relu::new(),
        }
    }

    /// (features `[batch, 64]`, logits `[batch, 10]`).
    pub fn forward(&self, x: Tensor<B, 4>) -> (Tensor<B, 2>, Tensor<B, 2>) {
        let x = self.pool.forward(self.relu.forward(self.conv1.forward(x))); // 14 -> 7
        let x = self.pool.forward(self.relu.forward(self.conv2.forward(x))); // 5 -> 2
        let features = self.relu.forward(self.features.forward(x.flatten(1, 3)));
        (features.clone(), self.classifier.forward(features))
    }
}

/// What burn-train trains: the network plus the transfer loss and its weight. The loss has no
/// parameters, so it and `lambda` are skipped by the module (not recorded in checkpoints).
#[derive(Module, Debug)]
pub struct MmdModel<B: Backend> {
    /// The network.
    pub net: Net<B>,
    #[module(skip)]
    mmd: MmdLoss,
    #[module(skip)]
    lambda: f64,
}

impl<B: Backend> MmdModel<B> {
    /// A fresh network with mmd-core's default MMD (the seed's Gaussian multi-kernel loss),
    /// weighted by `lambda`.
    pub fn new(lambda: f64, device: &B::Device) -> Self {
        Self {
            net: Net::new(device),
            mmd: MmdLossConfig::new().init(),
            lambda,
        }
    }

    /// The cross-entropy of `logits` against `labels`, `[1]`.
    fn cross_entropy(logits: Tensor<B, 2>, labels: Tensor<B, 1, Int>) -> Tensor<B, 1> {
        CrossEntropyLossConfig::new()
            .init(&logits.device())
            .forward(logits, labels)
    }

    /// The training loss of a batch pair, `ce + lambda * MMD`, with the pieces:
    /// (loss, cross-entropy, MMD, source logits).
    pub fn loss(
        &self,
        batch: DomainPairBatch<B>,
    ) -> (Tensor<B, 1>, Tensor<B, 1>, Tensor<B, 1>, Tensor<B, 2>) {
        let (source_features, logits) = self.net.forward(batch.source_images);
        let (target_features, _) = self.net.forward(batch.target_images); // labels never seen
        let ce = Self::cross_entropy(logits.clone(), batch.source_labels);
        let mmd = self.mmd.forward(source_features, target_features);
        let loss = ce.clone() + mmd.clone().mul_scalar(self.lambda);
        (loss, ce, mmd, logits)
    }
}

/// The two-domain training step. burn-train calls it with whatever its data loader yields, here
/// a [`DomainPairBatch`]; the output is burn-train's [`ClassificationOutput`] of the *source*
/// batch with the combined loss, so `LossMetric` shows `ce + lambda * MMD` and
/// `AccuracyMetric` the source training accuracy.
impl<B: AutodiffBackend> TrainStep for MmdModel<B> {
    type Input = DomainPairBatch<B>;
    type Output = ClassificationOutput<B>;

    fn step(&self, batch: DomainPairBatch<B>) -> TrainOutput<ClassificationOutput<B>> {
        let labels = batch.source_labels.clone();
        let (loss, _, _, logits) = self.loss(batch);
        TrainOutput::new(
            self,
            loss.backward(),
            ClassificationOutput::new(loss, logits, labels),
        )
    }
}

/// Validation on the labelled target test split (evaluation only): cross-entropy and logits.
impl<B: Backend> InferenceStep for MmdModel<B> {
    type Input = ImageBatch<B>;
    type Output = ClassificationOutput<B>;

    fn step(&self, batch: ImageBatch<B>) -> ClassificationOutput<B> {
        let (_, logits) = self.net.forward(batch.images);
        let loss = Self::cross_entropy(logits.clone(), batch.labels.clone());
        ClassificationOutput::new(loss, logits, batch.labels)
    }
}
