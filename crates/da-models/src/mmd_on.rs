//! Which network output the MMD compares.

use std::fmt;
use std::str::FromStr;

use burn::tensor::{Tensor, backend::Backend};
use serde::{Deserialize, Serialize};

use crate::error::ModelError;
use crate::output::DaOutput;

/// Which output of [`DaNet::forward`](crate::DaNet::forward) the training loop feeds to the MMD.
///
/// The seed computes its transfer loss on the network outputs, i.e. [`MmdOn::Logits`];
/// DDC-style training compares the bottleneck [`MmdOn::Features`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MmdOn {
    /// The bottleneck features, `[batch_size, feature_dim]`.
    Features,
    /// The class logits, `[batch_size, num_classes]` (the seed's choice).
    Logits,
}

impl MmdOn {
    /// Both choices, in declaration order.
    pub const ALL: [MmdOn; 2] = [MmdOn::Features, MmdOn::Logits];

    /// The snake-case name used on command lines and in configuration files.
    pub fn name(self) -> &'static str {
        match self {
            MmdOn::Features => "features",
            MmdOn::Logits => "logits",
        }
    }

    /// The tensor of `output` that this choice names (a cheap handle clone; gradients flow
    /// through it).
    ///
    /// # Shapes
    /// - output: `[batch_size, feature_dim]` or `[batch_size, num_classes]`
    pub fn select<B: Backend>(self, output: &DaOutput<B>) -> Tensor<B, 2> {
        match self {
            MmdOn::Features => output.features.clone(),
            MmdOn::Logits => output.logits.clone(),
        }
    }
}

impl fmt::Display for MmdOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for MmdOn {
    type Err = ModelError;

    /// Parses `features` or `logits` (case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let normalised = s.trim().to_ascii_lowercase();
        MmdOn::ALL
            .into_iter()
            .find(|on| on.name() == normalised)
            .ok_or_else(|| ModelError::UnknownName {
                what: "MMD input",
                got: s.to_string(),
                expected: "features, logits",
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn_ndarray::NdArray;

    type TestBackend = NdArray<f32>;

    #[test]
    fn select_picks_the_named_tensor() {
        let device = Default::default();
        let output = DaOutput::<TestBackend> {
            features: Tensor::ones([2, 4], &device),
            logits: Tensor::zeros([2, 3], &device),
        };
        assert_eq!(MmdOn::Features.select(&output).dims(), [2, 4]);
        assert_eq!(MmdOn::Features.select(&output).sum().into_scalar(), 8.0);
        assert_eq!(MmdOn::Logits.select(&output).dims(), [2, 3]);
        assert_eq!(MmdOn::Logits.select(&output).sum().into_scalar(), 0.0);
    }

    #[test]
    fn names_and_serde() {
        for on in MmdOn::ALL {
            assert_eq!(on.name().parse::<MmdOn>(), Ok(on));
            let json = serde_json::to_string(&on).unwrap();
            assert_eq!(json, format!("\"{on}\""));
            assert_eq!(serde_json::from_str::<MmdOn>(&json).unwrap(), on);
        }
        assert_eq!(
            "pixels".parse::<MmdOn>().unwrap_err().to_string(),
            "unknown MMD input `pixels`; expected one of: features, logits"
        );
    }
}
