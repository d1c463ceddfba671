//! The fused kernel against the tensor path on burn-wgpu (the software Vulkan driver in CI):
//! odd sizes, `n != m`, several cubes' worth of columns per row, several
//! row blocks, both estimators and the three ways of deriving the narrower kernels.

use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use burn_autodiff::Autodiff;
use burn_wgpu::{Wgpu, WgpuRuntime};

use super::launch::{self, Cube};
use crate::compute::Compute;
use crate::estimator::Estimator;
use crate::gaussian::GaussianKernels;
use crate::{Bandwidth, MmdLossConfig};

type Gpu = Autodiff<Wgpu>;

/// Deterministic values in about `[-1, 1] + shift`.
fn data(rows: usize, d: usize, shift: f64, seed: usize) -> Vec<f32> {
    (0..rows * d)
        .map(|i| (((i * 37 + seed * 11) % 23) as f64 * 0.087 - 1.0 + shift) as f32)
        .collect()
}

fn values<B: Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f64> {
    t.into_data().convert::<f64>().to_vec().unwrap()
}

/// Loss and gradient (source rows, then target rows) through `MmdLoss` with `compute` forced.
fn through_the_loss(
    compute: Compute,
    (n, m, d): (usize, usize, usize),
    config: MmdLossConfig,
) -> (f64, Vec<f64>) {
    let device = Default::default();
    let make = |values: Vec<f32>, rows| {
        Tensor::<Gpu, 2>::from_data(TensorData::new(values, [rows, d]), &device).require_grad()
    };
    let source = make(data(n, d, 0.0, 1), n);
    let target = make(data(m, d, 0.3, 2), m);
    let loss = config
        .with_compute(Some(compute))
        .init()
        .forward(source.clone(), target.clone());
    let grads = loss.backward();
    let mut gradient = values(source.grad(&grads).unwrap());
    gradient.extend(values(target.grad(&grads).unwrap()));
    (values(loss)[0], gradient)
}

/// `a` within `tol` of `b`: the value relative to itself, the gradient relative to its largest
/// entry.
fn assert_close(what: &str, (a, ga): &(f64, Vec<f64>), (b, gb): &(f64, Vec<f64>), tol: f64) {
    assert!(
        (a - b).abs() <= tol * b.abs().max(1e-3),
        "{what}: loss {a} vs {b}"
    );
    let scale = gb.iter().fold(0.0f64, |s, g| s.max(g.abs()));
    for (i, (x, y)) in ga.iter().zip(gb).enumerate() {
        assert!(
            (x - y).abs() <= tol * scale,
            "{what}: gradient {i}: {x} vs {y} (scale {scale})"
        );
    }
}

#[test]
fn unforced_takes_the_kernel_on_wgpu() {
    let device = Default::default();
    assert!(super::available::<Gpu>() && super::available::<Wgpu>());
    assert_eq!(Compute::resolve::<Gpu>(None, &device), Compute::Cube);
    assert_eq!(Compute::resolve::<Wgpu>(None, &device), Compute::Cube);
}

#[test]
fn kernel_matches_the_tensor_path() {
    // Odd sizes, n != m, a row wider than one cube's 256 units, d above a matmul tile.
    let shapes = [(7, 5, 3), (1, 2, 4), (40, 23, 39), (300, 170, 6)];
    let configs = [
        MmdLossConfig::new(),
        MmdLossConfig::new().with_estimator(Estimator::Unbiased),
        MmdLossConfig::new().with_kernel_mul(1.5).with_kernel_num(4),
        MmdLossConfig::new()
            .with_kernel_mul(3.0)
            .with_kernel_num(3)
            .with_bandwidth(Bandwidth::Fixed(2.0)),
    ];
    for shape in shapes {
        for (index, config) in configs.iter().enumerate() {
            if shape.0 < 2 && index == 1 {
                continue; // the unbiased estimator needs two rows per batch
            }
            let what = format!("{shape:?}, config {index}");
            let cube = through_the_loss(Compute::Cube, shape, config.clone());
            let tensor = through_the_loss(Compute::Tensor, shape, config.clone());
            assert_close(&what, &cube, &tensor, 1e-5);
        }
    }
}

#[test]
fn several_row_blocks_give_the_one_block_result() {
    let device = Default::default();
    let kernels = GaussianKernels {
        kernel_mul: 2.0,
        kernel_num: 5,
        powers: true,
    };
    for (n, m, d) in [(150, 91, 5), (70, 45, 33)] {
        let source = || {
            Tensor::<Cube<WgpuRuntime>, 2>::from_data(
                TensorData::new(data(n, d, 0.0, 3), [n, d]),
                &device,
            )
        };
        let target = || {
            Tensor::<Cube<WgpuRuntime>, 2>::from_data(
                TensorData::new(data(m, d, 0.5, 4), [m, d]),
                &device,
            )
        };
        let base = || Tensor::<Cube<WgpuRuntime>, 1>::from_data([1.3f32], &device);
        let run = |block| {
            let (value, grad) = launch::gaussian_mmd_in_blocks(
                source(),
                target(),
                base(),
                kernels,
                Estimator::Unbiased,
                true,
                block,
            );
            (values(value)[0], values(grad.expect("with_grad")))
        };
        let whole = run(n + m);
        // 64 rows per block: 4 blocks, the last one partial.
        assert_close(&format!("{n}x{m}x{d}"), &run(64), &whole, 1e-6);
        assert!(whole.0.is_finite() && whole.0 != 0.0);
    }
}

#[test]
fn without_autodiff_the_kernel_gives_the_value() {
    let device = Default::default();
    let (n, m, d) = (33, 18, 9);
    let source = Tensor::<Wgpu, 2>::from_data(TensorData::new(data(n, d, 0.0, 5), [n, d]), &device);
    let target = Tensor::<Wgpu, 2>::from_data(TensorData::new(data(m, d, 0.2, 6), [m, d]), &device);
    let loss = |compute| {
        values(
            MmdLossConfig::new()
                .with_compute(Some(compute))
                .init()
                .forward(source.clone(), target.clone()),
        )[0]
    };
    let (cube, tensor) = (loss(Compute::Cube), loss(Compute::Tensor));
    assert!(
        cube > 0.0 && (cube - tensor).abs() <= 1e-5 * tensor,
        "{cube} vs {tensor}"
    );
}

#[test]
fn a_non_finite_input_gives_nan() {
    let device = Default::default();
    let (n, m, d) = (6, 5, 3);
    let mut with_nan = data(n, d, 0.0, 7);
    with_nan[4] = f32::NAN;
    let source = Tensor::<Gpu, 2>::from_data(TensorData::new(with_nan, [n, d]), &device);
    let source = source.require_grad();
    let target = Tensor::<Gpu, 2>::from_data(TensorData::new(data(m, d, 0.0, 8), [m, d]), &device);
    let loss = MmdLossConfig::new()
        .with_compute(Some(Compute::Cube))
        .with_bandwidth(Bandwidth::Fixed(1.0))
        .init()
        .forward(source.clone(), target);
    let grads = loss.backward();
    assert!(values(loss)[0].is_nan());
    assert!(
        values(source.grad(&grads).unwrap())
            .iter()
            .any(|g| g.is_nan())
    );
}
