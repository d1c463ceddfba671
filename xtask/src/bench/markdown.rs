//! The markdown report: a header saying where and how it was made, one table per group.

use super::case::Shape;
use super::row::{Outcome, Row, exp_bound_ms};

/// Where and how a report was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// `git rev-parse --short HEAD`, or `unknown`.
    pub commit: String,
    /// CPU model and cores.
    pub machine: String,
    /// When (UTC).
    pub date: String,
    /// The run's settings (`quick`, samples, memory cap...).
    pub settings: String,
    /// Extra lines (backends skipped, PyTorch missing...).
    pub notes: Vec<String>,
}

/// Which PyTorch row a row is compared with: the same group, variant and shape, measured, on the
/// same kind of device (PyTorch CUDA for the cuda rows, PyTorch CPU for the others), preferring
/// the seed's code, then the matrix-product version, then the CNN step.
pub fn torch_reference<'a>(row: &Row, rows: &'a [Row]) -> Option<&'a Row> {
    if row.case.backend.starts_with("torch") {
        return None;
    }
    let torch_backend = match row.case.backend.as_str() {
        "cuda" => "torch-cuda",
        _ => "torch-cpu",
    };
    ["torch-seed", "torch-matmul", "torch"]
        .iter()
        .find_map(|implementation| {
            rows.iter().find(|other| {
                other.case.implementation == *implementation
                    && other.case.backend == torch_backend
                    && other.case.group == row.case.group
                    && other.case.variant == row.case.variant
                    && other.case.shape == row.case.shape
                    && other.median_ms().is_some()
            })
        })
}

/// `ours / torch` median-time ratio and the torch implementation, e.g. `0.85 (torch-seed)`.
fn ratio_cell(row: &Row, rows: &[Row]) -> String {
    match (row.median_ms(), torch_reference(row, rows)) {
        (Some(ours), Some(torch)) => format!(
            "{:.2} ({})",
            ours / torch.median_ms().expect("measured"),
            torch.case.implementation
        ),
        _ => "-".into(),
    }
}

/// Milliseconds with about three significant digits.
pub fn ms(value: f64) -> String {
    three_digits(value)
}

/// A positive number with about three significant digits (`0.512`, `51.2`, `5120`).
fn three_digits(value: f64) -> String {
    if value < 10.0 {
        format!("{value:.3}")
    } else if value < 1000.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.0}")
    }
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn optional(value: Option<f64>, digits: usize) -> String {
    value.map_or_else(|| "-".into(), |v| format!("{v:.digits$}"))
}

fn timing_cells(row: &Row) -> [String; 4] {
    match &row.outcome {
        Outcome::Measured(t) => [
            ms(t.median_ms),
            ms(t.min_ms),
            ms(t.max_ms),
            t.samples.to_string(),
        ],
        _ => ["-".into(), "-".into(), "-".into(), "-".into()],
    }
}

fn table(head: &[&str], lines: Vec<Vec<String>>) -> String {
    let mut out = format!("| {} |\n|", head.join(" | "));
    for name in head {
        out.push_str(
            if name.ends_with("ms")
                || name.contains("MiB")
                || name.contains("/s")
                || name.starts_with("x ")
            {
                "---:|"
            } else {
                "---|"
            },
        );
    }
    out.push('\n');
    for line in lines {
        let cells: Vec<String> = line.iter().map(|c| cell(c)).collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out
}

/// Heading of the column of [`exp_bound_cell`].
const EXP_BOUND_COLUMN: &str = "x exp bound";

/// What [`EXP_BOUND_COLUMN`] means, printed below the MMD table when it is there.
const EXP_BOUND_NOTE: &str = "x exp bound: the median time over the time that the case's \
exponentials alone take at the fastest exp throughput measured on its backend ((n+m)^2 exponentials for \
`ours`, whose other kernels are squarings, 5 (n+m)^2 for `ours-exp-per-kernel` and `naive`). It \
says how far each size is from the machine's exp-throughput limit: 1.0 would mean the case does \
nothing but its exponentials; the rest is distances, matrix products, the backward pass and \
overhead.";

/// `row`'s median over its exponential bound ([`exp_bound_ms`]), e.g. `3.41`; `-` without one.
fn exp_bound_cell(row: &Row, rows: &[Row]) -> String {
    match (row.median_ms(), exp_bound_ms(row, rows)) {
        (Some(median), Some(bound)) if bound > 0.0 => three_digits(median / bound),
        _ => "-".into(),
    }
}

/// The MMD table: one line per MMD row, and the note on the exp-bound column when it is there.
pub fn mmd_table(rows: &[Row]) -> String {
    let compare = rows.iter().any(|r| r.case.backend.starts_with("torch"));
    let bounded = rows.iter().any(|r| exp_bound_ms(r, rows).is_some());
    let mut head = vec![
        "implementation",
        "loss",
        "backend",
        "n",
        "m",
        "d",
        "median ms",
        "min ms",
        "max ms",
        "samples",
        "peak RSS MiB",
    ];
    if bounded {
        head.push(EXP_BOUND_COLUMN);
    }
    if compare {
        head.push("ours / torch");
    }
    head.push("status");
    let lines = rows
        .iter()
        .filter_map(|row| {
            let Shape::Mmd { n, m, d } = row.case.shape else {
                return None;
            };
            let mut line = vec![
                row.case.implementation.clone(),
                row.case.variant.clone(),
                row.case.backend.clone(),
                n.to_string(),
                m.to_string(),
                d.to_string(),
            ];
            line.extend(timing_cells(row));
            line.push(optional(row.peak_rss_mib, 1));
            if bounded {
                line.push(exp_bound_cell(row, rows));
            }
            if compare {
                line.push(ratio_cell(row, rows));
            }
            line.push(row.outcome.status());
            Some(line)
        })
        .collect();
    let mut out = table(&head, lines);
    if bounded {
        out.push('\n');
        out.push_str(EXP_BOUND_NOTE);
        out.push('\n');
    }
    out
}

/// `exp throughput on <backend>: X G exp/s (...)` for each exp row, or what happened to it.
fn exp_lines(rows: &[Row]) -> Vec<String> {
    rows.iter()
        .filter_map(|row| {
            let Shape::Exp { elements } = row.case.shape else {
                return None;
            };
            let what = match row.case.implementation.as_str() {
                "host" => "mmd-core's host exponential, all threads",
                _ => "`exp()`",
            };
            let result = match (row.exps_per_second(), row.median_ms()) {
                (Some(rate), Some(median)) => format!(
                    "{} G exp/s ({what} of {elements} f32, median {} ms)",
                    three_digits(rate / 1e9),
                    ms(median)
                ),
                _ => row.outcome.status(),
            };
            let backend = &row.case.backend;
            Some(match row.case.implementation.as_str() {
                "burn" => format!("exp throughput on {backend}: {result}"),
                other => format!("exp throughput on {backend} ({other}): {result}"),
            })
        })
        .collect()
}

/// The CNN table: one line per CNN row.
pub fn cnn_table(rows: &[Row]) -> String {
    let compare = rows.iter().any(|r| r.case.backend.starts_with("torch"));
    let mut head = vec![
        "network-training",
        "implementation",
        "backend",
        "conv",
        "batch",
        "image",
        "median ms",
        "min ms",
        "max ms",
        "samples",
        "images/s",
        "peak RSS MiB",
    ];
    if compare {
        head.push("ours / torch");
    }
    head.push("status");
    let lines = rows
        .iter()
        .filter_map(|row| {
            let Shape::Cnn {
                source_batch,
                target_batch,
                image: [c, h, w],
            } = row.case.shape
            else {
                return None;
            };
            let mut line = vec![
                row.case.variant.clone(),
                row.case.implementation.clone(),
                row.case.backend.clone(),
                row.conv.clone().unwrap_or_else(|| "-".into()),
                format!("{source_batch}+{target_batch}"),
                format!("{c}x{h}x{w}"),
            ];
            line.extend(timing_cells(row));
            line.push(optional(row.images_per_second(), 1));
            line.push(optional(row.peak_rss_mib, 1));
            if compare {
                line.push(ratio_cell(row, rows));
            }
            line.push(row.outcome.status());
            Some(line)
        })
        .collect();
    table(&head, lines)
}

/// The device of each backend, in order of first appearance (`ndarray: cpu: ...`).
fn devices(rows: &[Row]) -> Vec<String> {
    let mut seen: Vec<(String, String)> = Vec::new();
    for row in rows {
        if let Some(device) = &row.device
            && !seen.iter().any(|(backend, _)| *backend == row.case.backend)
        {
            seen.push((row.case.backend.clone(), device.clone()));
        }
    }
    seen.into_iter()
        .map(|(backend, device)| format!("{backend}: {device}"))
        .collect()
}

/// The whole report.
pub fn report(header: &Header, rows: &[Row]) -> String {
    let mut out = String::from("# Benchmark report\n\n");
    out.push_str(&format!("- commit: {}\n", header.commit));
    out.push_str(&format!("- machine: {}\n", header.machine));
    out.push_str(&format!("- date: {}\n", header.date));
    out.push_str(&format!("- settings: {}\n", header.settings));
    for device in devices(rows) {
        out.push_str(&format!("- device {device}\n"));
    }
    for line in exp_lines(rows) {
        out.push_str(&format!("- {line}\n"));
    }
    for note in &header.notes {
        out.push_str(&format!("- {note}\n"));
    }
    let has = |group: &str| rows.iter().any(|r| r.case.group == group);
    if has("mmd") {
        out.push_str("\n## MMD forward + backward\n\n");
        out.push_str(&mmd_table(rows));
    }
    if let Some(breakdown) = super::breakdown::table(rows) {
        out.push_str("\n## Where the time goes (Gaussian biased MMD, `ours`)\n\n");
        out.push_str(&breakdown);
    }
    let of = |group: &str| -> Vec<Row> {
        rows.iter()
            .filter(|r| r.case.group == group)
            .cloned()
            .collect()
    };
    if has("cnn") {
        out.push_str("\n## CNN training step (forward, backward, Adam step)\n\n");
        out.push_str(&cnn_table(&of("cnn")));
    }
    if has("dp") {
        out.push_str(
            "\n## Data-parallel training step (da-train's loop, the batch split over N devices, \
             gradients all-reduced through burn-collective)\n\n",
        );
        out.push_str(&cnn_table(&of("dp")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::case::Case;
    use crate::bench::row::Timing;

    fn row(implementation: &str, backend: &str, median_ms: Option<f64>) -> Row {
        Row {
            case: Case {
                group: "mmd".into(),
                implementation: implementation.into(),
                variant: "gaussian-biased".into(),
                backend: backend.into(),
                shape: Shape::Mmd {
                    n: 64,
                    m: 64,
                    d: 14,
                },
            },
            device: Some(format!("{backend} device")),
            conv: None,
            outcome: match median_ms {
                Some(median_ms) => Outcome::Measured(Timing {
                    samples: 3,
                    median_ms,
                    min_ms: median_ms / 2.0,
                    max_ms: median_ms * 2.0,
                    times_ms: vec![median_ms / 2.0, median_ms, median_ms * 2.0],
                }),
                None => Outcome::Skipped("needs 12.0 GiB, cap 8.0 GiB".into()),
            },
            peak_rss_mib: median_ms.map(|_| 14.25),
        }
    }

    #[test]
    fn mmd_table_has_a_line_per_row_and_aligned_columns() {
        let rows = vec![
            row("ours", "ndarray", Some(2.5)),
            row("naive", "ndarray", None),
        ];
        let table = mmd_table(&rows);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 4, "{table}");
        assert_eq!(
            lines[0],
            "| implementation | loss | backend | n | m | d | median ms | min ms | max ms | samples | peak RSS MiB | status |"
        );
        assert_eq!(lines[1].matches('|').count(), lines[0].matches('|').count());
        assert_eq!(
            lines[2],
            "| ours | gaussian-biased | ndarray | 64 | 64 | 14 | 2.500 | 1.250 | 5.000 | 3 | 14.2 | ok |"
        );
        assert_eq!(
            lines[3],
            "| naive | gaussian-biased | ndarray | 64 | 64 | 14 | - | - | - | - | - | skipped: needs 12.0 GiB, cap 8.0 GiB |"
        );
    }

    fn exp_row(backend: &str, median_ms: Option<f64>) -> Row {
        let mut exp = row("burn", backend, median_ms);
        exp.case = Case::exp(backend);
        exp
    }

    #[test]
    fn exp_rows_add_a_throughput_line_and_a_bound_column() {
        // 2^22 exponentials in 4 ms: 1.05 G exp/s; n = m = 64: 128^2 = 16384 exponentials for
        // ours (0.015625 ms), five times that for naive.
        let rows = vec![
            exp_row("ndarray", Some(4.0)),
            row("ours", "ndarray", Some(0.0625)),
            row("naive", "ndarray", Some(0.9375)),
            row("ours", "wgpu", Some(1.0)),
            exp_row("wgpu", None),
        ];
        let table = mmd_table(&rows);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(
            lines[0],
            "| implementation | loss | backend | n | m | d | median ms | min ms | max ms | samples | peak RSS MiB | x exp bound | status |"
        );
        assert!(lines[1].ends_with("|---:|---:|---|"), "{}", lines[1]);
        assert!(lines[2].ends_with("| 14.2 | 4.000 | ok |"), "{}", lines[2]);
        assert!(lines[3].ends_with("| 14.2 | 12.0 | ok |"), "{}", lines[3]);
        assert!(
            lines[4].ends_with("| 14.2 | - | ok |"),
            "no wgpu rate: {}",
            lines[4]
        );
        assert_eq!(lines.len(), 7, "no exp rows in the table: {table}");
        assert!(lines[6].starts_with("x exp bound: the median time over"));
        assert!(lines[6].contains("1.0 would mean the case does nothing but its exponentials"));

        let text = report(
            &Header {
                commit: "abc1234".into(),
                machine: "Xeon, 2 cores".into(),
                date: "2026-01-01 00:00 UTC".into(),
                settings: "quick".into(),
                notes: Vec::new(),
            },
            &rows,
        );
        assert!(
            text.contains(
                "- exp throughput on ndarray: 1.049 G exp/s (`exp()` of 4194304 f32, median 4.000 ms)\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("- exp throughput on wgpu: skipped: needs 12.0 GiB, cap 8.0 GiB\n"),
            "{text}"
        );
        assert!(!text.contains("| burn |"), "{text}");
    }

    #[test]
    fn no_bound_column_without_an_exp_throughput() {
        let table = mmd_table(&[row("ours", "ndarray", Some(1.0))]);
        assert!(!table.contains("x exp bound"), "{table}");
    }

    #[test]
    fn torch_rows_add_a_ratio_column() {
        let rows = vec![
            row("ours", "ndarray", Some(5.0)),
            row("torch-matmul", "torch-cpu", Some(4.0)),
            row("torch-seed", "torch-cpu", Some(10.0)),
        ];
        assert_eq!(
            torch_reference(&rows[0], &rows).map(|r| r.case.implementation.as_str()),
            Some("torch-seed")
        );
        assert!(torch_reference(&rows[1], &rows).is_none());
        // A cuda row is compared with PyTorch CUDA only.
        let mut cuda = rows[0].clone();
        cuda.case.backend = "cuda".into();
        assert!(torch_reference(&cuda, &rows).is_none());
        let mut torch_cuda = rows[1].clone();
        torch_cuda.case.backend = "torch-cuda".into();
        let with_gpu = [cuda.clone(), torch_cuda];
        assert_eq!(
            torch_reference(&cuda, &with_gpu).map(|r| r.case.backend.as_str()),
            Some("torch-cuda")
        );
        let table = mmd_table(&rows);
        let ours = table.lines().nth(2).unwrap();
        assert!(ours.ends_with("| 0.50 (torch-seed) | ok |"), "{ours}");
        let torch = table.lines().nth(3).unwrap();
        assert!(torch.ends_with("| - | ok |"), "{torch}");
    }

    #[test]
    fn cnn_table_shows_throughput() {
        let mut cnn = row("ours", "ndarray", Some(96.0));
        cnn.case.group = "cnn".into();
        cnn.case.variant = "lenet-mmd".into();
        cnn.case.shape = Shape::Cnn {
            source_batch: 64,
            target_batch: 32,
            image: [1, 16, 16],
        };
        cnn.conv = Some("im2col".into());
        let table = cnn_table(&[cnn]);
        let line = table.lines().nth(2).unwrap();
        assert_eq!(
            line,
            "| lenet-mmd | ours | ndarray | im2col | 64+32 | 1x16x16 | 96.0 | 48.0 | 192.0 | 3 | 1000.0 | 14.2 | ok |"
        );
    }

    #[test]
    fn report_has_header_devices_and_escaped_cells() {
        let mut failed = row("ours", "wgpu", None);
        failed.outcome = Outcome::Failed("a | b".into());
        let header = Header {
            commit: "abc1234".into(),
            machine: "Xeon, 2 cores".into(),
            date: "2026-01-01 00:00 UTC".into(),
            settings: "quick".into(),
            notes: vec!["PyTorch: not installed".into()],
        };
        let text = report(&header, &[row("ours", "ndarray", Some(1.0)), failed]);
        assert!(text.starts_with("# Benchmark report\n\n- commit: abc1234\n"));
        assert!(text.contains("- device ndarray: ndarray device\n"));
        assert!(text.contains("- PyTorch: not installed\n"));
        assert!(text.contains("## MMD forward + backward"));
        assert!(!text.contains("## CNN"));
        assert!(text.contains("failed: a \\| b |"));
    }
}
