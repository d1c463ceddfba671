//! What the network returns.

use burn::tensor::{Tensor, backend::Backend};

/// The two outputs of [`DaNet::forward`](crate::DaNet::forward), so that a training loop can
/// take the classification loss on `logits` and the MMD on either tensor (see
/// [`MmdOn`](crate::MmdOn)).
#[derive(Debug, Clone)]
pub struct DaOutput<B: Backend> {
    /// Bottleneck features, `[batch_size, feature_dim]`.
    pub features: Tensor<B, 2>,
    /// Class logits (no softmax), `[batch_size, num_classes]`.
    pub logits: Tensor<B, 2>,
}
