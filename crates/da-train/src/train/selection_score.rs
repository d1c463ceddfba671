//! Unsupervised model-selection scores computed from softmax predictions on
//! unlabelled target data, plus a rank correlation to report how well a score
//! tracks the (normally unavailable) target accuracy.
//!
//! - Mean prediction entropy (lower means more confident predictions).
//! - Soft Neighborhood Density (SND): K. Saito, D. Kim, P. Teterwak,
//!   S. Sclaroff, T. Darrell, K. Saenko, "Tune it the Right Way: Unsupervised
//!   Validation of Domain Adaptation via Soft Neighborhood Density", ICCV 2021.
//! - Spearman rank correlation with average ranks for ties.

/// Number of rows of a row-major `probs` matrix with `classes` columns.
fn rows(probs: &[f32], classes: usize) -> usize {
    assert!(classes > 0, "classes must be > 0, got classes = 0");
    assert!(
        probs.len().is_multiple_of(classes),
        "probs.len() = {} is not a multiple of classes = {classes}",
        probs.len()
    );
    probs.len() / classes
}

/// Mean Shannon entropy (natural log) of the rows of `probs` (row-major,
/// `classes` columns, each row a probability vector). 0 * ln 0 = 0, and
/// non-positive entries contribute nothing. Returns NaN for an empty `probs`.
///
/// # Panics
/// When `classes == 0` or `probs.len()` is not a multiple of `classes`.
pub fn mean_entropy(probs: &[f32], classes: usize) -> f64 {
    let n = rows(probs, classes);
    let total: f64 = probs
        .chunks_exact(classes)
        .map(|row| {
            row.iter()
                .map(|&p| f64::from(p))
                .filter(|&p| p > 0.0)
                .map(|p| -p * p.ln())
                .sum::<f64>()
        })
        .sum();
    total / n as f64
}

/// Soft Neighborhood Density (Saito et al., "Tune it the Right Way:
/// Unsupervised Validation of Domain Adaptation via Soft Neighborhood
/// Density", ICCV 2021): rows L2-normalised, cosine similarity matrix divided
/// by `temperature` (the paper uses 0.05), each row's self-similarity
/// excluded, row-wise softmax over the other rows, and the mean over rows of
/// the entropy of that softmax distribution. Higher is better.
///
/// All-zero rows stay zero vectors (cosine similarity 0 to every row). The
/// result lies in `[0, ln(n - 1)]` for `n` rows. Computed in f64, one row of
/// the similarity matrix at a time.
///
/// # Panics
/// When `classes == 0`, `probs.len()` is not a multiple of `classes`,
/// `temperature` is not finite and > 0, or there are fewer than 2 rows.
pub fn soft_neighborhood_density(probs: &[f32], classes: usize, temperature: f64) -> f64 {
    let n = rows(probs, classes);
    assert!(
        temperature.is_finite() && temperature > 0.0,
        "temperature must be finite and > 0, got temperature = {temperature}"
    );
    assert!(
        n >= 2,
        "soft_neighborhood_density needs at least 2 rows, got {n}"
    );
    let mut unit: Vec<f64> = probs.iter().map(|&p| f64::from(p)).collect();
    for row in unit.chunks_exact_mut(classes) {
        let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt().max(1e-12);
        row.iter_mut().for_each(|v| *v /= norm);
    }
    let mut logits = vec![0.0f64; n];
    let mut total = 0.0;
    for i in 0..n {
        let a = &unit[i * classes..(i + 1) * classes];
        let mut max = f64::NEG_INFINITY;
        for (j, logit) in logits.iter_mut().enumerate() {
            let b = &unit[j * classes..(j + 1) * classes];
            *logit = a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>() / temperature;
            if j != i {
                max = max.max(*logit);
            }
        }
        // With x_j = logit_j - max, p_j = e^{x_j} / Z, so H = ln Z - sum_j p_j x_j.
        let (mut z, mut weighted) = (0.0, 0.0);
        for (j, &logit) in logits.iter().enumerate() {
            if j != i {
                let x = logit - max;
                let e = x.exp();
                z += e;
                weighted += e * x;
            }
        }
        total += z.ln() - weighted / z;
    }
    total / n as f64
}

/// Average ranks (1-based) of `v`; tied values share the mean of their ranks.
fn average_ranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut ranks = vec![0.0; v.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start;
        while end + 1 < order.len() && v[order[end + 1]] == v[order[start]] {
            end += 1;
        }
        let rank = (start + end) as f64 / 2.0 + 1.0;
        order[start..=end].iter().for_each(|&k| ranks[k] = rank);
        start = end + 1;
    }
    ranks
}

/// Spearman rank correlation of two equally long series, with average ranks
/// for ties (Pearson correlation of the ranks). `None` when there are fewer
/// than 2 points, either series is constant, or any value is NaN.
///
/// # Panics
/// When `x.len() != y.len()`.
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    assert_eq!(
        x.len(),
        y.len(),
        "spearman needs equally long series, got x.len() = {} and y.len() = {}",
        x.len(),
        y.len()
    );
    if x.len() < 2 || x.iter().chain(y).any(|v| v.is_nan()) {
        return None;
    }
    let (rx, ry) = (average_ranks(x), average_ranks(y));
    let mean = (x.len() as f64 + 1.0) / 2.0;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in rx.iter().zip(&ry) {
        let (dx, dy) = (a - mean, b - mean);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if sxx == 0.0 || syy == 0.0 {
        return None;
    }
    Some((sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    /// Entropy of a two-point distribution with logits `0` and `a`.
    fn binary_entropy_of_logits(a: f64) -> f64 {
        let q = 1.0 / (1.0 + a.exp());
        -(q * q.ln() + (1.0 - q) * (1.0 - q).ln())
    }

    #[test]
    fn entropy_uniform_one_hot_and_hand_example() {
        assert!(close(mean_entropy(&[0.25; 8], 4), 4f64.ln()));
        assert_eq!(mean_entropy(&[1.0, 0.0, 0.0, 0.0, 1.0, 0.0], 3), 0.0);
        // Rows [0.5, 0.5] -> ln 2 and [0.25, 0.75] -> -(0.25 ln 0.25 + 0.75 ln 0.75).
        let h2 = -(0.25 * 0.25f64.ln() + 0.75 * 0.75f64.ln());
        let got = mean_entropy(&[0.5, 0.5, 0.25, 0.75], 2);
        assert!(close(got, (2f64.ln() + h2) / 2.0), "{got}");
    }

    #[test]
    fn snd_matches_hand_computation() {
        // Unit rows: e0 = [1, 0], e1 = [0, 1], e2 = [1, 1] / sqrt 2.
        // Cosines: c01 = 0, c02 = c12 = 1 / sqrt 2.
        // Rows 0 and 1 see logits {0, c/t}: binary entropy; row 2 sees {c/t, c/t}: ln 2.
        let t = 0.5;
        let probs = [1.0, 0.0, 0.0, 1.0, 0.5, 0.5];
        let h = binary_entropy_of_logits(0.5f64.sqrt() / t);
        let expected = (2.0 * h + 2f64.ln()) / 3.0;
        let got = soft_neighborhood_density(&probs, 2, t);
        assert!(close(got, expected), "{got} vs {expected}");
    }

    #[test]
    fn snd_zero_row_is_a_zero_vector() {
        // Row 1 is zero: cosines 0 to all -> uniform over 2 -> ln 2.
        // Rows 0 and 2 see logits {0 (zero row), 1/t (each other)}.
        let t = 0.25;
        let got = soft_neighborhood_density(&[1.0, 0.0, 0.0, 0.0, 2.0, 0.0], 2, t);
        let expected = (2.0 * binary_entropy_of_logits(1.0 / t) + 2f64.ln()) / 3.0;
        assert!(close(got, expected), "{got} vs {expected}");
    }

    #[test]
    fn snd_invariant_to_row_order() {
        let a = [0.7, 0.2, 0.1, 0.1, 0.8, 0.1, 0.3, 0.3, 0.4, 0.6, 0.3, 0.1];
        let b = [0.3, 0.3, 0.4, 0.7, 0.2, 0.1, 0.6, 0.3, 0.1, 0.1, 0.8, 0.1];
        let (sa, sb) = (
            soft_neighborhood_density(&a, 3, 0.05),
            soft_neighborhood_density(&b, 3, 0.05),
        );
        assert!((sa - sb).abs() < 1e-12, "{sa} vs {sb}");
    }

    #[test]
    fn snd_bounds_identical_rows_and_clusters() {
        // All other rows equally similar -> uniform softmax over the n - 1
        // others -> the maximum ln(n - 1): identical rows, and also mutually
        // orthogonal one-hot rows (SND rewards equal similarity, not spread).
        let same = [0.2f32, 0.8].repeat(5);
        assert!(close(soft_neighborhood_density(&same, 2, 0.05), 4f64.ln()));
        let mut eye = vec![0.0f32; 16];
        (0..4).for_each(|k| eye[k * 5] = 1.0);
        assert!(close(soft_neighborhood_density(&eye, 4, 0.05), 3f64.ln()));
        // Two tight, well-separated clusters of 4: each row spreads its mass
        // over its 3 cluster mates, SND ~ ln 3 = 1.0986. A graded chain of 8
        // points weights nearer neighbours more, so its SND is lower (~0.972).
        let mut clustered = [0.95f32, 0.05].repeat(4);
        clustered.extend([0.05f32, 0.95].repeat(4));
        let chain: Vec<f32> = (0..8)
            .flat_map(|k| [k as f32 / 7.0, 1.0 - k as f32 / 7.0])
            .collect();
        let (c, s) = (
            soft_neighborhood_density(&clustered, 2, 0.05),
            soft_neighborhood_density(&chain, 2, 0.05),
        );
        assert!((c - 3f64.ln()).abs() < 1e-3, "{c}");
        assert!(c > s + 0.1 && s > 0.0, "clustered {c}, chain {s}");
    }

    #[test]
    fn snd_stable_for_tiny_temperature() {
        let got = soft_neighborhood_density(&[0.9, 0.1, 0.1, 0.9, 0.5, 0.5], 2, 1e-9);
        assert!(got.is_finite() && got >= 0.0, "{got}");
    }

    #[test]
    fn spearman_monotone_reversed_and_ties() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        let up = spearman(&x, &[2.0, 4.0, 8.0, 16.0, 32.0]);
        let down = spearman(&x, &[5.0, 3.0, 1.0, 0.0, -7.0]);
        assert_eq!((up, down), (Some(1.0), Some(-1.0)));
        // Ranks: x -> [1, 2.5, 2.5, 4], y -> [1, 3, 2, 4], mean 2.5.
        // sxy = 2.25 + 0 + 0 + 2.25 = 4.5, sxx = 4.5, syy = 5 -> r = 4.5 / sqrt(22.5).
        let r = spearman(&[1.0, 2.0, 2.0, 3.0], &[1.0, 3.0, 2.0, 4.0]).unwrap();
        assert!(close(r, 4.5 / 22.5f64.sqrt()), "{r}");
    }

    #[test]
    fn spearman_none_cases() {
        assert_eq!(spearman(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), None);
        assert_eq!(spearman(&[1.0, 2.0, 3.0], &[4.0, 4.0, 4.0]), None);
        assert_eq!(spearman(&[1.0], &[2.0]), None);
        assert_eq!(spearman(&[], &[]), None);
        assert_eq!(spearman(&[1.0, f64::NAN], &[1.0, 2.0]), None);
    }

    #[test]
    #[should_panic(expected = "probs.len() = 5 is not a multiple of classes = 2")]
    fn panics_on_ragged_probs() {
        mean_entropy(&[0.5; 5], 2);
    }

    #[test]
    #[should_panic(expected = "classes must be > 0")]
    fn panics_on_zero_classes() {
        soft_neighborhood_density(&[], 0, 0.05);
    }

    #[test]
    #[should_panic(expected = "temperature must be finite and > 0, got temperature = 0")]
    fn panics_on_bad_temperature() {
        soft_neighborhood_density(&[0.5; 4], 2, 0.0);
    }

    #[test]
    #[should_panic(expected = "temperature must be finite and > 0, got temperature = NaN")]
    fn panics_on_nan_temperature() {
        soft_neighborhood_density(&[0.5; 4], 2, f64::NAN);
    }

    #[test]
    #[should_panic(expected = "needs at least 2 rows, got 1")]
    fn panics_on_single_row_snd() {
        soft_neighborhood_density(&[0.5, 0.5], 2, 0.05);
    }

    #[test]
    #[should_panic(expected = "got x.len() = 3 and y.len() = 2")]
    fn panics_on_length_mismatch() {
        spearman(&[1.0, 2.0, 3.0], &[1.0, 2.0]);
    }
}
