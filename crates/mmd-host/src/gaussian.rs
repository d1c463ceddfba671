//! The quadratic-time Gaussian multi-kernel MMD and its gradient, swept one row block at a time.
//!
//! With `Z = [source; target]` (`N = n + m` rows), `D_ij = ||z_i - z_j||^2`, bandwidths
//! `b_j = b_max / q^j` and the estimator's block weights `W`, the loss is `L = sum_ij W_ij K_ij`
//! with `K = sum_j exp(-D / b_j)`, and `dL/dz_i = -4 (rowsum(H)_i z_i - (H Z)_i)` with
//! `H = W o G`, `G = sum_j K_j / b_j`. Per block of rows:
//!
//! 1. one matrix product gives `-D / b_max` up to the two norm terms (`2 z_i . z_j / b_max`);
//! 2. one pass per row, vectorised over columns (AVX2 where the CPU has it) and split over
//!    threads, finishes the exponent, takes one exponential, runs the power chain for the other
//!    kernels, accumulates the per-domain sums of `K` and (with gradients) writes `H` over the
//!    block in place;
//! 3. `H Z` for the block: for narrow samples (`d <= 32`) as `d` dot products per row while the
//!    row is still in cache, otherwise as one matrix product.
//!
//! So every kernel entry is computed in one pass and no kernel matrix outlives its block. The
//! diagonal is exact: `k(z_i, z_i) = kernel_num` is added in closed form (or left out, for the
//! unbiased estimator) and `H_ii = 0`.

use rayon::prelude::*;

use crate::float::HostFloat;

/// Columns processed together in the row sweep: four SSE or two AVX registers of f32 (LLVM
/// vectorises loops of at least 16 iterations).
const LANES: usize = 16;

/// Kernel entries below which a block is swept on the calling thread alone.
const PARALLEL_ELEMENTS: usize = 1 << 15;

/// One evaluation of the quadratic Gaussian multi-kernel MMD between `n` source and `m` target
/// rows of width `d` (see the crate documentation for the method).
#[derive(Debug, Clone, PartialEq)]
pub struct GaussianMmd {
    /// Source rows (at least 1; at least 2 when `unbiased`).
    pub n: usize,
    /// Target rows (at least 1; at least 2 when `unbiased`).
    pub m: usize,
    /// Features per row (at least 1).
    pub d: usize,
    /// The widest bandwidth `b_max`: kernel `j` is `exp(-D / (b_max / kernel_mul^j))`.
    pub widest_bandwidth: f64,
    /// Ratio between consecutive bandwidths.
    pub kernel_mul: f64,
    /// Number of kernels (at least 1).
    pub kernel_num: usize,
    /// `Some(q)` when `kernel_mul` is the integer `q` in `1..=4` and the kernels may be taken as
    /// powers of the widest (`exp(-D/b)^q = exp(-D/(b/q))`); `None`: one exponential each.
    pub power: Option<u32>,
    /// The U-statistic (diagonal excluded) instead of the biased V-statistic.
    pub unbiased: bool,
    /// Whether to compute the gradient.
    pub with_grad: bool,
    /// Rows of the kernel matrix per block (bounds the memory: `block_rows x (n + m)` entries).
    pub block_rows: usize,
}

impl GaussianMmd {
    /// The loss and (when `with_grad`) its gradient with respect to `z = [source; target]`
    /// (row-major `[n + m, d]`), in f32. Non-finite inputs give a NaN loss and NaN gradients.
    ///
    /// # Panics
    /// When `z` does not hold `(n + m) d` values.
    // Not generic: the kernel is compiled (and optimised) in this crate, not in each caller's.
    #[inline(never)]
    pub fn solve_f32(&self, z: Vec<f32>) -> (f64, Option<Vec<f32>>) {
        self.solve(z)
    }

    /// [`GaussianMmd::solve_f32`] in f64 (with the standard library's exponential).
    ///
    /// # Panics
    /// When `z` does not hold `(n + m) d` values.
    #[inline(never)]
    pub fn solve_f64(&self, z: Vec<f64>) -> (f64, Option<Vec<f64>>) {
        self.solve(z)
    }

    /// `W` on source-source, source-target and target-target pairs.
    fn weights(&self) -> [f64; 3] {
        let (n, m) = (self.n as f64, self.m as f64);
        match self.unbiased {
            false => [1.0 / (n * n), -1.0 / (n * m), 1.0 / (m * m)],
            true => [1.0 / (n * (n - 1.0)), -1.0 / (n * m), 1.0 / (m * (m - 1.0))],
        }
    }

    /// The loss and (when `with_grad`) its gradient with respect to the pooled rows `z`
    /// (row-major `[N, d]`). Non-finite inputs give a NaN loss and NaN gradients.
    fn solve<T: HostFloat>(&self, mut z: Vec<T>) -> (f64, Option<Vec<T>>) {
        let (rows, d) = (self.n + self.m, self.d);
        assert_eq!(
            z.len(),
            rows * d,
            "z must hold (n + m) d = {rows} x {d} values"
        );
        if z.iter().any(|x| !x.f64().is_finite()) {
            return (
                f64::NAN,
                self.with_grad.then(|| vec![T::of(f64::NAN); z.len()]),
            );
        }
        // Centre at the pooled mean: distances are unchanged and f32 keeps its digits. The mean
        // is taken as `z_0 + mean(z_i - z_0)`, so that identical rows centre to exactly 0.
        let first: Vec<f64> = z[..d].iter().map(|x| x.f64()).collect();
        let mut offset = vec![0.0f64; d];
        for row in z.chunks_exact(d) {
            for ((acc, x), x0) in offset.iter_mut().zip(row).zip(&first) {
                *acc += x.f64() - x0;
            }
        }
        let mean: Vec<T> = (first.iter().zip(&offset))
            .map(|(x0, s)| T::of(x0 + s / rows as f64))
            .collect();
        for row in z.chunks_exact_mut(d) {
            for (x, mu) in row.iter_mut().zip(&mean) {
                *x = *x - *mu;
            }
        }
        let widest = self.widest_bandwidth;
        // `-D_ij / b_max = 2 z_i . z_j / b_max - |z_i|^2 / b_max - |z_j|^2 / b_max`.
        let norms: Vec<T> = z
            .chunks_exact(d)
            .map(|row| T::of(row.iter().map(|x| x.f64() * x.f64()).sum::<f64>() / widest))
            .collect();
        let q = self.kernel_mul;
        let mode = match (self.with_grad, d <= FUSED_MAX_WIDTH) {
            (false, _) => VALUE_ONLY,
            (true, true) => FUSE_H_Z,
            (true, false) => STORE_H,
        };
        let z_t = match mode {
            FUSE_H_Z => (0..d)
                .flat_map(|c| z.iter().skip(c).step_by(d).copied())
                .collect(),
            _ => Vec::new(),
        };
        let sweep = Sweep {
            n: self.n,
            d,
            norms: &norms,
            z_t,
            kernel_num: self.kernel_num,
            inv_q: T::of(1.0 / q),
            factors: (0..self.kernel_num)
                .map(|j| T::of(q.powi(j as i32)))
                .collect(),
            weights: self.weights().map(T::of),
        };
        let block = self.block_rows.clamp(1, rows);
        let mut buffer = vec![T::ZERO; block * rows];
        let mut h_z = vec![T::ZERO; if self.with_grad { block * d } else { 0 }];
        let mut grad = vec![T::ZERO; if self.with_grad { rows * d } else { 0 }];
        // `G = sum_j K_j / b_j` is `sum_j q^j K_j / q^(kernel_num - 1)` (what the sweep
        // accumulates) times `q^(kernel_num - 1) / b_max`.
        let scale = -4.0 * q.powi(self.kernel_num as i32 - 1) / widest;
        // Off-diagonal kernel sums over source-source, source-target plus target-source, and
        // target-target pairs.
        let mut block_sums = [0.0f64; 3];
        for start in (0..rows).step_by(block) {
            let count = block.min(rows - start);
            let buffer = &mut buffer[..count * rows];
            T::gemm(
                [count, d, rows],
                T::of(2.0 / widest),
                (&z[start * d..], d, 1),
                (&z, 1, d),
                (buffer, rows, 1),
            );
            let h_z = &mut h_z[..if self.with_grad { count * d } else { 0 }];
            let row_sums = match mode {
                VALUE_ONLY => sweep.chain::<VALUE_ONLY>(self.power, buffer, h_z, start),
                STORE_H => sweep.chain::<STORE_H>(self.power, buffer, h_z, start),
                _ => sweep.chain::<FUSE_H_Z>(self.power, buffer, h_z, start),
            };
            for (r, sums) in row_sums.iter().enumerate() {
                let side = usize::from(start + r >= self.n);
                // Row side, column side: source-source, cross (both ways), target-target.
                block_sums[side] += sums.to_source;
                block_sums[side + 1] += sums.to_target;
            }
            if mode == STORE_H {
                T::gemm(
                    [count, rows, d],
                    T::of(1.0),
                    (&*buffer, rows, 1),
                    (&z, d, 1),
                    (&mut *h_z, d, 1),
                );
            }
            if self.with_grad {
                for (r, sums) in row_sums.iter().enumerate() {
                    let i = start + r;
                    let out = &mut grad[i * d..(i + 1) * d];
                    for ((g, x), hz) in out.iter_mut().zip(&z[i * d..]).zip(&h_z[r * d..]) {
                        *g = T::of(scale * (sums.h * x.f64() - hz.f64()));
                    }
                }
            }
        }
        let (n, m) = (self.n as f64, self.m as f64);
        let [ss, st, tt] = block_sums;
        // Block sums over pair counts (divisions, not products with reciprocals: identical
        // batches then give exactly 0). The biased estimator keeps the diagonal, `kernel_num`
        // ones per row.
        let diagonal = self.kernel_num as f64;
        let value = match self.unbiased {
            false => (ss + diagonal * n) / (n * n) + (tt + diagonal * m) / (m * m) - st / (n * m),
            true => ss / (n * (n - 1.0)) + tt / (m * (m - 1.0)) - st / (n * m),
        };
        (value, self.with_grad.then_some(grad))
    }
}

/// One row's off-diagonal kernel sums over the source and the target columns, and
/// `rowsum(H)`.
#[derive(Debug, Default, Clone, Copy)]
struct RowSums {
    to_source: f64,
    to_target: f64,
    h: f64,
}

/// What the row sweep needs besides the block.
struct Sweep<'a, T> {
    n: usize,
    d: usize,
    /// `|z_j|^2 / b_max` per row.
    norms: &'a [T],
    /// `Z^T` (`[d, N]`) when the sweep computes `H Z` itself ([`FUSE_H_Z`]), else empty.
    z_t: Vec<T>,
    kernel_num: usize,
    /// `1 / kernel_mul`.
    inv_q: T,
    /// `kernel_mul^j`: the exponent factor of kernel `j` (used without a power chain).
    factors: Vec<T>,
    /// `W` on source-source, source-target and target-target pairs.
    weights: [T; 3],
}

/// Sweep mode: the kernel sums only (no gradient).
const VALUE_ONLY: u8 = 0;
/// Sweep mode: also write `H` over the block, for a matrix product with `Z` afterwards.
const STORE_H: u8 = 1;
/// Sweep mode: also write `H` and compute `(H Z)_i` as `d` dot products per row while the row
/// is in cache: for narrow samples, where a matrix product would be dominated by packing `H`.
const FUSE_H_Z: u8 = 2;

/// The widest samples whose `H Z` the sweep computes itself (as dot products per row; wider
/// samples take a matrix product per block).
pub const FUSED_MAX_WIDTH: usize = 32;

/// How kernel `j` follows from kernel `j - 1` (`k`) and the widest kernel's exponent `t`.
trait Chain<T: HostFloat> {
    fn next(k: T, t: T, factor: T) -> T;
}

/// `k^Q`: the power chain of an integer `kernel_mul`.
struct Power<const Q: u32>;

impl<T: HostFloat, const Q: u32> Chain<T> for Power<Q> {
    #[inline(always)]
    fn next(k: T, _: T, _: T) -> T {
        match Q {
            1 => k,
            2 => k * k,
            3 => k * k * k,
            _ => (k * k) * (k * k),
        }
    }
}

/// One exponential per kernel (non-integer ratios, or the fast path turned off).
struct ExpEach;

impl<T: HostFloat> Chain<T> for ExpEach {
    #[inline(always)]
    fn next(_: T, t: T, factor: T) -> T {
        (t * factor).exp_nonpositive()
    }
}

impl<T: HostFloat> Sweep<'_, T> {
    /// [`Sweep::block`] with the kernel chain of `power`.
    fn chain<const MODE: u8>(
        &self,
        power: Option<u32>,
        buffer: &mut [T],
        h_z: &mut [T],
        start: usize,
    ) -> Vec<RowSums> {
        match power {
            Some(1) => self.block::<Power<1>, MODE>(buffer, h_z, start),
            Some(2) => self.block::<Power<2>, MODE>(buffer, h_z, start),
            Some(3) => self.block::<Power<3>, MODE>(buffer, h_z, start),
            Some(4) => self.block::<Power<4>, MODE>(buffer, h_z, start),
            _ => self.block::<ExpEach, MODE>(buffer, h_z, start),
        }
    }

    /// Sweeps the rows `start..` held in `buffer` (`2 z_i . z_j / b_max`, one row per `N`
    /// columns) in mode `MODE`, in parallel when the block is large. With [`STORE_H`] it writes
    /// `H` over the block, with [`FUSE_H_Z`] it writes `(H Z)_i` into `h_z` (`[rows, d]`).
    fn block<C: Chain<T>, const MODE: u8>(
        &self,
        buffer: &mut [T],
        h_z: &mut [T],
        start: usize,
    ) -> Vec<RowSums> {
        let columns = self.norms.len();
        let rows = buffer.len() / columns;
        let threads = if buffer.len() < PARALLEL_ELEMENTS {
            1
        } else {
            rayon::current_num_threads().min(rows)
        };
        let rows_per_thread = rows.div_ceil(threads);
        let (d, h_z) = match MODE {
            FUSE_H_Z => (self.d, h_z),
            _ => (0, &mut [][..]),
        };
        let sweep_rows = |first: usize, part: &mut [T], h_z: &mut [T]| -> Vec<RowSums> {
            part.chunks_exact_mut(columns)
                .enumerate()
                .map(|(r, row)| self.row::<C, MODE>(first + r, row, &mut h_z[r * d..(r + 1) * d]))
                .collect()
        };
        if threads == 1 {
            return sweep_rows(start, buffer, h_z);
        }
        // One part per thread of the pool (rayon's, shared with burn-ndarray: no thread is
        // started per call), row sums in row order.
        let parts: Vec<_> = buffer
            .chunks_mut(rows_per_thread * columns)
            .zip(
                h_z.chunks_mut((rows_per_thread * d).max(1))
                    .chain(std::iter::repeat_with(|| &mut [][..])),
            )
            .enumerate()
            .map(|(p, (part, h_z))| (start + p * rows_per_thread, part, h_z))
            .collect();
        let sums: Vec<Vec<RowSums>> = parts
            .into_par_iter()
            .map(|(first, part, h_z)| sweep_rows(first, part, h_z))
            .collect();
        sums.into_iter().flatten().collect()
    }

    /// Row `i` with the widest vector instructions the CPU offers.
    fn row<C: Chain<T>, const MODE: u8>(&self, i: usize, row: &mut [T], h_z: &mut [T]) -> RowSums {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { self.row_avx2::<C, MODE>(i, row, h_z) };
        }
        self.row_portable::<C, MODE>(i, row, h_z)
    }

    /// [`Sweep::row_portable`] compiled for AVX2 (8 f32 lanes instead of SSE2's 4).
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn row_avx2<C: Chain<T>, const MODE: u8>(
        &self,
        i: usize,
        row: &mut [T],
        h_z: &mut [T],
    ) -> RowSums {
        self.row_portable::<C, MODE>(i, row, h_z)
    }

    /// Row `i`: the columns of each domain, left and right of the diagonal.
    #[inline(always)]
    fn row_portable<C: Chain<T>, const MODE: u8>(
        &self,
        i: usize,
        row: &mut [T],
        h_z: &mut [T],
    ) -> RowSums {
        let (n, columns) = (self.n, self.norms.len());
        let [ss, st, tt] = self.weights;
        let (to_source, to_target) = if i < n { (ss, st) } else { (st, tt) };
        let mut sums = RowSums::default();
        for (range, weight) in [(0..n, to_source), (n..columns, to_target)] {
            let source_columns = range.start == 0;
            let (left, right) = if range.contains(&i) {
                (range.start..i, i + 1..range.end)
            } else {
                (range.clone(), range.end..range.end)
            };
            for part in [left, right] {
                let (k, h) = self.segment::<C, MODE>(
                    &mut row[part.clone()],
                    &self.norms[part],
                    self.norms[i],
                    weight,
                );
                match source_columns {
                    true => sums.to_source += k,
                    false => sums.to_target += k,
                }
                sums.h += h;
            }
        }
        if MODE != VALUE_ONLY {
            row[i] = T::ZERO;
        }
        if MODE == FUSE_H_Z {
            for (out, z) in h_z.iter_mut().zip(self.z_t.chunks_exact(columns)) {
                *out = dot(row, z);
            }
        }
        sums
    }

    /// Columns sharing the domain weight `weight`: returns `sum K` and `sum H` over them and
    /// (unless [`VALUE_ONLY`]) overwrites `cells` with `H`.
    #[inline(always)]
    fn segment<C: Chain<T>, const MODE: u8>(
        &self,
        cells: &mut [T],
        norms: &[T],
        norm_i: T,
        weight: T,
    ) -> (f64, f64) {
        let mut k_acc = [T::ZERO; LANES];
        let mut h_acc = [T::ZERO; LANES];
        let mut cell_chunks = cells.chunks_exact_mut(LANES);
        let mut norm_chunks = norms.chunks_exact(LANES);
        for (cells, norms) in (&mut cell_chunks).zip(&mut norm_chunks) {
            let cells: &mut [T; LANES] = cells.try_into().expect("LANES cells");
            let norms: &[T; LANES] = norms.try_into().expect("LANES norms");
            self.lanes::<C, MODE, LANES>(cells, norms, norm_i, weight, &mut k_acc, &mut h_acc);
        }
        let mut k_sum: f64 = k_acc.iter().map(|x| x.f64()).sum();
        let mut h_sum: f64 = h_acc.iter().map(|x| x.f64()).sum();
        let tail = cell_chunks.into_remainder().iter_mut();
        for (cell, norm) in tail.zip(norm_chunks.remainder()) {
            let (mut k, mut h) = ([T::ZERO], [T::ZERO]);
            self.lanes::<C, MODE, 1>(
                std::array::from_mut(cell),
                std::array::from_ref(norm),
                norm_i,
                weight,
                &mut k,
                &mut h,
            );
            k_sum += k[0].f64();
            h_sum += h[0].f64();
        }
        (k_sum, h_sum)
    }

    /// `L` cells at once (the loops over lanes vectorise).
    #[inline(always)]
    fn lanes<C: Chain<T>, const MODE: u8, const L: usize>(
        &self,
        cells: &mut [T; L],
        norms: &[T; L],
        norm_i: T,
        weight: T,
        k_acc: &mut [T; L],
        h_acc: &mut [T; L],
    ) {
        let mut t = [T::ZERO; L];
        let mut k = [T::ZERO; L];
        for l in 0..L {
            // Round-off can leave `-D` of nearly equal rows slightly positive: clamp at 0.
            t[l] = (cells[l] - norm_i - norms[l]).min_zero();
            k[l] = t[l].exp_nonpositive();
        }
        let mut sum = k;
        let mut scaled = k;
        for factor in &self.factors[1..self.kernel_num] {
            for l in 0..L {
                k[l] = C::next(k[l], t[l], *factor);
                sum[l] += k[l];
                scaled[l] = scaled[l] * self.inv_q + k[l];
            }
        }
        for l in 0..L {
            k_acc[l] += sum[l];
            if MODE != VALUE_ONLY {
                let h = scaled[l] * weight;
                h_acc[l] += h;
                cells[l] = h;
            }
        }
    }
}

/// `sum_j a_j b_j` with per-lane partial sums (so that the loop vectorises).
#[inline(always)]
fn dot<T: HostFloat>(a: &[T], b: &[T]) -> T {
    let mut acc = [T::ZERO; LANES];
    let (chunks_a, chunks_b) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail = chunks_a.remainder().iter().zip(chunks_b.remainder());
    let mut sum = tail.fold(T::ZERO, |s, (x, y)| s + *x * *y);
    for (x, y) in chunks_a.zip(chunks_b) {
        for l in 0..LANES {
            acc[l] += x[l] * y[l];
        }
    }
    for partial in acc {
        sum += partial;
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The loss by its definition: every pair, every kernel, in f64.
    fn direct(problem: &GaussianMmd, z: &[f64]) -> f64 {
        let (n, rows, d) = (problem.n, problem.n + problem.m, problem.d);
        let kernel = |i: usize, j: usize| {
            let dist: f64 = (0..d).map(|c| (z[i * d + c] - z[j * d + c]).powi(2)).sum();
            (0..problem.kernel_num)
                .map(|k| {
                    let b = problem.widest_bandwidth / problem.kernel_mul.powi(k as i32);
                    (-dist / b).exp()
                })
                .sum::<f64>()
        };
        let mean = |rows_i: std::ops::Range<usize>, rows_j: std::ops::Range<usize>| {
            let (mut sum, mut count) = (0.0, 0.0);
            for i in rows_i.clone() {
                for j in rows_j.clone() {
                    if i != j || !problem.unbiased {
                        sum += kernel(i, j);
                        count += 1.0;
                    }
                }
            }
            sum / count
        };
        mean(0..n, 0..n) + mean(n..rows, n..rows) - 2.0 * mean(0..n, n..rows)
    }

    fn problem(d: usize, power: Option<u32>, unbiased: bool) -> GaussianMmd {
        GaussianMmd {
            n: 9,
            m: 7,
            d,
            widest_bandwidth: 6.0,
            kernel_mul: 2.0,
            kernel_num: 5,
            power,
            unbiased,
            with_grad: true,
            block_rows: 5,
        }
    }

    fn data(p: &GaussianMmd) -> Vec<f64> {
        (0..(p.n + p.m) * p.d)
            .map(|i| ((i * 37 % 17) as f64) * 0.21 - 1.5 + if i >= p.n * p.d { 0.6 } else { 0.0 })
            .collect()
    }

    #[test]
    fn matches_the_definition_and_finite_differences() {
        // Both ways of computing `H Z` (dot products up to FUSED_MAX_WIDTH features, a product
        // beyond), the power chain and one exponential per kernel, both estimators.
        for d in [3, FUSED_MAX_WIDTH + 2] {
            for power in [Some(2), None] {
                for unbiased in [false, true] {
                    let p = problem(d, power, unbiased);
                    let z = data(&p);
                    let (value, grad) = p.solve_f64(z.clone());
                    let expected = direct(&p, &z);
                    assert!((value - expected).abs() < 1e-13, "{value} vs {expected}");
                    let grad = grad.expect("with_grad");
                    let h = 1e-6;
                    for k in (0..z.len()).step_by(7) {
                        let (mut plus, mut minus) = (z.clone(), z.clone());
                        plus[k] += h;
                        minus[k] -= h;
                        let numeric = (direct(&p, &plus) - direct(&p, &minus)) / (2.0 * h);
                        assert!(
                            (numeric - grad[k]).abs() < 1e-7,
                            "d {d} {power:?} unbiased {unbiased} element {k}: {} vs {numeric}",
                            grad[k]
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn identical_batches_give_exactly_zero() {
        let p = GaussianMmd {
            m: 9,
            ..problem(4, Some(2), false)
        };
        let z = vec![0.3; (p.n + p.m) * p.d];
        let (value, grad) = p.solve_f32(z.iter().map(|&x| x as f32).collect());
        assert_eq!(value, 0.0);
        assert!(grad.unwrap().iter().all(|&g| g == 0.0));
    }

    #[test]
    fn without_gradient_the_value_is_the_same() {
        let p = problem(5, Some(2), true);
        let z = data(&p);
        let (with, _) = p.solve_f64(z.clone());
        let (without, grad) = GaussianMmd {
            with_grad: false,
            ..p
        }
        .solve_f64(z);
        assert!(grad.is_none());
        assert!((with - without).abs() < 1e-15);
    }

    #[test]
    #[should_panic(expected = "z must hold (n + m) d = 16 x 3 values")]
    fn wrong_length_is_named() {
        problem(3, Some(2), false).solve_f64(vec![0.0; 5]);
    }
}
