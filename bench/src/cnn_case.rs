//! The CNN cases: one training step (forward, loss, backward, optimiser step) of a `da-models`
//! network on random images.

use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamConfig, GradientsParams, Optimizer};
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Distribution, ElementConversion, Int, Tensor, TensorData};
use clap::{Args, ValueEnum};
use da_models::{Arch, ConvAlgorithm, DaNetConfig};
use mmd_core::MmdLossConfig;
use serde_json::{Value, json};

use crate::timing::measure;
use crate::{SamplingArgs, sync};

/// Which network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Network {
    /// `da-models`' LeNet-style digits preset: 1x16x16, 10 classes.
    Lenet,
    /// The seed's `Net_only`: 3x128x128, 5 classes.
    #[value(name = "net_only")]
    NetOnly,
    /// The colour digits network: DANN's MNIST -> MNIST-M extractor (`dann_digits`) on
    /// 3x28x28, bottleneck 100, 10 classes.
    #[value(name = "dann_digits")]
    DannDigits,
}

impl Network {
    /// The preset configuration.
    pub fn config(self) -> DaNetConfig {
        match self {
            Network::Lenet => DaNetConfig::lenet(),
            Network::NetOnly => DaNetConfig::net_only(),
            Network::DannDigits => DaNetConfig::preset(Arch::DannDigits).with_in_channels(3),
        }
    }

    /// The preset.
    pub fn arch(self) -> Arch {
        match self {
            Network::Lenet => Arch::Lenet,
            Network::NetOnly => Arch::NetOnly,
            Network::DannDigits => Arch::DannDigits,
        }
    }

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Network::Lenet => Arch::Lenet.name(),
            Network::NetOnly => Arch::NetOnly.name(),
            Network::DannDigits => Arch::DannDigits.name(),
        }
    }
}

/// What the step trains on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// Cross-entropy on the source batch only.
    SourceOnly,
    /// Cross-entropy on the source batch plus the seed's MMD between the source and target
    /// features (the target batch goes through the network too).
    Mmd,
}

impl Mode {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Mode::SourceOnly => "source-only",
            Mode::Mmd => "mmd",
        }
    }
}

/// How the convolutions are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Conv {
    /// `da-models`' host kernels (its default; burn-ndarray only, else the same as im2col).
    Host,
    /// Patches times weights in tensor operations.
    Im2col,
    /// The backend's own convolution.
    Native,
}

impl Conv {
    /// The `da-models` algorithm.
    pub fn algorithm(self) -> ConvAlgorithm {
        match self {
            Conv::Host => ConvAlgorithm::Host,
            Conv::Im2col => ConvAlgorithm::Im2col,
            Conv::Native => ConvAlgorithm::Native,
        }
    }
}

/// One CNN training-step case.
#[derive(Debug, Clone, Args)]
pub struct CnnArgs {
    /// Network.
    #[arg(long, value_enum)]
    pub arch: Network,
    /// Loss.
    #[arg(long, value_enum)]
    pub mode: Mode,
    /// Labelled source images per step.
    #[arg(long, default_value_t = 64)]
    pub source_batch: usize,
    /// Unlabelled target images per step (MMD mode only; ignored for source-only training).
    #[arg(long, default_value_t = 32)]
    pub target_batch: usize,
    /// Convolution algorithm (default: host on ndarray, native on wgpu).
    #[arg(long, value_enum)]
    pub conv: Option<Conv>,
    /// Warm-up and samples.
    #[command(flatten)]
    pub sampling: SamplingArgs,
}

/// Times training steps with Adam (learning rate 1e-3) on `B` and returns the JSON row (without
/// the backend, device and memory fields, which the caller adds). The convolutions use
/// `args.conv`, else `default_conv` (the backend's default); the row's implementation is `ours`
/// with the default and `ours-<conv>` (e.g. `ours-im2col`) with another.
///
/// # Panics
/// When the loss is not finite.
pub fn run<B: AutodiffBackend>(args: &CnnArgs, default_conv: Conv, device: &B::Device) -> Value {
    let conv = args.conv.unwrap_or(default_conv);
    let implementation = if conv == default_conv {
        "ours".to_string()
    } else {
        format!("ours-{}", conv.algorithm().name())
    };
    B::seed(device, 42);
    let config = args.arch.config().with_conv(conv.algorithm());
    let shape = [config.in_channels, config.height, config.width];
    let images = |batch: usize| {
        Tensor::<B, 4>::random(
            [batch, shape[0], shape[1], shape[2]],
            Distribution::Normal(0.0, 1.0),
            device,
        )
    };
    assert!(
        args.mode == Mode::SourceOnly || args.target_batch > 0,
        "MMD training needs a target batch, got --target-batch 0"
    );
    let source = images(args.source_batch);
    let target = (args.mode == Mode::Mmd).then(|| images(args.target_batch));
    let classes = config.num_classes;
    let labels = Tensor::<B, 1, Int>::from_data(
        TensorData::new(
            (0..args.source_batch)
                .map(|i| (i % classes) as i64)
                .collect::<Vec<_>>(),
            [args.source_batch],
        ),
        device,
    );
    let ce = CrossEntropyLossConfig::new().init(device);
    let mmd = MmdLossConfig::new().init();
    let mut optim = AdamConfig::new().init();
    let mut model = Some(config.init::<B>(device));
    let summary = measure(args.sampling.sampling(), || {
        let net = model
            .take()
            .expect("the model is put back after every step");
        let output = net.forward(source.clone());
        let clf = ce.forward(output.logits, labels.clone());
        let loss = match args.mode {
            Mode::SourceOnly => clf,
            Mode::Mmd => {
                let target = target.clone().expect("built in MMD mode");
                let target_output = net.forward(target);
                clf + mmd.forward(output.features, target_output.features)
            }
        };
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        model = Some(optim.step(1e-3, net, grads));
        let value: f64 = loss.into_scalar().elem();
        assert!(value.is_finite(), "the loss is not finite: {value}");
        sync::<B>(device);
    });
    let images_per_step = match args.mode {
        Mode::SourceOnly => args.source_batch,
        Mode::Mmd => args.source_batch + args.target_batch,
    };
    json!({
        "group": "cnn",
        "implementation": implementation,
        "variant": format!("{}-{}", args.arch.name(), args.mode.name()),
        "shape": {
            "source_batch": args.source_batch,
            "target_batch": if args.mode == Mode::Mmd { args.target_batch } else { 0 },
            "image": shape,
        },
        "conv": conv.algorithm().name(),
        "samples": summary.times_ms.len(),
        "median_ms": summary.median_ms,
        "min_ms": summary.min_ms,
        "max_ms": summary.max_ms,
        "times_ms": summary.times_ms,
        "images_per_second": images_per_step as f64 / (summary.median_ms / 1e3),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn_autodiff::Autodiff;
    use burn_ndarray::NdArray;

    type TestBackend = Autodiff<NdArray<f32>>;

    #[test]
    fn lenet_steps_in_both_modes() {
        let device = Default::default();
        for mode in [Mode::SourceOnly, Mode::Mmd] {
            let args = CnnArgs {
                arch: Network::Lenet,
                mode,
                source_batch: 4,
                target_batch: 2,
                conv: None,
                sampling: SamplingArgs {
                    samples: 2,
                    warmup_iters: 1,
                    warmup_ms: 0,
                    budget_ms: 60_000,
                },
            };
            let row = run::<TestBackend>(&args, Conv::Host, &device);
            assert_eq!(row["variant"], format!("lenet-{}", mode.name()));
            let images = if mode == Mode::Mmd { 6.0 } else { 4.0 };
            let expected = images / (row["median_ms"].as_f64().unwrap() / 1e3);
            let got = row["images_per_second"].as_f64().unwrap();
            assert!(
                (got - expected).abs() <= 1e-9 * expected,
                "{got} vs {expected}"
            );
            assert_eq!(row["shape"]["image"], json!([1, 16, 16]));
            assert_eq!(
                row["shape"]["target_batch"],
                if mode == Mode::Mmd { 2 } else { 0 }
            );
            assert_eq!(row["implementation"], "ours");
            assert_eq!(row["conv"], "host");
        }
    }

    #[test]
    fn another_convolution_is_its_own_implementation() {
        let args = CnnArgs {
            arch: Network::Lenet,
            mode: Mode::SourceOnly,
            source_batch: 2,
            target_batch: 0,
            conv: Some(Conv::Im2col),
            sampling: SamplingArgs {
                samples: 1,
                warmup_iters: 0,
                warmup_ms: 0,
                budget_ms: 60_000,
            },
        };
        let row = run::<TestBackend>(&args, Conv::Host, &Default::default());
        assert_eq!(row["implementation"], "ours-im2col");
        assert_eq!(row["conv"], "im2col");
    }
}
