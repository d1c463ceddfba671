//! Drift detection with the MMD two-sample test: is a window of embeddings still drawn from the
//! distribution of a reference window?
//!
//! A model in production sees inputs whose distribution may move away from the one it was
//! trained or validated on ("data drift"). Embed a reference window (say last month's inputs) and
//! a current window with the same encoder, and ask whether the two sets of vectors come from one
//! distribution. The squared maximum mean discrepancy (MMD^2) between them is 0 in expectation
//! when they do and grows with the difference otherwise; [`mmd_core::MmdTest`] turns it into a
//! p-value by comparing it with the MMD^2 of random relabellings of the pooled rows, which is
//! what the statistic looks like when "reference" and "current" are interchangeable.
//!
//! Reading the p-value: it is the fraction of relabellings (counting the observed split once)
//! whose MMD^2 is at least the observed one. A small p-value (at most `alpha`, 0.05 by default)
//! means the observed split is unusual under "no drift": report drift. A large one means no
//! evidence of drift, which is not proof of its absence (a small window or a subtle change can
//! hide it). With `P` permutations the smallest possible p-value is `1 / (P + 1)`, and under no
//! drift `P(p <= alpha) <= alpha`: at `alpha = 0.05`, about one window in twenty of an unchanged
//! stream is flagged.
//!
//! [`compare`] runs the test, [`histogram`] draws the permutation distribution with the observed
//! statistic marked, [`generate`] writes the sample windows of `data/`; `src/main.rs` is the
//! command line.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use burn::tensor::{DType, Tensor, TensorData};
use burn_ndarray::NdArray;
use da_plot::{Histogram, PlotError, PlotFormat, VerticalLine};
use da_train::io::{Matrix, ReadError, read_matrix};
use mmd_core::{MmdError, MmdLossConfig, MmdTestConfig, MmdTestResult};

/// The backend of the test: the CPU in f64, so that the statistics are exact.
type Cpu = NdArray<f64>;

/// Bars of the histogram of the permutation distribution.
pub const HISTOGRAM_BINS: usize = 50;

/// Why a comparison could not be made.
#[derive(Debug)]
pub enum DriftError {
    /// A file could not be read (missing, malformed, unsupported extension); the message is the
    /// reader's and names the file.
    Read(ReadError),
    /// The two windows have embeddings of different widths.
    WidthMismatch {
        /// The reference file.
        reference: PathBuf,
        /// Its columns.
        reference_cols: usize,
        /// The current file.
        current: PathBuf,
        /// Its columns.
        current_cols: usize,
    },
    /// The test rejected its inputs or options (e.g. too few rows).
    Test(MmdError),
    /// The chart could not be written.
    Write(io::Error),
}

impl fmt::Display for DriftError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DriftError::Read(err) => write!(f, "{err}"),
            DriftError::WidthMismatch {
                reference,
                reference_cols,
                current,
                current_cols,
            } => write!(
                f,
                "the windows have embeddings of different widths: {} has {reference_cols} \
                 columns, {} has {current_cols}; both must come from the same encoder",
                reference.display(),
                current.display()
            ),
            DriftError::Test(err) => write!(f, "the two-sample test failed: {err}"),
            DriftError::Write(err) => write!(f, "{err}"),
        }
    }
}

impl std::error::Error for DriftError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DriftError::Read(err) => Some(err),
            DriftError::Test(err) => Some(err),
            DriftError::Write(err) => Some(err),
            DriftError::WidthMismatch { .. } => None,
        }
    }
}

/// A window of embeddings read from a `.npy` or CSV file, one embedding per row.
#[derive(Debug, Clone)]
pub struct Window {
    /// The file it was read from.
    pub path: PathBuf,
    /// Its rows.
    pub matrix: Matrix,
}

impl Window {
    /// Reads `path` with [`read_matrix`] (the extension picks the format).
    ///
    /// # Errors
    /// [`DriftError::Read`], with the reader's message.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, DriftError> {
        let path = path.as_ref();
        let matrix = read_matrix(path).map_err(DriftError::Read)?;
        Ok(Self {
            path: path.to_path_buf(),
            matrix,
        })
    }
}

/// The test's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Random relabellings of the pooled windows.
    pub permutations: usize,
    /// Seed of the relabellings.
    pub seed: u64,
    /// Significance level: drift is reported when `p_value <= alpha`.
    pub alpha: f64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            permutations: 1000,
            seed: 0,
            alpha: 0.05,
        }
    }
}

/// The statistic (kernel and bandwidth) the example tests with: `mmd-core`'s default, the sum of
/// 5 Gaussian kernels with bandwidths `base * 2^k`, `k = -2..=2`, `base` the mean squared
/// distance between pooled rows, and the biased (V-statistic) estimator of MMD^2.
pub fn loss_config() -> MmdLossConfig {
    MmdLossConfig::new()
}

/// One window tested against the reference.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The reference file.
    pub reference: PathBuf,
    /// The current file.
    pub current: PathBuf,
    /// Rows of the reference window.
    pub n: usize,
    /// Rows of the current window.
    pub m: usize,
    /// Width of the embeddings.
    pub d: usize,
    /// Base bandwidth of the Gaussian kernels (a squared distance), from the pooled windows.
    pub base_bandwidth: f64,
    /// The level the decision is taken at.
    pub alpha: f64,
    /// What the test found: the statistic, the p-value and the permutation distribution.
    pub result: MmdTestResult,
}

impl Comparison {
    /// Whether drift is reported: `p_value <= alpha`.
    pub fn drift(&self) -> bool {
        self.result.p_value <= self.alpha
    }

    /// The smallest statistic that the permutations would call significant at `alpha`, i.e. the
    /// test reports drift when the statistic exceeds it; `None` when even the smallest possible
    /// p-value, `1 / (P + 1)`, is above `alpha` (too few permutations).
    ///
    /// From `p = (1 + #{null >= statistic}) / (1 + P) <= alpha`: at most
    /// `k = floor(alpha (1 + P)) - 1` permuted statistics may reach the observed one, so the
    /// threshold is the `(k + 1)`-th largest permuted statistic.
    pub fn critical_value(&self) -> Option<f64> {
        let allowed = (self.alpha * (1 + self.result.permutations) as f64 + 1e-9).floor() as usize;
        let k = allowed.checked_sub(1)?;
        let mut sorted = self.result.null_statistics.clone();
        sorted.sort_by(|a, b| b.total_cmp(a));
        sorted.get(k).copied()
    }

    /// The file name of the chart: `<reference stem>-vs-<current stem>.png` (or `.svg`).
    pub fn chart_name(&self, format: PlotFormat) -> String {
        let stem = |path: &Path| {
            path.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "window".into())
        };
        format!(
            "{}-vs-{}.{}",
            stem(&self.reference),
            stem(&self.current),
            format.extension()
        )
    }

    /// A multi-line human-readable report.
    pub fn report(&self) -> String {
        let config = loss_config();
        let bandwidths: Vec<String> = (0..config.kernel_num)
            .map(|i| {
                let power = i as i32 - (config.kernel_num / 2) as i32;
                format!("{:.4}", self.base_bandwidth * config.kernel_mul.powi(power))
            })
            .collect();
        let r = &self.result;
        let decision = if self.drift() {
            format!("DRIFT (p <= alpha = {})", self.alpha)
        } else {
            format!("no drift detected (p > alpha = {})", self.alpha)
        };
        let critical = match self.critical_value() {
            Some(value) => format!("{value:.6}"),
            None => "none (too few permutations for this alpha)".into(),
        };
        format!(
            "{} vs {}\n  \
             n = {}, m = {}, d = {}\n  \
             kernel: sum of {} Gaussian kernels, bandwidths {} (base {:.4} = {} squared \
             distance of the pooled rows, times {}^k); estimator: {}\n  \
             MMD^2 = {:.6}, critical value at alpha = {}: {}\n  \
             p-value = {:.4} ({} permutations, smallest possible {:.4})\n  \
             decision: {}",
            self.reference.display(),
            self.current.display(),
            self.n,
            self.m,
            self.d,
            config.kernel_num,
            bandwidths.join(", "),
            self.base_bandwidth,
            config.bandwidth.name(),
            config.kernel_mul,
            config.estimator.name(),
            r.statistic,
            self.alpha,
            critical,
            r.p_value,
            r.permutations,
            1.0 / (1 + r.permutations) as f64,
            decision,
        )
    }
}

fn tensor(matrix: &Matrix) -> Tensor<Cpu, 2> {
    Tensor::from_data(
        TensorData::new(matrix.values.clone(), matrix.shape()),
        (&Default::default(), DType::F64),
    )
}

/// The mean squared distance between distinct pooled rows, `2 sum_i |z_i - mean|^2 / (N - 1)`:
/// the base bandwidth of [`loss_config`] (1 when all rows coincide), as the test computes it.
fn mean_bandwidth(reference: &Matrix, current: &Matrix) -> f64 {
    let d = reference.cols;
    let rows = reference.rows + current.rows;
    let pooled = || reference.values.chunks(d).chain(current.values.chunks(d));
    let mut mean = vec![0.0; d];
    for row in pooled() {
        for (m, x) in mean.iter_mut().zip(row) {
            *m += x / rows as f64;
        }
    }
    let spread: f64 = pooled()
        .map(|row| {
            row.iter()
                .zip(&mean)
                .map(|(x, m)| (x - m).powi(2))
                .sum::<f64>()
        })
        .sum();
    let bandwidth = 2.0 * spread / (rows as f64 - 1.0);
    if bandwidth > 0.0 { bandwidth } else { 1.0 }
}

/// Tests `current` against `reference` with the MMD two-sample test of [`loss_config`].
///
/// # Errors
/// [`DriftError::WidthMismatch`] when the widths differ, [`DriftError::Test`] for invalid
/// options (0 permutations) or too small windows.
pub fn compare(
    reference: &Window,
    current: &Window,
    options: &Options,
) -> Result<Comparison, DriftError> {
    let (a, b) = (&reference.matrix, &current.matrix);
    if a.cols != b.cols {
        return Err(DriftError::WidthMismatch {
            reference: reference.path.clone(),
            reference_cols: a.cols,
            current: current.path.clone(),
            current_cols: b.cols,
        });
    }
    let test = MmdTestConfig::new()
        .with_loss(loss_config())
        .with_permutations(options.permutations)
        .with_seed(options.seed)
        .try_init()
        .map_err(DriftError::Test)?;
    let result = test.run(tensor(a), tensor(b)).map_err(DriftError::Test)?;
    Ok(Comparison {
        reference: reference.path.clone(),
        current: current.path.clone(),
        n: a.rows,
        m: b.rows,
        d: a.cols,
        base_bandwidth: mean_bandwidth(a, b),
        alpha: options.alpha,
        result,
    })
}

/// The histogram of the permutation distribution: [`HISTOGRAM_BINS`] bars over the range of
/// the permuted statistics, a vertical line at the observed statistic and, when there is one,
/// one at the critical value.
pub fn histogram(comparison: &Comparison) -> Histogram {
    let r = &comparison.result;
    let mut lines = vec![VerticalLine::new(
        format!("observed: {:.4}, p = {:.4}", r.statistic, r.p_value),
        r.statistic,
    )];
    if let Some(critical) = comparison.critical_value() {
        lines.push(VerticalLine::new(
            format!("critical, alpha = {}", comparison.alpha),
            critical,
        ));
    }
    let stem = |path: &Path| {
        path.file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    Histogram {
        title: format!(
            "Permutation distribution of MMD^2: {} vs {}",
            stem(&comparison.reference),
            stem(&comparison.current)
        ),
        x_label: "MMD^2 of a random relabelling".into(),
        y_label: "relabellings per bin".into(),
        name: format!("{} relabellings", r.permutations),
        values: r.null_statistics.clone(),
        bins: HISTOGRAM_BINS,
        lines,
        ..Default::default()
    }
}

/// Writes [`histogram`] to `out_dir` (created if missing) as [`Comparison::chart_name`] in
/// `format`, atomically, and returns its path.
///
/// # Errors
/// [`DriftError::Write`] when the folder or the file cannot be written (the message names it)
/// or the chart cannot be drawn.
pub fn save_histogram(
    comparison: &Comparison,
    out_dir: &Path,
    format: PlotFormat,
) -> Result<PathBuf, DriftError> {
    fs::create_dir_all(out_dir).map_err(|err| {
        DriftError::Write(io::Error::new(
            err.kind(),
            format!("cannot create {}: {err}", out_dir.display()),
        ))
    })?;
    let path = out_dir.join(comparison.chart_name(format));
    histogram(comparison)
        .save(&path, format)
        .map_err(|err| match err {
            PlotError::Io(err) => DriftError::Write(err),
            other => DriftError::Write(io::Error::other(format!("{}: {other}", path.display()))),
        })?;
    Ok(path)
}

/// The folder of the committed sample windows.
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data")
}

// ---------------------------------------------------------------------------------------------
// The sample windows.

/// Rows of each generated window.
pub const ROWS: usize = 200;
/// Width of the generated embeddings.
pub const DIM: usize = 16;
/// Latent factors of the generated embeddings.
const FACTORS: usize = 4;
/// Seed of the generator: the loadings, then one stream per window.
const SEED: u64 = 2024;

/// SplitMix64 with Box–Muller normals: small, seedable and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `(0, 1]`.
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// How a generated window departs from the reference distribution.
#[derive(Debug, Clone, Copy)]
struct Drift {
    /// Added to coordinates `0..3`.
    mean_shift: f64,
    /// Scale of the first latent factor (1: unchanged).
    factor_scale: f64,
}

const NO_DRIFT: Drift = Drift {
    mean_shift: 0.0,
    factor_scale: 1.0,
};

/// `ROWS x DIM` embeddings `x = W z + 0.5 e` (`z` 4 standard normal factors, `e` standard normal
/// noise, `W` fixed loadings), then the drift, as row-major f32.
fn window(stream: u64, drift: Drift) -> Vec<f32> {
    let mut loadings_rng = Rng(SEED);
    let loadings: Vec<f64> = (0..DIM * FACTORS)
        .map(|_| loadings_rng.normal() / (FACTORS as f64).sqrt())
        .collect();
    let mut rng = Rng(SEED ^ stream.wrapping_mul(0x2545_f491_4f6c_dd1d));
    let mut values = Vec::with_capacity(ROWS * DIM);
    for _ in 0..ROWS {
        let mut z: Vec<f64> = (0..FACTORS).map(|_| rng.normal()).collect();
        z[0] *= drift.factor_scale;
        for i in 0..DIM {
            let signal: f64 = (0..FACTORS).map(|k| loadings[i * FACTORS + k] * z[k]).sum();
            let shift = if i < 3 { drift.mean_shift } else { 0.0 };
            values.push((signal + 0.5 * rng.normal() + shift) as f32);
        }
    }
    values
}

/// A little-endian f32 `.npy` file (format version 1.0) of a `rows x cols` C-order matrix.
fn npy_bytes(values: &[f32], rows: usize, cols: usize) -> Vec<u8> {
    let mut header =
        format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {cols}), }}");
    // Magic (6) + version (2) + length (2) + header, padded with spaces to a multiple of 64 and
    // ended by a newline, as NumPy writes it.
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((header.len() as u16).to_le_bytes());
    bytes.extend(header.as_bytes());
    for value in values {
        bytes.extend(value.to_le_bytes());
    }
    bytes
}

/// A CSV file with a header line `e0,e1,..` and one row per embedding.
fn csv_text(values: &[f32], cols: usize) -> String {
    let header: Vec<String> = (0..cols).map(|j| format!("e{j}")).collect();
    let mut text = header.join(",") + "\n";
    for row in values.chunks(cols) {
        let fields: Vec<String> = row.iter().map(|v| v.to_string()).collect();
        text += &fields.join(",");
        text.push('\n');
    }
    text
}

/// Writes the three sample windows into `dir` (created if missing) and returns their paths:
/// `reference.npy` (the reference window), `drifted.csv` (a mean shift of 0.5 on 3 of the 16
/// coordinates and the first latent factor scaled by 1.3) and `same.csv` (another draw from the
/// reference distribution). Deterministic: the same files every time.
///
/// # Errors
/// Any I/O error; the message names the file.
pub fn generate(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let named = |err: io::Error, path: &Path| {
        io::Error::new(
            err.kind(),
            format!("cannot write {}: {err}", path.display()),
        )
    };
    fs::create_dir_all(dir).map_err(|err| named(err, dir))?;
    let drifted = Drift {
        mean_shift: 0.5,
        factor_scale: 1.3,
    };
    let files: [(&str, Vec<u8>); 3] = [
        ("reference.npy", npy_bytes(&window(1, NO_DRIFT), ROWS, DIM)),
        (
            "drifted.csv",
            csv_text(&window(2, drifted), DIM).into_bytes(),
        ),
        ("same.csv", csv_text(&window(3, NO_DRIFT), DIM).into_bytes()),
    ];
    let mut paths = Vec::new();
    for (name, bytes) in files {
        let path = dir.join(name);
        // atomic_file's errors already name the file.
        atomic_file::write(&path, &bytes)
            .map_err(|err| io::Error::new(err.kind(), format!("cannot write {err}")))?;
        paths.push(path);
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npy_header_is_aligned_and_parsed_by_the_reader() {
        let bytes = npy_bytes(&[1.0, 2.5, -3.0, 4.0, 5.0, 6.0], 2, 3);
        let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        assert_eq!((10 + header_len) % 64, 0);
        let dir = std::env::temp_dir().join(format!("drift-npy-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("m.npy");
        fs::write(&path, bytes).unwrap();
        let matrix = read_matrix(&path).unwrap();
        assert_eq!(matrix.shape(), [2, 3]);
        assert_eq!(matrix.values, vec![1.0, 2.5, -3.0, 4.0, 5.0, 6.0]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_mean_bandwidth_is_the_mean_pairwise_squared_distance() {
        let a = Matrix {
            rows: 2,
            cols: 2,
            values: vec![0.0, 0.0, 1.0, 0.0],
            header: None,
        };
        let b = Matrix {
            rows: 1,
            cols: 2,
            values: vec![0.0, 2.0],
            header: None,
        };
        // Pairs: |a0-a1|^2 = 1, |a0-b0|^2 = 4, |a1-b0|^2 = 5; mean 10 / 3.
        assert!((mean_bandwidth(&a, &b) - 10.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn critical_value_matches_the_p_value_rule() {
        let comparison = |statistic: f64, null: Vec<f64>, alpha: f64| Comparison {
            reference: "a.npy".into(),
            current: "b.csv".into(),
            n: 1,
            m: 1,
            d: 1,
            base_bandwidth: 1.0,
            alpha,
            result: MmdTestResult {
                statistic,
                p_value: 0.0,
                permutations: null.len(),
                null_statistics: null,
            },
        };
        // 19 permutations at alpha = 0.1: k = floor(2) - 1 = 1, the second largest.
        let null: Vec<f64> = (1..=19).map(f64::from).collect();
        assert_eq!(
            comparison(0.0, null.clone(), 0.1).critical_value(),
            Some(18.0)
        );
        // alpha below 1 / (P + 1): nothing is significant.
        assert_eq!(comparison(0.0, null, 0.01).critical_value(), None);
    }
}
