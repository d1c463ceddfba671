//! What a benchmark case is, its id, the grids of cases and the arguments that run it.

use std::fmt;

/// Shape of a case's inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// MMD between `n` source and `m` target rows of width `d`.
    Mmd {
        /// Source rows.
        n: usize,
        /// Target rows.
        m: usize,
        /// Feature width.
        d: usize,
    },
    /// A CNN training step on `source_batch` labelled and `target_batch` unlabelled images
    /// (`target_batch` is 0 for source-only training) of `image = [channels, height, width]`.
    Cnn {
        /// Labelled source images per step.
        source_batch: usize,
        /// Unlabelled target images per step.
        target_batch: usize,
        /// `[channels, height, width]`.
        image: [usize; 3],
    },
    /// `exp()` of one float tensor of `elements` elements.
    Exp {
        /// Elements of the tensor.
        elements: usize,
    },
}

impl Shape {
    /// Images a CNN step processes (`None` for the other shapes).
    pub fn images_per_step(&self) -> Option<usize> {
        match *self {
            Shape::Mmd { .. } | Shape::Exp { .. } => None,
            Shape::Cnn {
                source_batch,
                target_batch,
                ..
            } => Some(source_batch + target_batch),
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Shape::Mmd { n, m, d } => write!(f, "n={n},m={m},d={d}"),
            Shape::Cnn {
                source_batch,
                target_batch,
                image: [c, h, w],
            } => write!(f, "batch={source_batch}+{target_batch},image={c}x{h}x{w}"),
            Shape::Exp { elements } => write!(f, "elements={elements}"),
        }
    }
}

/// One benchmark case: what is measured, how, on which backend and at which shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// `mmd`, `cnn`, `dp` (data-parallel training steps) or `exp`.
    pub group: String,
    /// `ours`, `ours-tensor` (`mmd-core` on burn tensor operations), `ours-exp-per-kernel`
    /// (`mmd-core` without its Gaussian fast path),
    /// `ours-forward` (`mmd-core`'s forward pass alone), `naive` (the
    /// seed's algorithm in Burn), `torch-seed`, `torch-matmul`, `torch`; `burn` for `exp`.
    pub implementation: String,
    /// MMD: `gaussian-biased`, `gaussian-unbiased`, `linear`, `linear-time`; CNN:
    /// `<arch>-<mode>` (`lenet-mmd`, `net_only-source-only`, ...); `exp` for `exp`.
    pub variant: String,
    /// `ndarray`, `wgpu` or `torch-cpu`.
    pub backend: String,
    /// Input shape.
    pub shape: Shape,
}

impl Case {
    /// The exp-throughput case of `backend` (`exp()` of [`EXP_ELEMENTS`] f32).
    pub fn exp(backend: &str) -> Self {
        Case::exp_of(backend, "burn")
    }

    /// The exp-throughput case of `implementation`: `burn` (`tensor.exp()`) or `host`
    /// (mmd-core's host exponential, which its fused CPU kernel uses).
    pub fn exp_of(backend: &str, implementation: &str) -> Self {
        Case {
            group: "exp".into(),
            implementation: implementation.into(),
            variant: "exp".into(),
            backend: backend.into(),
            shape: Shape::Exp {
                elements: EXP_ELEMENTS,
            },
        }
    }

    /// `group/implementation/variant/backend/shape`, what `--filter` matches.
    pub fn id(&self) -> String {
        format!(
            "{}/{}/{}/{}/{}",
            self.group, self.implementation, self.variant, self.backend, self.shape
        )
    }

    /// Whether the case runs on the seed's `(n+m) x (n+m) x d` algorithm.
    pub fn materialises_differences(&self) -> bool {
        self.group == "mmd"
            && matches!(self.implementation.as_str(), "naive" | "torch-seed")
            && self.variant == "gaussian-biased"
    }

    /// How many exponentials the forward pass of a quadratic Gaussian MMD case of da-bench
    /// computes: one per entry of the `(n+m) x (n+m)` kernel matrix for `ours` (with the default
    /// `kernel_mul` 2 the other kernels are squarings of it), [`KERNEL_NUM`] per entry for
    /// `ours-exp-per-kernel` and `naive` (`ours-forward` computes the same as `ours`). `None` for
    /// every other case.
    pub fn exponentials(&self) -> Option<u64> {
        let Shape::Mmd { n, m, .. } = self.shape else {
            return None;
        };
        if self.group != "mmd" || !QUADRATIC_GAUSSIAN_VARIANTS.contains(&self.variant.as_str()) {
            return None;
        }
        let entries = ((n + m) as u64).pow(2);
        match self.implementation.as_str() {
            "ours" | "ours-tensor" | "ours-forward" => Some(entries),
            "ours-exp-per-kernel" | "naive" => Some(KERNEL_NUM * entries),
            _ => None,
        }
    }

    /// Estimated peak memory in bytes of the case's tensors (f32), used to skip cases that would
    /// not fit. The seed's algorithm keeps about three `(n+m) x (n+m) x d` tensors alive in its
    /// backward pass (measured: 3.1x at n = m = 256, d = 256); the quadratic estimators about ten
    /// `(n+m) x (n+m)` ones; the linear ones a few copies of the inputs; the exp case its input
    /// and output. `None` for CNN cases.
    pub fn estimated_bytes(&self) -> Option<u64> {
        let (n, m, d) = match self.shape {
            Shape::Mmd { n, m, d } => (n, m, d),
            Shape::Exp { elements } => return Some(2 * elements as u64 * 4),
            Shape::Cnn { .. } => return None,
        };
        let (rows, d) = ((n + m) as u64, d as u64);
        let inputs = 4 * rows * d * 4;
        Some(if self.materialises_differences() {
            3 * rows * rows * d * 4 + inputs
        } else if self.variant.starts_with("gaussian") {
            10 * rows * rows * 4 + inputs
        } else {
            inputs
        })
    }

    /// The `da-bench` arguments that run this case (not for the PyTorch cases).
    pub fn da_bench_args(&self, sampling: &SamplingPlan) -> Vec<String> {
        let mut args = vec!["--backend".to_string(), self.backend.clone()];
        match self.shape {
            Shape::Mmd { n, m, d } => {
                args.extend(
                    [
                        "mmd",
                        "--impl",
                        &self.implementation,
                        "--variant",
                        &self.variant,
                    ]
                    .map(String::from),
                );
                args.extend(["--n".into(), n.to_string(), "--m".into(), m.to_string()]);
                args.extend(["--d".into(), d.to_string()]);
            }
            Shape::Cnn {
                source_batch,
                target_batch,
                ..
            } if self.group == "dp" => {
                let (arch, mode) = self
                    .variant
                    .split_once('-')
                    .expect("CNN variants are <arch>-<mode>");
                let devices = self
                    .implementation
                    .strip_prefix("ours-")
                    .and_then(|d| d.strip_suffix("dev"))
                    .expect("data-parallel implementations are ours-<N>dev");
                args.extend(
                    [
                        "train",
                        "--devices",
                        devices,
                        "--arch",
                        arch,
                        "--mode",
                        mode,
                    ]
                    .map(String::from),
                );
                args.extend(["--source-batch".into(), source_batch.to_string()]);
                args.extend(["--target-batch".into(), target_batch.to_string()]);
            }
            Shape::Cnn {
                source_batch,
                target_batch,
                ..
            } => {
                let (arch, mode) = self
                    .variant
                    .split_once('-')
                    .expect("CNN variants are <arch>-<mode>");
                args.extend(["cnn", "--arch", arch, "--mode", mode].map(String::from));
                if let Some(conv) = self.implementation.strip_prefix("ours-") {
                    args.extend(["--conv".into(), conv.into()]);
                }
                args.extend(["--source-batch".into(), source_batch.to_string()]);
                args.extend(["--target-batch".into(), target_batch.to_string()]);
            }
            Shape::Exp { elements } => {
                args.extend(["exp", "--impl", &self.implementation].map(String::from));
                args.extend(["--elements".into(), elements.to_string()]);
            }
        }
        args.extend(sampling.args(&self.group));
        args
    }
}

/// Warm-up and samples for every case of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SamplingPlan {
    /// Samples per MMD case.
    pub samples: usize,
    /// Samples per CNN case.
    pub cnn_samples: usize,
    /// Warm-up iterations, at least.
    pub warmup_iters: usize,
    /// Warm-up time in milliseconds, at least.
    pub warmup_ms: u64,
    /// A case stops sampling once its samples add up to this (one sample at least).
    pub budget_ms: u64,
}

impl SamplingPlan {
    /// `--quick`: few samples, one warm-up iteration, 2 s per case at most.
    pub const QUICK: SamplingPlan = SamplingPlan {
        samples: 3,
        cnn_samples: 3,
        warmup_iters: 1,
        warmup_ms: 0,
        budget_ms: 2_000,
    };

    /// The full run: about 15 samples as burn's own benchmarks, 1 s of warm-up, 30 s per case.
    pub const FULL: SamplingPlan = SamplingPlan {
        samples: 15,
        cnn_samples: 10,
        warmup_iters: 1,
        warmup_ms: 1_000,
        budget_ms: 30_000,
    };

    /// The sampling options of `da-bench` for a case of `group` (the exp case, which takes
    /// milliseconds and sets the bound of every Gaussian row, takes [`EXP_MIN_SAMPLES`] at least).
    pub fn args(&self, group: &str) -> Vec<String> {
        let samples = match group {
            "cnn" | "dp" => self.cnn_samples,
            "exp" => self.samples.max(EXP_MIN_SAMPLES),
            _ => self.samples,
        };
        vec![
            "--samples".into(),
            samples.to_string(),
            "--warmup-iters".into(),
            self.warmup_iters.to_string(),
            "--warmup-ms".into(),
            self.warmup_ms.to_string(),
            "--budget-ms".into(),
            self.budget_ms.to_string(),
        ]
    }
}

/// Which cases a run measures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grid {
    /// `n = m` values of the MMD cases.
    pub sizes: Vec<usize>,
    /// `d` values of the MMD cases.
    pub dims: Vec<usize>,
    /// CNN presets (`lenet`, `net_only`, `dann_digits`).
    pub networks: Vec<String>,
}

/// The MMD losses measured for `mmd-core`.
pub const MMD_VARIANTS: [&str; 4] = [
    "gaussian-biased",
    "gaussian-unbiased",
    "linear",
    "linear-time",
];

/// The quadratic Gaussian losses: `(n+m)^2` kernel entries, where `mmd-core`'s fast path applies.
pub const QUADRATIC_GAUSSIAN_VARIANTS: [&str; 2] = ["gaussian-biased", "gaussian-unbiased"];

/// The da-bench MMD implementations and the losses each computes: `mmd-core` (`ours`: the fused
/// host kernel on ndarray, the fused CubeCL kernel on wgpu and CUDA), the same on burn tensor
/// operations (`ours-tensor`), without its Gaussian fast path (`ours-exp-per-kernel`), its forward pass alone
/// (`ours-forward`, which splits the time between forward and backward) and the seed's
/// algorithm (`naive`).
pub const MMD_IMPLEMENTATIONS: [(&str, &[&str]); 5] = [
    ("ours", &MMD_VARIANTS),
    ("ours-tensor", &QUADRATIC_GAUSSIAN_VARIANTS),
    ("ours-exp-per-kernel", &QUADRATIC_GAUSSIAN_VARIANTS),
    ("ours-forward", &["gaussian-biased"]),
    ("naive", &["gaussian-biased"]),
];

/// Gaussian kernels of every Gaussian MMD case (`mmd-core`'s and the seed's default).
pub const KERNEL_NUM: u64 = 5;

/// Elements of the exp-throughput case: 2^22 f32 (16 MiB), da-bench's default.
pub const EXP_ELEMENTS: usize = 1 << 22;

/// Samples of the exp-throughput case, at least.
pub const EXP_MIN_SAMPLES: usize = 10;

/// CNN training modes.
pub const CNN_MODES: [&str; 2] = ["source-only", "mmd"];

/// The da-bench CNN implementations: `da-models`' default convolutions (`ours`: its host kernels
/// on ndarray, the backend's own on wgpu) and, on ndarray, its tensor-operation im2col path
/// (`ours-im2col`).
pub const CNN_IMPLEMENTATIONS: [&str; 2] = ["ours", "ours-im2col"];

/// Devices of the data-parallel cases (group `dp`): da-train's training loop on LeNet with MMD,
/// its batch split over 1 and 2 devices (`ours-1dev`, `ours-2dev`).
pub const DP_DEVICES: [usize; 2] = [1, 2];

impl Grid {
    /// `--quick`: n = m in {64, 256}, d in {14, 256}, every network.
    pub fn quick() -> Self {
        Grid {
            sizes: vec![64, 256],
            dims: vec![14, 256],
            networks: vec!["lenet".into(), "net_only".into(), "dann_digits".into()],
        }
    }

    /// The full grid: n = m in {64, 256, 1024, 4096}, d in {14, 256, 2048}, every network.
    pub fn full() -> Self {
        Grid {
            sizes: vec![64, 256, 1024, 4096],
            dims: vec![14, 256, 2048],
            networks: vec!["lenet".into(), "net_only".into(), "dann_digits".into()],
        }
    }

    /// The cheap grid used on the wgpu backend with `--quick` (software drivers are slow).
    pub fn tiny() -> Self {
        Grid {
            sizes: vec![64],
            dims: vec![14],
            networks: vec!["lenet".into()],
        }
    }

    /// Every `da-bench` case of this grid on `backend`: the exp throughput first, then per loss
    /// and shape each implementation of [`MMD_IMPLEMENTATIONS`] that computes it (side by side in
    /// the report), then the CNN steps (source batch 64, target batch 32).
    pub fn cases(&self, backend: &str) -> Vec<Case> {
        let mut cases = vec![Case::exp(backend)];
        if backend == "ndarray" {
            // Where `ours` runs mmd-core's host kernel: the exponential it uses.
            cases.push(Case::exp_of(backend, "host"));
        }
        let case = |group: &str, implementation: &str, variant: &str, shape| Case {
            group: group.into(),
            implementation: implementation.into(),
            variant: variant.into(),
            backend: backend.into(),
            shape,
        };
        for variant in MMD_VARIANTS {
            for &n in &self.sizes {
                for &d in &self.dims {
                    for (implementation, variants) in MMD_IMPLEMENTATIONS {
                        if variants.contains(&variant) {
                            cases.push(case(
                                "mmd",
                                implementation,
                                variant,
                                Shape::Mmd { n, m: n, d },
                            ));
                        }
                    }
                }
            }
        }
        for network in &self.networks {
            let image = match network.as_str() {
                "net_only" => [3, 128, 128],
                "dann_digits" => [3, 28, 28],
                _ => [1, 16, 16],
            };
            for mode in CNN_MODES {
                let target_batch = if mode == "mmd" { 32 } else { 0 };
                let shape = Shape::Cnn {
                    source_batch: 64,
                    target_batch,
                    image,
                };
                for implementation in CNN_IMPLEMENTATIONS {
                    // The host kernels run on ndarray only: elsewhere `ours` is the tensor path.
                    if implementation == "ours" || backend == "ndarray" {
                        cases.push(case(
                            "cnn",
                            implementation,
                            &format!("{network}-{mode}"),
                            shape,
                        ));
                    }
                }
            }
        }
        if self.networks.iter().any(|n| n == "lenet") {
            for devices in DP_DEVICES {
                cases.push(case(
                    "dp",
                    &format!("ours-{devices}dev"),
                    "lenet-mmd",
                    Shape::Cnn {
                        source_batch: 64,
                        target_batch: 32,
                        image: [1, 16, 16],
                    },
                ));
            }
        }
        cases
    }
}

/// The cases whose id contains one of `filters` (all of them without a filter), plus the exp
/// case of every backend where a selected case needs its throughput ([`Case::exponentials`]).
pub fn select(cases: Vec<Case>, filters: &[String]) -> Vec<Case> {
    if filters.is_empty() {
        return cases;
    }
    let matches = |case: &Case| {
        let id = case.id();
        filters.iter().any(|part| id.contains(part.as_str()))
    };
    let needs_exp: Vec<String> = cases
        .iter()
        .filter(|c| matches(c) && c.exponentials().is_some())
        .map(|c| c.backend.clone())
        .collect();
    cases
        .into_iter()
        .filter(|c| matches(c) || (c.group == "exp" && needs_exp.contains(&c.backend)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mmd(implementation: &str, variant: &str, n: usize, d: usize) -> Case {
        Case {
            group: "mmd".into(),
            implementation: implementation.into(),
            variant: variant.into(),
            backend: "ndarray".into(),
            shape: Shape::Mmd { n, m: n, d },
        }
    }

    #[test]
    fn ids_name_every_part() {
        assert_eq!(
            mmd("naive", "gaussian-biased", 64, 14).id(),
            "mmd/naive/gaussian-biased/ndarray/n=64,m=64,d=14"
        );
        let cnn = Case {
            group: "cnn".into(),
            implementation: "ours".into(),
            variant: "net_only-mmd".into(),
            backend: "wgpu".into(),
            shape: Shape::Cnn {
                source_batch: 64,
                target_batch: 32,
                image: [3, 128, 128],
            },
        };
        assert_eq!(
            cnn.id(),
            "cnn/ours/net_only-mmd/wgpu/batch=64+32,image=3x128x128"
        );
        assert_eq!(cnn.shape.images_per_step(), Some(96));
    }

    #[test]
    fn full_grid_has_every_case_once() {
        let cases = Grid::full().cases("ndarray");
        // burn's and the host exp; 4 losses + 2 tensor-path + 2 exp-per-kernel + forward +
        // naive, 4 sizes x 3 widths; 3 networks x 2 modes x (host kernels, im2col); LeNet's
        // data-parallel step on 1 and 2 devices.
        assert_eq!(cases.len(), 2 + 10 * 12 + 12 + 2);
        assert_eq!(cases[0].id(), "exp/burn/exp/ndarray/elements=4194304");
        assert_eq!(cases[1].id(), "exp/host/exp/ndarray/elements=4194304");
        // No host kernel on wgpu: burn's exp only.
        let wgpu = Grid::full().cases("wgpu");
        assert_eq!(wgpu.iter().filter(|c| c.group == "exp").count(), 1);
        assert!(
            wgpu.iter()
                .filter(|c| c.group == "cnn")
                .all(|c| c.implementation == "ours")
        );
        let mut ids: Vec<String> = cases.iter().map(Case::id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), cases.len());
        assert!(ids.contains(&"mmd/ours/linear-time/ndarray/n=4096,m=4096,d=2048".to_string()));
    }

    #[test]
    fn filter_selects_by_id_substring() {
        let cases = Grid::quick().cases("ndarray");
        let naive = select(cases.clone(), &["/naive/".into()]);
        assert_eq!(naive.len(), 2 + 4, "the exp cases come along");
        assert!(naive[..2].iter().all(|c| c.group == "exp"));
        assert!(naive[2..].iter().all(|c| c.implementation == "naive"));
        assert_eq!(select(cases.clone(), &["cnn/".into()]).len(), 12);
        assert_eq!(
            select(cases.clone(), &["/linear".into()]).len(),
            8,
            "no exp case"
        );
        assert_eq!(select(cases.clone(), &["exp/".into()]).len(), 2);
        assert_eq!(
            select(cases.clone(), &["/naive/".into(), "cnn/".into()]).len(),
            2 + 4 + 12,
            "either part"
        );
        assert_eq!(select(cases.clone(), &[]).len(), cases.len());
        assert!(select(cases, &["no such case".into()]).is_empty());
    }

    #[test]
    fn exp_per_kernel_sits_beside_ours_for_the_quadratic_gaussian_losses() {
        let cases = Grid::quick().cases("ndarray");
        let of = |implementation: &str| {
            cases
                .iter()
                .filter(|c| c.implementation == implementation)
                .map(|c| c.variant.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(of("ours-exp-per-kernel").len(), 2 * 4);
        assert!(
            of("ours-exp-per-kernel")
                .iter()
                .all(|v| QUADRATIC_GAUSSIAN_VARIANTS.contains(v))
        );
        assert_eq!(of("ours-tensor"), of("ours-exp-per-kernel"));
        let at = |id: &str| cases.iter().position(|c| c.id() == id).unwrap();
        let ours = at("mmd/ours/gaussian-biased/ndarray/n=64,m=64,d=14");
        assert_eq!(
            at("mmd/ours-tensor/gaussian-biased/ndarray/n=64,m=64,d=14"),
            ours + 1
        );
        assert_eq!(
            at("mmd/ours-exp-per-kernel/gaussian-biased/ndarray/n=64,m=64,d=14"),
            ours + 2
        );
        // On wgpu too, where `ours` is the CubeCL kernel.
        let wgpu = Grid::quick().cases("wgpu");
        let tensor_rows = wgpu.iter().filter(|c| c.implementation == "ours-tensor");
        assert_eq!(tensor_rows.count(), of("ours-tensor").len());
    }

    #[test]
    fn exponentials_of_the_forward_pass() {
        // (64 + 32)^2 = 9216 kernel entries.
        let shape = Shape::Mmd { n: 64, m: 32, d: 7 };
        let of = |implementation: &str, variant: &str| {
            Case {
                shape,
                ..mmd(implementation, variant, 1, 1)
            }
            .exponentials()
        };
        assert_eq!(of("ours", "gaussian-biased"), Some(9216));
        assert_eq!(of("ours", "gaussian-unbiased"), Some(9216));
        assert_eq!(of("ours-forward", "gaussian-biased"), Some(9216));
        assert_eq!(of("ours-exp-per-kernel", "gaussian-biased"), Some(5 * 9216));
        assert_eq!(of("naive", "gaussian-biased"), Some(5 * 9216));
        assert_eq!(of("ours", "linear"), None);
        assert_eq!(of("ours", "linear-time"), None);
        assert_eq!(of("torch-seed", "gaussian-biased"), None);
        assert_eq!(Case::exp("ndarray").exponentials(), None);
    }

    #[test]
    fn naive_memory_grows_with_d_and_ours_does_not() {
        let naive = |n, d| {
            mmd("naive", "gaussian-biased", n, d)
                .estimated_bytes()
                .unwrap()
        };
        let ours = |n, d| {
            mmd("ours", "gaussian-biased", n, d)
                .estimated_bytes()
                .unwrap()
        };
        // The seed's tensor at n = m = 4096, d = 14: 8192^2 * 14 f32 = 3.5 GiB, three of them.
        let gib = (1u64 << 30) as f64;
        let big = naive(4096, 14) as f64 / gib;
        assert!((10.5..10.6).contains(&big), "{big}");
        assert!(naive(4096, 2048) as f64 / gib > 1500.0);
        // mmd-core at n = m = 4096, d = 2048: under 3 GiB.
        assert!((ours(4096, 2048) as f64 / gib) < 3.0);
        assert!(mmd("ours", "linear", 4096, 2048).estimated_bytes().unwrap() < naive(64, 14) * 100);
        let cnn = &Grid::quick().cases("ndarray")[Grid::quick().cases("ndarray").len() - 1];
        assert_eq!(cnn.estimated_bytes(), None);
    }

    #[test]
    fn da_bench_arguments() {
        let plan = SamplingPlan::QUICK;
        let args = mmd("ours", "linear", 256, 14)
            .da_bench_args(&plan)
            .join(" ");
        assert_eq!(
            args,
            "--backend ndarray mmd --impl ours --variant linear --n 256 --m 256 --d 14 \
             --samples 3 --warmup-iters 1 --warmup-ms 0 --budget-ms 2000"
        );
        assert_eq!(
            Case::exp("wgpu").da_bench_args(&plan).join(" "),
            "--backend wgpu exp --impl burn --elements 4194304 \
             --samples 10 --warmup-iters 1 --warmup-ms 0 --budget-ms 2000"
        );
        let im2col = Grid::quick()
            .cases("ndarray")
            .into_iter()
            .find(|c| c.implementation == "ours-im2col")
            .unwrap();
        let args = im2col.da_bench_args(&plan).join(" ");
        assert!(args.contains(" --conv im2col "), "{args}");
        let cnn = Grid::quick()
            .cases("ndarray")
            .into_iter()
            .find(|c| c.variant == "net_only-source-only")
            .unwrap();
        let args = cnn.da_bench_args(&plan).join(" ");
        assert!(
            args.starts_with(
                "--backend ndarray cnn --arch net_only --mode source-only --source-batch 64"
            ),
            "{args}"
        );
        let two = Grid::quick()
            .cases("ndarray")
            .into_iter()
            .find(|c| c.id() == "dp/ours-2dev/lenet-mmd/ndarray/batch=64+32,image=1x16x16")
            .unwrap();
        assert_eq!(
            two.da_bench_args(&plan).join(" "),
            "--backend ndarray train --devices 2 --arch lenet --mode mmd --source-batch 64 \
             --target-batch 32 --samples 3 --warmup-iters 1 --warmup-ms 0 --budget-ms 2000"
        );
    }
}
