//! Where the quadratic Gaussian MMD is computed: backend tensor operations, a fused host kernel
//! or a fused CubeCL kernel.

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
    /// One fused CubeCL kernel per row block of the kernel matrix, on the backend's device:
    /// distances, every kernel, the block sums and the gradient weights in one launch, then one
    /// matrix product for the gradient. For `CubeBackend` f32 tensors (burn-wgpu, burn-cuda; plain
    /// or under burn-autodiff) of a runtime this crate was built for (features `wgpu`, `cuda`);
    /// other float types and backends wrapped in burn's `fusion` take [`Compute::Tensor`].
    /// Forcing it on any other backend is an error
    /// ([`MmdError::ComputeUnavailable`](crate::MmdError::ComputeUnavailable)).
    Cube,
}

impl Compute {
    /// The lower-case name used on command lines and in configuration files.
    pub fn name(self) -> &'static str {
        match self {
            Compute::Tensor => "tensor",
            Compute::Host => "host",
            Compute::Cube => "cube",
        }
    }

    /// What `choice` (`None`: by backend) resolves to for tensors on `device`.
    pub(crate) fn resolve<B: Backend>(choice: Option<Compute>, device: &B::Device) -> Compute {
        choice.unwrap_or_else(|| {
            if B::name(device).contains("ndarray") {
                Compute::Host
            } else if Compute::cube_available::<B>() {
                Compute::Cube
            } else {
                Compute::Tensor
            }
        })
    }

    /// Whether [`Compute::Cube`] can run on backend `B` in this build.
    #[cfg_attr(
        not(feature = "cubecl-kernel"),
        allow(clippy::extra_unused_type_parameters)
    )]
    pub(crate) fn cube_available<B: Backend>() -> bool {
        #[cfg(feature = "cubecl-kernel")]
        return crate::gaussian_cube::available::<B>();
        #[cfg(not(feature = "cubecl-kernel"))]
        false
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
        assert!(!Compute::cube_available::<NdArray>());
        for forced in [Compute::Tensor, Compute::Host, Compute::Cube] {
            assert_eq!(Compute::resolve::<NdArray>(Some(forced), &device), forced);
        }
    }
}
