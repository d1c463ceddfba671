//! CORAL, BNM, LMMD and JMMD against the independent numpy reference
//! `fixtures/family_reference.py` (values and gradients in `fixtures/family.json`), on ndarray in
//! f64 (relative 1e-9) and f32 (relative 1e-5; the errors seen are below 1e-6), plus properties
//! every one of them must have.

mod common;

use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Int, Tensor, TensorData};
use common::{F32, F64, Normal, floats, matrix, rel_err, to_vec};
use mmd_core::{
    Bandwidth, BnmLossConfig, CoralLossConfig, JmmdLossConfig, LmmdLossConfig, MmdLossConfig,
};
use serde_json::Value;

fn fixture() -> Value {
    serde_json::from_str(include_str!("fixtures/family.json")).expect("family.json is JSON")
}

fn usize_of(v: &Value) -> usize {
    v.as_u64().expect("unsigned integer") as usize
}

/// Collects a failure line when `actual` is further than `rel` from `expected` (or non-finite).
fn compare(failures: &mut Vec<String>, what: String, actual: &[f64], expected: &[f64], rel: f64) {
    let err = rel_err(actual, expected);
    if err.is_nan() || err > rel {
        failures.push(format!("{what}: relative error {err:.3e} > {rel:.0e}"));
    }
}

fn labels<B: Backend>(values: &[i64], device: &B::Device) -> Tensor<B, 1, Int> {
    Tensor::from_data(TensorData::new(values.to_vec(), [values.len()]), device)
}

fn check_coral<B: AutodiffBackend>(device: &B::Device, rel: f64) -> Vec<String> {
    let mut failures = Vec::new();
    let loss = CoralLossConfig::new().init();
    for c in fixture()["coral"].as_array().unwrap() {
        let (n, m, d) = (usize_of(&c["n"]), usize_of(&c["m"]), usize_of(&c["d"]));
        let s = matrix::<B>(&floats(&c["source"]), n, d, device).require_grad();
        let t = matrix::<B>(&floats(&c["target"]), m, d, device).require_grad();
        let value = loss.forward(s.clone(), t.clone());
        let grads = value.backward();
        let name = c["name"].as_str().unwrap();
        compare(
            &mut failures,
            format!("{name} loss"),
            &to_vec(value),
            &floats(&c["loss"]),
            rel,
        );
        for (what, tensor, key) in [("source", &s, "grad_source"), ("target", &t, "grad_target")] {
            let grad = to_vec(tensor.grad(&grads).expect("gradient"));
            compare(
                &mut failures,
                format!("{name} d/d{what}"),
                &grad,
                &floats(&c[key]),
                rel,
            );
        }
    }
    failures
}

fn check_bnm<B: AutodiffBackend>(device: &B::Device, rel: f64) -> Vec<String> {
    let mut failures = Vec::new();
    let loss = BnmLossConfig::new().init();
    for c in fixture()["bnm"].as_array().unwrap() {
        let (rows, cols) = (usize_of(&c["batch"]), usize_of(&c["classes"]));
        let z = matrix::<B>(&floats(&c["logits"]), rows, cols, device).require_grad();
        let value = loss.forward(z.clone());
        let grads = value.backward();
        let name = c["name"].as_str().unwrap();
        compare(
            &mut failures,
            format!("{name} loss"),
            &to_vec(value),
            &floats(&c["loss"]),
            rel,
        );
        let grad = to_vec(z.grad(&grads).expect("gradient"));
        compare(
            &mut failures,
            format!("{name} d/dlogits"),
            &grad,
            &floats(&c["grad_logits"]),
            rel,
        );
    }
    failures
}

fn check_lmmd<B: AutodiffBackend>(device: &B::Device, rel: f64) -> Vec<String> {
    let mut failures = Vec::new();
    for c in fixture()["lmmd"].as_array().unwrap() {
        let (n, m, d) = (usize_of(&c["n"]), usize_of(&c["m"]), usize_of(&c["d"]));
        let classes = usize_of(&c["num_classes"]);
        let bandwidth = c["fix_sigma"]
            .as_f64()
            .map_or(Bandwidth::Mean, Bandwidth::Fixed);
        let loss = LmmdLossConfig::new(classes)
            .with_kernel_mul(c["kernel_mul"].as_f64().unwrap())
            .with_kernel_num(usize_of(&c["kernel_num"]))
            .with_bandwidth(bandwidth)
            .init();
        let s = matrix::<B>(&floats(&c["source"]), n, d, device).require_grad();
        let t = matrix::<B>(&floats(&c["target"]), m, d, device).require_grad();
        let y: Vec<i64> = floats(&c["source_labels"])
            .iter()
            .map(|&v| v as i64)
            .collect();
        let probs = matrix::<B>(&floats(&c["target_probs"]), m, classes, device);
        let value = loss.forward(s.clone(), t.clone(), labels(&y, device), probs);
        let grads = value.backward();
        let name = c["name"].as_str().unwrap();
        compare(
            &mut failures,
            format!("{name} loss"),
            &to_vec(value),
            &floats(&c["loss"]),
            rel,
        );
        for (what, tensor, key) in [("source", &s, "grad_source"), ("target", &t, "grad_target")] {
            let grad = to_vec(tensor.grad(&grads).expect("gradient"));
            compare(
                &mut failures,
                format!("{name} d/d{what}"),
                &grad,
                &floats(&c[key]),
                rel,
            );
        }
    }
    failures
}

fn check_jmmd<B: AutodiffBackend>(device: &B::Device, rel: f64) -> Vec<String> {
    let mut failures = Vec::new();
    for c in fixture()["jmmd"].as_array().unwrap() {
        let (n, m) = (usize_of(&c["n"]), usize_of(&c["m"]));
        let widths: Vec<usize> = c["widths"]
            .as_array()
            .unwrap()
            .iter()
            .map(usize_of)
            .collect();
        let fixed: Vec<Option<f64>> = c["fixed_layer_bandwidths"]
            .as_array()
            .unwrap()
            .iter()
            .map(Value::as_f64)
            .collect();
        let loss = JmmdLossConfig::new()
            .with_kernel_mul(c["kernel_mul"].as_f64().unwrap())
            .with_kernel_num(usize_of(&c["kernel_num"]))
            .with_fixed_layer_bandwidths(fixed)
            .init();
        let layers = |key: &str, rows: usize| -> Vec<Tensor<B, 2>> {
            c[key]
                .as_array()
                .unwrap()
                .iter()
                .zip(&widths)
                .map(|(v, &w)| matrix::<B>(&floats(v), rows, w, device).require_grad())
                .collect()
        };
        let (s, t) = (layers("source_layers", n), layers("target_layers", m));
        let value = loss.forward(s.clone(), t.clone());
        let grads = value.backward();
        let name = c["name"].as_str().unwrap();
        compare(
            &mut failures,
            format!("{name} loss"),
            &to_vec(value),
            &floats(&c["loss"]),
            rel,
        );
        for (what, tensors, key) in [
            ("source", &s, "grad_source_layers"),
            ("target", &t, "grad_target_layers"),
        ] {
            for (l, (tensor, expected)) in
                tensors.iter().zip(c[key].as_array().unwrap()).enumerate()
            {
                let grad = to_vec(tensor.grad(&grads).expect("gradient"));
                compare(
                    &mut failures,
                    format!("{name} d/d{what}[{l}]"),
                    &grad,
                    &floats(expected),
                    rel,
                );
            }
        }
    }
    failures
}

fn run_all<B: AutodiffBackend>(rel: f64) {
    let device = Default::default();
    let mut failures = check_coral::<B>(&device, rel);
    failures.extend(check_bnm::<B>(&device, rel));
    failures.extend(check_lmmd::<B>(&device, rel));
    failures.extend(check_jmmd::<B>(&device, rel));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn fixture_covers_every_family_and_unequal_batches() {
    let root = fixture();
    for family in ["coral", "bnm", "lmmd", "jmmd"] {
        let cases = root[family].as_array().expect(family);
        assert!(cases.len() >= 2, "{family}");
    }
    for family in ["coral", "lmmd", "jmmd"] {
        assert!(
            root[family]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["n"] != c["m"]),
            "{family} has a case with n != m"
        );
    }
}

#[test]
fn f64_matches_the_numpy_reference() {
    run_all::<F64>(1e-9);
}

#[test]
fn f32_matches_the_numpy_reference() {
    run_all::<F32>(1e-5);
}

#[cfg(feature = "test-wgpu")]
#[test]
fn wgpu_f32_matches_the_numpy_reference() {
    run_all::<common::Gpu>(1e-5);
}

// ---------------------------------------------------------------- properties

/// Plain (non-autodiff) f64 value of a `[1]` loss.
fn value<B: Backend>(loss: Tensor<B, 1>) -> f64 {
    to_vec(loss)[0]
}

fn permute_rows(values: &[f64], cols: usize, order: &[usize]) -> Vec<f64> {
    order
        .iter()
        .flat_map(|&i| values[i * cols..(i + 1) * cols].iter().copied())
        .collect()
}

const ORDER_5: [usize; 5] = [3, 0, 4, 2, 1];

#[test]
fn coral_is_zero_symmetric_and_invariant_to_shift_and_row_order() {
    let device = Default::default();
    let mut rng = Normal::new(11);
    let (n, m, d) = (5, 7, 3);
    let (xs, xt) = (rng.vec(n * d, 0.0), rng.vec(m * d, 1.0));
    let loss = CoralLossConfig::new().init();
    let f = |a: &[f64], rows_a, b: &[f64], rows_b| {
        value(loss.forward(
            matrix::<F64>(a, rows_a, d, &device),
            matrix(b, rows_b, d, &device),
        ))
    };
    assert_eq!(f(&xs, n, &xs, n), 0.0);
    let base = f(&xs, n, &xt, m);
    assert!(base > 0.0);
    assert!((f(&xt, m, &xs, n) - base).abs() <= 1e-15 * base);
    let moved: Vec<f64> = permute_rows(&xs, d, &ORDER_5)
        .iter()
        .map(|v| v + 3.0)
        .collect();
    assert!((f(&moved, n, &xt, m) - base).abs() <= 1e-12 * base);
    assert!(f(&moved, n, &xs, n).abs() <= 1e-12);
}

#[test]
fn lmmd_of_a_batch_with_itself_is_zero() {
    let device = Default::default();
    let mut rng = Normal::new(12);
    let (n, d, classes) = (6, 3, 3);
    let x = rng.vec(n * d, 0.0);
    let y = [0i64, 2, 1, 2, 0, 0];
    // The target predicts the source labels with certainty: the class weights coincide.
    let one_hot: Vec<f64> = y
        .iter()
        .flat_map(|&c| (0..classes).map(move |k| if k as i64 == c { 1.0 } else { 0.0 }))
        .collect();
    for bandwidth in [Bandwidth::Mean, Bandwidth::Median, Bandwidth::Fixed(0.7)] {
        let loss = LmmdLossConfig::new(classes)
            .with_bandwidth(bandwidth)
            .init();
        let v = value(loss.forward(
            matrix::<F64>(&x, n, d, &device),
            matrix(&x, n, d, &device),
            labels(&y, &device),
            matrix(&one_hot, n, classes, &device),
        ));
        assert!(v.abs() < 1e-12, "{bandwidth:?}: {v}");
    }
}

#[test]
fn lmmd_is_invariant_to_row_order() {
    let device = Default::default();
    let mut rng = Normal::new(13);
    let (n, m, d, classes) = (5, 4, 3, 3);
    let (xs, xt) = (rng.vec(n * d, 0.0), rng.vec(m * d, 0.5));
    let y = [0i64, 1, 2, 1, 0];
    let probs = [0.7, 0.2, 0.1, 0.1, 0.3, 0.6, 0.5, 0.4, 0.1, 0.2, 0.2, 0.6];
    let loss = LmmdLossConfig::new(classes).init();
    let run = |xs: &[f64], y: &[i64], xt: &[f64], probs: &[f64]| {
        let s = matrix::<F64>(xs, n, d, &device).require_grad();
        let value = loss.forward(
            s.clone(),
            matrix(xt, m, d, &device),
            labels(y, &device),
            matrix(probs, m, classes, &device),
        );
        let grad = to_vec(s.grad(&value.backward()).unwrap());
        (to_vec(value)[0], grad)
    };
    let (base, grad) = run(&xs, &y, &xt, &probs);
    assert!(base > 0.0);
    let order_t = [2, 0, 3, 1];
    let y_perm: Vec<i64> = ORDER_5.iter().map(|&i| y[i]).collect();
    let (permuted, grad_perm) = run(
        &permute_rows(&xs, d, &ORDER_5),
        &y_perm,
        &permute_rows(&xt, d, &order_t),
        &permute_rows(&probs, classes, &order_t),
    );
    assert!(
        (permuted - base).abs() <= 1e-12 * base,
        "{permuted} vs {base}"
    );
    let expected = permute_rows(&grad, d, &ORDER_5);
    assert!(rel_err(&grad_perm, &expected) < 1e-10);
}

#[test]
fn lmmd_never_hides_a_nan() {
    let device = Default::default();
    let mut rng = Normal::new(14);
    let (n, m, d, classes) = (4, 3, 2, 3);
    let y = [0i64, 1, 1, 0];
    // Every target row predicts class 0 or 1; class 2 is in no source label.
    let probs = [0.7, 0.2, 0.1, 0.1, 0.6, 0.3, 0.5, 0.4, 0.1];
    for bandwidth in [Bandwidth::Mean, Bandwidth::Fixed(1.0)] {
        let loss = LmmdLossConfig::new(classes)
            .with_bandwidth(bandwidth)
            .init();
        let run = |xs: &[f64], xt: &[f64], probs: &[f64]| {
            value(loss.forward(
                matrix::<F64>(xs, n, d, &device),
                matrix(xt, m, d, &device),
                labels(&y, &device),
                matrix(probs, m, classes, &device),
            ))
        };
        let (xs, xt) = (rng.vec(n * d, 0.0), rng.vec(m * d, 0.0));
        assert!(run(&xs, &xt, &probs).is_finite());
        let mut bad = xs.clone();
        bad[3] = f64::NAN;
        assert!(
            run(&bad, &xt, &probs).is_nan(),
            "{bandwidth:?}: NaN source feature"
        );
        let mut bad = xt.clone();
        bad[0] = f64::NAN;
        assert!(
            run(&xs, &bad, &probs).is_nan(),
            "{bandwidth:?}: NaN target feature"
        );
        // A NaN probability in class 2, which is outside the classes LMMD compares.
        let mut bad = probs;
        bad[2] = f64::NAN;
        assert!(
            run(&xs, &xt, &bad).is_nan(),
            "{bandwidth:?}: NaN probability"
        );
    }
}

/// `n` source rows and `m` target rows of each width, one `Vec` per layer.
fn layers(rng: &mut Normal, rows: usize, widths: &[usize], shift: f64) -> Vec<Vec<f64>> {
    widths.iter().map(|&w| rng.vec(rows * w, shift)).collect()
}

fn jmmd_value(
    config: &JmmdLossConfig,
    source: &[Vec<f64>],
    target: &[Vec<f64>],
    (n, m): (usize, usize),
    widths: &[usize],
) -> f64 {
    let device = Default::default();
    let build = |values: &[Vec<f64>], rows: usize| -> Vec<Tensor<F64, 2>> {
        values
            .iter()
            .zip(widths)
            .map(|(v, &w)| matrix::<F64>(v, rows, w, &device))
            .collect()
    };
    value(config.init().forward(build(source, n), build(target, m)))
}

#[test]
fn jmmd_is_zero_on_itself_symmetric_and_invariant_to_row_order() {
    let mut rng = Normal::new(15);
    let (n, m, widths) = (5, 4, [3, 2]);
    let (s, t) = (
        layers(&mut rng, n, &widths, 0.0),
        layers(&mut rng, m, &widths, 0.8),
    );
    for config in [
        JmmdLossConfig::new(),
        JmmdLossConfig::jan(),
        JmmdLossConfig::new()
            .with_bandwidth(Bandwidth::Median)
            .with_kernel_mul(1.5),
    ] {
        let same = jmmd_value(&config, &s, &s, (n, n), &widths);
        assert!(same.abs() < 1e-12, "{config:?}: {same}");
        let base = jmmd_value(&config, &s, &t, (n, m), &widths);
        assert!(base > 0.0);
        let swapped = jmmd_value(&config, &t, &s, (m, n), &widths);
        assert!(
            (swapped - base).abs() <= 1e-12 * base,
            "{swapped} vs {base}"
        );
        let permuted: Vec<Vec<f64>> = s
            .iter()
            .zip(widths)
            .map(|(v, w)| permute_rows(v, w, &ORDER_5))
            .collect();
        let moved = jmmd_value(&config, &permuted, &t, (n, m), &widths);
        assert!((moved - base).abs() <= 1e-12 * base, "{moved} vs {base}");
    }
}

#[test]
fn jmmd_with_one_layer_is_the_biased_gaussian_mmd() {
    let device = Default::default();
    let mut rng = Normal::new(16);
    let (n, m, d) = (7, 4, 3);
    let (xs, xt) = (rng.vec(n * d, 0.0), rng.vec(m * d, 0.6));
    for bandwidth in [Bandwidth::Mean, Bandwidth::Fixed(2.0)] {
        let jmmd = jmmd_value(
            &JmmdLossConfig::new().with_bandwidth(bandwidth),
            std::slice::from_ref(&xs),
            std::slice::from_ref(&xt),
            (n, m),
            &[d],
        );
        let mmd = value(
            MmdLossConfig::new()
                .with_bandwidth(bandwidth)
                .init()
                .forward(
                    matrix::<F64>(&xs, n, d, &device),
                    matrix(&xt, m, d, &device),
                ),
        );
        assert!(
            (jmmd - mmd).abs() <= 1e-12 * mmd,
            "{bandwidth:?}: {jmmd} vs {mmd}"
        );
    }
}

#[test]
fn bnm_of_confident_distinct_predictions_is_minus_one() {
    let device = Default::default();
    let loss = BnmLossConfig::new().init();
    // Three rows, five classes, each row confidently a different class: A ~ orthonormal rows.
    let logits: Vec<f64> = (0..15)
        .map(|i| if i % 5 == i / 5 { 50.0 } else { 0.0 })
        .collect();
    let v = value(loss.forward(matrix::<F64>(&logits, 3, 5, &device)));
    assert!((v + 1.0).abs() < 1e-15, "{v}");
    // Every row the same prediction a: A = 1 a^T has one singular value sqrt(B) ||a||.
    let row = [1.0, -0.5, 0.25];
    let exp: Vec<f64> = row.iter().map(|z: &f64| z.exp()).collect();
    let total: f64 = exp.iter().sum();
    let norm = exp.iter().map(|e| (e / total).powi(2)).sum::<f64>().sqrt();
    let same: Vec<f64> = row.iter().cycle().take(12).copied().collect();
    let z = matrix::<F64>(&same, 4, 3, &device).require_grad();
    let out = loss.forward(z.clone());
    let v = to_vec(out.clone())[0];
    assert!((v + norm / 2.0).abs() < 1e-14, "{v} vs {}", -norm / 2.0);
    assert!(
        to_vec(z.grad(&out.backward()).unwrap())
            .iter()
            .all(|g| g.is_finite())
    );
}

#[test]
fn bnm_is_invariant_to_row_order() {
    let device = Default::default();
    let mut rng = Normal::new(17);
    let (rows, classes) = (5, 4);
    let logits = rng.vec(rows * classes, 0.0);
    let loss = BnmLossConfig::new().init();
    let f = |z: &[f64]| value(loss.forward(matrix::<F64>(z, rows, classes, &device)));
    let base = f(&logits);
    let permuted = f(&permute_rows(&logits, classes, &ORDER_5));
    assert!((permuted - base).abs() <= 1e-14, "{permuted} vs {base}");
    assert!((-1.0..0.0).contains(&base), "{base}");
}
