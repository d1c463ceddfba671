//! `da-train mmd`: the MMD between two sample files.

use std::path::PathBuf;

use burn::tensor::{DType, Tensor, TensorData};
use burn_ndarray::NdArray;
use mmd_core::{
    Bandwidth, Estimator, Kernel, MmdError, MmdLoss, MmdLossConfig, MmdTest, MmdTestConfig,
};
use serde::Serialize;

use super::CommandError;
use crate::io::{Matrix, read_matrix};
use crate::train::BandwidthRule;

/// The backend of the command: the CPU in f64, so that the printed value is exact.
type Cpu = NdArray<f64>;

/// Arguments of `da-train mmd`. With no options the loss is the seed's default `MMDLoss()`.
#[derive(Debug, Clone, PartialEq, clap::Args)]
pub struct MmdArgs {
    /// Source samples, one per row: a .csv or .npy file.
    #[arg(long, short)]
    pub source: PathBuf,
    /// Target samples, one per row, as wide as the source: a .csv or .npy file.
    #[arg(long, short)]
    pub target: PathBuf,
    /// Kernel family.
    #[arg(long, value_enum, default_value_t = KernelArg::Gaussian)]
    pub kernel: KernelArg,
    /// Ratio between consecutive Gaussian bandwidths [default: 2].
    #[arg(long, allow_negative_numbers = true)]
    pub kernel_mul: Option<f64>,
    /// Number of Gaussian kernels summed [default: 5].
    #[arg(long)]
    pub kernel_num: Option<usize>,
    /// Data-driven base bandwidth of the Gaussian kernels [default: mean].
    #[arg(long, value_enum, conflicts_with = "fix_sigma")]
    pub bandwidth: Option<BandwidthRule>,
    /// Fixed base bandwidth of the Gaussian kernels (a squared distance) instead of --bandwidth.
    #[arg(long, allow_negative_numbers = true)]
    pub fix_sigma: Option<f64>,
    /// Estimator of the squared MMD.
    #[arg(long, value_enum, default_value_t = EstimatorArg::Biased)]
    pub estimator: EstimatorArg,
    /// Also run the permutation two-sample test with this many random relabellings and report
    /// its p-value (the smallest possible is 1 / (P + 1)). Needs a quadratic estimator.
    #[arg(long)]
    pub permutations: Option<usize>,
    /// Seed of the permutations; the same seed gives the same p-value [default: 0].
    #[arg(long, requires = "permutations")]
    pub seed: Option<u64>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `--kernel`: see [`Kernel`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KernelArg {
    /// Sum of Gaussian kernels with geometric bandwidths (the seed's 'rbf').
    #[value(alias = "rbf")]
    Gaussian,
    /// The linear kernel x . y.
    Linear,
}

/// `--estimator`: see [`Estimator`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EstimatorArg {
    /// The V-statistic, diagonal included (the seed's).
    Biased,
    /// The U-statistic.
    Unbiased,
    /// The linear-time statistic on pairs of samples.
    #[value(alias = "linear-time")]
    Linear,
}

impl From<KernelArg> for Kernel {
    fn from(kernel: KernelArg) -> Self {
        match kernel {
            KernelArg::Gaussian => Kernel::Gaussian,
            KernelArg::Linear => Kernel::Linear,
        }
    }
}

impl From<EstimatorArg> for Estimator {
    fn from(estimator: EstimatorArg) -> Self {
        match estimator {
            EstimatorArg::Biased => Estimator::Biased,
            EstimatorArg::Unbiased => Estimator::Unbiased,
            EstimatorArg::Linear => Estimator::LinearTime,
        }
    }
}

/// What `da-train mmd --json` prints: the value, the shapes and the effective options.
///
/// The Gaussian-only fields are `null` for the linear kernel; `fix_sigma` is `null` unless the
/// bandwidth is fixed; the test's fields are `null` without `--permutations`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MmdReport {
    /// The estimate of the squared MMD (what the seed calls the MMD loss).
    pub mmd: f64,
    /// Rows of the source file.
    pub n: usize,
    /// Rows of the target file.
    pub m: usize,
    /// Columns of both files.
    pub d: usize,
    /// `"gaussian"` or `"linear"`.
    pub kernel: &'static str,
    /// Ratio between consecutive Gaussian bandwidths.
    pub kernel_mul: Option<f64>,
    /// Number of Gaussian kernels.
    pub kernel_num: Option<usize>,
    /// `"mean"`, `"median"` or `"fixed"`.
    pub bandwidth: Option<&'static str>,
    /// The fixed base bandwidth.
    pub fix_sigma: Option<f64>,
    /// `"biased"`, `"unbiased"` or `"linear"`.
    pub estimator: &'static str,
    /// The source file as given.
    pub source: String,
    /// The target file as given.
    pub target: String,
    /// The permutation p-value of the two-sample test, in `(0, 1]`.
    pub p_value: Option<f64>,
    /// Random relabellings behind `p_value`.
    pub permutations: Option<usize>,
    /// Seed of the relabellings.
    pub seed: Option<u64>,
}

impl MmdReport {
    /// For people: one line with the value, shapes and options, then one with the p-value when
    /// the test ran.
    pub fn summary(&self) -> String {
        let mut kernel = self.kernel.to_owned();
        if let (Some(mul), Some(num), Some(bandwidth)) =
            (self.kernel_mul, self.kernel_num, self.bandwidth)
        {
            kernel += &format!(" (kernel_num {num}, kernel_mul {mul}, bandwidth {bandwidth}");
            if let Some(sigma) = self.fix_sigma {
                kernel += &format!(" {sigma}");
            }
            kernel += ")";
        }
        let mut summary = format!(
            "mmd = {} (source {}x{d}, target {}x{d}; kernel {kernel}, estimator {})",
            self.mmd,
            self.n,
            self.m,
            self.estimator,
            d = self.d
        );
        if let (Some(p), Some(permutations), Some(seed)) =
            (self.p_value, self.permutations, self.seed)
        {
            summary += &format!("\np_value = {p} ({permutations} permutations, seed {seed})");
        }
        summary
    }
}

/// The loss configuration `args` asks for; unset Gaussian options keep [`MmdLossConfig`]'s
/// defaults (the seed's).
///
/// # Errors
/// [`CommandError::GaussianOnlyOption`] when a Gaussian option is given with `--kernel linear`.
/// Values are not checked here; [`MmdLossConfig::try_init`] does that.
pub fn loss_config(args: &MmdArgs) -> Result<MmdLossConfig, CommandError> {
    let kernel = Kernel::from(args.kernel);
    let config = MmdLossConfig::new()
        .with_kernel(kernel)
        .with_estimator(args.estimator.into());
    if kernel != Kernel::Gaussian {
        let given = [
            ("--kernel-mul", args.kernel_mul.is_some()),
            ("--kernel-num", args.kernel_num.is_some()),
            ("--bandwidth", args.bandwidth.is_some()),
            ("--fix-sigma", args.fix_sigma.is_some()),
        ];
        if let Some((option, _)) = given.into_iter().find(|(_, given)| *given) {
            return Err(CommandError::GaussianOnlyOption {
                option,
                kernel: kernel.name(),
            });
        }
        return Ok(config);
    }
    let bandwidth = match (args.fix_sigma, args.bandwidth) {
        (Some(sigma), _) => Bandwidth::Fixed(sigma),
        (None, Some(BandwidthRule::Median)) => Bandwidth::Median,
        (None, Some(BandwidthRule::Mean)) => Bandwidth::Mean,
        (None, None) => config.bandwidth,
    };
    let kernel_mul = args.kernel_mul.unwrap_or(config.kernel_mul);
    let kernel_num = args.kernel_num.unwrap_or(config.kernel_num);
    Ok(config
        .with_kernel_mul(kernel_mul)
        .with_kernel_num(kernel_num)
        .with_bandwidth(bandwidth))
}

/// The permutation test `args` asks for (with the loss options `loss`), `None` without
/// `--permutations`. Values are not checked here; [`MmdTestConfig::try_init`] does that.
pub fn test_config(args: &MmdArgs, loss: &MmdLossConfig) -> Option<MmdTestConfig> {
    let permutations = args.permutations?;
    Some(
        MmdTestConfig::new()
            .with_loss(loss.clone())
            .with_permutations(permutations)
            .with_seed(args.seed.unwrap_or(0)),
    )
}

/// The rows of a file as an f64 tensor on the CPU.
fn tensor(matrix: &Matrix) -> Tensor<Cpu, 2> {
    Tensor::from_data(
        TensorData::new(matrix.values.clone(), matrix.shape()),
        (&Default::default(), DType::F64),
    )
}

/// The squared MMD between the rows of `source` and those of `target`, in f64 on the CPU.
///
/// # Errors
/// Those of [`MmdLoss::try_forward`].
pub fn mmd_between(loss: &MmdLoss, source: &Matrix, target: &Matrix) -> Result<f64, MmdError> {
    Ok(loss
        .try_forward(tensor(source), tensor(target))?
        .into_scalar())
}

/// Reads both files and computes the MMD `args` asks for.
///
/// # Errors
/// Invalid options first ([`CommandError::GaussianOnlyOption`], [`CommandError::Mmd`], also for
/// the test's options), then unreadable files ([`CommandError::Read`]), then
/// [`CommandError::WidthMismatch`].
pub fn compute(args: &MmdArgs) -> Result<MmdReport, CommandError> {
    let config = loss_config(args)?;
    let loss = config.try_init()?;
    let test_config = test_config(args, &config);
    let test = test_config
        .as_ref()
        .map(MmdTestConfig::try_init)
        .transpose()?;
    let source = read_matrix(&args.source)?;
    let target = read_matrix(&args.target)?;
    if source.cols != target.cols {
        return Err(CommandError::WidthMismatch {
            source_path: args.source.clone(),
            source_cols: source.cols,
            target_path: args.target.clone(),
            target_cols: target.cols,
        });
    }
    let mmd = mmd_between(&loss, &source, &target)?;
    let p_value = match &test {
        Some(test) => Some(p_value(test, &source, &target)?),
        None => None,
    };
    let gaussian = config.kernel == Kernel::Gaussian;
    Ok(MmdReport {
        mmd,
        n: source.rows,
        m: target.rows,
        d: source.cols,
        kernel: config.kernel.name(),
        kernel_mul: gaussian.then_some(config.kernel_mul),
        kernel_num: gaussian.then_some(config.kernel_num),
        bandwidth: gaussian.then_some(config.bandwidth.name()),
        fix_sigma: match config.bandwidth {
            Bandwidth::Fixed(sigma) if gaussian => Some(sigma),
            _ => None,
        },
        estimator: config.estimator.name(),
        source: args.source.display().to_string(),
        target: args.target.display().to_string(),
        p_value,
        permutations: test_config.as_ref().map(|test| test.permutations),
        seed: test_config.as_ref().map(|test| test.seed),
    })
}

/// The permutation p-value of `source` against `target`, in f64 on the CPU.
///
/// # Errors
/// Those of [`MmdTest::run`].
pub fn p_value(test: &MmdTest, source: &Matrix, target: &Matrix) -> Result<f64, MmdError> {
    Ok(test.run(tensor(source), tensor(target))?.p_value)
}

/// Runs `da-train mmd`: prints the report as JSON (`--json`) or as text (one line, and a second
/// with the p-value under `--permutations`).
///
/// # Errors
/// Those of [`compute`].
pub fn run(args: &MmdArgs) -> Result<(), CommandError> {
    let report = compute(args)?;
    if args.json {
        let json = serde_json::to_string(&report).expect("a report of numbers and strings");
        println!("{json}");
    } else {
        println!("{}", report.summary());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// Parses `da-train mmd <args>` into [`MmdArgs`].
    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: MmdArgs,
    }

    fn parse(extra: &[&str]) -> MmdArgs {
        let argv = ["mmd", "--source", "a.csv", "--target", "b.npy"];
        Wrapper::try_parse_from(argv.iter().chain(extra))
            .unwrap_or_else(|err| panic!("{err}"))
            .args
    }

    fn matrix(rows: usize, cols: usize, values: &[f64]) -> Matrix {
        Matrix {
            rows,
            cols,
            values: values.to_vec(),
            header: None,
        }
    }

    #[test]
    fn no_options_is_the_seed_default() {
        let config = loss_config(&parse(&[])).unwrap();
        assert_eq!(config.kernel, Kernel::Gaussian);
        assert_eq!(config.kernel_mul, 2.0);
        assert_eq!(config.kernel_num, 5);
        assert_eq!(config.bandwidth, Bandwidth::Mean);
        assert_eq!(config.estimator, Estimator::Biased);
    }

    #[test]
    fn options_map_to_the_config() {
        let config = loss_config(&parse(&[
            "--kernel-mul",
            "1.5",
            "--kernel-num",
            "3",
            "--bandwidth",
            "median",
            "--estimator",
            "linear",
        ]))
        .unwrap();
        assert_eq!(
            (
                config.kernel_mul,
                config.kernel_num,
                config.bandwidth,
                config.estimator
            ),
            (1.5, 3, Bandwidth::Median, Estimator::LinearTime)
        );
        let config = loss_config(&parse(&["--fix-sigma", "2.5"])).unwrap();
        assert_eq!(config.bandwidth, Bandwidth::Fixed(2.5));
        let config =
            loss_config(&parse(&["--kernel", "linear", "--estimator", "unbiased"])).unwrap();
        assert_eq!(
            (config.kernel, config.estimator),
            (Kernel::Linear, Estimator::Unbiased)
        );
    }

    #[test]
    fn fix_sigma_conflicts_with_bandwidth() {
        let argv = [
            "mmd",
            "--source",
            "a.csv",
            "--target",
            "b.csv",
            "--bandwidth",
            "mean",
            "--fix-sigma",
            "1",
        ];
        let err = Wrapper::try_parse_from(argv).err().expect("a usage error");
        assert_eq!(err.kind(), clap::error::ErrorKind::ArgumentConflict);
    }

    #[test]
    fn permutation_options_map_to_the_test() {
        let args = parse(&[
            "--permutations",
            "50",
            "--seed",
            "3",
            "--estimator",
            "unbiased",
        ]);
        let loss = loss_config(&args).unwrap();
        let test = test_config(&args, &loss).expect("a test");
        assert_eq!((test.permutations, test.seed), (50, 3));
        assert_eq!(test.loss.estimator, Estimator::Unbiased);
        let args = parse(&["--permutations", "20"]);
        assert_eq!(test_config(&args, &loss).map(|test| test.seed), Some(0));
        assert!(test_config(&parse(&[]), &loss).is_none());

        let argv = [
            "mmd", "--source", "a.csv", "--target", "b.csv", "--seed", "1",
        ];
        let err = Wrapper::try_parse_from(argv).err().expect("a usage error");
        assert_eq!(err.kind(), clap::error::ErrorKind::MissingRequiredArgument);
    }

    #[test]
    fn gaussian_options_with_the_linear_kernel_are_rejected() {
        let err = loss_config(&parse(&["--kernel", "linear", "--kernel-num", "3"])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "--kernel-num applies to the gaussian kernel only, not to --kernel linear"
        );
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn invalid_values_are_mmd_core_errors() {
        let config = loss_config(&parse(&["--kernel-mul", "-1"])).unwrap();
        let err = CommandError::from(config.try_init().unwrap_err());
        assert_eq!(
            err.to_string(),
            "kernel_mul must be a finite number > 0, got -1"
        );
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn linear_kernel_is_the_squared_distance_of_the_means() {
        // mean(source) = (1, 1), mean(target) = (4, -1): ||(-3, 2)||^2 = 13.
        let source = matrix(2, 2, &[0.0, 0.0, 2.0, 2.0]);
        let target = matrix(3, 2, &[4.0, -1.0, 3.0, 0.0, 5.0, -2.0]);
        let loss = MmdLossConfig::new().with_kernel(Kernel::Linear).init();
        let value = mmd_between(&loss, &source, &target).unwrap();
        assert!((value - 13.0).abs() < 1e-12, "{value}");
    }

    #[test]
    fn gaussian_of_two_single_points() {
        // Z = [0; 1]: D = [[0, 1], [1, 0]], base = 2 / 2 = 1, bandwidths 1/4 .. 4.
        // MMD^2 = 5 + 5 - 2 sum_i exp(-1 / b_i).
        let expected = 10.0
            - 2.0
                * [0.25, 0.5, 1.0, 2.0, 4.0]
                    .iter()
                    .map(|b: &f64| (-1.0 / b).exp())
                    .sum::<f64>();
        let loss = MmdLossConfig::new().init();
        let value = mmd_between(&loss, &matrix(1, 1, &[0.0]), &matrix(1, 1, &[1.0])).unwrap();
        assert!((value - expected).abs() < 1e-12, "{value} vs {expected}");
    }

    #[test]
    fn the_summary_names_value_shapes_and_options() {
        let report = MmdReport {
            mmd: 0.5,
            n: 4,
            m: 6,
            d: 3,
            kernel: "gaussian",
            kernel_mul: Some(2.0),
            kernel_num: Some(5),
            bandwidth: Some("fixed"),
            fix_sigma: Some(1.5),
            estimator: "biased",
            source: "a.csv".into(),
            target: "b.csv".into(),
            p_value: None,
            permutations: None,
            seed: None,
        };
        assert_eq!(
            report.summary(),
            "mmd = 0.5 (source 4x3, target 6x3; kernel gaussian (kernel_num 5, kernel_mul 2, bandwidth fixed 1.5), estimator biased)"
        );
        let tested = MmdReport {
            p_value: Some(0.25),
            permutations: Some(99),
            seed: Some(7),
            ..report
        };
        assert_eq!(
            tested.summary().lines().nth(1),
            Some("p_value = 0.25 (99 permutations, seed 7)")
        );
    }
}
