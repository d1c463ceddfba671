//! Where the quadratic Gaussian MMD is computed: backend tensor operations or a fused host kernel.

use burn::tensor::backend::Backend;
use serde::{Deserialize, Serialize};

/// How [`MmdLoss`](crate::MmdLoss) computes the quadratic Gaussian estimators (biased and
/// unbiased), when forced with [`MmdLossConfig::compute`](crate::MmdLossConfig::compute). Both
/// give the same values and gradients up to rounding; only speed differs. Unforced (`None`, the
/// default), the loss takes [`Compute::Host`] on backends whose tensors already live in host
/// memory (burn-ndarray, recognised by [`Backend::name`]) and [`Compute::Tensor`] everywhere else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compute {
    /// Burn tensor operations, in row blocks, on the backend's own device (the GPU on wgpu).
    Tensor,
    /// One fused, multi-threaded CPU pass per row block of the kernel matrix: distances by a
    /// matrix product, then every kernel, the block sums and the gradient weights in a single
    /// sweep with a vectorised exponential (f32; f64 uses the standard library's). The batches
    /// are read to the host and the gradient written back, which on a GPU backend costs a
    /// transfer and a synchronisation.
    Host,
}

impl Compute {
    /// The lower-case name used on command lines and in configuration files.
    pub fn name(self) -> &'static str {
        match self {
            Compute::Tensor => "tensor",
            Compute::Host => "host",
        }
    }

    /// What `choice` (`None`: by backend) resolves to for tensors on `device`.
    pub(crate) fn resolve<B: Backend>(choice: Option<Compute>, device: &B::Device) -> Compute {
        choice.unwrap_or_else(|| match B::name(device).contains("ndarray") {
            true => Compute::Host,
            false => Compute::Tensor,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn_autodiff::Autodiff;
    use burn_ndarray::NdArray;

    #[test]
    fn unforced_takes_the_host_kernel_on_ndarray() {
        let device = Default::default();
        assert_eq!(Compute::resolve::<NdArray>(None, &device), Compute::Host);
        let autodiff = Compute::resolve::<Autodiff<NdArray<f64>>>(None, &device);
        assert_eq!(autodiff, Compute::Host);
        for forced in [Compute::Tensor, Compute::Host] {
            assert_eq!(Compute::resolve::<NdArray>(Some(forced), &device), forced);
        }
    }
}
