//! The quadratic-time Gaussian multi-kernel MMD on the fused host (CPU) kernel of `mmd-host`.
//!
//! Same mathematics as [`crate::gaussian`] (read its notes first); `mmd_host::GaussianMmd` says
//! how a row block is swept. This file moves the batches to the host, calls it in the caller's
//! float type (f32, or f64), and attaches the gradient with the same surrogate as the tensor
//! path: value exactly `L`, gradient exactly the kernel's, one `N x d` matrix in the graph.

use burn::tensor::{DType, Tensor, TensorData, backend::Backend};

use mmd_host::GaussianMmd;

use crate::estimator::Estimator;
use crate::gaussian::{GaussianKernels, block_rows, with_gradient};
use crate::host::{like, to_f64};

/// [`crate::gaussian::gaussian_mmd`] computed on the host: same arguments, same result.
pub(crate) fn gaussian_mmd_host<B: Backend>(
    source: Tensor<B, 2>,
    target: Tensor<B, 2>,
    base: Tensor<B, 1>,
    kernels: GaussianKernels,
    estimator: Estimator,
) -> Tensor<B, 1> {
    let [n, d] = source.dims();
    let [m, _] = target.dims();
    let pooled = Tensor::cat(vec![source, target], 0);
    let with_grad = B::ad_enabled(&pooled.device());
    let problem = GaussianMmd {
        n,
        m,
        d,
        widest_bandwidth: to_f64(base)[0] * kernels.widest_factor(),
        kernel_mul: kernels.kernel_mul,
        kernel_num: kernels.kernel_num,
        power: kernels.integer_ratio(),
        unbiased: estimator == Estimator::Unbiased,
        with_grad,
        block_rows: block_rows(n + m, d),
    };
    let data = pooled.clone().detach().into_data();
    let (value, grad) = if data.dtype == DType::F64 {
        let (value, grad) = problem.solve_f64(data.convert::<f64>().to_vec().expect("f64"));
        (value, grad.map(|g| TensorData::new(g, [n + m, d])))
    } else {
        let (value, grad) = problem.solve_f32(data.convert::<f32>().to_vec().expect("f32"));
        (value, grad.map(|g| TensorData::new(g, [n + m, d])))
    };
    let value: Tensor<B, 1> = like(&pooled, TensorData::from([value]));
    match grad {
        Some(grad) => {
            let grad: Tensor<B, 2> = like(&pooled, grad);
            with_gradient(value, pooled, grad)
        }
        None => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gaussian::gaussian_mmd;
    use crate::host::f64_matrix;
    use burn_autodiff::Autodiff;
    use burn_ndarray::NdArray;

    type F64 = Autodiff<NdArray<f64>>;
    type F32 = Autodiff<NdArray<f32>>;

    fn values<B: Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f64> {
        to_f64(t)
    }

    fn data(rows: usize, d: usize, shift: f64, seed: usize) -> Vec<f64> {
        (0..rows * d)
            .map(|i| ((i * 37 + seed * 11) % 23) as f64 * 0.13 - 1.0 + shift)
            .collect()
    }

    /// Loss and gradients (source then target) of the host or tensor path on backend `B`.
    fn run<B: burn::tensor::backend::AutodiffBackend>(
        host: bool,
        (n, m, d): (usize, usize, usize),
        kernels: GaussianKernels,
        estimator: Estimator,
    ) -> (f64, Vec<f64>) {
        let device = Default::default();
        // The backend's own float type: the device default is shared by NdArray<f32> and <f64>.
        let dtype = <B::FloatElem as burn::tensor::Element>::dtype();
        let make = |values: Vec<f64>, rows| {
            let t: Tensor<B, 2> =
                Tensor::from_data(TensorData::new(values, [rows, d]), (&device, dtype));
            t.require_grad()
        };
        let source = make(data(n, d, 0.0, 1), n);
        let target = make(data(m, d, 0.4, 2), m);
        let base = Tensor::<B, 1>::from_data(TensorData::from([2.5f64]), (&device, dtype));
        let loss = if host {
            gaussian_mmd_host(source.clone(), target.clone(), base, kernels, estimator)
        } else {
            gaussian_mmd(source.clone(), target.clone(), base, kernels, estimator)
        };
        let grads = loss.backward();
        let mut gradient = values(source.grad(&grads).unwrap());
        gradient.extend(values(target.grad(&grads).unwrap()));
        (values(loss)[0], gradient)
    }

    fn kernels(kernel_mul: f64, kernel_num: usize, powers: bool) -> GaussianKernels {
        GaussianKernels {
            kernel_mul,
            kernel_num,
            powers,
        }
    }

    fn assert_close(what: &str, (a, ga): (f64, Vec<f64>), (b, gb): (f64, Vec<f64>), tol: f64) {
        assert!(
            (a - b).abs() <= tol * b.abs().max(1e-3),
            "{what}: {a} vs {b}"
        );
        let scale = gb.iter().fold(0.0f64, |s, g| s.max(g.abs()));
        for (x, y) in ga.iter().zip(&gb) {
            assert!((x - y).abs() <= tol * scale, "{what}: gradient {x} vs {y}");
        }
    }

    #[test]
    fn host_and_tensor_paths_agree_in_f64() {
        // Sizes cover the vector lanes' remainders, both sides of the diagonal, and both ways
        // of computing `H Z` (in the sweep up to FUSED_MAX_WIDTH features, a product beyond).
        for shape in [
            (7, 5, 3),
            (20, 13, 9),
            (2, 2, 1),
            (11, 6, mmd_host::FUSED_MAX_WIDTH + 1),
        ] {
            for estimator in [Estimator::Biased, Estimator::Unbiased] {
                for k in [
                    kernels(2.0, 5, true),
                    kernels(1.5, 4, true),
                    kernels(3.0, 3, false),
                ] {
                    let what = format!("{shape:?} {estimator:?} {k:?}");
                    assert_close(
                        &what,
                        run::<F64>(true, shape, k, estimator),
                        run::<F64>(false, shape, k, estimator),
                        1e-12,
                    );
                }
            }
        }
    }

    #[test]
    fn host_path_in_f32_matches_f64() {
        // Large enough for the threaded sweep (> PARALLEL_ELEMENTS entries per block).
        let shape = (150, 130, 6);
        for estimator in [Estimator::Biased, Estimator::Unbiased] {
            for k in [kernels(2.0, 5, true), kernels(2.0, 5, false)] {
                assert_close(
                    &format!("{estimator:?} {k:?}"),
                    run::<F32>(true, shape, k, estimator),
                    run::<F64>(true, shape, k, estimator),
                    2e-5,
                );
            }
        }
    }

    #[test]
    fn host_path_without_autodiff_gives_the_value() {
        let device = Default::default();
        let source = f64_matrix::<NdArray<f64>>(&data(9, 4, 0.0, 3), 9, 4);
        let target = f64_matrix::<NdArray<f64>>(&data(6, 4, 0.5, 4), 6, 4);
        let base = || {
            Tensor::<NdArray<f64>, 1>::from_data(TensorData::from([1.7f64]), (&device, DType::F64))
        };
        let k = kernels(2.0, 5, true);
        let host = values(gaussian_mmd_host(
            source.clone(),
            target.clone(),
            base(),
            k,
            Estimator::Biased,
        ))[0];
        let tensor = values(gaussian_mmd(source, target, base(), k, Estimator::Biased))[0];
        assert!(
            host > 0.0 && (host - tensor).abs() < 1e-14,
            "{host} vs {tensor}"
        );
    }

    #[test]
    fn non_finite_inputs_give_nan() {
        let device = Default::default();
        let mut values_with_nan = data(4, 2, 0.0, 5);
        values_with_nan[3] = f64::NAN;
        let source = f64_matrix::<F64>(&values_with_nan, 4, 2).require_grad();
        let target = f64_matrix::<F64>(&data(3, 2, 0.0, 6), 3, 2);
        let base = Tensor::<F64, 1>::from_data(TensorData::from([1.0f64]), (&device, DType::F64));
        let loss = gaussian_mmd_host(
            source.clone(),
            target,
            base,
            kernels(2.0, 5, true),
            Estimator::Biased,
        );
        let grads = loss.backward();
        assert!(values(loss)[0].is_nan());
        assert!(
            values(source.grad(&grads).unwrap())
                .iter()
                .all(|g| g.is_nan())
        );
    }
}
