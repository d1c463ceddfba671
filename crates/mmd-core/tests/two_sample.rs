//! The permutation two-sample test ([`MmdTest`]) and the learned kernel weights
//! ([`MkMmdConfig`], [`MkMmdLoss`]), on `NdArray<f64>`, against direct reference computations.

mod common;

use burn::config::Config;
use burn::tensor::{DType, Tensor, TensorData};
use burn_ndarray::NdArray;
use common::{F64, Normal, to_vec};
use mmd_core::{
    Bandwidth, Estimator, Kernel, KernelWeights, MkMmdConfig, MkMmdLoss, MmdLossConfig,
    MmdTestConfig,
};

type B = NdArray<f64>;

fn tensor(values: &[f64], rows: usize, cols: usize) -> Tensor<B, 2> {
    Tensor::from_data(
        TensorData::new(values.to_vec(), [rows, cols]),
        (&Default::default(), DType::F64),
    )
}

/// `rows x cols` standard normal values plus `shift`, from `seed`.
fn normal(rows: usize, cols: usize, seed: u64, shift: f64) -> Tensor<B, 2> {
    tensor(&Normal::new(seed).vec(rows * cols, shift), rows, cols)
}

fn loss_value(config: &MmdLossConfig, source: Tensor<B, 2>, target: Tensor<B, 2>) -> f64 {
    config.init().forward(source, target).into_scalar()
}

fn assert_close(actual: f64, expected: f64, relative: f64) {
    assert!(
        (actual - expected).abs() <= relative * expected.abs().max(1.0),
        "{actual} vs {expected}"
    );
}

/// Row-major rows of a tensor.
fn rows_of(t: &Tensor<B, 2>) -> Vec<Vec<f64>> {
    let [_, cols] = t.dims();
    to_vec(t.clone())
        .chunks(cols)
        .map(<[f64]>::to_vec)
        .collect()
}

fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// The biased squared MMD written out, for the kernel `k(a, b) = sum_k w_k exp(-|a-b|^2 / b_k)`.
fn reference_biased(source: &[Vec<f64>], target: &[Vec<f64>], kernels: &[(f64, f64)]) -> f64 {
    let k = |a: &[f64], b: &[f64]| -> f64 {
        let dist = sq_dist(a, b);
        kernels.iter().map(|(bw, w)| w * (-dist / bw).exp()).sum()
    };
    let mean = |xs: &[Vec<f64>], ys: &[Vec<f64>]| -> f64 {
        let mut sum = 0.0;
        for x in xs {
            for y in ys {
                sum += k(x, y);
            }
        }
        sum / (xs.len() * ys.len()) as f64
    };
    mean(source, source) + mean(target, target) - 2.0 * mean(source, target)
}

/// Mean squared distance over ordered pairs i != j of the pooled rows (the seed's bandwidth).
fn reference_mean_bandwidth(pooled: &[Vec<f64>]) -> f64 {
    let n = pooled.len();
    let mut sum = 0.0;
    for a in pooled {
        for b in pooled {
            sum += sq_dist(a, b);
        }
    }
    sum / (n * n - n) as f64
}

// ---------------------------------------------------------------------------------------------
// The permutation test

#[test]
fn observed_statistic_is_the_loss_value() {
    let (source, target) = (normal(7, 3, 1, 0.0), normal(5, 3, 2, 0.4));
    let mut configs = Vec::new();
    for estimator in [Estimator::Biased, Estimator::Unbiased] {
        for bandwidth in [Bandwidth::Mean, Bandwidth::Median, Bandwidth::Fixed(1.3)] {
            configs.push(
                MmdLossConfig::new()
                    .with_estimator(estimator)
                    .with_bandwidth(bandwidth),
            );
        }
        configs.push(
            MmdLossConfig::new()
                .with_estimator(estimator)
                .with_kernel_mul(1.5)
                .with_kernel_num(3),
        );
        configs.push(
            MmdLossConfig::new()
                .with_estimator(estimator)
                .with_kernel(Kernel::Linear),
        );
    }
    for config in configs {
        let expected = loss_value(&config, source.clone(), target.clone());
        for block_rows in [None, Some(5)] {
            let result = MmdTestConfig::new()
                .with_loss(config.clone())
                .with_permutations(20)
                .with_block_rows(block_rows)
                .init()
                .run(source.clone(), target.clone())
                .unwrap();
            assert_close(result.statistic, expected, 1e-12);
            assert_eq!(result.permutations, 20);
        }
    }
}

/// All `C(n + m, n)` splits of the pooled rows as source index sets.
fn subsets(total: usize, size: usize) -> Vec<Vec<usize>> {
    if size == 0 {
        return vec![vec![]];
    }
    if total < size {
        return vec![];
    }
    let mut with_last = subsets(total - 1, size - 1);
    for set in &mut with_last {
        set.push(total - 1);
    }
    with_last.extend(subsets(total - 1, size));
    with_last
}

#[test]
fn p_value_matches_the_exact_permutation_distribution() {
    // 4 + 4 rows: the exact p-value is the fraction of the 70 splits whose statistic is at
    // least the observed one, computed here directly. The Monte Carlo p-value estimates it.
    let (source, target) = (normal(4, 2, 3, 0.0), normal(4, 2, 4, 1.2));
    let pooled: Vec<Vec<f64>> = rows_of(&source)
        .into_iter()
        .chain(rows_of(&target))
        .collect();
    let base = reference_mean_bandwidth(&pooled);
    let kernels: Vec<(f64, f64)> = (0..5).map(|i| (base * 2f64.powi(i - 2), 1.0)).collect();
    let split_statistic = |chosen: &[usize]| {
        let (s, t): (Vec<_>, Vec<_>) = (0..8).partition(|i| chosen.contains(i));
        let pick = |idx: Vec<usize>| {
            idx.into_iter()
                .map(|i| pooled[i].clone())
                .collect::<Vec<_>>()
        };
        reference_biased(&pick(s), &pick(t), &kernels)
    };
    let observed = split_statistic(&[0, 1, 2, 3]);
    let splits = subsets(8, 4);
    assert_eq!(splits.len(), 70);
    let extreme = splits
        .iter()
        .filter(|set| split_statistic(set) >= observed - 1e-12)
        .count();
    let exact = extreme as f64 / 70.0;
    assert!(
        (0.05..0.6).contains(&exact),
        "pick data with an intermediate p-value, got {exact}"
    );

    let permutations = 20_000;
    let result = MmdTestConfig::new()
        .with_permutations(permutations)
        .with_seed(11)
        .init()
        .run(source, target)
        .unwrap();
    assert_close(result.statistic, observed, 1e-12);
    // Every permuted statistic is that of one of the 70 splits.
    let split_values: Vec<f64> = splits.iter().map(|set| split_statistic(set)).collect();
    assert_eq!(result.null_statistics.len(), permutations);
    for &value in &result.null_statistics {
        assert!(
            split_values
                .iter()
                .any(|&exact| (value - exact).abs() <= 1e-12),
            "{value} is not the statistic of any split"
        );
    }
    let sd = (exact * (1.0 - exact) / permutations as f64).sqrt();
    assert!(
        (result.p_value - exact).abs() <= 4.0 * sd + 1.0 / permutations as f64,
        "Monte Carlo p {} vs exact {exact}",
        result.p_value
    );
}

#[test]
fn same_distribution_gives_calibrated_p_values() {
    // Under the null the permutation p-value is (super-)uniform: P(p < 0.05) <= 0.05. Over 200
    // trials the fraction below 0.05 stays under 0.05 + 3.5 sd, and the fraction below 0.5 within
    // 3.5 sd of 0.5 (which fails for a test whose p-values are stuck near 0 or 1).
    let trials = 200;
    let configs = [
        MmdLossConfig::new(),
        MmdLossConfig::new()
            .with_estimator(Estimator::Unbiased)
            .with_bandwidth(Bandwidth::Median),
    ];
    for config in configs {
        let test = MmdTestConfig::new()
            .with_loss(config.clone())
            .with_permutations(199)
            .init();
        let p_values: Vec<f64> = (0..trials)
            .map(|trial| {
                let seed = 1000 + 2 * trial as u64;
                let result = test
                    .run(normal(12, 2, seed, 0.0), normal(15, 2, seed + 1, 0.0))
                    .unwrap();
                assert!(result.p_value > 0.0 && result.p_value <= 1.0);
                result.p_value
            })
            .collect();
        let fraction =
            |level: f64| p_values.iter().filter(|&&p| p < level).count() as f64 / trials as f64;
        let sd = |level: f64| (level * (1.0 - level) / trials as f64).sqrt();
        assert!(
            fraction(0.05) <= 0.05 + 3.5 * sd(0.05),
            "{config:?}: {} of p-values below 0.05",
            fraction(0.05)
        );
        assert!(
            (fraction(0.5) - 0.5).abs() <= 3.5 * sd(0.5),
            "{config:?}: {} of p-values below 0.5",
            fraction(0.5)
        );
    }
}

#[test]
fn a_clear_mean_shift_is_significant() {
    for config in [
        MmdLossConfig::new(),
        MmdLossConfig::new().with_estimator(Estimator::Unbiased),
        MmdLossConfig::new().with_kernel(Kernel::Linear),
    ] {
        let result = MmdTestConfig::new()
            .with_loss(config.clone())
            .with_permutations(500)
            .init()
            .run(normal(30, 2, 21, 0.0), normal(25, 2, 22, 1.5))
            .unwrap();
        assert!(result.p_value < 0.01, "{config:?}: {result:?}");
        assert_eq!(result.p_value, 1.0 / 501.0, "no permutation is as extreme");
        assert!(
            result
                .null_statistics
                .iter()
                .all(|&value| value < result.statistic),
            "{config:?}: the observed statistic exceeds every permuted one"
        );
    }
}

#[test]
fn null_statistics_give_the_p_value() {
    // n != m, so no relabelling reproduces the observed split exactly: no ties within round-off.
    let (source, target) = (normal(14, 3, 61, 0.0), normal(11, 3, 62, 0.4));
    for config in [
        MmdLossConfig::new(),
        MmdLossConfig::new()
            .with_estimator(Estimator::Unbiased)
            .with_bandwidth(Bandwidth::Median),
        MmdLossConfig::new().with_kernel(Kernel::Linear),
    ] {
        for permutations in [1, 7, 400] {
            let result = MmdTestConfig::new()
                .with_loss(config.clone())
                .with_permutations(permutations)
                .with_seed(9)
                .init()
                .run(source.clone(), target.clone())
                .unwrap();
            assert_eq!(result.permutations, permutations);
            assert_eq!(result.null_statistics.len(), permutations, "{config:?}");
            assert!(result.null_statistics.iter().all(|v| v.is_finite()));
            let extreme = result
                .null_statistics
                .iter()
                .filter(|&&value| value >= result.statistic - 1e-10)
                .count();
            assert_eq!(
                result.p_value,
                (1 + extreme) as f64 / (1 + permutations) as f64,
                "{config:?}, {permutations} permutations"
            );
        }
    }
}

#[test]
fn null_statistics_are_drawn_in_order_from_the_seed() {
    let (source, target) = (normal(12, 2, 71, 0.0), normal(9, 2, 72, 0.2));
    let run = |seed: u64, permutations: usize| {
        MmdTestConfig::new()
            .with_permutations(permutations)
            .with_seed(seed)
            .init()
            .run(source.clone(), target.clone())
            .unwrap()
            .null_statistics
    };
    let first = run(4, 200);
    assert_eq!(
        first,
        run(4, 200),
        "same seed, same permutation distribution"
    );
    assert_ne!(first, run(5, 200), "another seed, other relabellings");
    // In the order drawn: fewer permutations from the same seed are a prefix.
    assert_eq!(run(4, 50)[..], first[..50]);
    let distinct = first
        .iter()
        .filter(|&&value| (value - first[0]).abs() > 1e-12)
        .count();
    assert!(distinct > 0, "relabellings differ: {first:?}");
}

#[test]
fn same_seed_same_p_value_and_seeds_matter() {
    let (source, target) = (normal(10, 2, 31, 0.0), normal(10, 2, 32, 0.3));
    let run = |seed: u64| {
        MmdTestConfig::new()
            .with_permutations(60)
            .with_seed(seed)
            .init()
            .run(source.clone(), target.clone())
            .unwrap()
    };
    assert_eq!(run(5), run(5));
    let p_values: Vec<f64> = (0..6).map(|seed| run(seed).p_value).collect();
    assert!(
        p_values.iter().any(|&p| p != p_values[0]),
        "different seeds give different permutations: {p_values:?}"
    );
}

#[test]
fn blocked_and_whole_kernel_matrix_agree() {
    let (source, target) = (normal(13, 3, 41, 0.0), normal(9, 3, 42, 0.35));
    for config in [
        MmdLossConfig::new(),
        MmdLossConfig::new()
            .with_estimator(Estimator::Unbiased)
            .with_bandwidth(Bandwidth::Median),
        MmdLossConfig::new()
            .with_kernel(Kernel::Linear)
            .with_estimator(Estimator::Unbiased),
    ] {
        let run = |block_rows| {
            MmdTestConfig::new()
                .with_loss(config.clone())
                .with_permutations(300)
                .with_seed(3)
                .with_block_rows(block_rows)
                .init()
                .run(source.clone(), target.clone())
                .unwrap()
        };
        let whole = run(None);
        assert!(
            whole.p_value > 0.01 && whole.p_value < 0.99,
            "an intermediate p-value makes the comparison meaningful: {whole:?}"
        );
        for block_rows in [1, 4, 7, 22, 100] {
            let blocked = run(Some(block_rows));
            assert_eq!(
                blocked.p_value, whole.p_value,
                "{config:?}, {block_rows} rows"
            );
            assert_close(blocked.statistic, whole.statistic, 1e-13);
            for (b, w) in blocked.null_statistics.iter().zip(&whole.null_statistics) {
                assert_close(*b, *w, 1e-13);
            }
        }
    }
}

#[test]
fn large_samples_are_tested_in_blocks() {
    // 4200 pooled rows: 4200^2 is above AUTO_BLOCK_ELEMENTS, so the kernel matrix is built in row
    // blocks. The statistic must still be the loss, and a shift must be found.
    let (source, target) = (normal(2200, 1, 51, 0.0), normal(2000, 1, 52, 0.2));
    let rows = source.dims()[0] + target.dims()[0];
    assert!(rows * rows > mmd_core::AUTO_BLOCK_ELEMENTS);
    let config = MmdLossConfig::new();
    let result = MmdTestConfig::new()
        .with_permutations(19)
        .init()
        .run(source.clone(), target.clone())
        .unwrap();
    assert_close(result.statistic, loss_value(&config, source, target), 1e-11);
    assert_eq!(result.p_value, 1.0 / 20.0);
}

#[test]
fn bad_configurations_and_batches_are_errors_naming_the_value() {
    let message = |config: MmdTestConfig| config.try_init().unwrap_err().to_string();
    assert_eq!(
        message(MmdTestConfig::new().with_permutations(0)),
        "permutations must be at least 1, got 0"
    );
    assert_eq!(
        message(MmdTestConfig::new().with_block_rows(Some(0))),
        "block_rows must be at least 1, got 0"
    );
    assert_eq!(
        message(MmdTestConfig::new().with_loss(MmdLossConfig::new().with_kernel_num(0))),
        "kernel_num must be at least 1, got 0"
    );
    assert_eq!(
        message(
            MmdTestConfig::new()
                .with_loss(MmdLossConfig::new().with_estimator(Estimator::LinearTime))
        ),
        "the permutation test needs a quadratic estimator (biased or unbiased), got the linear estimator"
    );

    let test = MmdTestConfig::new().with_permutations(10).init();
    let err = test
        .run(normal(3, 2, 1, 0.0), normal(3, 4, 2, 0.0))
        .unwrap_err();
    assert!(
        err.to_string().contains("source is 3x2, target is 3x4"),
        "{err}"
    );
    let unbiased = MmdTestConfig::new()
        .with_loss(MmdLossConfig::new().with_estimator(Estimator::Unbiased))
        .init();
    let err = unbiased
        .run(normal(1, 2, 1, 0.0), normal(3, 2, 2, 0.0))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("the unbiased estimator needs at least 2 rows"),
        "{err}"
    );
}

#[test]
#[should_panic(expected = "permutations must be at least 1, got 0")]
fn init_panics_with_the_message() {
    MmdTestConfig::new().with_permutations(0).init();
}

#[test]
fn config_round_trips_through_json() {
    let config = MmdTestConfig::new()
        .with_loss(MmdLossConfig::new().with_estimator(Estimator::Unbiased))
        .with_permutations(77)
        .with_seed(9)
        .with_block_rows(Some(16));
    let back = MmdTestConfig::load_binary(config.to_string().as_bytes()).expect("parses");
    assert_eq!(
        (
            back.permutations,
            back.seed,
            back.block_rows,
            back.loss.estimator
        ),
        (77, 9, Some(16), Estimator::Unbiased)
    );
}

// ---------------------------------------------------------------------------------------------
// Learned kernel weights

#[test]
fn fitted_weights_lie_on_the_simplex() {
    for (shift, seed) in [(0.0, 61), (0.5, 63), (2.0, 65)] {
        let (source, target) = (normal(40, 3, seed, 0.0), normal(36, 3, seed + 1, shift));
        let weights = MkMmdConfig::new()
            .fit(source.clone(), target.clone())
            .unwrap();
        assert_eq!(weights.weights.len(), 5);
        assert!(weights.weights.iter().all(|&w| w >= 0.0), "{weights:?}");
        let total: f64 = weights.weights.iter().sum();
        assert!((total - 1.0).abs() < 1e-12, "{weights:?}");
        // The bandwidths are the seed's: mean pooled distance times 2^(k - 2).
        let pooled: Vec<Vec<f64>> = rows_of(&source)
            .into_iter()
            .chain(rows_of(&target))
            .collect();
        let base = reference_mean_bandwidth(&pooled);
        for (k, b) in weights.bandwidths.iter().enumerate() {
            assert_close(*b, base * 2f64.powi(k as i32 - 2), 1e-12);
        }
        if shift >= 0.5 {
            assert!(weights.fitted, "a shift gives a positive mean: {weights:?}");
        }
    }
}

#[test]
fn identical_samples_fall_back_to_uniform_weights() {
    let sample = normal(20, 2, 71, 0.0);
    let weights = MkMmdConfig::new()
        .with_kernel_num(4)
        .fit(sample.clone(), sample)
        .unwrap();
    assert!(!weights.fitted);
    assert_eq!(weights.weights, vec![0.25; 4]);
}

#[test]
fn uniform_weights_give_the_loss_divided_by_kernel_num() {
    let (source, target) = (normal(9, 4, 81, 0.0), normal(6, 4, 82, 0.3));
    for (mul, num) in [(2.0, 5), (1.7, 3), (3.0, 1)] {
        let fitted = MkMmdConfig::new()
            .with_kernel_mul(mul)
            .with_kernel_num(num)
            .fit(source.clone(), target.clone())
            .unwrap();
        let loss = MkMmdLoss::new(KernelWeights::uniform(fitted.bandwidths.clone()));
        let value: f64 = loss.forward(source.clone(), target.clone()).into_scalar();
        let config = MmdLossConfig::new()
            .with_kernel_mul(mul)
            .with_kernel_num(num);
        let seed_loss = loss_value(&config, source.clone(), target.clone());
        assert_close(value, seed_loss / num as f64, 1e-12);
    }
}

#[test]
fn weighted_loss_matches_the_direct_formula() {
    let (source, target) = (normal(8, 2, 91, 0.0), normal(5, 2, 92, 0.7));
    let kernels = [(0.5, 0.1), (2.0, 0.0), (3.0, 0.6), (10.0, 0.3)];
    let loss = MkMmdLoss::new(KernelWeights {
        bandwidths: kernels.iter().map(|k| k.0).collect(),
        weights: kernels.iter().map(|k| k.1).collect(),
        fitted: true,
    });
    let value: f64 = loss.forward(source.clone(), target.clone()).into_scalar();
    let expected = reference_biased(&rows_of(&source), &rows_of(&target), &kernels);
    assert_close(value, expected, 1e-12);
    let err = loss
        .try_forward(normal(3, 2, 1, 0.0), normal(3, 1, 2, 0.0))
        .unwrap_err();
    assert!(
        err.to_string().contains("source is 3x2, target is 3x1"),
        "{err}"
    );
}

/// Uniform integers in `0..bound` (splitmix64), for clustered data.
fn integers(count: usize, bound: u64, seed: u64) -> Vec<f64> {
    let mut state = seed;
    (0..count)
        .map(|_| {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            ((z ^ (z >> 31)) % bound) as f64
        })
        .collect()
}

#[test]
fn the_kernel_that_sees_the_difference_gets_the_largest_weight() {
    // Source: clusters of sd 0.1 at the integers 0..10; target: the same clusters moved to the
    // half-integers. At scales above ~1 both look uniform on [0, 10]; at the cluster scale they
    // do not overlap at all. Bandwidths (squared distances) 0.004, 0.04, 0.4, 4, 40: the second,
    // 0.04 (length 0.2, twice the cluster sd), separates them best. (numpy simulation of this
    // design: that kernel has the largest d_k / sd(h_k) and weight in 60 of 60 draws.)
    let count = 1000;
    let clustered = |seed: u64, offset: f64| {
        let centres = integers(count, 10, seed);
        let noise = Normal::new(seed + 7).vec(count, 0.0);
        let values: Vec<f64> = centres
            .iter()
            .zip(noise)
            .map(|(c, e)| c + offset + 0.1 * e)
            .collect();
        tensor(&values, count, 1)
    };
    let (source, target) = (clustered(101, 0.0), clustered(202, 0.5));
    let config = MkMmdConfig::new()
        .with_bandwidth(Bandwidth::Fixed(0.4))
        .with_kernel_mul(10.0)
        .with_kernel_num(5);
    let weights = config.fit(source.clone(), target.clone()).unwrap();
    assert!(weights.fitted, "{weights:?}");
    for (b, expected) in weights.bandwidths.iter().zip([0.004, 0.04, 0.4, 4.0, 40.0]) {
        assert_close(*b, expected, 1e-12);
    }
    let best = (0..5)
        .max_by(|&i, &j| weights.weights[i].total_cmp(&weights.weights[j]))
        .unwrap();
    assert_eq!(best, 1, "{weights:?}");
    assert!(weights.weights[1] > 0.5, "{weights:?}");

    // The fitted kernel gives a more significant test than the wide kernels alone.
    let loss = MkMmdLoss::new(weights);
    let value: f64 = loss.forward(source, target).into_scalar();
    assert!(value > 0.0);
}

#[test]
fn weighted_loss_gradients_match_finite_differences() {
    let (n, m, d) = (5, 4, 3);
    let source = Normal::new(111).vec(n * d, 0.0);
    let target = Normal::new(112).vec(m * d, 0.5);
    let loss = MkMmdLoss::new(KernelWeights {
        bandwidths: vec![0.5, 2.0, 8.0],
        weights: vec![0.2, 0.5, 0.3],
        fitted: true,
    });
    let device = Default::default();
    let s = common::matrix::<F64>(&source, n, d, &device).require_grad();
    let t = common::matrix::<F64>(&target, m, d, &device).require_grad();
    let grads = loss.forward(s.clone(), t.clone()).backward();
    let analytic: Vec<f64> = to_vec(s.grad(&grads).unwrap())
        .into_iter()
        .chain(to_vec(t.grad(&grads).unwrap()))
        .collect();

    let value = |values: &[f64]| -> f64 {
        let (s, t) = values.split_at(n * d);
        loss.forward(tensor(s, n, d), tensor(t, m, d)).into_scalar()
    };
    let all: Vec<f64> = source.iter().chain(&target).copied().collect();
    let step = 1e-6;
    for (i, grad) in analytic.iter().enumerate() {
        let mut plus = all.clone();
        plus[i] += step;
        let mut minus = all.clone();
        minus[i] -= step;
        let numeric = (value(&plus) - value(&minus)) / (2.0 * step);
        assert!(
            (grad - numeric).abs() < 1e-8,
            "coordinate {i}: autodiff {grad}, finite difference {numeric}"
        );
    }
    assert!(analytic.iter().any(|g| g.abs() > 1e-3), "{analytic:?}");
}

#[test]
fn fit_rejects_bad_options_and_small_samples() {
    let (source, target) = (normal(6, 2, 1, 0.0), normal(3, 2, 2, 0.0));
    let err = MkMmdConfig::new()
        .fit(source.clone(), target.clone())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the kernel-weight fit (linear-time) estimator needs at least 4 rows in each batch, got source 6 and target 3"
    );
    let err = MkMmdConfig::new()
        .with_regularisation(-1.0)
        .fit(source.clone(), source.clone())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "regularisation must be a finite number > 0, got -1"
    );
    let err = MkMmdConfig::new()
        .with_bandwidth(Bandwidth::Fixed(0.0))
        .fit(source.clone(), source)
        .unwrap_err();
    assert!(err.to_string().contains("got 0"), "{err}");
}
