//! The float types of the kernels: arithmetic, a vectorisable exponential and a matrix product.

use std::ops::{Add, AddAssign, Mul, Sub};

use rayon::prelude::*;

/// `f32` or `f64` in the host kernels.
pub(crate) trait HostFloat:
    Copy
    + Send
    + Sync
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + AddAssign
    + 'static
{
    /// 0.
    const ZERO: Self;
    /// `x` rounded to this type.
    fn of(x: f64) -> Self;
    /// The value in f64.
    fn f64(self) -> f64;
    /// `min(self, 0)`.
    fn min_zero(self) -> Self;
    /// `exp(self)` for `self <= 0` (`-inf` included), written so that loops over it vectorise.
    fn exp_nonpositive(self) -> Self;
    /// `C = alpha A B` with `shape = [m, k, n]`, `A` `[m, k]`, `B` `[k, n]` and `C` `[m, n]`,
    /// each given with its row and column strides. `C` must not overlap itself.
    ///
    /// # Panics
    /// When a slice is too short for its shape and strides.
    #[allow(clippy::too_many_arguments)]
    fn gemm(
        shape: [usize; 3],
        alpha: Self,
        a: (&[Self], usize, usize),
        b: (&[Self], usize, usize),
        c: (&mut [Self], usize, usize),
    );
}

/// Checks that `len` elements hold a `[rows, cols]` matrix with strides `(rs, cs)`.
fn check_extent(len: usize, rows: usize, cols: usize, rs: usize, cs: usize, what: &str) {
    let needed = if rows == 0 || cols == 0 {
        0
    } else {
        (rows - 1) * rs + (cols - 1) * cs + 1
    };
    assert!(
        len >= needed,
        "gemm: {what} needs {needed} elements for [{rows}, {cols}], got {len}"
    );
}

/// The [`HostFloat`] items that only differ by type: `ZERO`, `min_zero` and `gemm` (through
/// matrixmultiply's `$gemm`, `sgemm` or `dgemm`).
macro_rules! shared_items {
    ($gemm:path) => {
        const ZERO: Self = 0.0;

        #[inline(always)]
        fn min_zero(self) -> Self {
            self.min(0.0)
        }

        fn gemm(
            [m, k, n]: [usize; 3],
            alpha: Self,
            (a, rsa, csa): (&[Self], usize, usize),
            (b, rsb, csb): (&[Self], usize, usize),
            (c, rsc, csc): (&mut [Self], usize, usize),
        ) {
            check_extent(a.len(), m, k, rsa, csa, "A");
            check_extent(b.len(), k, n, rsb, csb, "B");
            check_extent(c.len(), m, n, rsc, csc, "C");
            // SAFETY: the extents were checked above, `c` is borrowed mutably and `a`, `b`
            // shared, so the output does not alias the inputs.
            unsafe {
                $gemm(
                    m,
                    k,
                    n,
                    alpha,
                    a.as_ptr(),
                    rsa as isize,
                    csa as isize,
                    b.as_ptr(),
                    rsb as isize,
                    csb as isize,
                    0.0,
                    c.as_mut_ptr(),
                    rsc as isize,
                    csc as isize,
                )
            }
        }
    };
}

impl HostFloat for f32 {
    shared_items!(matrixmultiply::sgemm);

    fn of(x: f64) -> Self {
        x as f32
    }

    fn f64(self) -> f64 {
        f64::from(self)
    }

    /// Cephes' `expf` without branches: `x = k ln 2 + r`, a degree-7 polynomial for `exp(r)`
    /// and `2^k` built in the exponent bits. Below -87 (where `exp` is under `1.7e-38`) it
    /// returns `exp(-87)`. Relative error within a few units in the last place.
    #[inline(always)]
    fn exp_nonpositive(self) -> Self {
        const LN2_HI: f32 = 0.693_359_4;
        const LN2_LO: f32 = -2.121_944_4e-4;
        // 1.5 * 2^23: adding it rounds to an integer held in the low mantissa bits.
        const SHIFTER: f32 = 12_582_912.0;
        let x = self.max(-87.0);
        let shifted = x * std::f32::consts::LOG2_E + SHIFTER;
        let k = shifted - SHIFTER;
        let r = x - k * LN2_HI - k * LN2_LO;
        let p = (((((1.987_569_2e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r
            + 4.166_579_6e-2)
            * r
            + 1.666_666_5e-1)
            * r
            + 0.5)
            * (r * r)
            + r
            + 1.0;
        // k in [-126, 0]: 2^k is a normal number. Wrapping operations: overflow checks (dev
        // builds) would put a branch in the loop and stop it vectorising.
        let k_int = shifted.to_bits().wrapping_sub(SHIFTER.to_bits());
        p * f32::from_bits(k_int.wrapping_add(127).wrapping_shl(23))
    }
}

impl HostFloat for f64 {
    shared_items!(matrixmultiply::dgemm);

    fn of(x: f64) -> Self {
        x
    }

    fn f64(self) -> f64 {
        self
    }

    /// The standard library's `exp`: f64 users get full precision rather than speed.
    #[inline(always)]
    fn exp_nonpositive(self) -> Self {
        self.exp()
    }
}

/// `exp(x)` of every value, in place, with the exponential of [`GaussianMmd`](crate::GaussianMmd):
/// vectorised (AVX2 where the CPU has it), split over
/// the machine's threads for long slices, for arguments `<= 0` (positive values give 1, values
/// below -87 give `exp(-87)`).
///
/// Public so that benchmarks can measure the exponential throughput the kernel sees.
pub fn exp_nonpositive_in_place(values: &mut [f32]) {
    const PER_THREAD: usize = 1 << 16;
    let threads = rayon::current_num_threads()
        .min(values.len().div_ceil(PER_THREAD))
        .max(1);
    if threads == 1 {
        return exp_slice(values);
    }
    let chunk = values.len().div_ceil(threads);
    values.par_chunks_mut(chunk).for_each(exp_slice);
}

/// [`exp_nonpositive_in_place`] on the calling thread.
fn exp_slice(values: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { exp_slice_avx2(values) };
    }
    exp_slice_portable(values);
}

/// [`exp_slice_portable`] compiled for AVX2.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn exp_slice_avx2(values: &mut [f32]) {
    exp_slice_portable(values);
}

#[inline(always)]
fn exp_slice_portable(values: &mut [f32]) {
    for x in values {
        *x = x.min_zero().exp_nonpositive();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f32_exponential_is_accurate_on_the_nonpositive_axis() {
        let mut worst = 0.0f64;
        for i in 0..=200_000 {
            let x = -87.0 * f64::from(i) / 200_000.0;
            let got = f64::from((x as f32).exp_nonpositive());
            let exact = (x as f32 as f64).exp();
            worst = worst.max((got - exact).abs() / exact);
        }
        // A few f32 ulps (one is 6e-8 relative).
        assert!(worst < 3e-7, "worst relative error {worst}");
        assert_eq!(0.0f32.exp_nonpositive(), 1.0);
        let tiny = f32::NEG_INFINITY.exp_nonpositive();
        assert!((0.0..2e-38).contains(&tiny), "{tiny}");
        assert!((-1000.0f32).exp_nonpositive() < 2e-38);
    }

    #[test]
    fn in_place_exponential_covers_long_and_short_slices() {
        for len in [0, 5, 100_003] {
            let mut values: Vec<f32> = (0..len).map(|i| -((i % 1000) as f32) / 50.0).collect();
            let expected: Vec<f64> = values.iter().map(|&x| f64::from(x).exp()).collect();
            exp_nonpositive_in_place(&mut values);
            for (got, want) in values.iter().zip(&expected) {
                assert!(
                    (f64::from(*got) - want).abs() <= 3e-7 * want,
                    "{got} vs {want}"
                );
            }
        }
        let mut positive = [2.0f32];
        exp_nonpositive_in_place(&mut positive);
        assert_eq!(positive, [1.0]);
    }

    #[test]
    fn gemm_follows_the_strides() {
        // A = [[1, 2], [3, 4]] row-major; B = A^T read through column-major strides.
        let a = [1.0f64, 2.0, 3.0, 4.0];
        let mut c = [0.0f64; 4];
        f64::gemm([2, 2, 2], 2.0, (&a, 2, 1), (&a, 1, 2), (&mut c, 2, 1));
        assert_eq!(c, [10.0, 22.0, 22.0, 50.0]); // 2 A A^T
        let mut c32 = [0.0f32; 2];
        f32::gemm(
            [1, 2, 2],
            1.0,
            (&[1.0, 1.0], 2, 1),
            (&[1.0, 2.0, 3.0, 4.0], 2, 1),
            (&mut c32, 2, 1),
        );
        assert_eq!(c32, [4.0, 6.0]);
        // C written transposed (column stride 2): C^T = 2 A A^T, symmetric, so the same.
        let mut t = [0.0f64; 4];
        f64::gemm([2, 2, 2], 1.0, (&a, 1, 2), (&a, 2, 1), (&mut t, 1, 2));
        assert_eq!(t, [10.0, 14.0, 14.0, 20.0]); // (A^T A)^T
    }

    #[test]
    #[should_panic(expected = "gemm: B needs 4 elements for [2, 2], got 3")]
    fn gemm_rejects_short_slices() {
        let mut c = [0.0f64; 4];
        f64::gemm(
            [2, 2, 2],
            1.0,
            (&[0.0; 4], 2, 1),
            (&[0.0; 3], 2, 1),
            (&mut c, 2, 1),
        );
    }
}
