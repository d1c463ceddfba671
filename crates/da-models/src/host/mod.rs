//! [`ConvAlgorithm::Host`](crate::ConvAlgorithm::Host): da-models' own CPU kernels (the cnn-host
//! crate) on burn-ndarray, with their backward passes attached to burn's autodiff graph.
//!
//! Burn's tensor API has no hook for a custom backward pass; burn-autodiff's `Backward` trait
//! does, on the concrete `Autodiff<B, C>` type. The models are generic over `B`, so this module
//! recognises the two backends it serves by type (`NdArray<f32>` and `Autodiff<NdArray<f32>>`,
//! burn's usual CPU training pair) and moves tensors to and from them with `Any` downcasts,
//! which cannot fail once the type is checked. The kernels read and write host memory through
//! `into_data` / `from_data`, which on burn-ndarray move the buffers (a buffer still shared
//! elsewhere is copied, in one pass).
//!
//! Each operation is one node of the autodiff graph whose state holds what its backward pass
//! needs on the host (the input and weight of a convolution or a fully connected layer, the
//! batch-norm's input and statistics, the pooling's argmax), and whose backward pass runs
//! cnn-host's hand-written kernel.

mod batch_norm;
mod conv2d;
mod linear;
mod relu_max_pool;
mod weighted;

use std::any::{Any, TypeId};

use burn::tensor::ops::FloatTensor;
use burn::tensor::{Tensor, TensorData, TensorPrimitive, backend::Backend};
use burn_autodiff::Autodiff;
use burn_autodiff::checkpoint::strategy::CheckpointStrategy;
use burn_autodiff::ops::{Backward, OpsKind};
use burn_ndarray::{NdArray, NdArrayTensor};

pub(crate) use batch_norm::batch_norm;
pub(crate) use conv2d::conv2d;
pub(crate) use linear::linear;
pub(crate) use relu_max_pool::relu_max_pool;

/// The inference backend the kernels serve.
type Plain = NdArray<f32>;
/// The training backend the kernels serve.
type Tracked = Autodiff<NdArray<f32>>;

/// Whether the host kernels run on `B` (burn-ndarray with `f32`, with or without autodiff).
pub(crate) fn available<B: Backend>() -> bool {
    is::<B, Plain>() || is::<B, Tracked>()
}

/// Whether `A` and `T` are the same type.
fn is<A: 'static, T: 'static>() -> bool {
    TypeId::of::<A>() == TypeId::of::<T>()
}

/// `value` as the type `T` it is.
///
/// # Panics
/// If `A` is not `T` (callers check with [`is`] first).
fn cast<A: 'static, T: 'static>(value: A) -> T {
    match (Box::new(value) as Box<dyn Any>).downcast::<T>() {
        Ok(value) => *value,
        Err(_) => panic!(
            "da-models host kernels: {} is not {}",
            std::any::type_name::<A>(),
            std::any::type_name::<T>()
        ),
    }
}

/// The values of `tensor`, row-major, as `f32`.
fn to_host<B: Backend, const D: usize>(tensor: Tensor<B, D>) -> Vec<f32> {
    primitive_to_host::<B, D>(tensor.into_primitive().tensor())
}

/// A tensor of `shape` holding `values` (row-major).
fn from_host<B: Backend, const D: usize>(
    values: Vec<f32>,
    shape: [usize; D],
    device: &B::Device,
) -> Tensor<B, D> {
    Tensor::from_data(TensorData::new(values, shape), device)
}

/// [`to_host`] of a float primitive of rank `D`.
fn primitive_to_host<B: Backend, const D: usize>(primitive: B::FloatTensorPrimitive) -> Vec<f32> {
    // burn-ndarray hands over an unshared buffer as it is, but copies a shared one (one still
    // referenced elsewhere, e.g. by the caller) value by value through a dynamic-rank iterator;
    // copy those in one go instead.
    if is::<B::FloatTensorPrimitive, NdArrayTensor>() {
        let tensor: NdArrayTensor = cast(primitive);
        if let NdArrayTensor::F32(storage) = &tensor
            && !storage.is_unique()
            && let Some(values) = storage.view().as_slice()
        {
            return values.to_vec();
        }
        return to_host_by_data::<B, D>(cast(tensor));
    }
    to_host_by_data::<B, D>(primitive)
}

/// [`primitive_to_host`] through burn's `into_data`.
fn to_host_by_data<B: Backend, const D: usize>(primitive: B::FloatTensorPrimitive) -> Vec<f32> {
    Tensor::<B, D>::from_primitive(TensorPrimitive::Float(primitive))
        .into_data()
        .convert::<f32>()
        .into_vec()
        .expect("data converted to f32 reads as f32")
}

/// [`from_host`] as a float primitive.
fn host_to_primitive<B: Backend, const D: usize>(
    values: Vec<f32>,
    shape: [usize; D],
    device: &B::Device,
) -> B::FloatTensorPrimitive {
    from_host::<B, D>(values, shape, device)
        .into_primitive()
        .tensor()
}

/// Runs a host operation on an autodiff backend and records it in the graph: `compute` gets the
/// parents' inner tensors and returns the output's and the state of `op`'s backward pass, which
/// the graph keeps when a parent is tracked.
fn record<B, C, O, const N: usize, const D: usize>(
    op: O,
    parents: [FloatTensor<Autodiff<B, C>>; N],
    compute: impl FnOnce([B::FloatTensorPrimitive; N]) -> (B::FloatTensorPrimitive, O::State),
) -> Tensor<Autodiff<B, C>, D>
where
    B: Backend,
    C: CheckpointStrategy,
    O: Backward<B, N>,
{
    let nodes = parents.each_ref().map(|parent| parent.node.clone());
    let (output, state) = compute(parents.map(|parent| parent.primitive));
    let output = match op.prepare::<C>(nodes).compute_bound().stateful() {
        OpsKind::Tracked(prep) => prep.finish(state, output),
        OpsKind::UnTracked(prep) => prep.finish(output),
    };
    Tensor::from_primitive(TensorPrimitive::Float(output))
}
