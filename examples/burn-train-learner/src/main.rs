//! mmd-core inside burn-train: trains a small CNN on labelled MNIST and unlabelled MFEAT with
//! burn-train's `Learner`, the training step taking a (source, target) batch pair and adding
//! `lambda * MMD` to the cross-entropy; burn-train's metrics, checkpoints and (with
//! `--devices N`) multi-device strategy. burn-train has no two-domain step: the paired dataset,
//! the batch pair and the step are written in this crate (see its library docs).
//!
//! ```text
//! cargo run -p example-burn-train-learner                        # 3 epochs of 20 000 MNIST images
//! cargo run -p example-burn-train-learner -- --quick             # 40 steps (what CI runs)
//! cargo run -p example-burn-train-learner -- --quick --devices 2 # two CPU devices
//! cargo run -p example-burn-train-learner --features wgpu        # on the GPU
//! ```
//!
//! Options: `--overwrite` (replace an earlier run in `--out`, otherwise an error),
//! `--out DIR` (burn-train's artifacts; default `runs/burn-train-learner`, for
//! `--quick` a folder in the system's temporary directory), `--epochs N`, `--lambda X`,
//! `--lr X`, `--source-images N`, `--devices N`.
use std::path::PathBuf;

use example_burn_train_learner::{RunConfig, run};

#[cfg(not(feature = "wgpu"))]
mod backend {
    //! burn-ndarray on the CPU; "several devices" are several handles on the one CPU.
    pub type B = burn::backend::Autodiff<burn_ndarray::NdArray>;
    pub fn devices(n: usize) -> Vec<burn_ndarray::NdArrayDevice> {
        vec![burn_ndarray::NdArrayDevice::Cpu; n]
    }
}

#[cfg(feature = "wgpu")]
mod backend {
    //! burn-wgpu: one device is the default adapter, several the first `n` discrete GPUs.
    pub type B = burn::backend::Autodiff<burn_wgpu::Wgpu>;
    pub fn devices(n: usize) -> Vec<burn_wgpu::WgpuDevice> {
        match n {
            1 => vec![burn_wgpu::WgpuDevice::default()],
            _ => (0..n).map(burn_wgpu::WgpuDevice::DiscreteGpu).collect(),
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| -> Option<&str> {
        let at = args.iter().position(|a| a == flag)?;
        args.get(at + 1).map(String::as_str)
    };
    const FLAGS: [&str; 2] = ["--quick", "--overwrite"];
    const OPTIONS: [&str; 6] = [
        "--out",
        "--epochs",
        "--lambda",
        "--lr",
        "--source-images",
        "--devices",
    ];
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        if OPTIONS.contains(&arg.as_str()) {
            rest.next().ok_or_else(|| format!("{arg} needs a value"))?;
        } else if !FLAGS.contains(&arg.as_str()) {
            return Err(format!(
                "unknown argument `{arg}`; expected {} or {} VALUE",
                FLAGS.join(", "),
                OPTIONS.join(", ")
            )
            .into());
        }
    }
    let quick = args.iter().any(|a| a == "--quick");
    let out = match value("--out") {
        Some(dir) => PathBuf::from(dir),
        None if quick => std::env::temp_dir().join("burn-train-learner-quick"),
        None => PathBuf::from("runs/burn-train-learner"),
    };
    // The quick run's default folder is this example's own scratch space.
    let scratch = quick && value("--out").is_none();
    let mut config = if quick {
        RunConfig::quick(out)
    } else {
        RunConfig::full(out)
    };
    config.overwrite = scratch || args.iter().any(|a| a == "--overwrite");
    if let Some(n) = value("--epochs") {
        config.epochs = n.parse()?;
    }
    if let Some(x) = value("--lambda") {
        config.lambda = x.parse()?;
    }
    if let Some(x) = value("--lr") {
        config.learning_rate = x.parse()?;
    }
    if let Some(n) = value("--source-images") {
        config.source_images = Some(n.parse()?);
    }
    let devices: usize = value("--devices").map_or(Ok(1), str::parse)?;
    if devices == 0 {
        return Err("--devices must be at least 1".into());
    }

    let report = run::<backend::B>(&config, backend::devices(devices))?;
    let last = |v: &[f64]| v.last().copied().unwrap_or(f64::NAN);
    println!(
        "final training loss (ce + {} * MMD): {:.4}",
        config.lambda,
        last(&report.train_loss)
    );
    println!(
        "{} -> {} target accuracy: {:.2} %",
        config.source,
        config.target,
        last(&report.valid_accuracy)
    );
    println!(
        "checkpoints and metric logs in {}, model in {}",
        config.out.display(),
        report.model_file.display()
    );
    Ok(())
}
