//! Labelled images in a CSV file: one image a row, pixels first, the label last.

use std::path::Path;

use super::classes::index_labels;
use super::error::{DataError, malformed};
use crate::io::{CsvTable, Matrix, csv_matrix, read_csv_matrix};

/// A CSV image table before normalisation: pixel rows, raw label values, image size.
#[derive(Debug, Clone)]
pub struct CsvImages {
    /// Pixels, one row of `height * width` values per image.
    pub pixels: Vec<f64>,
    /// The label column, as written.
    pub labels: Vec<f64>,
    /// Image height.
    pub height: usize,
    /// Image width.
    pub width: usize,
}

/// Reads a CSV with the label in the last column (a header line is allowed). Images are
/// `height x width` when given, else square (the pixel count must then be a perfect square).
pub fn read_labelled_csv(
    path: &Path,
    size: Option<(usize, usize)>,
) -> Result<CsvImages, DataError> {
    labelled_images(read_csv_matrix(path)?, path, size)
}

/// [`read_labelled_csv`] of a file already in memory; `path` names it in errors.
pub fn parse_labelled_csv(
    path: &Path,
    bytes: Vec<u8>,
    size: Option<(usize, usize)>,
) -> Result<CsvImages, DataError> {
    let table = CsvTable::from_bytes(path.to_path_buf(), bytes)?;
    labelled_images(csv_matrix(table)?, path, size)
}

fn labelled_images(
    matrix: Matrix,
    path: &Path,
    size: Option<(usize, usize)>,
) -> Result<CsvImages, DataError> {
    if matrix.cols < 2 {
        return Err(malformed(
            path,
            format!(
                "{} column(s): need pixel columns and a label column",
                matrix.cols
            ),
        ));
    }
    let pixels_per_row = matrix.cols - 1;
    let (height, width) = match size {
        Some((h, w)) if h * w == pixels_per_row => (h, w),
        Some((h, w)) => {
            return Err(malformed(
                path,
                format!("{pixels_per_row} pixel columns do not make {h}x{w} images"),
            ));
        }
        None => {
            let side = (pixels_per_row as f64).sqrt().round() as usize;
            if side * side != pixels_per_row {
                return Err(malformed(
                    path,
                    format!(
                        "{pixels_per_row} pixel columns (before the label) are not a square image"
                    ),
                ));
            }
            (side, side)
        }
    };
    let mut pixels = Vec::with_capacity(matrix.rows * pixels_per_row);
    let mut labels = Vec::with_capacity(matrix.rows);
    for r in 0..matrix.rows {
        let row = matrix.row(r);
        pixels.extend_from_slice(&row[..pixels_per_row]);
        labels.push(row[pixels_per_row]);
    }
    for (r, label) in labels.iter().enumerate() {
        if label.fract() != 0.0 || *label < 0.0 {
            let line = r + 1 + usize::from(matrix.header.is_some());
            return Err(malformed(
                path,
                format!("line {line}: label {label} is not a non-negative integer"),
            ));
        }
    }
    Ok(CsvImages {
        pixels,
        labels,
        height,
        width,
    })
}

impl CsvImages {
    /// Class names (the distinct labels, in increasing order) and each row's class index.
    pub fn classes(&self) -> (Vec<String>, Vec<usize>) {
        index_labels(self.labels.iter().map(|l| *l as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("da-csv-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn square_images_with_a_label_column() {
        let path = write("ok.csv", "p0,p1,p2,p3,label\n0,1,2,3,7\n4,5,6,7,2\n");
        let t = read_labelled_csv(&path, None).unwrap();
        assert_eq!(
            (t.height, t.width, t.labels.clone()),
            (2, 2, vec![7.0, 2.0])
        );
        assert_eq!(
            t.classes(),
            (vec!["2".to_string(), "7".to_string()], vec![1, 0])
        );
    }

    #[test]
    fn errors_name_the_file_and_problem() {
        let err = read_labelled_csv(&write("ns.csv", "1,2,3,4\n"), None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("ns.csv") && err.contains("3 pixel columns"),
            "{err}"
        );
        let err = read_labelled_csv(&write("fr.csv", "1,2,3,4,0.5\n"), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 1: label 0.5"), "{err}");
        let err = read_labelled_csv(&write("sz.csv", "1,2,3,4,1\n"), Some((3, 2)))
            .unwrap_err()
            .to_string();
        assert!(err.contains("do not make 3x2"), "{err}");
        let err = read_labelled_csv(&write("bad.csv", "1,2,x,4,1\n"), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("bad.csv") && err.contains("line 1"), "{err}");
    }
}
