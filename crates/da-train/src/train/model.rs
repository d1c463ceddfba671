//! What the optimiser trains: the network, plus DANN's domain discriminator when the run uses it.

use burn::module::Module;
use burn::tensor::backend::Backend;
use da_models::{DaNet, DomainDiscriminator};

/// The trainable parameters of a run. The discriminator exists only for
/// [`Transfer::Dann`](super::Transfer::Dann); it is trained by the same optimiser step as the
/// network, its gradients towards the features reversed by the transfer loss.
///
/// Checkpoints store the two parts as separate records, so that `eval` and anything else that
/// only needs the classifier reads the network alone.
#[derive(Module, Debug)]
pub struct TrainModel<B: Backend> {
    /// The classification network.
    pub net: DaNet<B>,
    /// DANN's domain discriminator on the features.
    pub discriminator: Option<DomainDiscriminator<B>>,
}
