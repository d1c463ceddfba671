//! The seed's Gaussian multi-kernel MMD written in Burn the way the seed writes it in PyTorch:
//! the `(n+m) x (n+m) x d` tensor of differences is materialised, so memory grows as
//! `(n+m)^2 d`. It is the baseline that `mmd-core` is measured against, not a loss to use.

use burn::tensor::{Tensor, backend::Backend};

/// The seed's `MMDLoss(kernel_type='rbf', kernel_mul, kernel_num)` forward pass (biased
/// estimator, mean bandwidth detached from the graph), op for op.
///
/// # Shapes
/// - `source`: `[n, d]`
/// - `target`: `[m, d]`
/// - output: `[1]`
pub fn seed_gaussian_mmd<B: Backend>(
    source: Tensor<B, 2>,
    target: Tensor<B, 2>,
    kernel_mul: f64,
    kernel_num: usize,
) -> Tensor<B, 1> {
    let [n, d] = source.dims();
    let [m, _] = target.dims();
    let samples = n + m;
    // total = torch.cat([source, target], dim=0)
    let total = Tensor::cat(vec![source, target], 0);
    // total0 = total.unsqueeze(0).expand(N, N, d); total1 = total.unsqueeze(1).expand(N, N, d)
    let total0 = total
        .clone()
        .unsqueeze_dim::<3>(0)
        .expand([samples, samples, d]);
    let total1 = total.unsqueeze_dim::<3>(1).expand([samples, samples, d]);
    // L2_distance = ((total0 - total1) ** 2).sum(2)
    let l2_distance: Tensor<B, 2> = (total0 - total1).square().sum_dim(2).squeeze_dim(2);
    // bandwidth = sum(L2_distance.data) / (N^2 - N); bandwidth /= kernel_mul ** (kernel_num // 2)
    let bandwidth = l2_distance
        .clone()
        .detach()
        .sum()
        .div_scalar((samples * samples - samples) as f64)
        .div_scalar(kernel_mul.powi((kernel_num / 2) as i32));
    // sum(exp(-L2_distance / (bandwidth * kernel_mul ** i)) for i in range(kernel_num))
    let kernels = (0..kernel_num)
        .map(|i| {
            let width = bandwidth
                .clone()
                .mul_scalar(kernel_mul.powi(i as i32))
                .reshape([1, 1]);
            l2_distance.clone().div(width).neg().exp()
        })
        .reduce(|acc, k| acc + k)
        .expect("kernel_num >= 1");
    let xx = kernels.clone().slice([0..n, 0..n]).mean();
    let yy = kernels.clone().slice([n..samples, n..samples]).mean();
    let xy = kernels.clone().slice([0..n, n..samples]).mean();
    let yx = kernels.slice([n..samples, 0..n]).mean();
    xx + yy - xy - yx
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{TensorData, Tolerance};
    use burn_autodiff::Autodiff;
    use burn_ndarray::NdArray;
    use serde_json::Value;

    type TestBackend = Autodiff<NdArray<f32>>;

    /// The seed's PyTorch values (`crates/mmd-core/tests/fixtures/mmd_seed.json`, made by
    /// running the seed's `MMDLoss` on torch), an oracle independent of this code.
    const GOLDEN: &str = include_str!("../../crates/mmd-core/tests/fixtures/mmd_seed.json");

    fn matrix(value: &Value) -> (Vec<f32>, [usize; 2]) {
        let rows = value.as_array().expect("rows");
        let cols = rows[0].as_array().expect("columns").len();
        let flat = rows
            .iter()
            .flat_map(|row| row.as_array().expect("row").iter())
            .map(|v| v.as_f64().expect("number") as f32)
            .collect();
        (flat, [rows.len(), cols])
    }

    #[test]
    fn matches_the_seed_loss_and_gradients() {
        let golden: Value = serde_json::from_str(GOLDEN).expect("golden JSON");
        let names = ["rbf_4x3_seeded", "rbf_8x5_vs_6x5", "rbf_64x14_vs_32x14"];
        let mut checked = 0;
        for case in golden["cases"].as_array().expect("cases") {
            let name = case["name"].as_str().expect("name");
            if !names.contains(&name) {
                continue;
            }
            let device = Default::default();
            let tensor = |key: &str| {
                let (flat, shape) = matrix(&case[key]);
                Tensor::<TestBackend, 2>::from_data(TensorData::new(flat, shape), &device)
            };
            let source = tensor("source").require_grad();
            let target = tensor("target").require_grad();
            let loss = seed_gaussian_mmd(
                source.clone(),
                target.clone(),
                case["kernel_mul"].as_f64().expect("kernel_mul"),
                case["kernel_num"].as_u64().expect("kernel_num") as usize,
            );
            let grads = loss.backward();
            let expected = case["loss_f32"].as_f64().expect("loss_f32");
            let got: f32 = loss.into_scalar();
            assert!(
                (got as f64 - expected).abs() <= 1e-5 * expected.abs().max(1e-3),
                "{name}: loss {got} != {expected}"
            );
            for (input, key) in [(source, "grad_source_f32"), (target, "grad_target_f32")] {
                let grad = input.grad(&grads).expect("gradient").into_data();
                let (flat, shape) = matrix(&case[key]);
                let scale = flat.iter().fold(0f32, |a, b| a.max(b.abs()));
                grad.assert_approx_eq::<f32>(
                    &TensorData::new(flat, shape),
                    Tolerance::absolute(1e-5 * scale.max(1e-6)),
                );
            }
            checked += 1;
        }
        assert_eq!(checked, names.len(), "every named golden case was found");
    }
}
