//! Helpers shared by the integration tests: backends, tensors from rows, gradients.
#![allow(dead_code)]

use burn::tensor::{Element, Tensor, TensorData, backend::AutodiffBackend};
use mmd_core::MmdLoss;

/// CPU reference backends.
pub type F64 = burn_autodiff::Autodiff<burn_ndarray::NdArray<f64>>;
pub type F32 = burn_autodiff::Autodiff<burn_ndarray::NdArray<f32>>;
/// GPU backend (only with `--features test-wgpu`).
#[cfg(feature = "test-wgpu")]
pub type Gpu = burn_autodiff::Autodiff<burn_wgpu::Wgpu>;

/// A `[rows, cols]` tensor from row-major values, in the backend's own float type (burn 0.21's
/// device default is shared by `NdArray<f32>` and `NdArray<f64>` in one process).
pub fn matrix<B: AutodiffBackend>(
    values: &[f64],
    rows: usize,
    cols: usize,
    device: &B::Device,
) -> Tensor<B, 2> {
    Tensor::from_data(
        TensorData::new(values.to_vec(), [rows, cols]),
        (device, <B::FloatElem as Element>::dtype()),
    )
}

pub fn to_vec<B: burn::tensor::backend::Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f64> {
    t.into_data().convert::<f64>().to_vec::<f64>().unwrap()
}

/// Loss value and gradients with respect to source and target.
pub fn value_and_grads<B: AutodiffBackend>(
    loss: &MmdLoss,
    source: &[f64],
    target: &[f64],
    (n, m, d): (usize, usize, usize),
    device: &B::Device,
) -> (f64, Vec<f64>, Vec<f64>) {
    let s = matrix::<B>(source, n, d, device).require_grad();
    let t = matrix::<B>(target, m, d, device).require_grad();
    let value = loss.forward(s.clone(), t.clone());
    let grads = value.backward();
    let gs = to_vec(s.grad(&grads).expect("source gradient"));
    let gt = to_vec(t.grad(&grads).expect("target gradient"));
    (to_vec(value)[0], gs, gt)
}

/// Deterministic standard normal samples (xorshift64* + Box-Muller).
pub struct Normal(u64);

impl Normal {
    pub fn new(seed: u64) -> Self {
        Normal(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        ((self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    pub fn sample(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
    pub fn vec(&mut self, len: usize, mean: f64) -> Vec<f64> {
        (0..len).map(|_| mean + self.sample()).collect()
    }
}

/// The numbers of a JSON value (nested arrays flattened, row-major).
pub fn floats(v: &serde_json::Value) -> Vec<f64> {
    fn flatten(v: &serde_json::Value, out: &mut Vec<f64>) {
        match v {
            serde_json::Value::Array(items) => items.iter().for_each(|i| flatten(i, out)),
            other => out.push(other.as_f64().expect("number")),
        }
    }
    let mut out = Vec::new();
    flatten(v, &mut out);
    out
}

/// Largest absolute error over the largest expected magnitude (absolute when that is 0).
pub fn rel_err(actual: &[f64], expected: &[f64]) -> f64 {
    assert_eq!(actual.len(), expected.len());
    let scale = expected.iter().fold(0.0f64, |a, b| a.max(b.abs()));
    let worst = actual
        .iter()
        .zip(expected)
        .fold(0.0f64, |a, (x, y)| a.max((x - y).abs()));
    if scale == 0.0 { worst } else { worst / scale }
}
