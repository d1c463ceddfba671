//! Principal component analysis onto two dimensions, for plotting feature clouds, on
//! nalgebra's symmetric eigendecomposition.

use nalgebra::{DMatrix, SymmetricEigen};

use crate::error::ProjectionError;

/// The top two principal components of a data set, fitted once and applied to any rows of the
/// same width, so that several sets (source and target, before and after adaptation) can share
/// the axes of one figure.
///
/// Each component is a unit vector whose largest-magnitude loading is positive, so reruns never
/// mirror the plot.
///
/// # Method
///
/// Columns are centred; the top two eigenvectors of the `d x d` covariance matrix, or, when
/// there are fewer rows than columns, of the `n x n` Gram matrix mapped back through the data,
/// come from [`nalgebra::SymmetricEigen`]. A direction without variance (constant data, a
/// single column) is the zero vector and explains 0 of the variance.
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
    /// Costs `O(n_rows * n_cols * m + m^3)` time for `m = min(n_rows, n_cols)`.
    ///
    /// # Errors
    ///
    /// [`ProjectionError::Empty`] without rows or columns, [`ProjectionError::ShapeMismatch`]
    /// when `rows.len() != n_rows * n_cols`, [`ProjectionError::NonFinite`] for a NaN or
    /// infinite value.
    pub fn fit<T: Copy + Into<f64>>(
        rows: &[T],
        n_rows: usize,
        n_cols: usize,
    ) -> Result<Self, ProjectionError> {
        let x = checked_matrix(rows, n_rows, n_cols)?;
        let mean: Vec<f64> = x.row_mean().iter().copied().collect();
        let mut centred = x;
        for (j, &m) in mean.iter().enumerate() {
            centred.column_mut(j).add_scalar_mut(-m);
        }
        let total: f64 = centred.iter().map(|v| v * v).sum();
        let (mut components, mut variances) = ([vec![0.0; n_cols], vec![0.0; n_cols]], [0.0; 2]);
        if total > 0.0 {
            let small = n_rows < n_cols;
            let scatter = if small {
                &centred * centred.transpose()
            } else {
                centred.transpose() * &centred
            };
            let eigen = SymmetricEigen::new(scatter);
            let mut order: Vec<usize> = (0..eigen.eigenvalues.len()).collect();
            order.sort_by(|&a, &b| eigen.eigenvalues[b].total_cmp(&eigen.eigenvalues[a]));
            for (k, &i) in order.iter().take(2).enumerate() {
                let value = eigen.eigenvalues[i];
                if value <= total * 1e-12 {
                    continue;
                }
                let vector = eigen.eigenvectors.column(i);
                // Gram eigenvector u of X X^T: the component is X^T u / |X^T u|.
                let mut component: Vec<f64> = if small {
                    (centred.transpose() * vector).iter().copied().collect()
                } else {
                    vector.iter().copied().collect()
                };
                let norm = component.iter().map(|v| v * v).sum::<f64>().sqrt();
                let largest = component
                    .iter()
                    .copied()
                    .max_by(|a, b| a.abs().total_cmp(&b.abs()))
                    .unwrap_or(1.0);
                let sign = if largest < 0.0 { -1.0 } else { 1.0 };
                component.iter_mut().for_each(|v| *v *= sign / norm);
                components[k] = component;
                variances[k] = value;
            }
        }
        let ratio = |v: f64| {
            if total > 0.0 {
                (v / total).clamp(0.0, 1.0)
            } else {
                0.0
            }
        };
        Ok(Self {
            mean,
            components,
            explained_variance_ratio: [ratio(variances[0]), ratio(variances[1])],
        })
    }

    /// Coordinates of each row of `rows` (row-major, [`Pca::n_cols`] values per row) on the
    /// two components: `((row - mean) · first, (row - mean) · second)`.
    ///
    /// # Errors
    ///
    /// [`ProjectionError::RaggedRows`] when `rows.len()` is not a multiple of [`Pca::n_cols`],
    /// [`ProjectionError::NonFinite`] for a NaN or infinite value.
    pub fn project<T: Copy + Into<f64>>(
        &self,
        rows: &[T],
    ) -> Result<Vec<(f64, f64)>, ProjectionError> {
        let n_cols = self.n_cols();
        if !rows.len().is_multiple_of(n_cols) {
            return Err(ProjectionError::RaggedRows {
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
    /// (zero for a direction without variance).
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
) -> Result<Projection, ProjectionError> {
    let pca = Pca::fit(rows, n_rows, n_cols)?;
    Ok(Projection {
        points: pca.project(rows)?,
        explained_variance_ratio: pca.explained_variance_ratio,
    })
}

/// `rows` as an `n_rows x n_cols` matrix after the shape and finiteness checks.
pub(crate) fn checked_matrix<T: Copy + Into<f64>>(
    rows: &[T],
    n_rows: usize,
    n_cols: usize,
) -> Result<DMatrix<f64>, ProjectionError> {
    if n_rows == 0 || n_cols == 0 {
        return Err(ProjectionError::Empty { n_rows, n_cols });
    }
    if rows.len() != n_rows * n_cols {
        return Err(ProjectionError::ShapeMismatch {
            len: rows.len(),
            n_rows,
            n_cols,
        });
    }
    Ok(DMatrix::from_row_slice(
        n_rows,
        n_cols,
        &to_finite_f64(rows, n_cols)?,
    ))
}

/// `rows` as `f64`, or the position of the first value that is not finite.
fn to_finite_f64<T: Copy + Into<f64>>(
    rows: &[T],
    n_cols: usize,
) -> Result<Vec<f64>, ProjectionError> {
    rows.iter()
        .enumerate()
        .map(|(i, &value)| {
            let value: f64 = value.into();
            if value.is_finite() {
                Ok(value)
            } else {
                Err(ProjectionError::NonFinite {
                    row: i / n_cols,
                    col: i % n_cols,
                    value,
                })
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (tests only).
    fn noise(seed: u64, n: usize) -> Vec<f64> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((state >> 11) as f64 / (1u64 << 53) as f64) - 0.5
            })
            .collect()
    }

    #[test]
    fn recovers_a_dominant_direction() {
        // 200 points along (1, 2, 2) / 3 with spread 10, plus small noise in every direction.
        let direction = [1.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0];
        let t = noise(1, 200);
        let e = noise(2, 600);
        let rows: Vec<f64> = (0..200)
            .flat_map(|i| (0..3).map(move |j| (i, j)))
            .map(|(i, j)| 20.0 * t[i] * direction[j] + 0.1 * e[3 * i + j] + 7.0)
            .collect();
        let pca = Pca::fit(&rows, 200, 3).unwrap();
        let [first, second] = pca.components();
        let dot: f64 = first.iter().zip(&direction).map(|(a, b)| a * b).sum();
        assert!(dot > 0.999, "first component {first:?}");
        let orthogonal: f64 = first.iter().zip(second).map(|(a, b)| a * b).sum();
        assert!(orthogonal.abs() < 1e-9);
        let [r1, r2] = pca.explained_variance_ratio();
        assert!(
            r1 > 0.99 && r2 < 0.01 && r1 + r2 <= 1.0 + 1e-12,
            "{r1} {r2}"
        );
        assert!((pca.mean()[0] - 7.0).abs() < 1.0);
    }

    #[test]
    fn fewer_rows_than_columns_use_the_gram_matrix() {
        // 3 rows of 5 columns: the same components whichever way they are computed.
        let rows: [f64; 15] = [
            1.0, 0.0, 2.0, 0.0, 0.5, 2.0, 1.0, 0.0, 1.0, 0.0, 0.0, 3.0, 1.0, 2.0, 1.0,
        ];
        let wide = Pca::fit(&rows, 3, 5).unwrap();
        let projected = wide.project(&rows).unwrap();
        // Pairwise distances within the two components never exceed the original ones, and the
        // first component carries most of the variance.
        let [r1, r2] = wide.explained_variance_ratio();
        assert!(
            r1 >= r2 && (r1 + r2 - 1.0).abs() < 1e-9,
            "3 points span a plane"
        );
        let d = |a: (f64, f64), b: (f64, f64)| ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
        let original = |i: usize, j: usize| {
            (0..5)
                .map(|k| (rows[5 * i + k] - rows[5 * j + k]).powi(2))
                .sum::<f64>()
                .sqrt()
        };
        for (i, j) in [(0, 1), (0, 2), (1, 2)] {
            assert!((d(projected[i], projected[j]) - original(i, j)).abs() < 1e-9);
        }
    }

    #[test]
    fn degenerate_and_bad_inputs() {
        let constant = Pca::fit(&[2.0, 2.0, 2.0, 2.0], 2, 2).unwrap();
        assert_eq!(constant.explained_variance_ratio(), [0.0, 0.0]);
        assert_eq!(constant.project(&[2.0, 2.0]).unwrap(), vec![(0.0, 0.0)]);
        let one_row = pca_2d(&[1.0f32, 2.0, 3.0], 1, 3).unwrap();
        assert_eq!(one_row.points, vec![(0.0, 0.0)]);
        assert_eq!(
            Pca::fit::<f64>(&[], 0, 3),
            Err(ProjectionError::Empty {
                n_rows: 0,
                n_cols: 3
            })
        );
        assert!(matches!(
            Pca::fit(&[1.0, 2.0, 3.0], 2, 2),
            Err(ProjectionError::ShapeMismatch { len: 3, .. })
        ));
        assert!(matches!(
            Pca::fit(&[1.0, f64::NAN, 3.0, 4.0], 2, 2),
            Err(ProjectionError::NonFinite { row: 0, col: 1, .. })
        ));
        assert!(matches!(
            constant.project(&[1.0, 2.0, 3.0]),
            Err(ProjectionError::RaggedRows { len: 3, n_cols: 2 })
        ));
    }
}
