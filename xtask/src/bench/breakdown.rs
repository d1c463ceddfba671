//! Where the time of `mmd-core`'s Gaussian MMD goes on each backend: forward against backward
//! (from the `ours` and `ours-forward` rows), the exponentials (from the backend's measured exp
//! throughput) and the fixed per-call cost (from the smallest case).

use super::case::Shape;
use super::row::{Row, exp_bound_ms};

/// The loss whose time is broken down (the seed's).
const VARIANT: &str = "gaussian-biased";

/// One line of the breakdown: the parts of `ours`'s forward + backward median, in ms.
#[derive(Debug, Clone, PartialEq)]
pub struct Parts {
    /// Backend of the rows.
    pub backend: String,
    /// Rows per batch (`n = m`) and feature width.
    pub n: usize,
    /// Feature width.
    pub d: usize,
    /// Forward + backward median.
    pub total_ms: f64,
    /// Forward-only median.
    pub forward_ms: f64,
    /// What the exponentials take at the measured exp throughput (`None` without one).
    pub exp_ms: Option<f64>,
    /// The smallest forward + backward median on this backend: a floor that every call pays
    /// (dispatch, kernel launches, synchronisation, allocation).
    pub floor_ms: f64,
}

impl Parts {
    /// The backward pass: forward + backward minus forward (0 when noise makes it negative).
    pub fn backward_ms(&self) -> f64 {
        (self.total_ms - self.forward_ms).max(0.0)
    }

    /// What dominates: the fixed per-call cost when the case takes less than twice the smallest
    /// one, else the largest of the exponentials, the rest of the forward pass and the backward
    /// pass.
    pub fn dominant(&self) -> &'static str {
        if self.total_ms < 2.0 * self.floor_ms {
            return "fixed per-call cost";
        }
        let exp = self.exp_ms.unwrap_or(0.0).min(self.forward_ms);
        let parts = [
            (exp, "exponentials"),
            (self.forward_ms - exp, "rest of the forward pass"),
            (self.backward_ms(), "backward pass"),
        ];
        parts
            .iter()
            .fold(
                parts[0],
                |best, part| if part.0 > best.0 { *part } else { best },
            )
            .1
    }
}

/// The breakdown of every shape where both `ours` and `ours-forward` were measured, per backend
/// (not for PyTorch rows).
pub fn parts(rows: &[Row]) -> Vec<Parts> {
    let ours = |implementation: &str, row: &Row| {
        row.case.group == "mmd"
            && row.case.variant == VARIANT
            && row.case.implementation == implementation
            && !row.case.backend.starts_with("torch")
    };
    rows.iter()
        .filter(|row| ours("ours", row))
        .filter_map(|row| {
            let Shape::Mmd { n, d, .. } = row.case.shape else {
                return None;
            };
            let total_ms = row.median_ms()?;
            let forward_ms = rows
                .iter()
                .find(|f| {
                    ours("ours-forward", f)
                        && f.case.backend == row.case.backend
                        && f.case.shape == row.case.shape
                })?
                .median_ms()?;
            let floor_ms = rows
                .iter()
                .filter(|r| ours("ours", r) && r.case.backend == row.case.backend)
                .filter_map(Row::median_ms)
                .fold(f64::INFINITY, f64::min);
            Some(Parts {
                backend: row.case.backend.clone(),
                n,
                d,
                total_ms,
                forward_ms,
                exp_ms: exp_bound_ms(row, rows),
                floor_ms,
            })
        })
        .collect()
}

/// What the table's columns mean, printed below it.
const NOTE: &str = "Shares of `ours`'s forward + backward median: forward from the `ours-forward` \
rows (same loss, no autodiff), backward the difference, exponentials at the backend's fastest measured \
exp throughput ((n+m)^2 of them), the rest of the forward pass (distances, matrix products, \
squarings, block sums) the remainder. x smallest: the case's time over the smallest case's on \
the same backend; below 2 the time hardly grows with the work, so fixed per-call costs \
(operation dispatch, kernel launches and synchronisation on a GPU) dominate.";

fn percent(part: f64, total: f64) -> String {
    format!("{:.0} %", 100.0 * part / total)
}

/// The markdown section body, or `None` when no shape has both rows.
pub fn table(rows: &[Row]) -> Option<String> {
    let parts = parts(rows);
    if parts.is_empty() {
        return None;
    }
    let mut out = String::from(
        "| backend | n = m | d | fwd+bwd ms | forward | backward | exponentials | rest of forward | x smallest | dominant |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n",
    );
    for p in &parts {
        let exp = p.exp_ms.map(|e| e.min(p.forward_ms));
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {:.1} | {} |\n",
            p.backend,
            p.n,
            p.d,
            super::markdown::ms(p.total_ms),
            percent(p.forward_ms, p.total_ms),
            percent(p.backward_ms(), p.total_ms),
            exp.map_or_else(|| "-".into(), |e| percent(e, p.total_ms)),
            exp.map_or_else(|| "-".into(), |e| percent(p.forward_ms - e, p.total_ms)),
            p.total_ms / p.floor_ms,
            p.dominant(),
        ));
    }
    out.push('\n');
    out.push_str(NOTE);
    out.push('\n');
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::case::Case;

    fn row(implementation: &str, backend: &str, n: usize, median_ms: f64) -> Row {
        let case = Case {
            group: "mmd".into(),
            implementation: implementation.into(),
            variant: VARIANT.into(),
            backend: backend.into(),
            shape: Shape::Mmd { n, m: n, d: 14 },
        };
        Row::measured(case, median_ms)
    }

    fn exp(backend: &str, median_ms: f64) -> Row {
        Row::measured(Case::exp(backend), median_ms)
    }

    #[test]
    fn splits_forward_backward_and_exponentials() {
        // 2^22 exponentials in 4 ms; n = m = 1024: 2^22 kernel entries, 4 ms of exponentials.
        let rows = [
            exp("ndarray", 4.0),
            row("ours", "ndarray", 64, 1.0),
            row("ours", "ndarray", 1024, 40.0),
            row("ours-forward", "ndarray", 1024, 10.0),
            // No forward row at 64: no line for it.
        ];
        let parts = parts(&rows);
        assert_eq!(parts.len(), 1, "{parts:?}");
        let p = &parts[0];
        assert_eq!(
            (p.n, p.total_ms, p.forward_ms, p.floor_ms),
            (1024, 40.0, 10.0, 1.0)
        );
        assert!((p.exp_ms.unwrap() - 4.0).abs() < 1e-9);
        assert_eq!(p.backward_ms(), 30.0);
        assert_eq!(p.dominant(), "backward pass");
        let table = table(&rows).unwrap();
        assert!(
            table.contains(
                "| ndarray | 1024 | 14 | 40.0 | 25 % | 75 % | 10 % | 15 % | 40.0 | backward pass |"
            ),
            "{table}"
        );
    }

    #[test]
    fn small_cases_near_the_floor_are_fixed_cost() {
        let rows = [
            row("ours", "wgpu", 64, 10.0),
            row("ours-forward", "wgpu", 64, 5.0),
            row("ours", "wgpu", 256, 15.0),
            row("ours-forward", "wgpu", 256, 6.0),
            row("ours", "wgpu", 1024, 60.0),
            row("ours-forward", "wgpu", 1024, 45.0),
        ];
        let dominant: Vec<&str> = parts(&rows).iter().map(Parts::dominant).collect();
        assert_eq!(
            dominant,
            [
                "fixed per-call cost",
                "fixed per-call cost",
                "rest of the forward pass"
            ]
        );
    }

    #[test]
    fn no_table_without_forward_rows_or_for_torch() {
        assert_eq!(table(&[row("ours", "ndarray", 64, 1.0)]), None);
        let torch = [
            row("ours", "torch-cpu", 64, 1.0),
            row("ours-forward", "torch-cpu", 64, 1.0),
        ];
        assert_eq!(table(&torch), None);
    }
}
