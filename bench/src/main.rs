//! `da-bench`: runs ONE benchmark case per process and prints one JSON line with its timings.
//!
//! `cargo xtask bench` builds this binary once and starts it for every case, so that a case
//! that runs out of memory or crashes takes only its own process down, and every case's peak
//! resident memory (`VmHWM`) is its own.
//!
//! ```text
//! da-bench probe --backend wgpu
//! da-bench mmd --impl ours --variant gaussian-biased --backend ndarray --n 256 --m 256 --d 14
//! da-bench exp --backend ndarray --elements 4194304
//! da-bench cnn --arch lenet --mode mmd --backend ndarray --source-batch 64 --target-batch 32
//! da-bench train --devices 2 --arch lenet --mode mmd --backend ndarray
//! ```
//!
//! The line holds `group`, `implementation`, `variant`, `backend`, `device`, `shape`, `samples`,
//! `median_ms`, `min_ms`, `max_ms`, `times_ms`, `peak_rss_mib` (null where `/proc` is missing) and
//! `status: "ok"`; CNN cases add `conv` and `images_per_second` (data-parallel `train` cases,
//! group `dp`, add `images_per_second`), the exp case (`shape` is
//! `{"elements": N}`) adds `exps_per_second`. A panic prints
//! `{"status": "failed", "reason": ...}` instead (and exits with code 101).
#![warn(missing_docs)]

mod cnn_case;
mod exp_case;
mod mmd_case;
mod naive;
mod system;
mod timing;
mod train_case;

use std::time::Duration;

use burn::tensor::ElementConversion;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn_autodiff::Autodiff;
use burn_ndarray::NdArray;
use clap::{Args, Parser, Subcommand, ValueEnum};
use serde_json::{Value, json};

use cnn_case::{CnnArgs, Conv};
use da_train::parallel::IndexedDevice;
use exp_case::ExpArgs;
use mmd_case::MmdArgs;
use timing::Sampling;
use train_case::TrainArgs;

/// Runs one benchmark case and prints one JSON line.
#[derive(Debug, Parser)]
#[command(name = "da-bench")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Compute backend.
    #[arg(long, value_enum, global = true, default_value = "ndarray")]
    backend: BackendKind,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Checks that the backend has a device and prints its name.
    Probe,
    /// MMD forward and backward pass.
    Mmd(MmdArgs),
    /// CNN training step.
    Cnn(CnnArgs),
    /// Data-parallel training steps of da-train's loop on one or several devices.
    Train(TrainArgs),
    /// Throughput of `tensor.exp()` (no autodiff) or of mmd-core's host exponential, the
    /// ceiling of the Gaussian kernels.
    Exp(ExpArgs),
}

/// A compute backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BackendKind {
    /// `Autodiff<NdArray<f32>>` on the CPU.
    Ndarray,
    /// `Autodiff<Wgpu>` (needs the `wgpu` feature).
    Wgpu,
    /// `Autodiff<Cuda>` (needs the `cuda` feature and an NVIDIA GPU).
    Cuda,
}

impl BackendKind {
    fn name(self) -> &'static str {
        match self {
            BackendKind::Ndarray => "ndarray",
            BackendKind::Wgpu => "wgpu",
            BackendKind::Cuda => "cuda",
        }
    }
}

/// Warm-up and sample counts of a case.
#[derive(Debug, Clone, Args)]
pub struct SamplingArgs {
    /// Samples to take.
    #[arg(long, default_value_t = 10)]
    pub samples: usize,
    /// Warm-up iterations, at least.
    #[arg(long, default_value_t = 1)]
    pub warmup_iters: usize,
    /// Warm-up time in milliseconds, at least (after the warm-up iterations).
    #[arg(long, default_value_t = 1000)]
    pub warmup_ms: u64,
    /// Stop sampling once the samples add up to this many milliseconds (one sample at least).
    #[arg(long, default_value_t = 60_000)]
    pub budget_ms: u64,
}

impl SamplingArgs {
    /// As a [`Sampling`].
    pub fn sampling(&self) -> Sampling {
        Sampling {
            warmup_iters: self.warmup_iters,
            warmup: Duration::from_millis(self.warmup_ms),
            samples: self.samples,
            budget: Duration::from_millis(self.budget_ms),
        }
    }
}

/// Waits until the device has finished every queued operation.
///
/// # Panics
/// When the backend reports an execution error.
pub fn sync<B: Backend>(device: &B::Device) {
    B::sync(device).unwrap_or_else(|err| panic!("device sync failed: {err:?}"));
}

/// The case on backend `B`, as a JSON row completed with backend, device, memory and status.
fn run_case<B: AutodiffBackend>(
    cli: &Cli,
    device: &B::Device,
    device_name: String,
    default_conv: Conv,
) -> Value
where
    B::Device: IndexedDevice,
{
    let mut row = match &cli.command {
        Command::Probe => {
            // One small computation read back proves that the device works.
            let sum: f32 = burn::tensor::Tensor::<B, 1>::ones([4], device)
                .sum()
                .into_scalar()
                .elem();
            assert_eq!(sum, 4.0, "the device computed 1+1+1+1 = {sum}");
            json!({})
        }
        Command::Mmd(args) => mmd_case::run::<B>(args, device),
        Command::Cnn(args) => cnn_case::run::<B>(args, default_conv, device),
        Command::Train(args) => train_case::run::<B>(args, device),
        Command::Exp(args) => exp_case::run::<B::InnerBackend>(args, device),
    };
    row["backend"] = json!(cli.backend.name());
    row["device"] = json!(device_name);
    row["peak_rss_mib"] = json!(system::peak_rss_mib());
    row["status"] = json!("ok");
    row
}

/// The default wgpu device, initialised here so that its adapter's name is known.
#[cfg(feature = "wgpu")]
fn wgpu_device() -> (burn_wgpu::WgpuDevice, String) {
    use burn_wgpu::{RuntimeOptions, WgpuDevice, graphics::AutoGraphicsApi, init_setup};
    let device = WgpuDevice::default();
    let setup = init_setup::<AutoGraphicsApi>(&device, RuntimeOptions::default());
    let info = setup.adapter.get_info();
    let name = format!("{} ({:?}, {:?})", info.name, info.backend, info.device_type);
    (device, name)
}

/// Prints panics as a JSON line on stdout (for the parent) before the usual message on stderr.
fn report_panics_as_json() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let reason = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("panic without a message");
        println!("{}", json!({"status": "failed", "reason": reason}));
        default_hook(info);
    }));
}

fn main() {
    report_panics_as_json();
    // As da-train does: freed buffers stay in the heap (cnn-host's docs say why).
    cnn_host::keep_freed_memory();
    let cli = Cli::parse();
    let row = match cli.backend {
        BackendKind::Ndarray => run_case::<Autodiff<NdArray<f32>>>(
            &cli,
            &Default::default(),
            format!("cpu: {}", system::cpu_model()),
            Conv::Host,
        ),
        #[cfg(feature = "wgpu")]
        BackendKind::Wgpu => {
            let (device, name) = wgpu_device();
            run_case::<Autodiff<burn_wgpu::Wgpu>>(&cli, &device, name, Conv::Native)
        }
        #[cfg(not(feature = "wgpu"))]
        BackendKind::Wgpu => {
            panic!("da-bench was built without the wgpu backend: build it with `--features wgpu`")
        }
        #[cfg(feature = "cuda")]
        BackendKind::Cuda => {
            let device = burn_cuda::CudaDevice::default();
            let name = format!("cuda: {device:?}");
            run_case::<Autodiff<burn_cuda::Cuda>>(&cli, &device, name, Conv::Native)
        }
        #[cfg(not(feature = "cuda"))]
        BackendKind::Cuda => {
            panic!("da-bench was built without the cuda backend: build it with `--features cuda`")
        }
    };
    println!("{row}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exp_case_parses_with_its_default_size() {
        let cli = Cli::try_parse_from(["da-bench", "exp", "--backend", "wgpu"]).unwrap();
        assert_eq!(cli.backend, BackendKind::Wgpu);
        let Command::Exp(args) = cli.command else {
            panic!("not the exp case: {:?}", cli.command);
        };
        assert_eq!(args.elements, 1 << 22);
        assert_eq!(args.implementation, exp_case::ExpImpl::Burn);
        let line = "da-bench exp --impl host --elements 1024 --samples 3";
        let cli = Cli::try_parse_from(line.split(' ')).unwrap();
        let Command::Exp(args) = cli.command else {
            panic!("not the exp case: {:?}", cli.command);
        };
        assert_eq!((args.elements, args.sampling.samples), (1024, 3));
        assert_eq!(args.implementation, exp_case::ExpImpl::Host);
    }

    #[test]
    fn the_exp_per_kernel_implementation_parses() {
        let line =
            "da-bench mmd --impl ours-exp-per-kernel --variant gaussian-unbiased --n 4 --m 4 --d 2";
        let cli = Cli::try_parse_from(line.split(' ')).unwrap();
        let Command::Mmd(args) = cli.command else {
            panic!("not an MMD case: {:?}", cli.command);
        };
        assert_eq!(args.implementation, mmd_case::MmdImpl::OursExpPerKernel);
        assert_eq!(args.implementation.name(), "ours-exp-per-kernel");
    }
}
