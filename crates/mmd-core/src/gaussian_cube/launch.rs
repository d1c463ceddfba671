//! The row-block loop of the fused kernel, on `CubeBackend` tensors.

use burn::tensor::{DType, Shape, Tensor, TensorData, TensorPrimitive};
use burn_cubecl::{
    CubeBackend, CubeRuntime, kernel::into_contiguous, ops::numeric::empty_device_dtype,
    tensor::CubeTensor,
};
use cubecl::{CubeCount, CubeDim};

use super::kernel::gaussian_rows;
use crate::estimator::Estimator;
use crate::gaussian::{BlockWeights, GaussianKernels};

/// The backend the kernel is launched through: f32 tensors on runtime `R`.
pub(super) type Cube<R> = CubeBackend<R, f32, i32, u32>;

/// Units per cube (one cube per row of the kernel matrix): a power of two, for the reduction.
const THREADS: u32 = 256;

/// Most entries of one row block (64 MiB in f32): bounds the Gram block and `H`, each under the
/// 128 MiB that wgpu devices commonly allow one buffer binding.
const MAX_BLOCK_ELEMENTS: usize = 1 << 24;

/// Most cubes of one launch along x (the limit every CubeCL runtime guarantees).
const MAX_CUBES: usize = 65_535;

/// Rows per block for `rows` samples.
pub(super) fn block_rows(rows: usize) -> usize {
    (MAX_BLOCK_ELEMENTS / rows).clamp(1, MAX_CUBES).min(rows)
}

/// The loss (`[1]`) and, when `with_grad`, its gradient with respect to `[source; target]`.
pub(super) fn gaussian_mmd<R: CubeRuntime>(
    source: Tensor<Cube<R>, 2>,
    target: Tensor<Cube<R>, 2>,
    base: Tensor<Cube<R>, 1>,
    kernels: GaussianKernels,
    estimator: Estimator,
    with_grad: bool,
) -> (Tensor<Cube<R>, 1>, Option<Tensor<Cube<R>, 2>>) {
    let rows = source.dims()[0] + target.dims()[0];
    let block = block_rows(rows);
    gaussian_mmd_in_blocks(source, target, base, kernels, estimator, with_grad, block)
}

/// [`gaussian_mmd`] with `block` rows of the kernel matrix per launch.
pub(super) fn gaussian_mmd_in_blocks<R: CubeRuntime>(
    source: Tensor<Cube<R>, 2>,
    target: Tensor<Cube<R>, 2>,
    base: Tensor<Cube<R>, 1>,
    kernels: GaussianKernels,
    estimator: Estimator,
    with_grad: bool,
    block: usize,
) -> (Tensor<Cube<R>, 1>, Option<Tensor<Cube<R>, 2>>) {
    let [n, d] = source.dims();
    let [m, _] = target.dims();
    let rows = n + m;
    let device = source.device();
    let pooled = Tensor::cat(vec![source, target], 0);
    // Centred, as on the tensor path: the distances from the Gram product lose fewer digits.
    let centred = pooled.clone() - pooled.mean_dim(0);
    let norms = centred.clone().square().sum_dim(1).reshape([rows]);
    let weights = BlockWeights::new(n, m, estimator);
    let constants = Tensor::<Cube<R>, 1>::from_data(
        TensorData::from([
            weights.ss as f32,
            weights.st as f32,
            weights.tt as f32,
            kernels.kernel_mul as f32,
        ]),
        &device,
    );
    let scalars = Tensor::cat(vec![base.mul_scalar(kernels.widest_factor()), constants], 0);
    let sweep = Sweep {
        norms: primitive(norms),
        scalars: primitive(scalars),
        placeholder: primitive(Tensor::<Cube<R>, 1>::zeros([1], &device)),
        rows,
        n,
        kernel_num: kernels.kernel_num as u32,
        power: kernels.integer_ratio().unwrap_or(0),
        with_grad,
    };
    let mut row_values = Vec::new();
    let mut h_rowsums = Vec::new();
    let mut products = Vec::new();
    for start in (0..rows).step_by(block) {
        let end = (start + block).min(rows);
        let block_rows = centred.clone().slice([start..end, 0..d]);
        let gram = primitive(block_rows.matmul(centred.clone().transpose()));
        let (values, h) = sweep.run(start, end - start, gram);
        row_values.push(tensor::<R, 1>(values));
        if let Some((h, rowsums)) = h {
            products.push(tensor::<R, 2>(h).matmul(centred.clone()));
            h_rowsums.push(tensor::<R, 1>(rowsums));
        }
    }
    let value = Tensor::cat(row_values, 0)
        .sum()
        .sub_scalar(weights.diagonal * kernels.kernel_num as f64);
    let grad = with_grad.then(|| {
        let h_z = Tensor::cat(products, 0);
        let h_rowsum = Tensor::cat(h_rowsums, 0).reshape([rows, 1]);
        (centred * h_rowsum - h_z).mul_scalar(-4.0)
    });
    (value, grad)
}

/// A block's `H` and its row sums.
type Gradient<R> = (CubeTensor<R>, CubeTensor<R>);

/// What every block's launch shares.
struct Sweep<R: CubeRuntime> {
    norms: CubeTensor<R>,
    scalars: CubeTensor<R>,
    placeholder: CubeTensor<R>,
    /// `N`.
    rows: usize,
    n: usize,
    kernel_num: u32,
    power: u32,
    with_grad: bool,
}

impl<R: CubeRuntime> Sweep<R> {
    /// Rows `start..start + rows`: their `W`-weighted kernel sums, and `H` with its row sums when
    /// `with_grad`.
    fn run(
        &self,
        start: usize,
        rows: usize,
        gram: CubeTensor<R>,
    ) -> (CubeTensor<R>, Option<Gradient<R>>) {
        let total = self.rows;
        let client = self.norms.client.clone();
        let empty = |shape: Shape| {
            empty_device_dtype::<R>(client.clone(), self.norms.device.clone(), shape, DType::F32)
        };
        let values = empty(Shape::new([rows]));
        let h = self
            .with_grad
            .then(|| (empty(Shape::new([rows, total])), empty(Shape::new([rows]))));
        gaussian_rows::launch::<f32, R>(
            &client,
            CubeCount::Static(rows as u32, 1, 1),
            CubeDim::new_1d(THREADS),
            self.norms.clone().into_tensor_arg(),
            gram.into_tensor_arg(),
            self.scalars.clone().into_tensor_arg(),
            h.as_ref()
                .map_or_else(|| self.placeholder.clone(), |h| h.0.clone())
                .into_tensor_arg(),
            values.clone().into_tensor_arg(),
            h.as_ref()
                .map_or_else(|| self.placeholder.clone(), |h| h.1.clone())
                .into_tensor_arg(),
            start as u32,
            self.n as u32,
            self.kernel_num,
            self.power,
            self.with_grad,
            THREADS,
        );
        (values, h)
    }
}

/// The contiguous primitive of `tensor`.
fn primitive<R: CubeRuntime, const D: usize>(tensor: Tensor<Cube<R>, D>) -> CubeTensor<R> {
    into_contiguous(tensor.into_primitive().tensor())
}

/// `primitive` as a tensor.
fn tensor<R: CubeRuntime, const D: usize>(primitive: CubeTensor<R>) -> Tensor<Cube<R>, D> {
    Tensor::from_primitive(TensorPrimitive::Float(primitive))
}
