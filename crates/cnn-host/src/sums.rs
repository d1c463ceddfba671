//! Vectorisable sums of f32 data, accumulated in f64.

/// Lanes of the partial sums: independent accumulators that the compiler keeps in vector
/// registers (a plain running sum is one long chain of dependent additions).
const LANES: usize = 16;

/// Values per f32 partial sum before it is added to the f64 total.
const CHUNK: usize = 256;

/// `sum_i f(a[i], b[i])`, with `f32` partial sums over chunks of [`CHUNK`] values in [`LANES`]
/// lanes and an `f64` total. `a` and `b` have the same length.
pub(crate) fn sum_pairs(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32) -> f64 {
    debug_assert_eq!(a.len(), b.len());
    let mut total = 0.0f64;
    for (a, b) in a.chunks(CHUNK).zip(b.chunks(CHUNK)) {
        let whole = a.len() / LANES * LANES;
        let mut lanes = [0.0f32; LANES];
        for (la, lb) in a[..whole]
            .chunks_exact(LANES)
            .zip(b[..whole].chunks_exact(LANES))
        {
            for k in 0..LANES {
                lanes[k] += f(la[k], lb[k]);
            }
        }
        let tail: f32 = a[whole..]
            .iter()
            .zip(&b[whole..])
            .map(|(&x, &y)| f(x, y))
            .sum();
        total += f64::from(lanes.iter().sum::<f32>() + tail);
    }
    total
}

/// `sum_i f(a[i])`, as [`sum_pairs`].
pub(crate) fn sum_map(a: &[f32], f: impl Fn(f32) -> f32) -> f64 {
    sum_pairs(a, a, |x, _| f(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_match_f64_sums() {
        for len in [0, 1, 15, 16, 17, 255, 256, 257, 1000] {
            let a: Vec<f32> = (0..len).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..len).map(|i| (i as f32 * 0.11).cos()).collect();
            let want: f64 = a.iter().map(|&x| f64::from(x)).sum();
            assert!((sum_map(&a, |x| x) - want).abs() < 1e-5, "{len}");
            let want: f64 = a
                .iter()
                .zip(&b)
                .map(|(&x, &y)| f64::from(x) * f64::from(y))
                .sum();
            assert!(
                (sum_pairs(&a, &b, |x, y| x * y) - want).abs() < 1e-5,
                "{len}"
            );
        }
    }
}
