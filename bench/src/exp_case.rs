//! The exp-throughput cases: `tensor.exp()` on one float tensor (`burn`) and mmd-core's host
//! exponential on the same values (`host`, what its fused CPU kernel computes with): the ceiling
//! that every Gaussian MMD case's exponentials run into.

use burn::tensor::backend::Backend;
use burn::tensor::{Distribution, Tensor};
use clap::{Args, ValueEnum};
use mmd_core::exp_nonpositive_in_place;
use serde_json::{Value, json};

use crate::timing::{Summary, measure};
use crate::{SamplingArgs, sync};

/// Default tensor size: 2^22 f32 (16 MiB), large enough that launch and call overheads are
/// small next to the exponentials on a CPU and on a GPU.
pub const DEFAULT_ELEMENTS: usize = 1 << 22;

/// Whose exponential is timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExpImpl {
    /// `tensor.exp()` on the backend's device.
    Burn,
    /// [`exp_nonpositive_in_place`] on the host, all threads (the backend only provides the
    /// input): the exponential of mmd-core's fused CPU kernel.
    Host,
}

impl ExpImpl {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            ExpImpl::Burn => "burn",
            ExpImpl::Host => "host",
        }
    }
}

/// One exp-throughput case.
#[derive(Debug, Clone, Args)]
pub struct ExpArgs {
    /// Implementation.
    #[arg(long = "impl", value_enum, default_value = "burn")]
    pub implementation: ExpImpl,
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
/// sync, the result still alive so that no backend can skip the work), or the host exponential
/// of the same values, and returns the JSON row (without the backend, device and memory fields,
/// which the caller adds).
///
/// # Panics
/// When `elements` is 0.
pub fn run<B: Backend>(args: &ExpArgs, device: &B::Device) -> Value {
    assert!(args.elements > 0, "the exp case needs at least one element");
    B::seed(device, 42);
    // In [-4, 4] for burn: ordinary arguments, no overflow or denormal results. The host
    // exponential takes arguments <= 0 (the kernel's -D / b): [-8, 0], the same spread.
    let (low, high) = match args.implementation {
        ExpImpl::Burn => (-4.0, 4.0),
        ExpImpl::Host => (-8.0, 0.0),
    };
    let input = Tensor::<B, 1>::random([args.elements], Distribution::Uniform(low, high), device);
    sync::<B>(device);
    let summary: Summary = match args.implementation {
        ExpImpl::Burn => measure(args.sampling.sampling(), || {
            let output = input.clone().exp();
            sync::<B>(device);
            drop(output);
        }),
        ExpImpl::Host => {
            let values = input.into_data().to_vec::<f32>().expect("an f32 tensor");
            let mut output = values.clone();
            measure(args.sampling.sampling(), || {
                output.copy_from_slice(&values);
                exp_nonpositive_in_place(&mut output);
                std::hint::black_box(&output);
            })
        }
    };
    json!({
        "group": "exp",
        "implementation": args.implementation.name(),
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

    fn args(implementation: ExpImpl, elements: usize) -> ExpArgs {
        ExpArgs {
            implementation,
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
        for implementation in [ExpImpl::Burn, ExpImpl::Host] {
            let row = run::<NdArray<f32>>(&args(implementation, 1 << 12), &Default::default());
            check_row(&row, implementation.name());
        }
    }

    fn check_row(row: &Value, implementation: &str) {
        assert_eq!(row["implementation"], implementation);
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
