//! A dense matrix of samples as read from a file.

/// A dense `rows x cols` matrix of finite `f64` values, one sample per row.
///
/// Every reader in [`crate::io`] returns this type; `values` is row-major, so row `i` is
/// `values[i * cols..(i + 1) * cols]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    /// Number of rows (samples).
    pub rows: usize,
    /// Number of columns (features).
    pub cols: usize,
    /// The `rows * cols` values, row-major.
    pub values: Vec<f64>,
    /// Column names, when the file had a header line (CSV only).
    pub header: Option<Vec<String>>,
}

impl Matrix {
    /// `[rows, cols]`, the shape a `Tensor<B, 2>` built from `values` has.
    pub fn shape(&self) -> [usize; 2] {
        [self.rows, self.cols]
    }

    /// Row `index` as a slice of `cols` values.
    ///
    /// # Panics
    /// When `index >= rows`.
    pub fn row(&self, index: usize) -> &[f64] {
        assert!(
            index < self.rows,
            "row index {index} is out of range for a matrix with {} rows",
            self.rows
        );
        &self.values[index * self.cols..(index + 1) * self.cols]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_by_three() -> Matrix {
        Matrix {
            rows: 2,
            cols: 3,
            values: vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            header: None,
        }
    }

    #[test]
    fn rows_are_row_major_slices() {
        let matrix = two_by_three();
        assert_eq!(matrix.shape(), [2, 3]);
        assert_eq!(matrix.row(0), &[1.0, 2.0, 3.0]);
        assert_eq!(matrix.row(1), &[4.0, 5.0, 6.0]);
    }

    #[test]
    #[should_panic(expected = "row index 2 is out of range for a matrix with 2 rows")]
    fn row_out_of_range_panics_with_the_index() {
        two_by_three().row(2);
    }
}
