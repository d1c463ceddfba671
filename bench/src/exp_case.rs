//! The exp-throughput case: `tensor.exp()` on one float tensor, the ceiling that every Gaussian
//! MMD case's exponentials run into.

use burn::tensor::backend::Backend;
use burn::tensor::{Distribution, Tensor};
use clap::Args;
use serde_json::{Value, json};

use crate::timing::{Summary, measure};
use crate::{SamplingArgs, sync};

/// Default tensor size: 2^22 f32 (16 MiB), large enough that launch and call overheads are
/// small next to the exponentials on a CPU and on a GPU.
pub const DEFAULT_ELEMENTS: usize = 1 << 22;

/// One exp-throughput case.
#[derive(Debug, Clone, Args)]
pub struct ExpArgs {
    /// Elements of the tensor whose exponential is timed.
    #[arg(long, default_value_t = DEFAULT_ELEMENTS)]
    pub elements: usize,
    /// Warm-up and samples.
    #[command(flatten)]
    pub sampling: SamplingArgs,
}

/// Exponentials per second: `elements` over the median sample.
pub fn exps_per_second(elements: usize, median_ms: f64) -> f64 {
    elements as f64 / (median_ms / 1e3)
}

/// Times `exp()` of a random `[elements]` f32 tensor on `B` (each sample ends with a device
/// sync, the result still alive so that no backend can skip the work) and returns the JSON row
/// (without the backend, device and memory fields, which the caller adds).
///
/// # Panics
/// When `elements` is 0.
pub fn run<B: Backend>(args: &ExpArgs, device: &B::Device) -> Value {
    assert!(args.elements > 0, "the exp case needs at least one element");
    B::seed(device, 42);
    // In [-4, 4]: ordinary arguments, no overflow or denormal results.
    let input = Tensor::<B, 1>::random([args.elements], Distribution::Uniform(-4.0, 4.0), device);
    sync::<B>(device);
    let summary: Summary = measure(args.sampling.sampling(), || {
        let output = input.clone().exp();
        sync::<B>(device);
        drop(output);
    });
    json!({
        "group": "exp",
        "implementation": "burn",
        "variant": "exp",
        "shape": {"elements": args.elements},
        "samples": summary.times_ms.len(),
        "median_ms": summary.median_ms,
        "min_ms": summary.min_ms,
        "max_ms": summary.max_ms,
        "times_ms": summary.times_ms,
        "exps_per_second": exps_per_second(args.elements, summary.median_ms),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn_ndarray::NdArray;

    fn args(elements: usize) -> ExpArgs {
        ExpArgs {
            elements,
            sampling: SamplingArgs {
                samples: 3,
                warmup_iters: 1,
                warmup_ms: 0,
                budget_ms: 60_000,
            },
        }
    }

    #[test]
    fn reports_throughput_from_the_median() {
        let row = run::<NdArray<f32>>(&args(1 << 12), &Default::default());
        assert_eq!(row["group"], "exp");
        assert_eq!(row["shape"], json!({"elements": 4096}));
        assert_eq!(row["samples"], 3);
        let median = row["median_ms"].as_f64().unwrap();
        let rate = row["exps_per_second"].as_f64().unwrap();
        assert!(rate > 0.0 && rate.is_finite(), "{row}");
        assert!(
            (rate * median / 1e3 - 4096.0).abs() < 1e-6 * 4096.0,
            "{row}"
        );
    }

    #[test]
    fn throughput_arithmetic() {
        // 2^22 exponentials in 4 ms: about 1.05 G exp/s.
        assert_eq!(exps_per_second(1 << 22, 4.0), (1u64 << 22) as f64 * 250.0);
    }
}
