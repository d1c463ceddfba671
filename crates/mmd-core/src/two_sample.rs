//! The MMD two-sample test: the squared MMD of two samples and its permutation p-value.
//!
//! See [`MmdTest`] for the method and [`MmdTestConfig`] for the options.

use crate::bandwidth::median;
pub(crate) use crate::host::to_f64;
use burn::config::Config;
use burn::tensor::{DType, IndexingUpdateOp, Int, Tensor, TensorData, backend::Backend};

use crate::bandwidth::Bandwidth;
use crate::error::{MmdError, check_batches};
use crate::estimator::Estimator;
use crate::kernel::Kernel;
use crate::loss::MmdLossConfig;

/// Largest `N^2` (elements of the pooled kernel matrix) for which the test keeps the whole
/// matrix in memory (128 MiB in f64) when [`MmdTestConfig::block_rows`] is `None`; above it the
/// matrix is computed in row blocks.
pub const AUTO_BLOCK_ELEMENTS: usize = 1 << 24;

/// Elements of one row block of the kernel matrix in blocked mode (32 MiB in f64).
const BLOCK_ELEMENTS: usize = 1 << 22;

/// Elements of one chunk of permutation columns `U` (32 MiB in f64).
const CHUNK_ELEMENTS: usize = 1 << 22;

/// Configuration of [`MmdTest`], the permutation two-sample test.
///
/// | field | default | purpose | range |
/// |---|---|---|---|
/// | `loss` | [`MmdLossConfig::new`] | kernel, bandwidth and estimator of the statistic | a quadratic estimator ([`Estimator::Biased`] or [`Estimator::Unbiased`]) |
/// | `permutations` | `1000` | random relabellings `P`; the smallest p-value is `1 / (P + 1)` | >= 1 |
/// | `seed` | `0` | seed of the relabellings: same seed, same p-value | any |
/// | `block_rows` | `None` | `None`: row blocks only when `N^2 > AUTO_BLOCK_ELEMENTS`; `Some(r)`: always, `r` rows at a time | >= 1 |
///
/// `loss.fast_gaussian` has no effect here (the test computes one exponential per kernel).
///
/// # Example
/// ```
/// use burn::tensor::Tensor;
/// use burn_ndarray::NdArray;
/// use mmd_core::MmdTestConfig;
///
/// let device = Default::default();
/// let source = Tensor::<NdArray, 2>::from_floats(
///     [[0.0, 0.1], [0.2, 0.0], [0.1, 0.3], [0.0, 0.0], [0.3, 0.2]],
///     &device,
/// );
/// let target = Tensor::<NdArray, 2>::from_floats(
///     [[3.0, 3.0], [3.1, 2.9], [2.8, 3.2], [3.0, 3.1], [2.9, 2.9]],
///     &device,
/// );
/// let test = MmdTestConfig::new().with_permutations(500).init();
/// let result = test.run(source, target).unwrap();
/// // Of the 252 ways to split the 10 points in two, only this one and its mirror image are as
/// // extreme: the exact p-value is 2 / 252.
/// assert!(result.p_value < 0.05);
/// // The permutation distribution: one statistic per relabelling, in the order drawn. Those
/// // that reach the observed statistic are the draws of the same two groups (equal up to
/// // round-off); every other split is far below.
/// assert_eq!(result.null_statistics.len(), 500);
/// let extreme = result
///     .null_statistics
///     .iter()
///     .filter(|&&value| value > 0.9 * result.statistic)
///     .count();
/// assert_eq!(result.p_value, (1 + extreme) as f64 / 501.0);
/// ```
#[derive(Config, Debug)]
pub struct MmdTestConfig {
    /// The statistic: kernel, bandwidth and estimator, as for [`crate::MmdLoss`].
    #[config(default = "MmdLossConfig::new()")]
    pub loss: MmdLossConfig,
    /// Number of random relabellings of the pooled sample.
    #[config(default = 1000)]
    pub permutations: usize,
    /// Seed of the relabellings (SplitMix64 and Fisher–Yates).
    #[config(default = 0)]
    pub seed: u64,
    /// `Some(r)` computes the kernel matrix in blocks of `r` rows whatever the sample size;
    /// `None` does so only when `N^2 > AUTO_BLOCK_ELEMENTS`.
    pub block_rows: Option<usize>,
}

impl MmdTestConfig {
    /// Checks the configuration and builds the test.
    ///
    /// # Errors
    /// Those of [`MmdLossConfig::try_init`]; [`MmdError::UnsupportedTestEstimator`] for the
    /// linear-time estimator; [`MmdError::InvalidPermutations`] for 0 permutations;
    /// [`MmdError::InvalidBlockRows`] for `Some(0)` block rows.
    pub fn try_init(&self) -> Result<MmdTest, MmdError> {
        self.loss.try_init()?;
        if self.loss.estimator == Estimator::LinearTime {
            return Err(MmdError::UnsupportedTestEstimator(
                self.loss.estimator.name(),
            ));
        }
        if self.permutations == 0 {
            return Err(MmdError::InvalidPermutations(self.permutations));
        }
        if self.block_rows == Some(0) {
            return Err(MmdError::InvalidBlockRows(0));
        }
        Ok(MmdTest {
            kernel: self.loss.kernel,
            kernel_mul: self.loss.kernel_mul,
            kernel_num: self.loss.kernel_num,
            bandwidth: self.loss.bandwidth,
            estimator: self.loss.estimator,
            permutations: self.permutations,
            seed: self.seed,
            block_rows: self.block_rows,
        })
    }

    /// Builds the test.
    ///
    /// # Panics
    /// When the configuration is invalid; the message is that of [`MmdTestConfig::try_init`].
    pub fn init(&self) -> MmdTest {
        self.try_init().unwrap_or_else(|err| panic!("{err}"))
    }
}

/// What [`MmdTest::run`] found.
///
/// Not `Copy`: it carries the permutation distribution ([`MmdTestResult::null_statistics`]).
#[derive(Debug, Clone, PartialEq)]
pub struct MmdTestResult {
    /// The squared MMD of the observed split: the value of [`crate::MmdLoss::forward`] with the
    /// same options (up to round-off).
    pub statistic: f64,
    /// `(1 + #{permuted statistic >= statistic}) / (1 + permutations)`, in `(0, 1]`. Permuted
    /// statistics below the observed one by no more than round-off (a few machine epsilons of the
    /// backend's float type times the largest kernel value) count as `>=`, which keeps the test
    /// conservative when a relabelling reproduces the observed split.
    pub p_value: f64,
    /// The number of random relabellings used.
    pub permutations: usize,
    /// The statistic of each random relabelling, in the order the relabellings were drawn
    /// (`permutations` values, computed exactly as [`MmdTestResult::statistic`]): a sample of the
    /// statistic's distribution under the null hypothesis, e.g. for a histogram. `p_value` is the
    /// fraction of these at or above `statistic` (within the round-off tolerance), with the
    /// observed split counted once in numerator and denominator.
    pub null_statistics: Vec<f64>,
}

/// The permutation two-sample test on the squared MMD. Build it with [`MmdTestConfig`].
///
/// Under the null hypothesis (both samples drawn from one distribution) the labels "source" and
/// "target" are exchangeable, so the statistic of the observed split is compared with the
/// statistics of random relabellings of the pooled sample `Z = [source; target]` (`N = n + m`
/// rows):
///
/// ```text
/// p = (1 + #{permutations whose statistic >= the observed one}) / (1 + permutations)
/// ```
///
/// which is never 0 and gives a test of exact level: `P(p <= alpha) <= alpha` under the null.
///
/// # How the permutations are computed
/// A relabelling only chooses which `n` rows of `Z` are called "source". With `u` the 0/1
/// indicator of those rows and `K` the kernel matrix of `Z`, every block sum of the estimators
/// is a function of `u^T K u`, `1^T K u`, `1^T K 1` and (for the unbiased estimator) the kernel
/// diagonal: `K_ss = u^T K u`, `K_st = 1^T K u - u^T K u`, `K_tt = 1^T K 1 - 2 1^T K u + u^T K u`.
/// So the kernel matrix is computed once, the bandwidth is taken once from the pooled sample, and
/// `P` permutations are one matrix product `K U` with `U = [u_1 .. u_P]` (`[N, P]`), done in
/// chunks of columns. The observed split is one more column of the same product, so observed and
/// permuted statistics go through the same arithmetic.
///
/// When `N^2` exceeds [`AUTO_BLOCK_ELEMENTS`] (or when [`MmdTestConfig::block_rows`] asks for it)
/// `K` is never held whole: row blocks `K[a..b, :]` are computed on the fly and `K[a..b, :] U`
/// is accumulated, so memory is `O(block rows x N + N x chunk)`; each chunk of permutations then
/// recomputes the blocks.
#[derive(Debug, Clone)]
pub struct MmdTest {
    kernel: Kernel,
    kernel_mul: f64,
    kernel_num: usize,
    bandwidth: Bandwidth,
    estimator: Estimator,
    permutations: usize,
    seed: u64,
    block_rows: Option<usize>,
}

impl MmdTest {
    /// The statistic of `source` against `target` and its permutation p-value.
    ///
    /// Inputs are detached: the test computes no gradients.
    ///
    /// # Shapes
    /// - `source`: `[n, d]`
    /// - `target`: `[m, d]`
    ///
    /// # Errors
    /// [`MmdError::FeatureMismatch`], [`MmdError::EmptyBatch`] or [`MmdError::TooFewRows`] (two
    /// rows per sample for the unbiased estimator), as for [`crate::MmdLoss::try_forward`].
    pub fn run<B: Backend>(
        &self,
        source: Tensor<B, 2>,
        target: Tensor<B, 2>,
    ) -> Result<MmdTestResult, MmdError> {
        let [n, m] = check_batches(source.dims(), target.dims(), self.estimator)?;
        let rows = n + m;
        let pooled = PooledSample::new(Tensor::cat(vec![source.detach(), target.detach()], 0));
        let kernel = match self.kernel {
            Kernel::Linear => KernelMatrix::Linear,
            Kernel::Gaussian => {
                let base = pooled.base_bandwidth(self.bandwidth);
                KernelMatrix::Gaussian(gaussian_bandwidths(base, self.kernel_mul, self.kernel_num))
            }
        };
        // The kernel diagonal: exactly `kernel_num` for the Gaussian kernels (the distance of a
        // row to itself is set to exactly 0), `||z_i - mean||^2` for the linear kernel.
        let diagonal = match &kernel {
            KernelMatrix::Gaussian(bandwidths) => vec![bandwidths.len() as f64; rows],
            KernelMatrix::Linear => to_f64(pooled.norms.clone()),
        };
        let trace: f64 = diagonal.iter().sum();
        let scale = diagonal.iter().copied().fold(0.0, f64::max);
        let tolerance = 64.0 * epsilon(pooled.centred.dtype()) * scale;

        let products = match self.block_rows_for(rows) {
            None => Products::Whole(pooled.kernel_block(&kernel, 0, rows)),
            Some(block) => Products::Blocks(block),
        };

        // Columns: all ones (for 1^T K 1), the observed split, then the permutations.
        let columns = self.permutations + 2;
        let chunk = (CHUNK_ELEMENTS / rows).max(2);
        let mut rng = SplitMix64(self.seed);
        let mut order: Vec<usize> = (0..rows).collect();
        let mut sums = Vec::with_capacity(columns); // (u^T K u, 1^T K u, diagonal . u)
        for start in (0..columns).step_by(chunk) {
            let width = chunk.min(columns - start);
            let mut indicators = vec![0.0; rows * width];
            let mut diagonal_sums = Vec::with_capacity(width);
            for column in 0..width {
                let selected: &[usize] = match start + column {
                    0 => &order, // every row
                    1 => &order[..n],
                    _ => {
                        // Partial Fisher–Yates: the first n entries become a uniform random
                        // n-subset whatever the current order.
                        for i in 0..n {
                            let j = i + rng.below(rows - i);
                            order.swap(i, j);
                        }
                        &order[..n]
                    }
                };
                for &row in selected {
                    indicators[row * width + column] = 1.0;
                }
                diagonal_sums.push(selected.iter().map(|&row| diagonal[row]).sum::<f64>());
            }
            let indicators = pooled.constant(indicators, [rows, width]);
            let [quadratic, linear] = products.compute(&pooled, &kernel, indicators);
            sums.extend(
                quadratic
                    .into_iter()
                    .zip(linear)
                    .zip(diagonal_sums)
                    .map(|((q, l), d)| (q, l, d)),
            );
        }

        let total = sums[0].0;
        let mut statistics: Vec<f64> = sums[1..]
            .iter()
            .map(|&(ss, sum, diag_s)| self.statistic(n, m, total, trace, ss, sum, diag_s))
            .collect();
        let null_statistics = statistics.split_off(1);
        let observed = statistics[0];
        let extreme = null_statistics
            .iter()
            .filter(|&&value| value >= observed - tolerance)
            .count();
        Ok(MmdTestResult {
            statistic: observed,
            p_value: (1 + extreme) as f64 / (1 + self.permutations) as f64,
            permutations: self.permutations,
            null_statistics,
        })
    }

    /// Rows per block of the kernel matrix for `rows` pooled samples, `None` for the whole
    /// matrix at once.
    fn block_rows_for(&self, rows: usize) -> Option<usize> {
        match self.block_rows {
            Some(block) => Some(block.min(rows)),
            None if rows.saturating_mul(rows) > AUTO_BLOCK_ELEMENTS => {
                Some((BLOCK_ELEMENTS / rows).clamp(1, rows))
            }
            None => None,
        }
    }

    /// The estimate from `K_ss = u^T K u`, `1^T K u`, `1^T K 1` and the diagonal sums.
    #[allow(clippy::too_many_arguments)]
    fn statistic(
        &self,
        n: usize,
        m: usize,
        total: f64,
        trace: f64,
        ss: f64,
        sum: f64,
        diag_s: f64,
    ) -> f64 {
        let (nf, mf) = (n as f64, m as f64);
        let st = sum - ss;
        let tt = total - 2.0 * sum + ss;
        match self.estimator {
            Estimator::Biased => ss / (nf * nf) + tt / (mf * mf) - 2.0 * st / (nf * mf),
            // The linear-time estimator is rejected by `try_init`.
            Estimator::Unbiased | Estimator::LinearTime => {
                let diag_t = trace - diag_s;
                (ss - diag_s) / (nf * (nf - 1.0)) + (tt - diag_t) / (mf * (mf - 1.0))
                    - 2.0 * st / (nf * mf)
            }
        }
    }
}

/// The Gaussian bandwidths `base * kernel_mul^(i - floor(kernel_num / 2))`, `i < kernel_num`, as
/// in [`crate::MmdLoss`].
pub(crate) fn gaussian_bandwidths(base: f64, kernel_mul: f64, kernel_num: usize) -> Vec<f64> {
    let offset = (kernel_num / 2) as i32;
    (0..kernel_num)
        .map(|i| base * kernel_mul.powi(i as i32 - offset))
        .collect()
}

/// The pooled sample, centred at its mean (distances and both estimators are shift-invariant;
/// centring keeps `f32` accurate), with its squared row norms.
pub(crate) struct PooledSample<B: Backend> {
    /// `[N, d]`, rows minus their mean, detached.
    centred: Tensor<B, 2>,
    /// `[N, 1]`, `||z_i - mean||^2`.
    norms: Tensor<B, 2>,
}

impl<B: Backend> PooledSample<B> {
    /// `pooled` is `[N, d]`; it is detached.
    pub(crate) fn new(pooled: Tensor<B, 2>) -> Self {
        let pooled = pooled.detach();
        let centred = pooled.clone() - pooled.mean_dim(0);
        let norms = centred.clone().square().sum_dim(1);
        Self { centred, norms }
    }

    fn rows(&self) -> usize {
        self.centred.dims()[0]
    }

    /// A `shape` tensor of `values` on the device and in the float type of the sample.
    fn constant(&self, values: Vec<f64>, shape: [usize; 2]) -> Tensor<B, 2> {
        Tensor::from_data(
            TensorData::new(values, shape),
            (&self.centred.device(), self.centred.dtype()),
        )
    }

    /// Squared distances `||z_i - z_j||^2` of rows `start..end` to all rows, `[end - start, N]`;
    /// round-off below 0 is clamped and the distance of a row to itself is exactly 0.
    fn sq_distances(&self, start: usize, end: usize) -> Tensor<B, 2> {
        let d = self.centred.dims()[1];
        let block = self.centred.clone().slice([start..end, 0..d]);
        let block_norms = self.norms.clone().slice([start..end, 0..1]);
        let gram = block.matmul(self.centred.clone().transpose());
        let dist =
            (block_norms + self.norms.clone().transpose() - gram.mul_scalar(2.0)).clamp_min(0.0);
        let columns: Vec<i64> = (start..end).map(|j| j as i64).collect();
        let columns = Tensor::<B, 2, Int>::from_data(
            TensorData::new(columns, [end - start, 1]),
            &self.centred.device(),
        );
        let diagonal = dist.clone().gather(1, columns.clone());
        dist.scatter(1, columns, diagonal.neg(), IndexingUpdateOp::Add)
    }

    /// Rows `start..end` of the kernel matrix, `[end - start, N]`.
    fn kernel_block(&self, kernel: &KernelMatrix, start: usize, end: usize) -> Tensor<B, 2> {
        match kernel {
            KernelMatrix::Linear => {
                let d = self.centred.dims()[1];
                self.centred
                    .clone()
                    .slice([start..end, 0..d])
                    .matmul(self.centred.clone().transpose())
            }
            KernelMatrix::Gaussian(bandwidths) => {
                let dist = self.sq_distances(start, end);
                bandwidths
                    .iter()
                    .map(|b| dist.clone().mul_scalar(-1.0 / b).exp())
                    .reduce(|acc, k| acc + k)
                    .expect("kernel_num >= 1 is checked at init")
            }
        }
    }

    /// The base bandwidth of [`crate::MmdLoss`] for `rule`, from the pooled sample: 0 becomes 1,
    /// a median of 0 falls back to the mean.
    pub(crate) fn base_bandwidth(&self, rule: Bandwidth) -> f64 {
        let rows = self.rows();
        // sum_{i != j} ||z_i - z_j||^2 / (N (N - 1)) = 2 sum_i ||z_i - mean||^2 / (N - 1).
        let mean = || {
            let mean = 2.0 * to_f64(self.norms.clone().sum())[0] / (rows as f64 - 1.0);
            if mean > 0.0 { mean } else { 1.0 }
        };
        match rule {
            Bandwidth::Fixed(sigma) => sigma,
            Bandwidth::Mean => mean(),
            Bandwidth::Median => {
                let block = (BLOCK_ELEMENTS / rows).clamp(1, rows);
                let mut upper = Vec::with_capacity(rows * (rows - 1) / 2);
                for start in (0..rows).step_by(block) {
                    let end = (start + block).min(rows);
                    let dist = to_f64(self.sq_distances(start, end));
                    for i in start..end {
                        let row = &dist[(i - start) * rows..(i - start + 1) * rows];
                        upper.extend_from_slice(&row[i + 1..]);
                    }
                }
                match median(upper) {
                    Some(median) if median > 0.0 => median,
                    _ => mean(),
                }
            }
        }
    }
}

/// How the kernel matrix is built.
enum KernelMatrix {
    /// Sum of Gaussian kernels with these bandwidths (squared distances).
    Gaussian(Vec<f64>),
    /// `k(x, y) = (x - c) . (y - c)` with `c` the pooled mean.
    Linear,
}

/// How `K U` is computed: from the whole kernel matrix, or from row blocks computed on the fly.
enum Products<B: Backend> {
    Whole(Tensor<B, 2>),
    Blocks(usize),
}

impl<B: Backend> Products<B> {
    /// For each column `u` of `indicators` (`[N, c]`): `u^T K u` and `1^T K u`.
    fn compute(
        &self,
        pooled: &PooledSample<B>,
        kernel: &KernelMatrix,
        indicators: Tensor<B, 2>,
    ) -> [Vec<f64>; 2] {
        let sums = |k_rows: Tensor<B, 2>, u_rows: Tensor<B, 2>| {
            let product = k_rows.matmul(indicators.clone());
            Tensor::cat(
                vec![(product.clone() * u_rows).sum_dim(0), product.sum_dim(0)],
                0,
            )
        };
        let [rows, width] = indicators.dims();
        let both = match self {
            Products::Whole(k) => sums(k.clone(), indicators.clone()),
            Products::Blocks(block) => (0..rows)
                .step_by(*block)
                .map(|start| {
                    let end = (start + block).min(rows);
                    sums(
                        pooled.kernel_block(kernel, start, end),
                        indicators.clone().slice([start..end, 0..width]),
                    )
                })
                .reduce(|acc, s| acc + s)
                .expect("at least one row"),
        };
        let values = to_f64(both);
        let (quadratic, linear) = values.split_at(width);
        [quadratic.to_vec(), linear.to_vec()]
    }
}

/// SplitMix64 (Steele, Lea and Flood 2014): a small, fast, seedable generator.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A uniform integer in `0..bound` (Lemire's multiply-shift with rejection, unbiased).
    fn below(&mut self, bound: usize) -> usize {
        let bound = bound as u64;
        let threshold = bound.wrapping_neg() % bound;
        loop {
            let product = u128::from(self.next_u64()) * u128::from(bound);
            if (product as u64) >= threshold {
                return (product >> 64) as usize;
            }
        }
    }
}

/// Machine epsilon of a float type (that of `f32` for anything unexpected).
fn epsilon(dtype: DType) -> f64 {
    match dtype {
        DType::F64 => f64::EPSILON,
        DType::F16 => 9.765_625e-4,
        DType::BF16 => 7.812_5e-3,
        _ => f64::from(f32::EPSILON),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn_ndarray::NdArray;

    type B = NdArray<f64>;

    #[test]
    fn below_is_uniform_and_in_range() {
        let mut rng = SplitMix64(7);
        let mut counts = [0usize; 6];
        for _ in 0..60_000 {
            counts[rng.below(6)] += 1;
        }
        // Each count is Binomial(60000, 1/6): sd ~ 91.
        for count in counts {
            assert!((count as f64 - 10_000.0).abs() < 5.0 * 91.3, "{counts:?}");
        }
        assert_eq!(SplitMix64(3).below(1), 0);
    }

    #[test]
    fn splitmix_matches_the_reference_sequence() {
        // First outputs of the reference C implementation seeded with 1234567.
        let mut rng = SplitMix64(1_234_567);
        assert_eq!(rng.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(rng.next_u64(), 3_203_168_211_198_807_973);
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(vec![5.0]), Some(5.0));
        assert_eq!(median(vec![]), None);
    }

    #[test]
    fn distances_and_kernel_blocks_match_direct_formulas() {
        let rows: [[f64; 2]; 4] = [[0.0, 1.0], [2.0, -1.0], [0.5, 0.5], [3.0, 3.0]];
        let device = Default::default();
        let pooled = PooledSample::new(Tensor::<B, 2>::from_data(
            TensorData::new(rows.concat(), [4, 2]),
            &device,
        ));
        let dist =
            |i: usize, j: usize| -> f64 { (0..2).map(|k| (rows[i][k] - rows[j][k]).powi(2)).sum() };
        let block = to_f64(pooled.sq_distances(1, 3));
        for (local, i) in (1..3).enumerate() {
            for j in 0..4 {
                let value = block[local * 4 + j];
                assert!((value - dist(i, j)).abs() < 1e-12, "D[{i}][{j}] = {value}");
            }
        }
        assert_eq!(block[1], 0.0);
        assert_eq!(block[4 + 2], 0.0);
        let kernel = KernelMatrix::Gaussian(vec![0.5, 2.0]);
        let k = to_f64(pooled.kernel_block(&kernel, 0, 4));
        for i in 0..4 {
            for j in 0..4 {
                let expected = (-dist(i, j) / 0.5).exp() + (-dist(i, j) / 2.0).exp();
                assert!((k[i * 4 + j] - expected).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn blocks_are_chosen_above_the_threshold_or_when_forced() {
        let automatic = MmdTestConfig::new().init();
        assert_eq!(automatic.block_rows_for(4096), None); // 4096^2 = AUTO_BLOCK_ELEMENTS
        assert_eq!(automatic.block_rows_for(4097), Some(1023));
        assert_eq!(automatic.block_rows_for(1 << 23), Some(1));
        let forced = MmdTestConfig::new().with_block_rows(Some(7)).init();
        assert_eq!(forced.block_rows_for(20), Some(7));
        assert_eq!(forced.block_rows_for(5), Some(5));
    }
}
