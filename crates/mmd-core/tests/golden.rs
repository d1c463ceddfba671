//! Parity with the seed's PyTorch `MMDLoss`: every case of `fixtures/mmd_seed.json`
//! (a copy of `shared/golden/mmd_seed.json`, see `fixtures/README.md`), loss and gradients,
//! on ndarray in f64 and f32 and, with `--features test-wgpu`, on wgpu in f32.

mod common;

use burn::tensor::backend::AutodiffBackend;
use common::{floats, rel_err, value_and_grads};
use mmd_core::{Bandwidth, Compute, Kernel, MmdLossConfig};
use serde_json::Value;

struct Case {
    name: String,
    json: Value,
}

fn cases() -> Vec<Case> {
    let text = include_str!("fixtures/mmd_seed.json");
    let root: Value = serde_json::from_str(text).expect("golden file is JSON");
    let cases = root["cases"].as_array().expect("cases array");
    assert_eq!(cases.len(), 20, "the golden file has 20 cases");
    cases
        .iter()
        .map(|c| Case {
            name: c["name"].as_str().unwrap().to_string(),
            json: c.clone(),
        })
        .collect()
}

/// Checks every case on backend `B`; `rel` bounds the loss and gradient errors relative to the
/// f64 truth (absolute where the truth is 0). Returns the failures, one line each.
fn check_all<B: AutodiffBackend>(
    device: &B::Device,
    rel: f64,
    precision: &str,
    computes: &[Compute],
) -> Vec<String> {
    let mut failures = Vec::new();
    for case in cases() {
        let c = &case.json;
        let kernel = match c["kernel_type"].as_str().unwrap() {
            "rbf" => Kernel::Gaussian,
            "linear" => Kernel::Linear,
            other => panic!("unknown kernel {other}"),
        };
        let bandwidth = match c["fix_sigma"].as_f64() {
            Some(sigma) => Bandwidth::Fixed(sigma),
            None => Bandwidth::Mean,
        };
        // Every Gaussian path: powers of one exponential (where `kernel_mul` allows) or one
        // exponential per kernel, each on every way of computing it that `computes` names.
        let paths = computes
            .iter()
            .flat_map(|&compute| [(true, compute), (false, compute)]);
        for (fast_gaussian, compute) in paths {
            let path = match fast_gaussian {
                true => format!("fast, {}", compute.name()),
                false => format!("exp per kernel, {}", compute.name()),
            };
            let loss = MmdLossConfig::new()
                .with_kernel(kernel)
                .with_kernel_mul(c["kernel_mul"].as_f64().unwrap())
                .with_kernel_num(c["kernel_num"].as_u64().unwrap() as usize)
                .with_bandwidth(bandwidth)
                .with_fast_gaussian(fast_gaussian)
                .with_compute(Some(compute))
                .init();
            let dims = (
                c["n"].as_u64().unwrap() as usize,
                c["m"].as_u64().unwrap() as usize,
                c["d"].as_u64().unwrap() as usize,
            );
            let (value, gs, gt) = value_and_grads::<B>(
                &loss,
                &floats(&c["source"]),
                &floats(&c["target"]),
                dims,
                device,
            );
            if c["expect_nan"].as_bool() == Some(true) {
                // The seed returns NaN here; this crate must return 0 with finite gradients.
                let finite = gs
                    .iter()
                    .chain(&gt)
                    .all(|g| g.is_finite() && g.abs() < 1e-6);
                if value != 0.0 || !finite {
                    failures.push(format!(
                    "{} [{path}]: degenerate case gave loss {value}, finite zero grads {finite}",
                    case.name
                ));
                }
                continue;
            }
            let expected = c["loss_f64"].as_f64().unwrap();
            let err_loss = rel_err(&[value], &[expected]);
            // Gradients are compared to the largest gradient of the pair, as the golden README says.
            let mut all_expected = floats(&c["grad_source_f64"]);
            all_expected.extend(floats(&c["grad_target_f64"]));
            let mut all_actual = gs;
            all_actual.extend(gt);
            let err_grad = rel_err(&all_actual, &all_expected);
            // Where the true gradient is 0 (identical batches) the expected values are round-off:
            // compare absolutely, as the golden README says.
            let vanishing = all_expected.iter().all(|g| g.abs() < 1e-6);
            let err_grad = if vanishing {
                all_actual.iter().fold(0.0f64, |a, g| a.max(g.abs()))
            } else {
                err_grad
            };
            let grad_bound = if vanishing { 1e-6 } else { rel };
            if err_loss > rel || err_grad > grad_bound {
                failures.push(format!(
                "{} [{precision}, {path}]: loss {value} vs {expected} (rel {err_loss:.2e}), grads rel {err_grad:.2e}",
                case.name
            ));
            }
            if std::env::var_os("GOLDEN_VERBOSE").is_some() {
                eprintln!(
                    "{} [{precision}, {path}]: loss rel {err_loss:.2e}, grads rel {err_grad:.2e}",
                    case.name
                );
            }
        }
    }
    failures
}

/// The ways of computing the Gaussian losses on ndarray.
const ON_CPU: &[Compute] = &[Compute::Host, Compute::Tensor];

#[test]
fn golden_ndarray_f64() {
    let failures = check_all::<common::F64>(&Default::default(), 1e-12, "ndarray f64", ON_CPU);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn golden_ndarray_f32() {
    let failures = check_all::<common::F32>(&Default::default(), 1e-5, "ndarray f32", ON_CPU);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[cfg(feature = "test-wgpu")]
#[test]
fn golden_wgpu_f32() {
    // Panics (fails) when no adapter exists: CI must not pass silently without a GPU driver.
    // The fused CubeCL kernel (the default there), the tensor path and the host kernel.
    let computes = [Compute::Cube, Compute::Tensor, Compute::Host];
    let failures = check_all::<common::Gpu>(&Default::default(), 1e-5, "wgpu f32", &computes);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn golden_bandwidth_base_f64() {
    // Our closed-form mean bandwidth must be the seed's `bandwidth_base`: the loss with the
    // data-driven bandwidth equals the loss with that base fixed.
    let device = Default::default();
    for case in cases() {
        let c = &case.json;
        if c["kernel_type"] != "rbf" || !c["fix_sigma"].is_null() || c["expect_nan"] == true {
            continue;
        }
        let base = c["intermediates_f64"]["bandwidth_base"].as_f64().unwrap();
        let dims = (
            c["n"].as_u64().unwrap() as usize,
            c["m"].as_u64().unwrap() as usize,
            c["d"].as_u64().unwrap() as usize,
        );
        let config = MmdLossConfig::new()
            .with_kernel_mul(c["kernel_mul"].as_f64().unwrap())
            .with_kernel_num(c["kernel_num"].as_u64().unwrap() as usize);
        let (source, target) = (floats(&c["source"]), floats(&c["target"]));
        let run = |bandwidth| {
            let loss = config.clone().with_bandwidth(bandwidth).init();
            value_and_grads::<common::F64>(&loss, &source, &target, dims, &device).0
        };
        let (data_driven, fixed) = (run(Bandwidth::Mean), run(Bandwidth::Fixed(base)));
        // Relative 1e-12, or 1e-15 absolute for losses that are 0 up to round-off (the kernel
        // sums themselves are of order 1).
        assert!(
            (data_driven - fixed).abs() <= 1e-12 * fixed.abs().max(1e-3),
            "{}: mean bandwidth gives {data_driven}, the seed's base {base} gives {fixed}",
            case.name
        );
    }
}
