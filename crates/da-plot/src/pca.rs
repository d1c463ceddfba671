//! Principal component analysis onto two dimensions, for plotting feature clouds.

use crate::error::PcaError;

/// Power iterations per component at most; each costs one product with an `m x m` matrix,
/// `m = min(n_rows, n_cols)`.
const MAX_ITERATIONS: usize = 1000;
/// Power iteration stops once no entry of the unit vector moves by more than this.
const TOLERANCE: f64 = 1e-12;

/// The top two principal components of a data set, fitted once and applied to any rows of the
/// same width, so that several sets (source and target, before and after adaptation) can share
/// the axes of one figure.
///
/// The fit is deterministic: the same data give bit-identical components. Each component is a
/// unit vector whose largest-magnitude loading is positive, so reruns never mirror the plot.
///
/// # Method
///
/// Columns are centred; the top two eigenvectors of the `d x d` covariance matrix (or, when
/// there are fewer rows than columns, of the `n x n` Gram matrix, mapped back through the data)
/// are found by power iteration from fixed start vectors with deflation, then refined by a
/// Rayleigh-Ritz rotation within the two-dimensional subspace found. A direction without
/// variance (constant data, a single column) is completed with a fixed unit vector orthogonal
/// to the first component, or the zero vector when there is none, and explains 0 of the
/// variance.
///
/// ```
/// use da_plot::Pca;
///
/// // Four points in 3-D that vary along (1, 1, 0) only.
/// let rows = [0.0, 0.0, 5.0, 1.0, 1.0, 5.0, 2.0, 2.0, 5.0, 3.0, 3.0, 5.0];
/// let pca = Pca::fit(&rows, 4, 3).unwrap();
/// let [first, _] = pca.components();
/// let half = 0.5f64.sqrt();
/// assert!((first[0] - half).abs() < 1e-9 && (first[1] - half).abs() < 1e-9);
/// assert!((pca.explained_variance_ratio()[0] - 1.0).abs() < 1e-9);
/// // A new row is placed on the same axes.
/// let (pc1, _) = pca.project(&[4.0, 4.0, 5.0]).unwrap()[0];
/// assert!((pc1 - 2.5 * 2f64.sqrt()).abs() < 1e-9);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Pca {
    mean: Vec<f64>,
    components: [Vec<f64>; 2],
    explained_variance_ratio: [f64; 2],
}

impl Pca {
    /// Fits the top two principal components of `rows`, a row-major `n_rows x n_cols` matrix
    /// (`f32` or `f64`).
    ///
    /// Costs `O(n_rows * n_cols * min(n_rows, n_cols))` time and `O(min(n_rows, n_cols)^2)`
    /// memory beyond a centred copy of the data.
    ///
    /// # Errors
    ///
    /// [`PcaError::Empty`] without rows or columns, [`PcaError::ShapeMismatch`] when
    /// `rows.len() != n_rows * n_cols`, [`PcaError::NonFinite`] for a NaN or infinite value.
    pub fn fit<T: Copy + Into<f64>>(
        rows: &[T],
        n_rows: usize,
        n_cols: usize,
    ) -> Result<Self, PcaError> {
        if n_rows == 0 || n_cols == 0 {
            return Err(PcaError::Empty { n_rows, n_cols });
        }
        if n_rows.checked_mul(n_cols) != Some(rows.len()) {
            return Err(PcaError::ShapeMismatch {
                len: rows.len(),
                n_rows,
                n_cols,
            });
        }
        let mut data = to_finite_f64(rows, n_cols)?;
        let mut mean = vec![0.0; n_cols];
        for row in data.chunks_exact(n_cols) {
            for (m, &x) in mean.iter_mut().zip(row) {
                *m += x;
            }
        }
        for m in &mut mean {
            *m /= n_rows as f64;
        }
        for row in data.chunks_exact_mut(n_cols) {
            for (x, m) in row.iter_mut().zip(&mean) {
                *x -= m;
            }
        }
        let use_gram = n_rows < n_cols;
        let (components, explained_variance_ratio) =
            principal_axes(&data, n_rows, n_cols, use_gram);
        Ok(Self {
            mean,
            components,
            explained_variance_ratio,
        })
    }

    /// Coordinates of each row of `rows` (row-major, [`Pca::n_cols`] values per row) on the
    /// two components: `((row - mean) · first, (row - mean) · second)`.
    ///
    /// # Errors
    ///
    /// [`PcaError::RaggedRows`] when `rows.len()` is not a multiple of [`Pca::n_cols`],
    /// [`PcaError::NonFinite`] for a NaN or infinite value.
    pub fn project<T: Copy + Into<f64>>(&self, rows: &[T]) -> Result<Vec<(f64, f64)>, PcaError> {
        let n_cols = self.n_cols();
        if !rows.len().is_multiple_of(n_cols) {
            return Err(PcaError::RaggedRows {
                len: rows.len(),
                n_cols,
            });
        }
        let data = to_finite_f64(rows, n_cols)?;
        Ok(data
            .chunks_exact(n_cols)
            .map(|row| {
                let (mut a, mut b) = (0.0, 0.0);
                for ((&x, m), (c1, c2)) in row
                    .iter()
                    .zip(&self.mean)
                    .zip(self.components[0].iter().zip(&self.components[1]))
                {
                    a += (x - m) * c1;
                    b += (x - m) * c2;
                }
                (a, b)
            })
            .collect())
    }

    /// The first and second principal components: unit vectors of [`Pca::n_cols`] loadings
    /// (the second is zero when the data have a single column).
    pub fn components(&self) -> [&[f64]; 2] {
        [&self.components[0], &self.components[1]]
    }

    /// The fraction of the total variance along each component, in `[0, 1]` (both 0 when the
    /// data have no variance).
    pub fn explained_variance_ratio(&self) -> [f64; 2] {
        self.explained_variance_ratio
    }

    /// The column means of the fitted data.
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    /// The number of columns the PCA was fitted on.
    pub fn n_cols(&self) -> usize {
        self.mean.len()
    }
}

/// Rows projected onto their top two principal components, as returned by [`pca_2d`].
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    /// `(first, second)` component coordinates of each row, in row order.
    pub points: Vec<(f64, f64)>,
    /// The fraction of the total variance along each component (see
    /// [`Pca::explained_variance_ratio`]).
    pub explained_variance_ratio: [f64; 2],
}

/// Projects the rows of the row-major `n_rows x n_cols` matrix `rows` onto their top two
/// principal components.
///
/// Shorthand for [`Pca::fit`] then [`Pca::project`]; fit a [`Pca`] instead to put other sets
/// on the same axes.
///
/// # Errors
///
/// As [`Pca::fit`].
pub fn pca_2d<T: Copy + Into<f64>>(
    rows: &[T],
    n_rows: usize,
    n_cols: usize,
) -> Result<Projection, PcaError> {
    let pca = Pca::fit(rows, n_rows, n_cols)?;
    Ok(Projection {
        points: pca.project(rows)?,
        explained_variance_ratio: pca.explained_variance_ratio,
    })
}

/// `rows` as `f64`, or the position of the first value that is not finite.
fn to_finite_f64<T: Copy + Into<f64>>(rows: &[T], n_cols: usize) -> Result<Vec<f64>, PcaError> {
    rows.iter()
        .enumerate()
        .map(|(i, &value)| {
            let value: f64 = value.into();
            if value.is_finite() {
                Ok(value)
            } else {
                Err(PcaError::NonFinite {
                    row: i / n_cols,
                    col: i % n_cols,
                    value,
                })
            }
        })
        .collect()
}

/// Top two unit principal axes (sign-normalised) of the centred `n x d` matrix `x`, and the
/// fraction of the variance along each. `use_gram` selects the `n x n` Gram matrix instead of
/// the `d x d` covariance (both give the same axes; the smaller one is cheaper).
fn principal_axes(x: &[f64], n: usize, d: usize, use_gram: bool) -> ([Vec<f64>; 2], [f64; 2]) {
    let denominator = n.saturating_sub(1).max(1) as f64;
    let total_variance = x.iter().map(|v| v * v).sum::<f64>() / denominator;

    let (m, mut matrix) = if use_gram {
        (n, gram(x, n, d))
    } else {
        (d, covariance(x, n, d))
    };
    for a in &mut matrix {
        *a /= denominator;
    }
    let pairs = top_two_eigenpairs(&matrix, m);

    let mut axes: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    let mut variances = [0.0; 2];
    for (k, (lambda, vector)) in pairs.into_iter().enumerate() {
        let mut axis = if use_gram {
            // v = Xᵀ u is an eigenvector of XᵀX for the same eigenvalue as u of XXᵀ.
            let mut v = vec![0.0; d];
            for (row, &u) in x.chunks_exact(d).zip(&vector) {
                for (vj, &xj) in v.iter_mut().zip(row) {
                    *vj += u * xj;
                }
            }
            v
        } else {
            vector
        };
        let has_variance = lambda > 1e-12 * total_variance;
        let orthonormal = has_variance && normalize(&mut axis) > 0.0 && {
            if k == 1 {
                orthogonalize(&mut axis, &axes[0]);
            }
            normalize(&mut axis) > 1e-6
        };
        if !orthonormal {
            axis = fallback_axis(d, &axes[..k]);
        }
        normalize_sign(&mut axis);
        variances[k] = if orthonormal { lambda } else { 0.0 };
        axes[k] = axis;
    }
    let ratios = variances.map(|v| {
        if total_variance > 0.0 {
            (v / total_variance).clamp(0.0, 1.0)
        } else {
            0.0
        }
    });
    (axes, ratios)
}

/// `XᵀX` for the `n x d` row-major `x` (`d x d`, row-major).
fn covariance(x: &[f64], n: usize, d: usize) -> Vec<f64> {
    let mut c = vec![0.0; d * d];
    for row in x.chunks_exact(d).take(n) {
        for (i, &xi) in row.iter().enumerate() {
            if xi == 0.0 {
                continue;
            }
            // Upper triangle only; mirrored below.
            for (cij, &xj) in c[i * d + i..(i + 1) * d].iter_mut().zip(&row[i..]) {
                *cij += xi * xj;
            }
        }
    }
    mirror_upper(&mut c, d);
    c
}

/// `XXᵀ` for the `n x d` row-major `x` (`n x n`, row-major).
fn gram(x: &[f64], n: usize, d: usize) -> Vec<f64> {
    let mut g = vec![0.0; n * n];
    let rows: Vec<&[f64]> = x.chunks_exact(d).collect();
    for i in 0..n {
        for j in i..n {
            g[i * n + j] = dot(rows[i], rows[j]);
        }
    }
    mirror_upper(&mut g, n);
    g
}

/// Copies the upper triangle of the `m x m` row-major `a` onto its lower triangle.
fn mirror_upper(a: &mut [f64], m: usize) {
    for i in 0..m {
        for j in 0..i {
            a[i * m + j] = a[j * m + i];
        }
    }
}

/// The two largest eigenvalues of the symmetric positive semi-definite `m x m` matrix `a`, with
/// unit eigenvectors (a zero vector when `m == 1` leaves no second direction).
fn top_two_eigenpairs(a: &[f64], m: usize) -> [(f64, Vec<f64>); 2] {
    let scale: f64 = (0..m).map(|i| a[i * m + i]).sum();
    let (l1, v1) = power_iteration(a, m, scale, None, 0);
    let (l2, v2) = power_iteration(a, m, scale, Some((l1, &v1)), 1);
    rayleigh_ritz(a, m, [(l1, v1), (l2, v2)])
}

/// Power iteration on `a`, deflated by `lambda u uᵀ` and kept orthogonal to `u` when `deflate`
/// is `Some((lambda, u))`, from the fixed start vector number `seed`. Returns the Rayleigh
/// quotient and the unit vector; the vector is zero when no direction orthogonal to `u` exists,
/// and the eigenvalue is 0 when the (deflated) matrix vanishes on the start vector.
fn power_iteration(
    a: &[f64],
    m: usize,
    scale: f64,
    deflate: Option<(f64, &[f64])>,
    seed: usize,
) -> (f64, Vec<f64>) {
    let mut v = start_vector(m, seed);
    if let Some((_, u)) = deflate {
        orthogonalize(&mut v, u);
    }
    if normalize(&mut v) <= 1e-6 {
        return (0.0, vec![0.0; m]);
    }
    if scale <= 0.0 {
        return (0.0, v);
    }
    for _ in 0..MAX_ITERATIONS {
        let mut w = mat_vec(a, m, &v);
        if let Some((lambda, u)) = deflate {
            let along = lambda * dot(u, &v);
            for (wi, ui) in w.iter_mut().zip(u) {
                *wi -= along * ui;
            }
            orthogonalize(&mut w, u);
        }
        if normalize(&mut w) <= 1e-14 * scale {
            return (0.0, v);
        }
        let change = w
            .iter()
            .zip(&v)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        v = w;
        if change < TOLERANCE {
            break;
        }
    }
    let lambda = dot(&v, &mat_vec(a, m, &v)).max(0.0);
    (lambda, v)
}

/// Rotates the orthonormal pair `(v1, v2)` within its span so that both are eigenvectors of the
/// projection of `a` onto that span, largest eigenvalue first. This settles the split between
/// two nearly equal eigenvalues, where power iteration converges slowly.
fn rayleigh_ritz(a: &[f64], m: usize, pairs: [(f64, Vec<f64>); 2]) -> [(f64, Vec<f64>); 2] {
    let [(l1, v1), (l2, v2)] = pairs;
    if v2.iter().all(|&x| x == 0.0) {
        return [(l1, v1), (l2, v2)];
    }
    let (av1, av2) = (mat_vec(a, m, &v1), mat_vec(a, m, &v2));
    let (p, q, r) = (dot(&v1, &av1), dot(&v1, &av2), dot(&v2, &av2));
    let theta = 0.5 * (2.0 * q).atan2(p - r);
    let (sin, cos) = theta.sin_cos();
    let rotate =
        |s: f64, c: f64| -> Vec<f64> { v1.iter().zip(&v2).map(|(x, y)| c * x + s * y).collect() };
    let first = rotate(sin, cos);
    let second = rotate(cos, -sin);
    let lambda1 = p * cos * cos + 2.0 * q * sin * cos + r * sin * sin;
    let lambda2 = p * sin * sin - 2.0 * q * sin * cos + r * cos * cos;
    [(lambda1.max(0.0), first), (lambda2.max(0.0), second)]
}

/// A fixed unit vector of length `d` orthogonal to every vector of `previous`: the start vector,
/// else the first such standard basis vector, else (no room left) the zero vector.
fn fallback_axis(d: usize, previous: &[Vec<f64>]) -> Vec<f64> {
    let candidates = std::iter::once(start_vector(d, previous.len())).chain((0..d).map(|i| {
        let mut e = vec![0.0; d];
        e[i] = 1.0;
        e
    }));
    for mut candidate in candidates {
        for p in previous {
            orthogonalize(&mut candidate, p);
        }
        if normalize(&mut candidate) > 1e-6 {
            return candidate;
        }
    }
    vec![0.0; d]
}

/// A fixed vector with positive, unequal entries (so that it is not orthogonal to any
/// particular direction one would meet in data); different `seed`s give different vectors.
fn start_vector(m: usize, seed: usize) -> Vec<f64> {
    let step = 0.618_033_988_749_894_9 + 0.414_213_562_373_095 * seed as f64;
    (0..m)
        .map(|i| 0.5 + ((i + 1) as f64 * step).fract())
        .collect()
}

/// Flips `v` so that its largest-magnitude entry (the first, on ties) is positive.
fn normalize_sign(v: &mut [f64]) {
    let mut largest = 0.0_f64;
    let mut sign = 1.0;
    for &x in v.iter() {
        if x.abs() > largest {
            largest = x.abs();
            sign = x.signum();
        }
    }
    if sign < 0.0 {
        for x in v.iter_mut() {
            *x = -*x;
        }
    }
}

fn mat_vec(a: &[f64], m: usize, v: &[f64]) -> Vec<f64> {
    a.chunks_exact(m).map(|row| dot(row, v)).collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Removes from `v` its component along the unit vector `u`.
fn orthogonalize(v: &mut [f64], u: &[f64]) {
    let along = dot(v, u);
    for (vi, ui) in v.iter_mut().zip(u) {
        *vi -= along * ui;
    }
}

/// Scales `v` to unit length and returns its former length (leaves a zero vector alone).
fn normalize(v: &mut [f64]) -> f64 {
    let norm = dot(v, v).sqrt();
    if norm > 0.0 && norm.is_finite() {
        for x in v.iter_mut() {
            *x /= norm;
        }
    }
    norm
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator of uniform values in [-1, 1) (64-bit LCG, top bits).
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        }
    }

    fn assert_close(a: f64, b: f64, tolerance: f64) {
        assert!(
            (a - b).abs() <= tolerance,
            "{a} vs {b} (tolerance {tolerance})"
        );
    }

    /// `n` rows of `d` columns: `t1 * 3 * e1 + t2 * 1.5 * e2 + noise`, `e1`, `e2` orthonormal.
    fn planted(n: usize, d: usize, noise: f64, seed: u64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let mut rng = Lcg(seed);
        let mut e1: Vec<f64> = (0..d).map(|_| rng.next()).collect();
        normalize(&mut e1);
        let mut e2: Vec<f64> = (0..d).map(|_| rng.next()).collect();
        orthogonalize(&mut e2, &e1);
        normalize(&mut e2);
        let mut rows = Vec::with_capacity(n * d);
        for _ in 0..n {
            let (t1, t2) = (rng.next() * 3.0, rng.next() * 1.5);
            for j in 0..d {
                rows.push(7.0 + t1 * e1[j] + t2 * e2[j] + noise * rng.next());
            }
        }
        (rows, e1, e2)
    }

    #[test]
    fn recovers_a_line_in_three_dimensions() {
        let mut rng = Lcg(42);
        let rows: Vec<f64> = (0..200)
            .flat_map(|_| {
                let t = rng.next() * 2.0;
                [
                    t + 0.01 * rng.next(),
                    t + 0.01 * rng.next(),
                    0.01 * rng.next(),
                ]
            })
            .collect();
        let pca = Pca::fit(&rows, 200, 3).unwrap();
        let [first, second] = pca.components();
        let half = 0.5f64.sqrt();
        assert_close(first[0], half, 0.01);
        assert_close(first[1], half, 0.01);
        assert_close(first[2], 0.0, 0.01);
        assert_close(dot(second, second), 1.0, 1e-12);
        assert_close(dot(first, second), 0.0, 1e-12);
        let ratio = pca.explained_variance_ratio();
        assert!(ratio[0] > 0.95 && ratio[1] < 0.05, "{ratio:?}");
    }

    #[test]
    fn matches_a_hand_computed_example() {
        // Points ±√3·u1 and ±1·u2 around (5, -2), with u1 = (cos 30°, sin 30°) and
        // u2 = (-sin 30°, cos 30°): the sample covariance is (6 u1u1ᵀ + 2 u2u2ᵀ) / 3, with
        // eigenvalues 2 and 2/3, so the ratios are 0.75 and 0.25 and the coordinates are
        // (±√3, 0) and (0, ±1). u2's largest loading (cos 30°) is positive, as is u1's.
        let (s, c) = (0.5, 0.75f64.sqrt());
        let r3 = 3f64.sqrt();
        let points = [(r3 * c, r3 * s), (-r3 * c, -r3 * s), (-s, c), (s, -c)];
        let rows: Vec<f64> = points
            .iter()
            .flat_map(|&(x, y)| [5.0 + x, -2.0 + y])
            .collect();
        let Projection {
            points: projected,
            explained_variance_ratio: ratio,
        } = pca_2d(&rows, 4, 2).unwrap();
        assert_close(ratio[0], 0.75, 1e-12);
        assert_close(ratio[1], 0.25, 1e-12);
        let expected = [(r3, 0.0), (-r3, 0.0), (0.0, 1.0), (0.0, -1.0)];
        for (got, want) in projected.iter().zip(expected) {
            assert_close(got.0, want.0, 1e-12);
            assert_close(got.1, want.1, 1e-12);
        }
        let pca = Pca::fit(&rows, 4, 2).unwrap();
        let [first, second] = pca.components();
        assert_close(first[0], c, 1e-12);
        assert_close(first[1], s, 1e-12);
        assert_close(second[0], -s, 1e-12);
        assert_close(second[1], c, 1e-12);
        assert_close(pca.mean()[0], 5.0, 1e-12);
        assert_close(pca.mean()[1], -2.0, 1e-12);
    }

    #[test]
    fn recovers_planted_directions_with_covariance_and_gram_paths() {
        // n >= d uses the covariance matrix, n < d the Gram matrix.
        for (n, d) in [(300, 40), (30, 120)] {
            let (rows, e1, e2) = planted(n, d, 0.01, 7);
            let pca = Pca::fit(&rows, n, d).unwrap();
            let [first, second] = pca.components();
            assert!(
                dot(first, &e1).abs() > 0.999,
                "{n}x{d}: {}",
                dot(first, &e1)
            );
            assert!(
                dot(second, &e2).abs() > 0.999,
                "{n}x{d}: {}",
                dot(second, &e2)
            );
            let ratio = pca.explained_variance_ratio();
            assert!(
                ratio[0] > ratio[1] && ratio[0] + ratio[1] > 0.95,
                "{ratio:?}"
            );
        }
    }

    #[test]
    fn gram_and_covariance_paths_agree() {
        for (n, d) in [(6, 10), (12, 5)] {
            let (mut rows, _, _) = planted(n, d, 0.5, 11);
            let mean: Vec<f64> = (0..d)
                .map(|j| (0..n).map(|i| rows[i * d + j]).sum::<f64>() / n as f64)
                .collect();
            for (i, x) in rows.iter_mut().enumerate() {
                *x -= mean[i % d];
            }
            let (axes_cov, ratio_cov) = principal_axes(&rows, n, d, false);
            let (axes_gram, ratio_gram) = principal_axes(&rows, n, d, true);
            for k in 0..2 {
                assert_close(ratio_cov[k], ratio_gram[k], 1e-9);
                for j in 0..d {
                    assert_close(axes_cov[k][j], axes_gram[k][j], 1e-6);
                }
            }
        }
    }

    #[test]
    fn fits_are_bit_identical_and_sign_normalised() {
        let (rows, _, _) = planted(100, 16, 0.2, 3);
        let a = pca_2d(&rows, 100, 16).unwrap();
        let b = pca_2d(&rows, 100, 16).unwrap();
        assert_eq!(a, b);
        let pca = Pca::fit(&rows, 100, 16).unwrap();
        for component in pca.components() {
            let largest = component
                .iter()
                .copied()
                .fold(0.0, |m: f64, x| if x.abs() > m.abs() { x } else { m });
            assert!(largest > 0.0, "{component:?}");
        }
    }

    #[test]
    fn projecting_the_fit_data_reproduces_pca_2d_and_other_sets_share_the_axes() {
        let (rows, _, _) = planted(50, 8, 0.1, 5);
        let Projection {
            points,
            explained_variance_ratio: ratio,
        } = pca_2d(&rows, 50, 8).unwrap();
        let pca = Pca::fit(&rows, 50, 8).unwrap();
        assert_eq!(pca.project(&rows).unwrap(), points);
        assert_eq!(pca.explained_variance_ratio(), ratio);
        // The fit data are centred, so their coordinates average to zero.
        let mean_x = points.iter().map(|p| p.0).sum::<f64>() / 50.0;
        assert_close(mean_x, 0.0, 1e-9);
        // A shifted copy lands shifted by the shift's coordinates on the same axes.
        let shift: Vec<f64> = (0..8).map(|j| j as f64 - 3.0).collect();
        let shifted: Vec<f64> = rows
            .iter()
            .enumerate()
            .map(|(i, x)| x + shift[i % 8])
            .collect();
        let [first, second] = pca.components();
        let (dx, dy) = (dot(&shift, first), dot(&shift, second));
        for (moved, original) in pca.project(&shifted).unwrap().iter().zip(&points) {
            assert_close(moved.0, original.0 + dx, 1e-9);
            assert_close(moved.1, original.1 + dy, 1e-9);
        }
    }

    #[test]
    fn f32_input_gives_the_f64_result() {
        let rows64: Vec<f64> = vec![
            1.0, 2.0, 0.5, 3.0, 4.5, 1.0, 0.0, -1.0, 2.0, 2.5, 0.25, -0.5,
        ];
        let rows32: Vec<f32> = rows64.iter().map(|&x| x as f32).collect();
        assert_eq!(
            pca_2d(&rows32, 4, 3).unwrap(),
            pca_2d(&rows64, 4, 3).unwrap()
        );
    }

    #[test]
    fn data_without_variance_give_unit_axes_and_zero_ratios() {
        for (n, d) in [(5, 3), (2, 4), (1, 3)] {
            let rows = vec![2.5; n * d];
            let pca = Pca::fit(&rows, n, d).unwrap();
            let [first, second] = pca.components();
            assert_close(dot(first, first), 1.0, 1e-12);
            assert_close(dot(second, second), 1.0, 1e-12);
            assert_close(dot(first, second), 0.0, 1e-12);
            assert_eq!(pca.explained_variance_ratio(), [0.0, 0.0]);
            assert!(pca.project(&rows).unwrap().iter().all(|&p| p == (0.0, 0.0)));
        }
    }

    #[test]
    fn a_single_column_has_one_axis() {
        let rows = [1.0, 2.0, 4.0];
        let pca = Pca::fit(&rows, 3, 1).unwrap();
        assert_eq!(pca.components(), [&[1.0][..], &[0.0][..]]);
        assert_eq!(pca.explained_variance_ratio(), [1.0, 0.0]);
        let points = pca.project(&rows).unwrap();
        let mean = 7.0 / 3.0;
        for (p, x) in points.iter().zip(rows) {
            assert_close(p.0, x - mean, 1e-12);
            assert_eq!(p.1, 0.0);
        }
    }

    #[test]
    fn a_rank_one_matrix_has_a_zero_second_ratio() {
        // Two distinct rows: one direction of variance, in both the covariance and Gram paths.
        for d in [1, 2, 5] {
            let rows: Vec<f64> = (0..2 * d).map(|i| if i < d { 0.0 } else { 1.0 }).collect();
            let pca = Pca::fit(&rows, 2, d).unwrap();
            let ratio = pca.explained_variance_ratio();
            assert_close(ratio[0], 1.0, 1e-12);
            assert_close(ratio[1], 0.0, 1e-12);
            assert!(
                pca.components()
                    .iter()
                    .flat_map(|c| c.iter())
                    .all(|x| x.is_finite())
            );
        }
    }

    #[test]
    fn bad_shapes_and_values_are_errors_that_name_them() {
        assert_eq!(
            Pca::fit(&[1.0; 5], 2, 3),
            Err(PcaError::ShapeMismatch {
                len: 5,
                n_rows: 2,
                n_cols: 3
            })
        );
        assert_eq!(
            Pca::fit::<f64>(&[], 0, 3),
            Err(PcaError::Empty {
                n_rows: 0,
                n_cols: 3
            })
        );
        assert_eq!(
            Pca::fit(&[1.0; 4], usize::MAX, 2),
            Err(PcaError::ShapeMismatch {
                len: 4,
                n_rows: usize::MAX,
                n_cols: 2
            })
        );
        let error = Pca::fit(&[1.0, 2.0, 3.0, f64::NAN], 2, 2).unwrap_err();
        assert!(
            matches!(error, PcaError::NonFinite { row: 1, col: 1, .. }),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "the value at row 1, column 1 is NaN; PCA needs finite values"
        );

        let pca = Pca::fit(&[1.0, 2.0, 3.0, 5.0], 2, 2).unwrap();
        assert_eq!(
            pca.project(&[1.0, 2.0, 3.0]),
            Err(PcaError::RaggedRows { len: 3, n_cols: 2 })
        );
        assert!(matches!(
            pca.project(&[1.0, f64::INFINITY]),
            Err(PcaError::NonFinite { row: 0, col: 1, .. })
        ));
        assert_eq!(pca.project::<f64>(&[]), Ok(vec![]));
    }
}
