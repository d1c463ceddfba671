//! The compute backends this binary was built with, chosen at run time among those.

use serde::{Deserialize, Serialize};

/// A backend compiled into this binary (cargo features `ndarray`, `wgpu` and `cuda`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// burn-ndarray on the CPU.
    Ndarray,
    /// burn-wgpu on the GPU (Vulkan, Metal or DX12).
    Wgpu,
    /// burn-cuda on an NVIDIA GPU.
    Cuda,
}

impl BackendKind {
    /// The preferred backend: wgpu when compiled in, else cuda when compiled in, else ndarray.
    pub fn preferred() -> Self {
        if cfg!(feature = "wgpu") {
            BackendKind::Wgpu
        } else if cfg!(feature = "cuda") {
            BackendKind::Cuda
        } else {
            BackendKind::Ndarray
        }
    }

    /// The lowercase name, as `--backend` takes it.
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Ndarray => "ndarray",
            BackendKind::Wgpu => "wgpu",
            BackendKind::Cuda => "cuda",
        }
    }

    /// Whether this binary was built with the backend.
    pub fn compiled(self) -> bool {
        match self {
            BackendKind::Ndarray => true,
            BackendKind::Wgpu => cfg!(feature = "wgpu"),
            BackendKind::Cuda => cfg!(feature = "cuda"),
        }
    }
}

/// The CPU training backend.
pub type NdarrayTrain = burn_autodiff::Autodiff<burn_ndarray::NdArray<f32>>;

/// The GPU training backend.
#[cfg(feature = "wgpu")]
pub type WgpuTrain = burn_autodiff::Autodiff<burn_wgpu::Wgpu>;

/// The NVIDIA training backend.
#[cfg(feature = "cuda")]
pub type CudaTrain = burn_autodiff::Autodiff<burn_cuda::Cuda>;

/// Runs `$body` with the type alias `$B` bound to the training backend of `$kind` and `$device`
/// to its default device. A backend that is not compiled in is an error naming the feature.
#[macro_export]
macro_rules! with_backend {
    ($kind:expr, |$B:ident, $device:ident| $body:expr) => {{
        match $kind {
            $crate::backend::BackendKind::Ndarray => {
                type $B = $crate::backend::NdarrayTrain;
                let $device = Default::default();
                Ok($body)
            }
            #[cfg(feature = "wgpu")]
            $crate::backend::BackendKind::Wgpu => {
                type $B = $crate::backend::WgpuTrain;
                let $device = Default::default();
                Ok($body)
            }
            #[cfg(not(feature = "wgpu"))]
            $crate::backend::BackendKind::Wgpu => Err(
                "this binary was built without the wgpu backend: rebuild with `--features wgpu`"
                    .to_string(),
            ),
            #[cfg(feature = "cuda")]
            $crate::backend::BackendKind::Cuda => {
                type $B = $crate::backend::CudaTrain;
                let $device = Default::default();
                Ok($body)
            }
            #[cfg(not(feature = "cuda"))]
            $crate::backend::BackendKind::Cuda => Err(
                "this binary was built without the cuda backend: rebuild with `--features cuda`"
                    .to_string(),
            ),
        }
    }};
}
