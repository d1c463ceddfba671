//! Warm-up, sampling and the summary of the samples.

use std::time::{Duration, Instant};

/// How long to warm up and how many samples to take.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sampling {
    /// Warm-up iterations run before any sample, at least.
    pub warmup_iters: usize,
    /// Warm-up continues until this much time has passed (after `warmup_iters`).
    pub warmup: Duration,
    /// Samples to take.
    pub samples: usize,
    /// Sampling stops early once the samples taken add up to this much (one sample at least).
    pub budget: Duration,
}

/// Median, minimum and maximum of the samples, in milliseconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Every sample in the order taken, in milliseconds.
    pub times_ms: Vec<f64>,
    /// Median (mean of the two middle samples for an even count).
    pub median_ms: f64,
    /// Fastest sample.
    pub min_ms: f64,
    /// Slowest sample.
    pub max_ms: f64,
}

impl Summary {
    /// Summarises `times_ms`.
    ///
    /// # Panics
    /// When `times_ms` is empty or holds a NaN.
    pub fn new(times_ms: Vec<f64>) -> Self {
        assert!(!times_ms.is_empty(), "no samples to summarise");
        assert!(
            times_ms.iter().all(|t| !t.is_nan()),
            "a sample is NaN: {times_ms:?}"
        );
        let mut sorted = times_ms.clone();
        sorted.sort_by(f64::total_cmp);
        let mid = sorted.len() / 2;
        let median_ms = if sorted.len() % 2 == 1 {
            sorted[mid]
        } else {
            (sorted[mid - 1] + sorted[mid]) / 2.0
        };
        Summary {
            median_ms,
            min_ms: sorted[0],
            max_ms: sorted[sorted.len() - 1],
            times_ms,
        }
    }
}

/// Runs `step` for the warm-up, then times it `sampling.samples` times (fewer when the budget
/// runs out). `step` must finish its work before returning (read results back or sync the
/// device), so that each sample covers the whole computation.
pub fn measure(sampling: Sampling, mut step: impl FnMut()) -> Summary {
    let started = Instant::now();
    let mut done = 0;
    while done < sampling.warmup_iters || started.elapsed() < sampling.warmup {
        step();
        done += 1;
    }
    let mut times_ms = Vec::with_capacity(sampling.samples);
    let mut spent = Duration::ZERO;
    while times_ms.len() < sampling.samples.max(1) {
        let start = Instant::now();
        step();
        let elapsed = start.elapsed();
        spent += elapsed;
        times_ms.push(elapsed.as_secs_f64() * 1e3);
        if spent >= sampling.budget {
            break;
        }
    }
    Summary::new(times_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_min_max_odd_and_even() {
        let odd = Summary::new(vec![5.0, 1.0, 3.0]);
        assert_eq!((odd.median_ms, odd.min_ms, odd.max_ms), (3.0, 1.0, 5.0));
        assert_eq!(odd.times_ms, vec![5.0, 1.0, 3.0], "order is kept");
        let even = Summary::new(vec![4.0, 1.0, 2.0, 10.0]);
        assert_eq!((even.median_ms, even.min_ms, even.max_ms), (3.0, 1.0, 10.0));
        let one = Summary::new(vec![7.5]);
        assert_eq!((one.median_ms, one.min_ms, one.max_ms), (7.5, 7.5, 7.5));
    }

    #[test]
    #[should_panic(expected = "no samples")]
    fn empty_samples_panic() {
        Summary::new(Vec::new());
    }

    #[test]
    fn warmup_then_samples() {
        let mut calls = 0;
        let sampling = Sampling {
            warmup_iters: 2,
            warmup: Duration::ZERO,
            samples: 5,
            budget: Duration::from_secs(60),
        };
        let summary = measure(sampling, || calls += 1);
        assert_eq!(calls, 7);
        assert_eq!(summary.times_ms.len(), 5);
    }

    #[test]
    fn budget_stops_sampling_after_one_sample_at_least() {
        let mut calls = 0;
        let sampling = Sampling {
            warmup_iters: 0,
            warmup: Duration::ZERO,
            samples: 100,
            budget: Duration::ZERO,
        };
        let summary = measure(sampling, || {
            calls += 1;
            std::thread::sleep(Duration::from_millis(1));
        });
        assert_eq!(calls, 1);
        assert_eq!(summary.times_ms.len(), 1);
        assert!(summary.min_ms >= 1.0, "{summary:?}");
    }
}
