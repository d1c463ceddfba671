//! Every transfer method on burn-wgpu (needs a Vulkan, Metal or DX12 adapter; CI uses Mesa's
//! lavapipe): each loss and its gradients agree with ndarray on the same inputs and weights, and
//! each method trains end to end, checkpoints and evaluates.
#![cfg(feature = "wgpu")]

mod common;

use burn::module::Module;
use burn::record::{BinBytesRecorder, FullPrecisionSettings, Recorder};
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Int, Tensor, TensorData};
use da_models::{DaOutput, DomainDiscriminator};
use da_train::backend::{NdarrayTrain, WgpuTrain};
use da_train::train::{
    CheckpointParts, LambdaSchedule, RunOptions, TrainConfig, Transfer, TransferLoss, train,
    train_on,
};

const ROWS_SOURCE: usize = 10;
const ROWS_TARGET: usize = 7;
const FEATURES: usize = 6;

/// Keeps autotuning (seconds per new shape on a software driver) out of the tests; set before
/// the first wgpu call of this test binary.
fn wgpu_device() -> burn_wgpu::WgpuDevice {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        // SAFETY: runs once, before any thread of this binary reads the variable.
        unsafe { std::env::set_var("CUBECL_AUTOTUNE_LEVEL", "minimal") };
    });
    burn_wgpu::WgpuDevice::default()
}

/// Deterministic values in about [-1, 1].
fn values(count: usize, seed: u64) -> Vec<f32> {
    (0..count)
        .map(|i| (((i as u64 * 2654435761 + seed * 40503) % 1000) as f32 / 500.0 - 1.0) * 0.9)
        .collect()
}

fn matrix<B: AutodiffBackend>(
    rows: usize,
    cols: usize,
    seed: u64,
    device: &B::Device,
) -> Tensor<B, 2> {
    Tensor::<B, 2>::from_data(
        TensorData::new(values(rows * cols, seed), [rows, cols]),
        device,
    )
    .require_grad()
}

fn to_vec<B: burn::tensor::backend::Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f32> {
    t.into_data().convert::<f32>().to_vec::<f32>().unwrap()
}

/// The loss value, then the gradients with respect to the source and target features and
/// logits, of `method` on fixed inputs (and, for DANN, the discriminator saved in `weights`).
fn loss_and_grads<B: AutodiffBackend>(
    method: Transfer,
    weights: Option<&[u8]>,
    device: &B::Device,
) -> Vec<Vec<f32>> {
    let config = TrainConfig {
        transfer: method,
        bottleneck: Some(FEATURES),
        dann_hidden: 8,
        ..common::config(1)
    };
    let loss = TransferLoss::new(&config, common::CLASSES)
        .unwrap()
        .expect("a transfer method");
    let discriminator: Option<DomainDiscriminator<B>> = loss.discriminator(device).map(|d| {
        let bytes = weights
            .expect("DANN needs the discriminator's weights")
            .to_vec();
        let record = BinBytesRecorder::<FullPrecisionSettings>::default()
            .load(bytes, device)
            .unwrap();
        d.load_record(record)
    });
    let tensors = [
        matrix::<B>(ROWS_SOURCE, FEATURES, 1, device),
        matrix::<B>(ROWS_SOURCE, common::CLASSES, 2, device),
        matrix::<B>(ROWS_TARGET, FEATURES, 3, device),
        matrix::<B>(ROWS_TARGET, common::CLASSES, 4, device),
    ];
    let [sf, sl, tf, tl] = tensors.clone();
    let labels: Vec<i64> = (0..ROWS_SOURCE as i64).map(|i| i % 3).collect();
    let labels = Tensor::<B, 1, Int>::from_data(TensorData::new(labels, [ROWS_SOURCE]), device);
    let value = loss.forward(
        &DaOutput {
            features: sf,
            logits: sl,
        },
        &DaOutput {
            features: tf,
            logits: tl,
        },
        labels,
        discriminator.as_ref(),
        0.5,
    );
    let grads = value.backward();
    let mut out = vec![to_vec(value)];
    for tensor in &tensors {
        out.push(
            tensor
                .grad(&grads)
                .map(to_vec)
                .unwrap_or_else(|| vec![0.0; tensor.dims().iter().product()]),
        );
    }
    out
}

#[test]
fn every_loss_and_its_gradients_match_ndarray() {
    let device = wgpu_device();
    let names = [
        "loss",
        "d/d source features",
        "d/d source logits",
        "d/d target features",
        "d/d target logits",
    ];
    let mut failures = Vec::new();
    for method in Transfer::ALL.into_iter().filter(|m| *m != Transfer::None) {
        // DANN's discriminator: initialised once, the same weights on both backends.
        let weights = (method == Transfer::Dann).then(|| {
            let d = da_models::DomainDiscriminatorConfig::new(FEATURES)
                .with_hidden(8)
                .init::<NdarrayTrain>(&Default::default());
            BinBytesRecorder::<FullPrecisionSettings>::default()
                .record(d.into_record(), ())
                .unwrap()
        });
        let cpu = loss_and_grads::<NdarrayTrain>(method, weights.as_deref(), &Default::default());
        let gpu = loss_and_grads::<WgpuTrain>(method, weights.as_deref(), &device);
        for ((name, a), b) in names.iter().zip(&cpu).zip(&gpu) {
            let scale = a.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-3);
            let worst = a.iter().zip(b).fold(0f32, |m, (x, y)| m.max((x - y).abs()));
            if worst.is_nan() || worst > 1e-4 * scale {
                failures.push(format!(
                    "{}: {name}: ndarray {a:?} vs wgpu {b:?} (largest difference {worst:.3e})",
                    method.name()
                ));
            }
        }
        assert!(cpu[0][0].is_finite(), "{}: {:?}", method.name(), cpu[0]);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_method_trains_checkpoints_and_evaluates_on_wgpu() {
    let device = wgpu_device();
    let data = common::data();
    let mut last = None;
    for method in Transfer::ALL {
        let out = common::out_dir(&format!("wgpu-{}", method.name()));
        let config = TrainConfig {
            transfer: method,
            dann_hidden: 16,
            lambda_schedule: LambdaSchedule::Constant,
            ..common::config(1)
        };
        let summary = train::<WgpuTrain>(&config, &data, &out, RunOptions::default(), &device)
            .unwrap_or_else(|err| panic!("{method:?}: {err}"))
            .expect("ran to the last epoch");
        assert_eq!(summary.transfer, method);
        for accuracy in [summary.source_accuracy, summary.target_accuracy] {
            assert!((0.0..=1.0).contains(&accuracy), "{method:?}: {summary:?}");
        }
        let csv = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
        let row: Vec<f64> = csv
            .lines()
            .nth(1)
            .unwrap()
            .split(',')
            .skip(2)
            .map(|v| v.parse().unwrap())
            .collect();
        assert!(row.iter().all(|v| v.is_finite()), "{method:?}: {csv}");
        assert_eq!(row[1] == 0.0, method == Transfer::None, "{method:?}: {csv}");
        let parts =
            CheckpointParts::<serde_json::Value>::load(&out.join("checkpoint.bin")).unwrap();
        assert_eq!(
            parts.discriminator.is_some(),
            method == Transfer::Dann,
            "{method:?}"
        );
        last = Some((out, summary));
    }
    // The last run's checkpoint, evaluated from the command line on the target test set: the
    // accuracy the run reported.
    let (out, summary) = last.unwrap();
    let dir = common::out_dir("wgpu-eval");
    std::fs::create_dir_all(&dir).unwrap();
    let target = dir.join("target.csv");
    common::write_csv(&target, &data.target_test);
    let eval = common::eval_json(&out, &target, "wgpu");
    assert_eq!(eval["images"], data.target_test.labels.len(), "{eval}");
    let accuracy = eval["accuracy"].as_f64().unwrap();
    assert!(
        (accuracy - summary.target_accuracy).abs() < 1e-9,
        "{eval} vs {summary:?}"
    );
}

/// The features, logits and their gradients with respect to the images and the first
/// convolution's weights of the network `config` on two images, from the weights in `record`.
fn preset_forward_backward<B: AutodiffBackend>(
    config: &da_models::DaNetConfig,
    record: &[u8],
    device: &B::Device,
) -> Vec<Vec<f32>> {
    let record = BinBytesRecorder::<FullPrecisionSettings>::default()
        .load(record.to_vec(), device)
        .unwrap();
    let model = config.init::<B>(device).load_record(record);
    let shape = [2, config.in_channels, config.height, config.width];
    let images = Tensor::<B, 4>::from_data(
        TensorData::new(values(shape.iter().product(), 5), shape),
        device,
    )
    .require_grad();
    let output = model.forward(images.clone());
    let classes = output.logits.dims()[1];
    let weights = Tensor::<B, 2>::from_data(
        TensorData::new(values(2 * classes, 6), [2, classes]),
        device,
    );
    let objective =
        (output.logits.clone() * weights).sum() + output.features.clone().powf_scalar(2.0).mean();
    let grads = objective.backward();
    let first_conv = &model.extractor.blocks[0].conv.weight;
    vec![
        to_vec(output.features),
        to_vec(output.logits),
        to_vec(images.grad(&grads).unwrap()),
        to_vec(first_conv.grad(&grads).unwrap()),
    ]
}

/// Every architecture preset, with colour input: the same shapes, values and gradients on wgpu
/// (the backend's own convolution, what GPU users run) as on ndarray (the host kernels), from
/// the same weights, at a small size.
#[test]
fn every_preset_matches_ndarray_on_wgpu() {
    use da_models::{Arch, ConvAlgorithm, DaNetConfig};
    let device = wgpu_device();
    let mut failures = Vec::new();
    for arch in Arch::ALL {
        // The preset's own side up to 32: large enough that the last batch-norm of every
        // preset normalises several values per channel (with a 1x1 map and two images its
        // gradient is ill-conditioned, and rounding alone separates the backends).
        let side = arch.default_side().clamp(arch.min_input_side().max(16), 32);
        let config = DaNetConfig::preset(arch)
            .with_in_channels(3)
            .with_height(side)
            .with_width(side)
            .with_num_classes(4)
            .with_bottleneck(8);
        let record = BinBytesRecorder::<FullPrecisionSettings>::default()
            .record(
                config
                    .init::<NdarrayTrain>(&Default::default())
                    .into_record(),
                (),
            )
            .unwrap();
        let cpu = preset_forward_backward::<NdarrayTrain>(
            &config.clone().with_conv(ConvAlgorithm::Host),
            &record,
            &Default::default(),
        );
        let gpu = preset_forward_backward::<WgpuTrain>(
            &config.clone().with_conv(ConvAlgorithm::Native),
            &record,
            &device,
        );
        assert_eq!(cpu[0].len(), 2 * 8, "{arch}: features");
        assert_eq!(cpu[1].len(), 2 * 4, "{arch}: logits");
        for ((name, a), b) in ["features", "logits", "d/d images", "d/d first conv"]
            .iter()
            .zip(&cpu)
            .zip(&gpu)
        {
            assert_eq!(a.len(), b.len(), "{arch}: {name}");
            let scale = a.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-3);
            let worst = a.iter().zip(b).fold(0f32, |m, (x, y)| m.max((x - y).abs()));
            if worst.is_nan() || worst > 1e-3 * scale {
                failures.push(format!(
                    "{arch}: {name}: largest difference {worst:.3e} (scale {scale:.3e})"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A 1x1 convolution with stride 2 (a ResNet's projection shortcut) through
/// `ConvAlgorithm::Native` on wgpu: the same values and gradients as ndarray. burn-wgpu 0.21's
/// own convolution gets the input gradient of this case wrong (largest difference 0.82 here),
/// which `ConvAlgorithm::conv2d` works around.
#[test]
fn strided_1x1_convolution_matches_ndarray_on_wgpu() {
    use da_models::ConvAlgorithm;
    fn run<B: AutodiffBackend>(algorithm: ConvAlgorithm, device: &B::Device) -> Vec<Vec<f32>> {
        let (channels, filters, side) = (4, 6, 9);
        let input = Tensor::<B, 4>::from_data(
            TensorData::new(
                values(2 * channels * side * side, 1),
                [2, channels, side, side],
            ),
            device,
        )
        .require_grad();
        let weight = Tensor::<B, 4>::from_data(
            TensorData::new(values(filters * channels, 2), [filters, channels, 1, 1]),
            device,
        )
        .require_grad();
        let output = algorithm.conv2d(input.clone(), weight.clone(), None, 2, 0);
        let dims = output.dims();
        let upstream = Tensor::<B, 4>::from_data(
            TensorData::new(values(dims.iter().product(), 4), dims),
            device,
        );
        let grads = (output.clone() * upstream).sum().backward();
        vec![
            to_vec(output),
            to_vec(input.grad(&grads).unwrap()),
            to_vec(weight.grad(&grads).unwrap()),
        ]
    }
    let cpu = run::<NdarrayTrain>(ConvAlgorithm::Im2col, &Default::default());
    let gpu = run::<WgpuTrain>(ConvAlgorithm::Native, &wgpu_device());
    for ((name, a), b) in ["output", "d/d input", "d/d weight"]
        .iter()
        .zip(&cpu)
        .zip(&gpu)
    {
        let worst = a.iter().zip(b).fold(0f32, |m, (x, y)| m.max((x - y).abs()));
        assert!(worst < 1e-4, "{name}: largest difference {worst:.3e}");
    }
}

/// Data-parallel training through burn-collective on the GPU backend: two replicas on the one
/// device this machine has take the step of one replica on the whole batch (the global MMD on
/// all-gathered features), up to f32 rounding.
#[test]
fn two_replicas_on_wgpu_take_the_step_of_one() {
    let device = wgpu_device();
    let data = common::data();
    let config = TrainConfig {
        epochs: 1,
        iterations_per_epoch: Some(2),
        ..common::config(1)
    };
    let (one, two) = (
        common::out_dir("wgpu-dp-one"),
        common::out_dir("wgpu-dp-two"),
    );
    train::<WgpuTrain>(&config, &data, &one, RunOptions::default(), &device).unwrap();
    let devices = [device.clone(), device];
    train_on::<WgpuTrain>(&config, &data, &two, RunOptions::default(), &devices, None).unwrap();
    let metrics = |dir: &std::path::Path| {
        let parts =
            CheckpointParts::<serde_json::Value>::load(&dir.join("checkpoint.bin")).unwrap();
        parts.header["metrics"][0].clone()
    };
    let (a, b) = (metrics(&one), metrics(&two));
    for key in ["clf_loss", "transfer_loss", "total_loss"] {
        let (x, y) = (a[key].as_f64().unwrap(), b[key].as_f64().unwrap());
        assert!(
            (x - y).abs() <= 1e-4 * (1.0 + x.abs()),
            "{key}: {x} against {y}"
        );
    }
}
