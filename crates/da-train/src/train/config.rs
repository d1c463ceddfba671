//! Every hyper-parameter of a training run, settable from the command line or a TOML/JSON file.

use std::path::{Path, PathBuf};

use crate::datasets::Crop;
use crate::datasets::augment::ColourAugment;
use crate::parallel::{DeviceSpec, TransferScope};
use da_models::{Arch, MmdOn};
use mmd_core::{Bandwidth, Estimator, Kernel, MmdError, MmdLoss, MmdLossConfig};
use serde::{Deserialize, Serialize};

use super::schedule::{LambdaSchedule, LrSchedule};

/// Which transfer loss is added to the classification loss (`clf_loss + lambda * transfer`).
///
/// Command-line values and configuration-file strings are the lowercase names (`"coral"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Transfer {
    /// Source-only training: the classification loss alone.
    None,
    /// MMD between source and target on the `mmd_on` layer (DDC).
    Mmd,
    /// Local (class-conditional) MMD of DSAN on the features, weighted by the source labels and
    /// the target's softmax predictions.
    Lmmd,
    /// Joint MMD of JAN over the features and the softmax predictions.
    Jmmd,
    /// Deep CORAL: distance between the source and target covariances on the `mmd_on` layer.
    Coral,
    /// DANN: a domain discriminator on the features behind a gradient reversal layer.
    Dann,
    /// Batch nuclear-norm maximisation on the target predictions.
    Bnm,
}

impl Transfer {
    /// Every method, in declaration order.
    pub const ALL: [Transfer; 7] = [
        Transfer::None,
        Transfer::Mmd,
        Transfer::Lmmd,
        Transfer::Jmmd,
        Transfer::Coral,
        Transfer::Dann,
        Transfer::Bnm,
    ];

    /// The lowercase name used on command lines, in configuration files and in outputs.
    pub fn name(self) -> &'static str {
        match self {
            Transfer::None => "none",
            Transfer::Mmd => "mmd",
            Transfer::Lmmd => "lmmd",
            Transfer::Jmmd => "jmmd",
            Transfer::Coral => "coral",
            Transfer::Dann => "dann",
            Transfer::Bnm => "bnm",
        }
    }

    /// The steepness `gamma` of the ramp `2 / (1 + exp(-gamma p)) - 1` when the configuration
    /// leaves it out: 10 (DANN's, reaching half the weight after 11 % of training), except 1 for
    /// LMMD (DeepDA's LMMD schedule, under half the weight at the end).
    ///
    /// LMMD weights the target by its predicted class probabilities. While they are still
    /// uniform, the loss asks every source class to match the same target distribution, that is
    /// to merge all classes; at gamma 10 this wins over the classifier before it has learned and
    /// training collapses to chance (OPTDIGITS -> MFEAT, 5 epochs: 10.0 % target accuracy at
    /// gamma 10, 67.5 % at gamma 1, 50.0 % source-only).
    pub fn default_gamma(self) -> f64 {
        match self {
            Transfer::Lmmd => 1.0,
            _ => 10.0,
        }
    }
}

/// The optimiser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    /// SGD with momentum (and weight decay).
    Sgd,
    /// Adam (with weight decay).
    Adam,
}

/// Data-driven bandwidth rule (`fix_sigma` overrides it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum BandwidthRule {
    /// Mean pairwise squared distance (the seed's).
    Mean,
    /// Median pairwise squared distance.
    Median,
}

/// How images are standardised before they reach the network.
///
/// In a configuration file: `normalization = "none"`, `"dataset"`, `"per-domain"`, or
/// `normalization = { fixed = { mean = [0.5], std = [0.25] } }` (one value per channel).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Normalization {
    /// Intensities in `[0, 1]` as loaded.
    None,
    /// Per-channel mean and standard deviation of the source and target training images
    /// (the target's pixels, never its labels); a run records them as [`Normalization::Fixed`].
    Dataset,
    /// Each domain standardised per channel by the mean and standard deviation of its own
    /// training images (the input-level analogue of AdaBN: first and second moments aligned
    /// before the network; target pixels only, never labels). `eval` standardises a domain by
    /// its own training split.
    #[serde(rename = "per-domain")]
    PerDomain,
    /// `(v - mean[c]) / std[c]` per channel `c`.
    Fixed {
        /// Mean per channel.
        mean: Vec<f32>,
        /// Standard deviation per channel.
        std: Vec<f32>,
    },
}

/// Which epoch's network a run keeps as its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Selection {
    /// The last epoch's.
    Last,
    /// The epoch with the best unsupervised score on the target training images (no target
    /// labels), saved as `best.bin`.
    BestScore,
}

/// The file format of a run's pictures; `--plot-format png|svg`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum PlotFormat {
    /// PNG images (the default).
    #[default]
    Png,
    /// SVG documents.
    Svg,
}

impl From<PlotFormat> for da_plot::PlotFormat {
    fn from(format: PlotFormat) -> Self {
        match format {
            PlotFormat::Png => da_plot::PlotFormat::Png,
            PlotFormat::Svg => da_plot::PlotFormat::Svg,
        }
    }
}

/// The unsupervised validation score computed every epoch on unlabelled target images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Score {
    /// Soft neighbourhood density of the target predictions (Saito et al. 2021); higher is
    /// better.
    Snd,
    /// Mean entropy of the target predictions; lower is better.
    Entropy,
}

impl Score {
    /// The lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Score::Snd => "snd",
            Score::Entropy => "entropy",
        }
    }

    /// The score as a value where higher is better.
    pub fn higher_is_better(self, value: f64) -> f64 {
        match self {
            Score::Snd => value,
            Score::Entropy => -value,
        }
    }
}

/// A training run's configuration. Unknown keys in a configuration file are an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    /// Labelled source domain: `mnist`, `mfeat`, `optdigits`, or a path.
    pub source: String,
    /// Unlabelled target domain (its labels are used for evaluation only).
    pub target: String,
    /// Directory of the built-in domains (default: the copy of `data/` built into the program).
    pub data_dir: Option<PathBuf>,
    /// Side of the square images every domain is resampled to; `None`: the preset's
    /// [`Arch::default_side`].
    pub image_size: Option<usize>,
    /// Framing of grey images before resampling: cropped to their ink (default) or as stored.
    pub crop: Crop,
    /// Image channels: 1 or 3; `None` (`"auto"` on the command line): 3 when either domain
    /// has colour, a grey domain then replicated to 3 channels, else 1.
    pub channels: Option<usize>,
    /// Per-channel standardisation of the images.
    pub normalization: Normalization,
    /// Network preset: `lenet`, `tllib_lenet`, `dann_digits`, `dtn`, `net_only`, `wide` or
    /// `resnet10`.
    pub arch: Arch,
    /// Width of the bottleneck features; `None`: the preset's [`Arch::default_bottleneck`].
    pub bottleneck: Option<usize>,
    /// Dropout probability before the classifier.
    pub dropout: f64,
    /// Transfer loss.
    pub transfer: Transfer,
    /// Layer the MMD and CORAL losses are taken on.
    pub mmd_on: MmdOn,
    /// MMD kernel (`mmd` only; LMMD and JMMD are Gaussian).
    pub kernel: Kernel,
    /// Ratio between Gaussian bandwidths (`mmd`, `lmmd`, `jmmd`).
    pub kernel_mul: f64,
    /// Number of Gaussian kernels (`mmd`, `lmmd`, `jmmd`).
    pub kernel_num: usize,
    /// Bandwidth rule (`mmd`, `lmmd`, `jmmd`).
    pub bandwidth: BandwidthRule,
    /// Fixed base bandwidth (overrides `bandwidth`).
    pub fix_sigma: Option<f64>,
    /// MMD estimator (`mmd` only).
    pub estimator: Estimator,
    /// Width of the hidden layers of DANN's domain discriminator.
    pub dann_hidden: usize,
    /// Transfer weight.
    pub lambda: f64,
    /// Transfer weight schedule.
    pub lambda_schedule: LambdaSchedule,
    /// Steepness of the ramp schedule and of DANN's reversal coefficient; `None`: the method's
    /// [`Transfer::default_gamma`] (see [`TrainConfig::gamma`]).
    pub gamma: Option<f64>,
    /// Optimiser.
    pub optimizer: OptimizerKind,
    /// Base learning rate.
    pub lr: f64,
    /// Learning-rate schedule.
    pub lr_schedule: LrSchedule,
    /// SGD momentum.
    pub momentum: f64,
    /// L2 weight decay.
    pub weight_decay: f64,
    /// Epochs of training.
    pub epochs: usize,
    /// Training steps per epoch; `None`: one pass over the source training set.
    pub iterations_per_epoch: Option<usize>,
    /// Random translation of every training image (source and target) by up to this many
    /// pixels in each direction, edges replicated; 0 turns augmentation off.
    pub augment_shift: usize,
    /// Random per-channel polarity, contrast and brightness of the source training images
    /// ([`random_colour`](crate::datasets::augment::random_colour)); `auto` resolves to `on`
    /// for a grey source with a colour target (see [`ColourAugment::Auto`]).
    pub augment_colour: ColourAugment,
    /// Source batch size.
    pub batch_size: usize,
    /// Target batch size (default: the source batch size).
    pub target_batch_size: Option<usize>,
    /// Seed of weights, shuffling, augmentation and dropout.
    pub seed: u64,
    /// Unsupervised score computed every epoch on the target training images.
    pub score: Score,
    /// Which epoch's network is the run's result.
    pub select: Selection,
    /// File format of the run's pictures (`loss`, `accuracy`, `features`, `tsne`).
    pub plot_format: PlotFormat,
    /// The devices this process trains on, e.g. `"cpu:2"`, `"wgpu:0,1"`, `"cuda:0,1"`; `None`:
    /// the backend's default device. Each device takes a slice of every batch (see
    /// [`crate::parallel`]); a checkpoint resumes on any devices.
    pub devices: Option<DeviceSpec>,
    /// How the transfer loss is taken when the batch is split over several devices: `global`
    /// (the whole batch's loss on all-gathered features, identical to one device) or `local`
    /// (the mean of the per-device losses).
    pub transfer_scope: TransferScope,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            source: "mnist".into(),
            target: "mfeat".into(),
            data_dir: None,
            image_size: None,
            crop: Crop::Ink,
            channels: None,
            normalization: Normalization::Dataset,
            arch: Arch::Lenet,
            bottleneck: None,
            dropout: 0.0,
            transfer: Transfer::Mmd,
            mmd_on: MmdOn::Logits,
            kernel: Kernel::Gaussian,
            kernel_mul: 2.0,
            kernel_num: 5,
            bandwidth: BandwidthRule::Mean,
            fix_sigma: None,
            estimator: Estimator::Biased,
            dann_hidden: 1024,
            lambda: 1.0,
            lambda_schedule: LambdaSchedule::Ramp,
            gamma: None,
            optimizer: OptimizerKind::Adam,
            lr: 1e-3,
            lr_schedule: LrSchedule::Constant,
            momentum: 0.9,
            weight_decay: 5e-4,
            epochs: 8,
            iterations_per_epoch: None,
            augment_shift: 0,
            augment_colour: ColourAugment::Auto,
            batch_size: 64,
            target_batch_size: None,
            seed: 42,
            score: Score::Snd,
            select: Selection::Last,
            plot_format: PlotFormat::Png,
            devices: None,
            transfer_scope: TransferScope::Global,
        }
    }
}

/// Why a configuration was rejected.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("config file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file could not be parsed.
    #[error("config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message (names the key and line where it can).
        message: String,
    },
    /// A value is out of range.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl TrainConfig {
    /// Reads a configuration file: `.toml` or `.json`; missing keys take their defaults.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let parse = |message: String| ConfigError::Parse {
            path: path.to_path_buf(),
            message,
        };
        match path.extension().and_then(|e| e.to_str()) {
            Some("toml") => toml::from_str(&text).map_err(|e| parse(e.to_string())),
            Some("json") => serde_json::from_str(&text).map_err(|e| parse(e.to_string())),
            other => Err(parse(format!(
                "unknown extension {:?}: use .toml or .json",
                other.unwrap_or("")
            ))),
        }
    }

    /// The ramp steepness actually used: `gamma`, else the method's default.
    pub fn gamma(&self) -> f64 {
        self.gamma.unwrap_or_else(|| self.transfer.default_gamma())
    }

    /// The image side actually used: `image_size`, else the preset's.
    pub fn side(&self) -> usize {
        self.image_size.unwrap_or_else(|| self.arch.default_side())
    }

    /// The bottleneck width actually used: `bottleneck`, else the preset's.
    pub fn bottleneck_width(&self) -> usize {
        self.bottleneck
            .unwrap_or_else(|| self.arch.default_bottleneck())
    }

    /// This configuration with every method- and preset-dependent default filled in (what a
    /// run records in `config.json` and its checkpoint, together with the channels and
    /// normalisation statistics of its data).
    pub fn resolved(&self) -> Self {
        Self {
            gamma: Some(self.gamma()),
            image_size: Some(self.side()),
            bottleneck: Some(self.bottleneck_width()),
            ..self.clone()
        }
    }

    /// The target batch size actually used.
    pub fn target_batch(&self) -> usize {
        self.target_batch_size.unwrap_or(self.batch_size)
    }

    /// The Gaussian bandwidth this configuration asks for: `fix_sigma`, else the rule.
    pub fn kernel_bandwidth(&self) -> Bandwidth {
        match (self.fix_sigma, self.bandwidth) {
            (Some(sigma), _) => Bandwidth::Fixed(sigma),
            (None, BandwidthRule::Mean) => Bandwidth::Mean,
            (None, BandwidthRule::Median) => Bandwidth::Median,
        }
    }

    /// The MMD loss this configuration asks for.
    pub fn mmd_loss(&self) -> Result<MmdLoss, MmdError> {
        MmdLossConfig::new()
            .with_kernel(self.kernel)
            .with_kernel_mul(self.kernel_mul)
            .with_kernel_num(self.kernel_num)
            .with_bandwidth(self.kernel_bandwidth())
            .with_estimator(self.estimator)
            .try_init()
    }

    /// Checks the values that no type rules out.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |msg: String| Err(ConfigError::Invalid(msg));
        if self.epochs == 0 {
            return invalid("epochs must be at least 1, got 0".into());
        }
        if self.batch_size == 0 || self.target_batch() == 0 {
            return invalid(format!(
                "batch sizes must be at least 1, got source {} and target {}",
                self.batch_size,
                self.target_batch()
            ));
        }
        if self.transfer == Transfer::Mmd
            && self.estimator != Estimator::Biased
            && (self.batch_size < 2 || self.target_batch() < 2)
        {
            return invalid(format!(
                "the {} estimator needs batches of at least 2, got source {} and target {}",
                self.estimator.name(),
                self.batch_size,
                self.target_batch()
            ));
        }
        if self.transfer == Transfer::Dann && self.dann_hidden == 0 {
            return invalid("dann_hidden must be at least 1, got 0".into());
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return invalid(format!("lr must be a finite number > 0, got {}", self.lr));
        }
        if !(self.lambda.is_finite() && self.lambda >= 0.0) {
            return invalid(format!(
                "lambda must be a finite number >= 0, got {}",
                self.lambda
            ));
        }
        if !(self.gamma().is_finite() && self.gamma() > 0.0) {
            return invalid(format!(
                "gamma must be a finite number > 0, got {}",
                self.gamma()
            ));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return invalid(format!("dropout must be in [0, 1), got {}", self.dropout));
        }
        if !(0.0..1.0).contains(&self.momentum) {
            return invalid(format!("momentum must be in [0, 1), got {}", self.momentum));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return invalid(format!(
                "weight_decay must be >= 0, got {}",
                self.weight_decay
            ));
        }
        if self.side() < 4 {
            return invalid(format!(
                "image_size must be at least 4, got {}",
                self.side()
            ));
        }
        if self.bottleneck_width() == 0 {
            return invalid("bottleneck must be at least 1, got 0".into());
        }
        if let Some(c) = self.channels
            && c != 1
            && c != 3
        {
            return invalid(format!("channels must be 1, 3 or auto, got {c}"));
        }
        if let Normalization::Fixed { mean, std } = &self.normalization {
            if mean.len() != std.len() || mean.is_empty() {
                return invalid(format!(
                    "normalization: {} means and {} standard deviations (one of each per channel)",
                    mean.len(),
                    std.len()
                ));
            }
            if let Some(s) = std.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
                return invalid(format!(
                    "normalization: every std must be a finite number > 0, got {s}"
                ));
            }
            if let Some(m) = mean.iter().find(|m| !m.is_finite()) {
                return invalid(format!("normalization: every mean must be finite, got {m}"));
            }
        }
        if self.iterations_per_epoch == Some(0) {
            return invalid("iterations_per_epoch must be at least 1, got 0".into());
        }
        if self.augment_shift >= self.side() {
            return invalid(format!(
                "augment_shift must be smaller than the image side {}, got {}",
                self.side(),
                self.augment_shift
            ));
        }
        self.mmd_loss()
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("da-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn toml_and_json_files_override_defaults() {
        let toml = write(
            "a.toml",
            "epochs = 3\ntransfer = \"none\"\nestimator = \"linear\"\nfix_sigma = 2.5\n",
        );
        let c = TrainConfig::from_file(&toml).unwrap();
        assert_eq!(
            (c.epochs, c.transfer, c.estimator, c.fix_sigma),
            (3, Transfer::None, Estimator::LinearTime, Some(2.5))
        );
        assert_eq!(c.batch_size, TrainConfig::default().batch_size);
        let json = write(
            "a.json",
            r#"{"lambda": 0.5, "kernel": "linear", "mmd_on": "logits"}"#,
        );
        let c = TrainConfig::from_file(&json).unwrap();
        assert_eq!(
            (c.lambda, c.kernel, c.mmd_on),
            (0.5, Kernel::Linear, MmdOn::Logits)
        );
    }

    #[test]
    fn the_plot_format_is_png_unless_a_file_says_svg() {
        assert_eq!(TrainConfig::default().plot_format, PlotFormat::Png);
        let c = TrainConfig::from_file(&write("p.toml", "plot_format = \"svg\"\n")).unwrap();
        assert_eq!(c.plot_format, PlotFormat::Svg);
        assert_eq!(da_plot::PlotFormat::from(c.plot_format).extension(), "svg");
        let json = serde_json::to_value(TrainConfig::default()).unwrap();
        assert_eq!(json["plot_format"], "png");
    }

    #[test]
    fn every_transfer_method_has_one_lowercase_name() {
        for method in Transfer::ALL {
            let name = method.name();
            let toml: TrainConfig = toml::from_str(&format!("transfer = \"{name}\"")).unwrap();
            assert_eq!(toml.transfer, method);
            assert_eq!(
                serde_json::to_string(&method).unwrap(),
                format!("\"{name}\"")
            );
            assert_eq!(
                <Transfer as clap::ValueEnum>::from_str(name, false),
                Ok(method)
            );
        }
        let err = toml::from_str::<TrainConfig>("transfer = \"dan\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("dan") && err.contains("coral"), "{err}");
        let bad = TrainConfig {
            transfer: Transfer::Dann,
            dann_hidden: 0,
            ..TrainConfig::default()
        };
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .contains("dann_hidden must be at least 1, got 0")
        );
    }

    #[test]
    fn bad_files_name_the_problem() {
        let err = TrainConfig::from_file(&write("b.toml", "epochz = 3\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("b.toml") && err.contains("epochz"), "{err}");
        let err = TrainConfig::from_file(&write("c.yaml", ""))
            .unwrap_err()
            .to_string();
        assert!(err.contains("use .toml or .json"), "{err}");
        let err = TrainConfig::from_file(Path::new("/nonexistent/x.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("/nonexistent/x.toml"), "{err}");
    }

    #[test]
    fn validation_names_the_value() {
        let bad = TrainConfig {
            lr: -1.0,
            ..TrainConfig::default()
        };
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .contains("lr must be a finite number > 0, got -1")
        );
        let bad = TrainConfig {
            kernel_num: 0,
            ..TrainConfig::default()
        };
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .contains("kernel_num must be at least 1, got 0")
        );
        let bad = TrainConfig {
            fix_sigma: Some(0.0),
            ..TrainConfig::default()
        };
        assert!(bad.validate().unwrap_err().to_string().contains("got 0"));
        let bad = TrainConfig {
            gamma: Some(f64::NAN),
            ..TrainConfig::default()
        };
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .contains("gamma must be a finite number > 0, got NaN")
        );
        assert!(TrainConfig::default().validate().is_ok());
    }

    #[test]
    fn gamma_defaults_per_method_and_an_explicit_one_wins() {
        let of = |transfer, gamma| TrainConfig {
            transfer,
            gamma,
            ..TrainConfig::default()
        };
        for method in Transfer::ALL {
            let expected = if method == Transfer::Lmmd { 1.0 } else { 10.0 };
            assert_eq!(of(method, None).gamma(), expected, "{method:?}");
            assert_eq!(of(method, Some(3.0)).gamma(), 3.0, "{method:?}");
        }
        // A run records the value it used.
        let resolved = of(Transfer::Lmmd, None).resolved();
        assert_eq!(resolved.gamma, Some(1.0));
        assert_eq!(resolved.resolved(), resolved);
        let toml = write("g.toml", "transfer = \"lmmd\"\ngamma = 4.0\n");
        assert_eq!(TrainConfig::from_file(&toml).unwrap().gamma(), 4.0);
    }
}
