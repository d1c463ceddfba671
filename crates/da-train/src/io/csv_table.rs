//! Comma-separated numeric files, read with the `csv` crate: a table reader that checks the
//! shape and keeps every row's line, and the matrix reader built on it.
//!
//! The format: RFC 4180 CSV (fields separated by commas, double-quoted fields may hold commas,
//! quotes and line breaks), whitespace around a field ignored. The first non-blank line is a
//! header when one of its fields is a non-empty non-number (`x1, x2, label`); every row, the
//! header included, must have the same number of fields. Blank lines are allowed only at the
//! end of the file. Line endings may be `\n` or `\r\n`, and a UTF-8 byte-order mark is skipped.
//! Errors name the file, and the line and column where there is one.

use std::path::{Path, PathBuf};

use super::error::ReadError;
use super::matrix::Matrix;

/// A CSV file split into records and checked for shape, its fields not yet interpreted.
///
/// [`read_csv_matrix`] reads every field as a number; readers for other layouts (a label
/// column, say) walk [`CsvTable::rows`] themselves and parse fields with [`CsvTable::number`],
/// which reports errors with the file, line and column.
#[derive(Debug, Clone)]
pub struct CsvTable {
    path: PathBuf,
    header: Option<Vec<String>>,
    first_line: usize,
    width: usize,
    rows: Vec<(usize, csv::StringRecord)>,
}

/// One data row of a [`CsvTable`].
#[derive(Debug, Clone, PartialEq)]
pub struct CsvRow<'a> {
    /// The row's line in the file (1-based; the first line of a row whose quoted fields span
    /// several).
    pub line: usize,
    /// The row's fields, whitespace trimmed; there are always [`CsvTable::width`] of them.
    pub fields: Vec<&'a str>,
}

impl CsvTable {
    /// Reads `path` and checks its shape.
    ///
    /// # Errors
    /// [`ReadError::Io`] when the file cannot be read, [`ReadError::NotText`] when it is not
    /// UTF-8, [`ReadError::Empty`] when it has no non-blank line, [`ReadError::NoDataRows`] when
    /// it has only a header, [`ReadError::BlankLine`] for a blank line before the last row,
    /// [`ReadError::Ragged`] for a row whose field count differs from the first line's and
    /// [`ReadError::BadCsv`] for what the CSV parser rejects.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, ReadError> {
        let path = path.as_ref().to_path_buf();
        match std::fs::read(&path) {
            Ok(bytes) => Self::from_bytes(path, bytes),
            Err(source) => Err(ReadError::Io { path, source }),
        }
    }

    /// Parses the contents of a file already in memory; `path` names it in errors.
    ///
    /// # Errors
    /// Those of [`CsvTable::read`] but [`ReadError::Io`].
    pub fn from_bytes(path: PathBuf, bytes: Vec<u8>) -> Result<Self, ReadError> {
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(err) => {
                let valid = &err.as_bytes()[..err.utf8_error().valid_up_to()];
                let line = 1 + valid.iter().filter(|&&byte| byte == b'\n').count();
                return Err(ReadError::NotText { path, line });
            }
        };
        let body = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(body.as_bytes());
        let mut header = None;
        let mut first: Option<(usize, usize)> = None; // (line, width)
        let mut rows = Vec::new();
        // The line after the last non-blank record: a record starting later skipped a blank.
        let mut next_line = 1;
        let mut blank: Option<usize> = None;
        for record in reader.records() {
            let record = match record {
                Ok(record) => record,
                Err(err) => {
                    let line = err.position().map_or(0, |p| p.line() as usize);
                    return Err(ReadError::BadCsv {
                        path,
                        line,
                        reason: err.to_string(),
                    });
                }
            };
            // The record's first line, counted from its byte offset: the parser's position is
            // where it started looking, before the empty lines it skipped.
            let line = record.position().map_or(next_line, |p| {
                let bytes = body.as_bytes();
                let mut start = (p.byte() as usize).min(bytes.len());
                while matches!(bytes.get(start), Some(b'\n' | b'\r')) {
                    start += 1;
                }
                1 + bytes[..start].iter().filter(|&&b| b == b'\n').count()
            });
            if record.len() == 1 && record[0].is_empty() {
                // A line of whitespace only.
                blank.get_or_insert(line);
                next_line = line + 1;
                continue;
            }
            if line > next_line {
                // The parser skips empty lines; this record starts after one.
                blank.get_or_insert(next_line);
            }
            if let Some(line) = blank {
                return Err(ReadError::BlankLine { path, line });
            }
            let spanned = record
                .iter()
                .map(|f| f.matches('\n').count())
                .sum::<usize>();
            next_line = line + 1 + spanned;
            match first {
                None => {
                    first = Some((line, record.len()));
                    if is_header(&record) {
                        header = Some(record.iter().map(unquote).collect());
                        continue;
                    }
                }
                Some((first_line, expected)) if record.len() != expected => {
                    return Err(ReadError::Ragged {
                        path,
                        line,
                        found: record.len(),
                        expected,
                        first_line,
                    });
                }
                Some(_) => {}
            }
            rows.push((line, record));
        }
        let Some((first_line, width)) = first else {
            return Err(ReadError::Empty { path });
        };
        if rows.is_empty() {
            return Err(ReadError::NoDataRows {
                path,
                header_line: first_line,
            });
        }
        Ok(Self {
            path,
            header,
            first_line,
            width,
            rows,
        })
    }

    /// The file this table was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The header's column names, if the file has a header.
    pub fn header(&self) -> Option<&[String]> {
        self.header.as_deref()
    }

    /// The line of the header, or of the first data row when there is no header (1-based).
    pub fn first_line(&self) -> usize {
        self.first_line
    }

    /// Number of fields of every row.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Number of data rows (at least 1).
    pub fn row_count(&self) -> usize {
        self.rows.len()
    }

    /// The data rows, in file order.
    pub fn rows(&self) -> impl Iterator<Item = CsvRow<'_>> + '_ {
        self.rows.iter().map(|(line, record)| CsvRow {
            line: *line,
            fields: record.iter().collect(),
        })
    }

    /// Field `column` (0-based) of `row` as a finite number.
    ///
    /// # Errors
    /// [`ReadError::NotANumber`] or [`ReadError::NotFinite`], naming this file, the row's line
    /// and the column (1-based).
    ///
    /// # Panics
    /// When `column >= self.width()`.
    pub fn number(&self, row: &CsvRow<'_>, column: usize) -> Result<f64, ReadError> {
        parse_number(&self.path, row.line, column + 1, row.fields[column])
    }
}

/// Parses one field as a finite `f64`; `line` and `column` (both 1-based) go into the error.
///
/// # Errors
/// [`ReadError::NotANumber`] when `field` does not parse, [`ReadError::NotFinite`] for `nan`,
/// `inf` and the like.
pub fn parse_number(
    path: &Path,
    line: usize,
    column: usize,
    field: &str,
) -> Result<f64, ReadError> {
    let error = |finite: bool| {
        let (path, field) = (path.to_path_buf(), field.to_owned());
        Err(if finite {
            ReadError::NotANumber {
                path,
                line,
                column,
                field,
            }
        } else {
            ReadError::NotFinite {
                path,
                line,
                column,
                field,
            }
        })
    };
    match field.parse::<f64>() {
        Ok(value) if value.is_finite() => Ok(value),
        Ok(_) => error(false),
        Err(_) => error(true),
    }
}

/// Reads a CSV file of numbers into a [`Matrix`], one row per data line.
///
/// The format: RFC 4180 CSV (quoted fields may hold commas, quotes and line breaks), whitespace
/// around a field ignored; the first non-blank line is a header when one of its fields is a
/// non-empty non-number, every row has the same number of fields, and blank lines are allowed
/// only at the end. The header, when there is one, becomes [`Matrix::header`].
///
/// # Errors
/// Those of [`CsvTable::read`], and [`ReadError::NotANumber`] / [`ReadError::NotFinite`] for the
/// first field that is not a finite number, naming its line and column.
pub fn read_csv_matrix(path: impl AsRef<Path>) -> Result<Matrix, ReadError> {
    csv_matrix(CsvTable::read(path)?)
}

/// The numbers of a [`CsvTable`] as a [`Matrix`] (the errors of [`read_csv_matrix`]).
pub fn csv_matrix(table: CsvTable) -> Result<Matrix, ReadError> {
    let mut values = Vec::with_capacity(table.row_count() * table.width());
    for row in table.rows() {
        for column in 0..table.width() {
            values.push(table.number(&row, column)?);
        }
    }
    Ok(Matrix {
        rows: table.row_count(),
        cols: table.width(),
        values,
        header: table.header,
    })
}

/// A first line is a header when some field is neither empty nor a number; an empty field in an
/// otherwise numeric line is a data error, reported as such, not a header.
fn is_header(record: &csv::StringRecord) -> bool {
    record
        .iter()
        .any(|field| !field.is_empty() && field.parse::<f64>().is_err())
}

/// A header field quoted after leading whitespace (`x1, "x 2"`), which CSV keeps verbatim,
/// without its quotes.
fn unquote(field: &str) -> String {
    field
        .strip_prefix('"')
        .and_then(|inner| inner.strip_suffix('"'))
        .unwrap_or(field)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::test_files::TestDir;

    #[test]
    fn reads_a_matrix_without_header() {
        let dir = TestDir::new("csv_no_header");
        let path = dir.write("a.csv", "1, 2.5,-3\n4,5e-1 , 6\r\n\n  \n");
        let matrix = read_csv_matrix(&path).unwrap();
        assert_eq!(
            matrix,
            Matrix {
                rows: 2,
                cols: 3,
                values: vec![1.0, 2.5, -3.0, 4.0, 0.5, 6.0],
                header: None,
            }
        );
    }

    #[test]
    fn reads_a_matrix_with_header() {
        let dir = TestDir::new("csv_header");
        let path = dir.write("a.csv", "\u{feff}x1, \"x 2\"\n0.25,1\n-1,2\n3,4");
        let matrix = read_csv_matrix(&path).unwrap();
        assert_eq!(matrix.shape(), [3, 2]);
        assert_eq!(matrix.values, vec![0.25, 1.0, -1.0, 2.0, 3.0, 4.0]);
        assert_eq!(matrix.header, Some(vec!["x1".to_owned(), "x 2".to_owned()]));
    }

    #[test]
    fn quoted_fields_hold_commas_and_line_breaks() {
        let dir = TestDir::new("csv_quoted");
        let path = dir.write("q.csv", "\"a,b\",c\n\"1\",2\n3,\"4\"\n");
        let matrix = read_csv_matrix(&path).unwrap();
        assert_eq!(matrix.header, Some(vec!["a,b".to_owned(), "c".to_owned()]));
        assert_eq!(matrix.values, vec![1.0, 2.0, 3.0, 4.0]);
        // A header field spanning two lines: the rows after it keep their true lines.
        let path = dir.write("m.csv", "\"x\ny\",z\n1,2\n3,abc\n");
        let err = read_csv_matrix(&path).unwrap_err();
        assert!(
            matches!(
                err,
                ReadError::NotANumber {
                    line: 4,
                    column: 2,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn a_single_column_is_a_matrix_too() {
        let dir = TestDir::new("csv_single_column");
        let path = dir.write("a.csv", "1\n2\n3\n");
        let matrix = read_csv_matrix(&path).unwrap();
        assert_eq!((matrix.rows, matrix.cols), (3, 1));
    }

    #[test]
    fn ragged_rows_name_the_line_and_counts() {
        let dir = TestDir::new("csv_ragged");
        let path = dir.write("r.csv", "a,b,c,d\n1,2,3,4\n1,2,3,4\n1,2,3\n");
        let err = read_csv_matrix(&path).unwrap_err();
        assert!(matches!(
            err,
            ReadError::Ragged {
                line: 4,
                found: 3,
                expected: 4,
                first_line: 1,
                ..
            }
        ));
        assert_eq!(
            err.to_string(),
            format!(
                "{}: line 4 has 3 fields, expected 4 (as on line 1)",
                path.display()
            )
        );
    }

    #[test]
    fn a_non_number_names_line_and_column() {
        let dir = TestDir::new("csv_not_a_number");
        let path = dir.write("n.csv", "1,2\n3,4\n5, abc\n");
        let err = read_csv_matrix(&path).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}: line 3, column 2: 'abc' is not a number",
                path.display()
            )
        );
    }

    #[test]
    fn an_empty_field_is_a_data_error_not_a_header() {
        let dir = TestDir::new("csv_empty_field");
        let path = dir.write("e.csv", "1,,3\n4,5,6\n");
        let err = read_csv_matrix(&path).unwrap_err();
        assert!(
            matches!(err, ReadError::NotANumber { line: 1, column: 2, ref field, .. } if field.is_empty()),
            "{err:?}"
        );
    }

    #[test]
    fn non_finite_values_are_rejected() {
        let dir = TestDir::new("csv_non_finite");
        for (name, field) in [
            ("nan.csv", "NaN"),
            ("inf.csv", "-inf"),
            ("big.csv", "1e999"),
        ] {
            let path = dir.write(name, &format!("1,2\n3,{field}\n"));
            let err = read_csv_matrix(&path).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "{}: line 2, column 2: '{field}' is not a finite number",
                    path.display()
                )
            );
        }
    }

    #[test]
    fn empty_files_and_header_only_files_are_errors() {
        let dir = TestDir::new("csv_empty");
        let empty = dir.write("empty.csv", "");
        let err = read_csv_matrix(&empty).unwrap_err();
        assert!(matches!(err, ReadError::Empty { .. }), "{err:?}");
        assert!(
            err.to_string()
                .starts_with(&format!("{}: ", empty.display()))
        );

        let blank = dir.write("blank.csv", "\n  \n\n");
        assert!(matches!(
            read_csv_matrix(&blank).unwrap_err(),
            ReadError::Empty { .. }
        ));

        let header_only = dir.write("header.csv", "x,y\n\n");
        let err = read_csv_matrix(&header_only).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}: no data rows after the header on line 1",
                header_only.display()
            )
        );
    }

    #[test]
    fn blank_lines_before_the_last_row_are_errors() {
        let dir = TestDir::new("csv_blank_inside");
        let path = dir.write("b.csv", "1,2\n\n3,4\n");
        let err = read_csv_matrix(&path).unwrap_err();
        assert!(
            matches!(err, ReadError::BlankLine { line: 2, .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("line 2 is blank"), "{err}");
    }

    #[test]
    fn a_missing_file_names_the_path_and_the_os_error() {
        let dir = TestDir::new("csv_missing");
        let path = dir.path().join("missing.csv");
        let err = read_csv_matrix(&path).unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with(&format!("cannot read {}: ", path.display())),
            "{message}"
        );
        let ReadError::Io { source, .. } = err else {
            panic!("expected an I/O error, got {err:?}");
        };
        assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
    }

    #[test]
    fn invalid_utf8_names_the_line() {
        let dir = TestDir::new("csv_not_utf8");
        let path = dir.write_bytes("u.csv", b"1,2\n3,\xff\n");
        let err = read_csv_matrix(&path).unwrap_err();
        assert!(matches!(err, ReadError::NotText { line: 2, .. }), "{err:?}");
    }

    #[test]
    fn the_table_exposes_rows_for_other_layouts() {
        let dir = TestDir::new("csv_table");
        let path = dir.write("t.csv", "label,x\n1, 0.5\n0,abc\n");
        let table = CsvTable::read(&path).unwrap();
        assert_eq!(table.path(), path.as_path());
        assert_eq!(
            table.header(),
            Some(&["label".to_owned(), "x".to_owned()][..])
        );
        assert_eq!(
            (table.first_line(), table.width(), table.row_count()),
            (1, 2, 2)
        );
        let rows: Vec<CsvRow<'_>> = table.rows().collect();
        assert_eq!(
            rows[0],
            CsvRow {
                line: 2,
                fields: vec!["1", "0.5"]
            }
        );
        assert_eq!(table.number(&rows[0], 1).unwrap(), 0.5);
        let err = table.number(&rows[1], 1).unwrap_err();
        assert!(
            matches!(
                err,
                ReadError::NotANumber {
                    line: 3,
                    column: 2,
                    ..
                }
            ),
            "{err:?}"
        );
    }
}
