//! The quadratic-time Gaussian multi-kernel MMD as one fused CubeCL kernel per row block, on
//! burn's CubeCL backends (wgpu, CUDA): [`crate::Compute::Cube`].
//!
//! Same mathematics as [`crate::gaussian`] (read its notes first). Where the tensor path makes
//! about twenty burn operations per row block, each a kernel launch and a full pass over a
//! `block x N` matrix, this makes one: the kernel (`kernel.rs`) computes per entry the distance
//! (from the rows themselves up to [`launch::DIRECT_MAX_WIDTH`] features, else from one Gram
//! product per block), one exponential and the squarings for the other kernels, the weighted row
//! sums (a reduction in shared memory) and the gradient weights `H = W o G`; the gradient is then
//! `-4 (rowsum(H) Z - H Z)` with `H [Z, 1]` one matrix product per block. It is attached with the
//! same surrogate as the other paths, so the backward pass is that hand-written gradient: nothing
//! of the kernel matrix is kept for it.
//!
//! Which backends: `mmd-core`'s loss is generic over [`Backend`], so the kernel is reached by
//! recognising, at run time, the float tensors of `CubeBackend<R, f32, ..>` (plain, or inside
//! burn-autodiff) for each runtime `R` compiled in (cargo features `wgpu`, `cuda`). f32 only: a
//! CubeCL backend with another float type, or one wrapped in burn's `fusion`, takes the tensor
//! path ([`available`] says which).

mod kernel;
mod launch;
#[cfg(all(test, feature = "test-wgpu"))]
mod tests;

use std::any::{Any, TypeId};

use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{DType, Tensor, TensorPrimitive, ops::FloatTensor};
use burn_autodiff::Autodiff;
use burn_cubecl::{CubeBackend, CubeRuntime, tensor::CubeTensor};

use crate::estimator::Estimator;
use crate::gaussian::{GaussianKernels, with_gradient};
use launch::Cube;

/// Whether `B` holds its float tensors as CubeCL tensors of a runtime compiled in, so that the
/// fused kernel can run on them (f32 tensors; others fall back to the tensor path).
pub(crate) fn available<B: Backend>() -> bool {
    let id = TypeId::of::<B::FloatTensorPrimitive>();
    #[cfg(feature = "wgpu")]
    if recognised::<burn_wgpu::WgpuRuntime>(id) {
        return true;
    }
    #[cfg(feature = "cuda")]
    if recognised::<cubecl::cuda::CudaRuntime>(id) {
        return true;
    }
    let _ = id;
    false
}

/// [`crate::gaussian::gaussian_mmd`] on the fused kernel, or `None` when the tensors are not f32
/// CubeCL tensors of a compiled runtime.
pub(crate) fn gaussian_mmd_cube<B: Backend>(
    source: &Tensor<B, 2>,
    target: &Tensor<B, 2>,
    base: &Tensor<B, 1>,
    kernels: GaussianKernels,
    estimator: Estimator,
) -> Option<Tensor<B, 1>> {
    #[cfg(feature = "wgpu")]
    if let Some(loss) =
        on_runtime::<B, burn_wgpu::WgpuRuntime>(source, target, base, kernels, estimator)
    {
        return Some(loss);
    }
    #[cfg(feature = "cuda")]
    if let Some(loss) =
        on_runtime::<B, cubecl::cuda::CudaRuntime>(source, target, base, kernels, estimator)
    {
        return Some(loss);
    }
    let _ = (source, target, base, kernels, estimator);
    None
}

/// The loss on runtime `R`, when the tensors belong to it.
#[allow(dead_code)] // without a runtime feature nothing calls it
fn on_runtime<B: Backend, R: CubeRuntime>(
    source: &Tensor<B, 2>,
    target: &Tensor<B, 2>,
    base: &Tensor<B, 1>,
    kernels: GaussianKernels,
    estimator: Estimator,
) -> Option<Tensor<B, 1>> {
    let cube_source = to_cube::<B, R, 2>(source.clone().detach())?;
    let cube_target = to_cube::<B, R, 2>(target.clone().detach())?;
    let cube_base = to_cube::<B, R, 1>(base.clone().detach())?;
    let with_grad = B::ad_enabled(&source.device());
    let (value, grad) = launch::gaussian_mmd(
        cube_source,
        cube_target,
        cube_base,
        kernels,
        estimator,
        with_grad,
    );
    let value = from_cube::<B, R, 1>(value)?;
    match grad {
        Some(grad) => {
            // Value exactly `L`, gradient exactly `grad`: see `crate::gaussian`.
            let grad = from_cube::<B, R, 2>(grad)?;
            let pooled = Tensor::cat(vec![source.clone(), target.clone()], 0);
            Some(with_gradient(value, pooled, grad))
        }
        None => Some(value),
    }
}

/// The autodiff tensor types around `CubeBackend<R, f32, i32, BT>` for the bool types burn's
/// backends use (`u32` on wgpu, `u8` on CUDA and Vulkan).
type AdU32<R> = Autodiff<CubeBackend<R, f32, i32, u32>>;
type AdU8<R> = Autodiff<CubeBackend<R, f32, i32, u8>>;
type AutodiffU32<R> = FloatTensor<AdU32<R>>;
type AutodiffU8<R> = FloatTensor<AdU8<R>>;

/// Whether `id` is the float tensor type of a backend on runtime `R` that the kernel serves.
#[allow(dead_code)]
fn recognised<R: CubeRuntime>(id: TypeId) -> bool {
    [
        TypeId::of::<CubeTensor<R>>(),
        TypeId::of::<AutodiffU32<R>>(),
        TypeId::of::<AutodiffU8<R>>(),
    ]
    .contains(&id)
}

/// `tensor` (detached) as an f32 tensor of runtime `R`, sharing its buffer.
#[allow(dead_code)]
fn to_cube<B: Backend, R: CubeRuntime, const D: usize>(
    tensor: Tensor<B, D>,
) -> Option<Tensor<Cube<R>, D>> {
    let primitive = tensor.into_primitive().tensor();
    let any = &primitive as &dyn Any;
    let cube = any
        .downcast_ref::<CubeTensor<R>>()
        .cloned()
        .or_else(|| {
            any.downcast_ref::<AutodiffU32<R>>()
                .map(|t| AdU32::<R>::inner(t.clone()))
        })
        .or_else(|| {
            any.downcast_ref::<AutodiffU8<R>>()
                .map(|t| AdU8::<R>::inner(t.clone()))
        })?;
    (cube.dtype == DType::F32).then(|| Tensor::from_primitive(TensorPrimitive::Float(cube)))
}

/// A result of the kernel as a tensor of `B` (a constant of the graph under autodiff).
#[allow(dead_code)]
fn from_cube<B: Backend, R: CubeRuntime, const D: usize>(
    tensor: Tensor<Cube<R>, D>,
) -> Option<Tensor<B, D>> {
    let cube = tensor.into_primitive().tensor();
    let candidates: [Box<dyn Any>; 3] = [
        Box::new(cube.clone()),
        Box::new(AdU32::<R>::from_inner(cube.clone())),
        Box::new(AdU8::<R>::from_inner(cube)),
    ];
    candidates
        .into_iter()
        .find_map(|boxed| boxed.downcast::<B::FloatTensorPrimitive>().ok())
        .map(|primitive| Tensor::from_primitive(TensorPrimitive::Float(*primitive)))
}
