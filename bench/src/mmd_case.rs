//! The MMD cases: forward and backward pass of one loss on random batches.

use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Distribution, ElementConversion, Tensor};
use clap::{Args, ValueEnum};
use mmd_core::{Compute, Estimator, Kernel, MmdLossConfig};
use serde_json::{Value, json};

use crate::naive::seed_gaussian_mmd;
use crate::timing::{Summary, measure};
use crate::{SamplingArgs, sync};

/// Which MMD loss a case measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MmdVariant {
    /// Gaussian multi-kernel (5 kernels, mean bandwidth), biased V-statistic: the seed's loss.
    GaussianBiased,
    /// Gaussian multi-kernel, unbiased U-statistic.
    GaussianUnbiased,
    /// Linear kernel, biased: `||mean(source) - mean(target)||^2`, the seed's `linear` loss.
    Linear,
    /// Gaussian multi-kernel, linear-time estimator over consecutive pairs.
    LinearTime,
}

impl MmdVariant {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            MmdVariant::GaussianBiased => "gaussian-biased",
            MmdVariant::GaussianUnbiased => "gaussian-unbiased",
            MmdVariant::Linear => "linear",
            MmdVariant::LinearTime => "linear-time",
        }
    }

    /// The `mmd-core` configuration of this variant (default kernel parameters and bandwidth).
    pub fn config(self) -> MmdLossConfig {
        let (kernel, estimator) = match self {
            MmdVariant::GaussianBiased => (Kernel::Gaussian, Estimator::Biased),
            MmdVariant::GaussianUnbiased => (Kernel::Gaussian, Estimator::Unbiased),
            MmdVariant::Linear => (Kernel::Linear, Estimator::Biased),
            MmdVariant::LinearTime => (Kernel::Gaussian, Estimator::LinearTime),
        };
        MmdLossConfig::new()
            .with_kernel(kernel)
            .with_estimator(estimator)
    }

    /// Whether the loss sums Gaussian kernels over all `(n+m)^2` pairs (the quadratic Gaussian
    /// estimators, where `mmd-core`'s fast path applies).
    pub fn is_quadratic_gaussian(self) -> bool {
        matches!(
            self,
            MmdVariant::GaussianBiased | MmdVariant::GaussianUnbiased
        )
    }
}

/// How the loss is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MmdImpl {
    /// `mmd-core`.
    Ours,
    /// `mmd-core` with `fast_gaussian` off: one exponential per kernel instead of one
    /// exponential and repeated squarings; quadratic Gaussian variants only.
    OursExpPerKernel,
    /// `mmd-core` forced onto burn tensor operations ([`Compute::Tensor`]): on ndarray, where
    /// `ours` takes the fused host kernel, this is the backend-generic path; quadratic Gaussian
    /// variants only.
    OursTensor,
    /// `mmd-core`, the forward pass alone (no autodiff): beside `ours` it splits the time
    /// between the forward and the backward pass.
    OursForward,
    /// The seed's algorithm in Burn ([`seed_gaussian_mmd`]); Gaussian biased only.
    Naive,
}

impl MmdImpl {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            MmdImpl::Ours => "ours",
            MmdImpl::OursExpPerKernel => "ours-exp-per-kernel",
            MmdImpl::OursTensor => "ours-tensor",
            MmdImpl::OursForward => "ours-forward",
            MmdImpl::Naive => "naive",
        }
    }

    /// Why this implementation cannot compute `variant`, or `None` when it can.
    pub fn unsupported(self, variant: MmdVariant) -> Option<String> {
        match self {
            MmdImpl::Ours | MmdImpl::OursForward => None,
            MmdImpl::OursExpPerKernel | MmdImpl::OursTensor if !variant.is_quadratic_gaussian() => {
                Some(format!(
                    "{} is for the quadratic Gaussian losses only, got variant {}",
                    self.name(),
                    variant.name()
                ))
            }
            MmdImpl::Naive if variant != MmdVariant::GaussianBiased => Some(format!(
                "the naive implementation is the seed's Gaussian biased loss only, got variant {}",
                variant.name()
            )),
            MmdImpl::OursExpPerKernel | MmdImpl::OursTensor | MmdImpl::Naive => None,
        }
    }
}

/// One MMD case.
#[derive(Debug, Clone, Args)]
pub struct MmdArgs {
    /// Implementation.
    #[arg(long = "impl", value_enum)]
    pub implementation: MmdImpl,
    /// Loss.
    #[arg(long, value_enum)]
    pub variant: MmdVariant,
    /// Source rows.
    #[arg(long)]
    pub n: usize,
    /// Target rows.
    #[arg(long)]
    pub m: usize,
    /// Feature width.
    #[arg(long)]
    pub d: usize,
    /// Warm-up and samples.
    #[command(flatten)]
    pub sampling: SamplingArgs,
}

/// Times forward and backward of the case's loss on `B` and returns the JSON row (without the
/// backend, device and memory fields, which the caller adds).
///
/// # Panics
/// When the implementation cannot compute the variant ([`MmdImpl::unsupported`]), or when the
/// loss is not finite.
pub fn run<B: AutodiffBackend>(args: &MmdArgs, device: &B::Device) -> Value {
    if let Some(why) = args.implementation.unsupported(args.variant) {
        panic!("{why}");
    }
    B::seed(device, 42);
    // Target shifted by 0.5 so that the loss is not near zero.
    let source = Tensor::<B::InnerBackend, 2>::random(
        [args.n, args.d],
        Distribution::Normal(0.0, 1.0),
        device,
    );
    let target = Tensor::<B::InnerBackend, 2>::random(
        [args.m, args.d],
        Distribution::Normal(0.5, 1.0),
        device,
    );
    let config = args.variant.config();
    let loss = match args.implementation {
        MmdImpl::OursExpPerKernel => config.with_fast_gaussian(false),
        MmdImpl::OursTensor => config.with_compute(Some(Compute::Tensor)),
        MmdImpl::Ours | MmdImpl::OursForward | MmdImpl::Naive => config,
    }
    .init();
    let summary: Summary = if args.implementation == MmdImpl::OursForward {
        measure(args.sampling.sampling(), || {
            let value = loss.forward(source.clone(), target.clone());
            let scalar: f64 = value.into_scalar().elem();
            assert!(scalar.is_finite(), "the loss is not finite: {scalar}");
            sync::<B::InnerBackend>(device);
        })
    } else {
        measure(args.sampling.sampling(), || {
            let x = Tensor::<B, 2>::from_inner(source.clone()).require_grad();
            let y = Tensor::<B, 2>::from_inner(target.clone()).require_grad();
            let value = match args.implementation {
                MmdImpl::Ours
                | MmdImpl::OursTensor
                | MmdImpl::OursExpPerKernel
                | MmdImpl::OursForward => loss.forward(x.clone(), y.clone()),
                MmdImpl::Naive => seed_gaussian_mmd(x.clone(), y.clone(), 2.0, 5),
            };
            let grads = value.backward();
            let grad_x = x.grad(&grads).expect("source gradient");
            let grad_y = y.grad(&grads).expect("target gradient");
            let scalar: f64 = value.into_scalar().elem();
            assert!(scalar.is_finite(), "the loss is not finite: {scalar}");
            sync::<B>(device);
            drop((grad_x, grad_y));
        })
    };
    json!({
        "group": "mmd",
        "implementation": args.implementation.name(),
        "variant": args.variant.name(),
        "shape": {"n": args.n, "m": args.m, "d": args.d},
        "samples": summary.times_ms.len(),
        "median_ms": summary.median_ms,
        "min_ms": summary.min_ms,
        "max_ms": summary.max_ms,
        "times_ms": summary.times_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn_autodiff::Autodiff;
    use burn_ndarray::NdArray;

    type TestBackend = Autodiff<NdArray<f32>>;

    fn args(implementation: MmdImpl, variant: MmdVariant) -> MmdArgs {
        MmdArgs {
            implementation,
            variant,
            n: 8,
            m: 6,
            d: 3,
            sampling: SamplingArgs {
                samples: 2,
                warmup_iters: 1,
                warmup_ms: 0,
                budget_ms: 60_000,
            },
        }
    }

    #[test]
    fn every_variant_runs_and_reports_its_shape() {
        let device = Default::default();
        for variant in MmdVariant::value_variants() {
            let row = run::<TestBackend>(&args(MmdImpl::Ours, *variant), &device);
            assert_eq!(row["variant"], variant.name());
            assert_eq!(row["shape"], json!({"n": 8, "m": 6, "d": 3}));
            assert_eq!(row["samples"], 2);
            assert_eq!(row["times_ms"].as_array().map(Vec::len), Some(2));
            let (min, median, max) = (
                row["min_ms"].as_f64().unwrap(),
                row["median_ms"].as_f64().unwrap(),
                row["max_ms"].as_f64().unwrap(),
            );
            assert!(min <= median && median <= max, "{row}");
        }
    }

    #[test]
    fn naive_agrees_with_ours_on_the_seed_loss() {
        let device = Default::default();
        <TestBackend as burn::tensor::backend::Backend>::seed(&device, 7);
        let x = Tensor::<TestBackend, 2>::random([9, 4], Distribution::Normal(0.0, 1.0), &device);
        let y = Tensor::<TestBackend, 2>::random([5, 4], Distribution::Normal(1.0, 1.0), &device);
        let ours: f32 = MmdVariant::GaussianBiased
            .config()
            .init()
            .forward(x.clone(), y.clone())
            .into_scalar();
        let naive: f32 = seed_gaussian_mmd(x, y, 2.0, 5).into_scalar();
        assert!(
            (ours - naive).abs() <= 1e-5 * ours.abs(),
            "{ours} vs {naive}"
        );
    }

    /// The seed's loss through both implementations on burn-wgpu (needs an adapter: a GPU or
    /// Mesa's lavapipe).
    #[cfg(feature = "wgpu")]
    #[test]
    fn runs_on_wgpu() {
        type WgpuTrain = Autodiff<burn_wgpu::Wgpu>;
        let device = burn_wgpu::WgpuDevice::default();
        for implementation in MmdImpl::value_variants().iter().copied() {
            let row = run::<WgpuTrain>(&args(implementation, MmdVariant::GaussianBiased), &device);
            assert_eq!(row["implementation"], implementation.name());
            assert_eq!(row["samples"], 2);
        }
    }

    #[test]
    fn forward_only_runs_every_variant() {
        let device = Default::default();
        for variant in MmdVariant::value_variants() {
            let row = run::<TestBackend>(&args(MmdImpl::OursForward, *variant), &device);
            assert_eq!(row["implementation"], "ours-forward");
            assert_eq!(row["samples"], 2);
        }
    }

    #[test]
    fn exp_per_kernel_runs_the_quadratic_gaussian_losses_and_agrees_with_ours() {
        let device = Default::default();
        for variant in [MmdVariant::GaussianBiased, MmdVariant::GaussianUnbiased] {
            let row = run::<TestBackend>(&args(MmdImpl::OursExpPerKernel, variant), &device);
            assert_eq!(row["implementation"], "ours-exp-per-kernel");
            assert_eq!(row["samples"], 2);
            <TestBackend as burn::tensor::backend::Backend>::seed(&device, 3);
            let x =
                Tensor::<TestBackend, 2>::random([7, 4], Distribution::Normal(0.0, 1.0), &device);
            let y =
                Tensor::<TestBackend, 2>::random([6, 4], Distribution::Normal(1.0, 1.0), &device);
            let fast: f32 = variant
                .config()
                .init()
                .forward(x.clone(), y.clone())
                .into_scalar();
            let slow: f32 = variant
                .config()
                .with_fast_gaussian(false)
                .init()
                .forward(x, y)
                .into_scalar();
            assert!((fast - slow).abs() <= 1e-5 * fast.abs(), "{fast} vs {slow}");
        }
        assert_eq!(
            MmdImpl::OursExpPerKernel.unsupported(MmdVariant::GaussianUnbiased),
            None
        );
    }

    #[test]
    #[should_panic(expected = "quadratic Gaussian losses only, got variant linear-time")]
    fn exp_per_kernel_rejects_the_linear_losses() {
        run::<TestBackend>(
            &args(MmdImpl::OursExpPerKernel, MmdVariant::LinearTime),
            &Default::default(),
        );
    }

    #[test]
    #[should_panic(expected = "Gaussian biased loss only, got variant linear")]
    fn naive_rejects_other_variants() {
        run::<TestBackend>(
            &args(MmdImpl::Naive, MmdVariant::Linear),
            &Default::default(),
        );
    }
}
