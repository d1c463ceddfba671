//! Moving values between the host and tensors in the caller's float type.

use burn::tensor::{Tensor, TensorData, backend::Backend};

/// A float tensor holding `data`, on the device and in the float type of `template`.
///
/// Burn 0.21 otherwise uses the device's default float type, which `NdArray<f32>` and
/// `NdArray<f64>` share (the first one used in a process wins), so an f64 loss would silently
/// mix in f32 constants.
pub(crate) fn like<B: Backend, const D: usize, const D2: usize>(
    template: &Tensor<B, D>,
    data: TensorData,
) -> Tensor<B, D2> {
    Tensor::from_data(data, (&template.device(), template.dtype()))
}

/// The values of `tensor`, detached, on the host, row-major, in f64.
pub(crate) fn to_f64<B: Backend, const D: usize>(tensor: Tensor<B, D>) -> Vec<f64> {
    tensor
        .detach()
        .into_data()
        .convert::<f64>()
        .to_vec::<f64>()
        .expect("converted to f64")
}

/// A `[rows, cols]` f64 tensor of row-major `values` on the default device (for unit tests).
#[cfg(test)]
pub(crate) fn f64_matrix<B: Backend>(values: &[f64], rows: usize, cols: usize) -> Tensor<B, 2> {
    Tensor::from_data(
        TensorData::new(values.to_vec(), [rows, cols]),
        (&Default::default(), burn::tensor::DType::F64),
    )
}
