//! Properties of the estimators that hold whatever the data: identity, symmetry, row order,
//! sign, unbiasedness, finite-difference gradients, hand formulas. All in f64 on ndarray, the
//! Gaussian kernel through both the host kernel and the tensor operations.

mod common;

use common::{F64, Normal, matrix, to_vec, value_and_grads};
use mmd_core::{Bandwidth, Compute, Estimator, Kernel, MmdLoss, MmdLossConfig};

const ESTIMATORS: [Estimator; 3] = [
    Estimator::Biased,
    Estimator::Unbiased,
    Estimator::LinearTime,
];
/// Each kernel, the Gaussian one on both of its compute paths.
const KERNELS: [(Kernel, Option<Compute>); 3] = [
    (Kernel::Gaussian, Some(Compute::Host)),
    (Kernel::Gaussian, Some(Compute::Tensor)),
    (Kernel::Linear, None),
];

fn loss(
    (kernel, compute): (Kernel, Option<Compute>),
    estimator: Estimator,
    bandwidth: Bandwidth,
) -> MmdLoss {
    MmdLossConfig::new()
        .with_kernel(kernel)
        .with_compute(compute)
        .with_estimator(estimator)
        .with_bandwidth(bandwidth)
        .init()
}

fn value(loss: &MmdLoss, s: &[f64], t: &[f64], n: usize, m: usize, d: usize) -> f64 {
    let device = Default::default();
    to_vec(loss.forward(
        matrix::<F64>(s, n, d, &device),
        matrix::<F64>(t, m, d, &device),
    ))[0]
}

/// Reverses the order of the rows.
fn reversed(values: &[f64], d: usize) -> Vec<f64> {
    values.chunks(d).rev().flatten().copied().collect()
}

#[test]
fn identical_batches_give_zero() {
    let x = Normal::new(1).vec(10 * 4, 0.0);
    for kernel in KERNELS {
        for estimator in [Estimator::Biased, Estimator::LinearTime] {
            for bandwidth in [Bandwidth::Mean, Bandwidth::Median, Bandwidth::Fixed(3.0)] {
                let v = value(&loss(kernel, estimator, bandwidth), &x, &x, 10, 10, 4);
                assert!(
                    v.abs() < 1e-12,
                    "{kernel:?} {estimator:?} {bandwidth:?}: MMD(x, x) = {v}"
                );
            }
        }
    }
}

#[test]
fn symmetric_in_source_and_target() {
    let mut rng = Normal::new(2);
    let (x, y) = (rng.vec(9 * 3, 0.0), rng.vec(7 * 3, 0.5));
    for kernel in KERNELS {
        for estimator in [Estimator::Biased, Estimator::Unbiased] {
            for bandwidth in [Bandwidth::Mean, Bandwidth::Median, Bandwidth::Fixed(2.0)] {
                let l = loss(kernel, estimator, bandwidth);
                let (a, b) = (value(&l, &x, &y, 9, 7, 3), value(&l, &y, &x, 7, 9, 3));
                assert!(
                    (a - b).abs() < 1e-12 * a.abs().max(1.0),
                    "{kernel:?} {estimator:?}: {a} vs {b}"
                );
            }
        }
    }
}

#[test]
fn invariant_to_row_order() {
    let mut rng = Normal::new(3);
    let (x, y) = (rng.vec(8 * 5, 0.0), rng.vec(6 * 5, 1.0));
    for kernel in KERNELS {
        for estimator in [Estimator::Biased, Estimator::Unbiased] {
            for bandwidth in [Bandwidth::Mean, Bandwidth::Median] {
                let l = loss(kernel, estimator, bandwidth);
                let a = value(&l, &x, &y, 8, 6, 5);
                let b = value(&l, &reversed(&x, 5), &reversed(&y, 5), 8, 6, 5);
                assert!(
                    (a - b).abs() < 1e-12 * a.abs().max(1.0),
                    "{kernel:?} {estimator:?}: {a} vs {b}"
                );
            }
        }
    }
}

#[test]
fn biased_estimate_is_never_negative() {
    let mut rng = Normal::new(4);
    for trial in 0..50 {
        let (x, y) = (rng.vec(6 * 2, 0.0), rng.vec(5 * 2, 0.0));
        for kernel in KERNELS {
            let v = value(
                &loss(kernel, Estimator::Biased, Bandwidth::Mean),
                &x,
                &y,
                6,
                5,
                2,
            );
            assert!(v >= -1e-12, "trial {trial}, {kernel:?}: biased MMD {v} < 0");
        }
    }
}

#[test]
fn unbiased_estimates_average_to_zero_on_one_distribution() {
    // Same distribution: E[U] = 0 for the U-statistic and the linear-time statistic, while the
    // biased V-statistic is clearly positive on average.
    let mut rng = Normal::new(5);
    let trials = 300;
    for kernel in KERNELS {
        for (estimator, expect_zero) in [
            (Estimator::Unbiased, true),
            (Estimator::LinearTime, true),
            (Estimator::Biased, false),
        ] {
            let l = loss(kernel, estimator, Bandwidth::Fixed(4.0));
            let values: Vec<f64> = (0..trials)
                .map(|_| value(&l, &rng.vec(12 * 2, 0.0), &rng.vec(10 * 2, 0.0), 12, 10, 2))
                .collect();
            let mean = values.iter().sum::<f64>() / trials as f64;
            let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (trials - 1) as f64;
            let stderr = (var / trials as f64).sqrt();
            if expect_zero {
                assert!(
                    mean.abs() < 4.0 * stderr,
                    "{kernel:?} {estimator:?}: mean {mean}, stderr {stderr}"
                );
            } else {
                assert!(
                    mean > 4.0 * stderr,
                    "{kernel:?} biased: mean {mean} should be > 0 (stderr {stderr})"
                );
            }
        }
    }
}

#[test]
fn gradients_match_finite_differences() {
    // A fixed bandwidth: the data-driven one is detached on purpose, so finite differences would
    // see a dependence that the gradient deliberately ignores.
    let (n, m, d) = (5, 4, 3);
    let mut rng = Normal::new(6);
    let (x, y) = (rng.vec(n * d, 0.0), rng.vec(m * d, 0.7));
    let device = Default::default();
    for kernel in KERNELS {
        for estimator in ESTIMATORS {
            let l = loss(kernel, estimator, Bandwidth::Fixed(3.0));
            let (_, gs, gt) = value_and_grads::<F64>(&l, &x, &y, (n, m, d), &device);
            let h = 1e-6;
            for (which, grad) in [(0, &gs), (1, &gt)] {
                for k in 0..grad.len() {
                    let (mut plus, mut minus) = if which == 0 {
                        (x.clone(), x.clone())
                    } else {
                        (y.clone(), y.clone())
                    };
                    plus[k] += h;
                    minus[k] -= h;
                    let f = |v: &[f64]| {
                        if which == 0 {
                            value(&l, v, &y, n, m, d)
                        } else {
                            value(&l, &x, v, n, m, d)
                        }
                    };
                    let numeric = (f(&plus) - f(&minus)) / (2.0 * h);
                    assert!(
                        (numeric - grad[k]).abs() < 1e-6,
                        "{kernel:?} {estimator:?} input {which} element {k}: autodiff {} vs finite difference {numeric}",
                        grad[k]
                    );
                }
            }
        }
    }
}

#[test]
fn linear_kernel_matches_hand_formulas() {
    let (n, m, d) = (6, 4, 3);
    let mut rng = Normal::new(7);
    let (x, y) = (rng.vec(n * d, 0.0), rng.vec(m * d, 0.3));
    let row = |v: &[f64], i: usize| v[i * d..(i + 1) * d].to_vec();
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(p, q)| p * q).sum::<f64>();
    // Biased: ||mean(x) - mean(y)||^2
    let mean = |v: &[f64], rows: usize| {
        (0..d)
            .map(|k| (0..rows).map(|i| v[i * d + k]).sum::<f64>() / rows as f64)
            .collect::<Vec<_>>()
    };
    let delta: Vec<f64> = mean(&x, n)
        .iter()
        .zip(mean(&y, m))
        .map(|(a, b)| a - b)
        .collect();
    let biased = dot(&delta, &delta);
    // Unbiased: off-diagonal within-batch means minus twice the cross mean.
    let within = |v: &[f64], rows: usize| {
        let mut s = 0.0;
        for i in 0..rows {
            for j in 0..rows {
                if i != j {
                    s += dot(&row(v, i), &row(v, j));
                }
            }
        }
        s / (rows * (rows - 1)) as f64
    };
    let mut cross = 0.0;
    for i in 0..n {
        for j in 0..m {
            cross += dot(&row(&x, i), &row(&y, j));
        }
    }
    let unbiased = within(&x, n) + within(&y, m) - 2.0 * cross / (n * m) as f64;
    // Linear time: pairs (0,1), (2,3), ... and cross pairs (i mod n, (i xor 1) mod m).
    let pairs = |v: &[f64], rows: usize| {
        (0..rows / 2)
            .map(|i| dot(&row(v, 2 * i), &row(v, 2 * i + 1)))
            .sum::<f64>()
            / (rows / 2) as f64
    };
    let cross_lt = (0..n.max(m))
        .map(|i| dot(&row(&x, i % n), &row(&y, (i ^ 1) % m)))
        .sum::<f64>()
        / n.max(m) as f64;
    let linear_time = pairs(&x, n) + pairs(&y, m) - 2.0 * cross_lt;
    for (estimator, expected) in [
        (Estimator::Biased, biased),
        (Estimator::Unbiased, unbiased),
        (Estimator::LinearTime, linear_time),
    ] {
        let v = value(
            &loss((Kernel::Linear, None), estimator, Bandwidth::Mean),
            &x,
            &y,
            n,
            m,
            d,
        );
        assert!(
            (v - expected).abs() < 1e-12 * expected.abs().max(1.0),
            "{estimator:?}: {v} vs {expected}"
        );
    }
}

/// Direct O(N^2 d) Gaussian multi-kernel MMD, written independently of the crate.
fn gaussian_reference(
    x: &[f64],
    y: &[f64],
    (n, m, d): (usize, usize, usize),
    bandwidth: Bandwidth,
    unbiased: bool,
) -> f64 {
    let z: Vec<&[f64]> = x.chunks(d).chain(y.chunks(d)).collect();
    let total = n + m;
    let dist = |i: usize, j: usize| (0..d).map(|k| (z[i][k] - z[j][k]).powi(2)).sum::<f64>();
    let fixed = match bandwidth {
        Bandwidth::Fixed(sigma) => Some(sigma),
        _ => None,
    };
    let median = bandwidth == Bandwidth::Median;
    let base = fixed.unwrap_or_else(|| {
        let mut pairs: Vec<f64> = (0..total)
            .flat_map(|i| (i + 1..total).map(move |j| (i, j)))
            .map(|(i, j)| dist(i, j))
            .collect();
        if median {
            pairs.sort_by(f64::total_cmp);
            let k = pairs.len();
            if k % 2 == 1 {
                pairs[k / 2]
            } else {
                (pairs[k / 2 - 1] + pairs[k / 2]) / 2.0
            }
        } else {
            2.0 * pairs.iter().sum::<f64>() / (total * total - total) as f64
        }
    });
    let k = |i: usize, j: usize| {
        (0..5)
            .map(|p| (-dist(i, j) / (base * 2f64.powi(p - 2))).exp())
            .sum::<f64>()
    };
    let block = |r: std::ops::Range<usize>, c: std::ops::Range<usize>, skip_diag: bool| {
        let mut s = 0.0;
        let mut count = 0.0;
        for i in r.clone() {
            for j in c.clone() {
                if !(skip_diag && i == j) {
                    s += k(i, j);
                    count += 1.0;
                }
            }
        }
        s / count
    };
    block(0..n, 0..n, unbiased) + block(n..total, n..total, unbiased)
        - 2.0 * block(0..n, n..total, false)
}

#[test]
fn gaussian_estimators_and_bandwidths_match_direct_formula() {
    let (n, m, d) = (7, 5, 4);
    let mut rng = Normal::new(8);
    let (x, y) = (rng.vec(n * d, 0.0), rng.vec(m * d, 0.8));
    for bandwidth in [Bandwidth::Mean, Bandwidth::Median, Bandwidth::Fixed(1.7)] {
        for (estimator, unbiased) in [(Estimator::Biased, false), (Estimator::Unbiased, true)] {
            for compute in [Compute::Host, Compute::Tensor] {
                let l = loss((Kernel::Gaussian, Some(compute)), estimator, bandwidth);
                let v = value(&l, &x, &y, n, m, d);
                let expected = gaussian_reference(&x, &y, (n, m, d), bandwidth, unbiased);
                assert!(
                    (v - expected).abs() < 1e-12,
                    "{bandwidth:?} {estimator:?} {compute:?}: {v} vs {expected}"
                );
            }
        }
    }
}

#[test]
fn coinciding_points_give_zero_loss_and_finite_gradients() {
    let x = vec![1.5; 4 * 3];
    let device = Default::default();
    for kernel in KERNELS {
        for estimator in ESTIMATORS {
            for bandwidth in [Bandwidth::Mean, Bandwidth::Median] {
                let l = loss(kernel, estimator, bandwidth);
                let (v, gs, gt) = value_and_grads::<F64>(&l, &x, &x, (4, 4, 3), &device);
                assert!(
                    v.abs() < 1e-12,
                    "{kernel:?} {estimator:?} {bandwidth:?}: {v}"
                );
                assert!(
                    gs.iter().chain(&gt).all(|g| g.is_finite()),
                    "{kernel:?} {estimator:?}: gradients {gs:?} {gt:?}"
                );
            }
        }
    }
}
