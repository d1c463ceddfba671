//! Data-parallel training on two CPU devices in one process: with the global transfer loss one
//! step gives the loss and the weights of one device on the whole batch, with the local one
//! the mean of the per-slice losses; a few epochs reach one device's accuracy; batches too
//! small for the devices are clear errors that leave an earlier checkpoint alone.

mod common;

use std::path::Path;

use burn::module::{Module, ModuleVisitor, Param};
use burn::record::{BinBytesRecorder, FullPrecisionSettings, Recorder};
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor};
use burn_ndarray::{NdArray, NdArrayDevice};
use common::{config, data, domain, out_dir};
use da_models::{DaNet, DaNetConfig, DomainDiscriminatorConfig, MmdOn};
use da_train::backend::NdarrayTrain;
use da_train::datasets::BatchLoader;
use da_train::datasets::augment::ColourAugment;
use da_train::parallel::{TransferScope, slice_of};
use da_train::train::{
    CheckpointParts, EpochMetrics, Normalization, RunData, RunOptions, TrainConfig, TrainError,
    Transfer, TransferLoss, train, train_on,
};

/// burn-collective's server and burn's random generator are global to the process: the runs
/// of this file take turns.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Odd batch sizes, so that the two devices take slices of different lengths (8 + 7 source,
/// 6 + 5 target images); no normalisation or augmentation, so that the test can rebuild the
/// batches.
fn one_step(transfer: Transfer, scope: TransferScope) -> TrainConfig {
    TrainConfig {
        transfer,
        transfer_scope: scope,
        epochs: 1,
        iterations_per_epoch: Some(1),
        batch_size: 15,
        target_batch_size: Some(11),
        normalization: Normalization::None,
        augment_colour: ColourAugment::Off,
        dann_hidden: 16,
        ..config(1)
    }
}

fn two_cpus() -> Vec<NdArrayDevice> {
    vec![NdArrayDevice::Cpu, NdArrayDevice::Cpu]
}

fn run_on(
    config: &TrainConfig,
    data: &RunData,
    out: &Path,
    devices: &[NdArrayDevice],
) -> Result<(), TrainError> {
    train_on::<NdarrayTrain>(config, data, out, RunOptions::default(), devices, None)?;
    Ok(())
}

fn metrics(out: &Path) -> Vec<EpochMetrics> {
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Header {
        metrics: Vec<EpochMetrics>,
    }
    CheckpointParts::<Header>::load(&out.join("checkpoint.bin"))
        .unwrap()
        .header
        .metrics
}

/// Every float of the checkpoint's network and discriminator, in module order.
fn weights(out: &Path, config: &TrainConfig) -> Vec<f32> {
    struct Flat(Vec<f32>);
    impl<B: Backend> ModuleVisitor<B> for Flat {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            self.0
                .extend(param.val().into_data().to_vec::<f32>().expect("f32"));
        }
    }
    let device = Default::default();
    let net: DaNet<NdArray> = network(out, &device);
    let mut flat = Flat(Vec::new());
    net.visit(&mut flat);
    let parts = CheckpointParts::<serde_json::Value>::load(&out.join("checkpoint.bin")).unwrap();
    let recorder = BinBytesRecorder::<FullPrecisionSettings>::default();
    if let Some(bytes) = parts.discriminator {
        let discriminator = DomainDiscriminatorConfig::new(config.bottleneck_width())
            .with_hidden(config.dann_hidden)
            .init::<NdArray>(&device)
            .load_record(Recorder::<NdArray>::load(&recorder, bytes, &device).unwrap());
        discriminator.visit(&mut flat);
    }
    flat.0
}

fn assert_close(what: &str, a: f64, b: f64, tolerance: f64) {
    assert!(
        (a - b).abs() <= tolerance * (1.0 + a.abs().max(b.abs())),
        "{what}: {a} against {b}"
    );
}

/// f32 rounding differs between a batch and its slices (the matrix products are blocked
/// differently): losses agree to about 1e-6, weights after an Adam step to about 1e-6 * lr.
const LOSS_TOLERANCE: f64 = 2e-5;
const WEIGHT_TOLERANCE: f32 = 1e-5;

#[test]
fn global_scope_takes_the_step_of_one_device_on_the_whole_batch() {
    let _serial = serial();
    let data = data();
    for transfer in Transfer::ALL {
        let config = one_step(transfer, TransferScope::Global);
        let (one, two) = (
            out_dir(&format!("parallel-one-{transfer:?}")),
            out_dir(&format!("parallel-two-{transfer:?}")),
        );
        train::<NdarrayTrain>(
            &config,
            &data,
            &one,
            RunOptions::default(),
            &NdArrayDevice::Cpu,
        )
        .unwrap();
        run_on(&config, &data, &two, &two_cpus()).unwrap();
        let (a, b) = (&metrics(&one)[0], &metrics(&two)[0]);
        assert_close(
            &format!("{transfer:?} clf"),
            a.clf_loss,
            b.clf_loss,
            LOSS_TOLERANCE,
        );
        assert_close(
            &format!("{transfer:?} transfer"),
            a.transfer_loss,
            b.transfer_loss,
            LOSS_TOLERANCE,
        );
        assert_close(
            &format!("{transfer:?} total"),
            a.total_loss,
            b.total_loss,
            LOSS_TOLERANCE,
        );
        let (wa, wb) = (weights(&one, &config), weights(&two, &config));
        assert_eq!(wa.len(), wb.len());
        let worst = wa
            .iter()
            .zip(&wb)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max);
        assert!(
            worst <= WEIGHT_TOLERANCE,
            "{transfer:?}: weights differ by {worst}"
        );
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(two.join("summary.json")).unwrap())
                .unwrap();
        assert!(
            summary["backend"].as_str().unwrap().contains("(2 devices)"),
            "{summary}"
        );
    }
}

/// The transfer loss of the first step, recomputed here on the batches each device takes:
/// the mean of the two slices' losses (local), which is not the whole batch's. The initial
/// network is that of a one-device run whose one step moved no weight (a learning rate of
/// 1e-12).
#[test]
fn local_scope_is_the_mean_of_the_per_slice_losses() {
    let _serial = serial();
    let data = data();
    for transfer in [Transfer::Mmd, Transfer::Coral, Transfer::Lmmd] {
        // On the features: CORAL on the initial logits is too small (1e-9) to compare.
        let config = TrainConfig {
            mmd_on: MmdOn::Features,
            ..one_step(transfer, TransferScope::Local)
        };
        let out = out_dir(&format!("parallel-local-{transfer:?}"));
        run_on(&config, &data, &out, &two_cpus()).unwrap();
        let reported = metrics(&out)[0].transfer_loss;

        let initial = out_dir(&format!("parallel-initial-{transfer:?}"));
        let frozen = TrainConfig {
            lr: 1e-12,
            ..config.clone()
        };
        train::<NdarrayTrain>(
            &frozen,
            &data,
            &initial,
            RunOptions::default(),
            &NdArrayDevice::Cpu,
        )
        .unwrap();
        let device = NdArrayDevice::Cpu;
        let net: DaNet<NdarrayTrain> = network(&initial, &device);
        let loss = TransferLoss::new(&config, 3).unwrap().unwrap();
        let source = BatchLoader::new(data.source_train.len(), 15, config.seed).next_batch();
        let target =
            BatchLoader::new(data.target_train.len(), 11, config.seed.wrapping_add(1)).next_batch();
        let on = |source: &[usize], target: &[usize]| -> f64 {
            let (s, labels): (Tensor<NdarrayTrain, 4>, Tensor<NdarrayTrain, 1, Int>) =
                data.source_train.batch(source, &device);
            let (t, _) = data.target_train.batch::<NdarrayTrain>(target, &device);
            loss.forward(&net.forward(s), &net.forward(t), labels, None, 0.0)
                .into_scalar() as f64
        };
        let halves: Vec<f64> = (0..2)
            .map(|k| on(&source[slice_of(15, 2, k)], &target[slice_of(11, 2, k)]))
            .collect();
        let mean = (halves[0] + halves[1]) / 2.0;
        assert_close(
            &format!("{transfer:?} local"),
            reported,
            mean,
            LOSS_TOLERANCE,
        );
        // The whole batch's loss is the one-device run's, and differs from the local one.
        let whole = on(&source, &target);
        assert_close(
            &format!("{transfer:?} whole batch"),
            metrics(&initial)[0].transfer_loss,
            whole,
            LOSS_TOLERANCE,
        );
        assert!(
            (whole - mean).abs() > 1e-2 * whole.abs(),
            "{transfer:?}: {whole} {mean}"
        );
    }
}

/// The network saved in `out`'s checkpoint.
fn network<B: Backend>(out: &Path, device: &B::Device) -> DaNet<B> {
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Header {
        model: DaNetConfig,
    }
    let parts = CheckpointParts::<Header>::load(&out.join("checkpoint.bin")).unwrap();
    let recorder = BinBytesRecorder::<FullPrecisionSettings>::default();
    let net: DaNet<B> = parts.header.model.init(device);
    net.load_record(Recorder::<B>::load(&recorder, parts.model, device).unwrap())
}

#[test]
fn a_few_epochs_on_two_devices_reach_the_accuracy_of_one() {
    let _serial = serial();
    let data = RunData {
        target_test: domain(300, 0.15, 4),
        ..data()
    };
    let config = TrainConfig {
        epochs: 4,
        ..config(4)
    };
    let (one, two) = (out_dir("parallel-acc-one"), out_dir("parallel-acc-two"));
    let a = train::<NdarrayTrain>(
        &config,
        &data,
        &one,
        RunOptions::default(),
        &NdArrayDevice::Cpu,
    )
    .unwrap()
    .unwrap();
    let b = train_on::<NdarrayTrain>(
        &config,
        &data,
        &two,
        RunOptions::default(),
        &two_cpus(),
        None,
    )
    .unwrap()
    .unwrap();
    assert!(a.target_accuracy > 0.5, "{a:?}");
    assert!(
        (a.target_accuracy - b.target_accuracy).abs() <= 0.01,
        "one device {:.3}, two {:.3}",
        a.target_accuracy,
        b.target_accuracy
    );
}

#[test]
fn batches_too_small_for_the_devices_are_errors_that_keep_the_checkpoint() {
    let _serial = serial();
    let data = data();
    let out = out_dir("parallel-too-small");
    let config = one_step(Transfer::Mmd, TransferScope::Global);
    run_on(&config, &data, &out, &two_cpus()).unwrap();
    let before = std::fs::read(out.join("checkpoint.bin")).unwrap();
    let small = TrainConfig {
        batch_size: 2,
        epochs: 2,
        ..config.clone()
    };
    let err = run_on(&small, &data, &out, &[NdArrayDevice::Cpu; 3]).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("3 devices split a source batch_size of 2")
            && message.contains("at least 3"),
        "{message}"
    );
    let local = TrainConfig {
        transfer_scope: TransferScope::Local,
        target_batch_size: Some(3),
        ..config
    };
    let message = run_on(&local, &data, &out, &two_cpus())
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("target batch size of 3") && message.contains("(local) transfer loss"),
        "{message}"
    );
    assert_eq!(std::fs::read(out.join("checkpoint.bin")).unwrap(), before);
    let none: &[NdArrayDevice] = &[];
    assert!(
        run_on(&small, &data, &out, none)
            .unwrap_err()
            .to_string()
            .contains("no device")
    );
}

#[test]
fn a_two_device_run_resumes_exactly() {
    let _serial = serial();
    let data = data();
    let config = config(2);
    let (whole, part) = (
        out_dir("parallel-resume-whole"),
        out_dir("parallel-resume-part"),
    );
    run_on(&config, &data, &whole, &two_cpus()).unwrap();
    let stop = RunOptions {
        stop_after: Some(1),
        ..RunOptions::default()
    };
    train_on::<NdarrayTrain>(&config, &data, &part, stop, &two_cpus(), None).unwrap();
    let resume = RunOptions {
        resume: true,
        ..RunOptions::default()
    };
    train_on::<NdarrayTrain>(&config, &data, &part, resume, &two_cpus(), None).unwrap();
    assert_eq!(weights(&whole, &config), weights(&part, &config));
}
