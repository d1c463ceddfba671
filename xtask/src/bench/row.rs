//! A result row: a case and what happened to it, read from and written as JSON.

use serde_json::{Value, json};

use super::case::{Case, Shape};

/// Timings of a measured case, in milliseconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    /// Samples taken.
    pub samples: usize,
    /// Median sample.
    pub median_ms: f64,
    /// Fastest sample.
    pub min_ms: f64,
    /// Slowest sample.
    pub max_ms: f64,
    /// Every sample in the order taken (empty when the line did not list them).
    pub times_ms: Vec<f64>,
}

/// What happened to a case.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Measured.
    Measured(Timing),
    /// Not run, and why (`needs 12.0 GiB ...`, `no adapter`).
    Skipped(String),
    /// Ran out of memory (allocation failure, or killed by the kernel's OOM killer).
    OutOfMemory,
    /// Failed for another reason (a panic, a time-out, a bad output).
    Failed(String),
}

impl Outcome {
    /// `ok`, `skipped`, `out of memory` or `failed`: the `status` field of the JSON rows.
    pub fn kind(&self) -> &'static str {
        match self {
            Outcome::Measured(_) => "ok",
            Outcome::Skipped(_) => "skipped",
            Outcome::OutOfMemory => "out of memory",
            Outcome::Failed(_) => "failed",
        }
    }

    /// Why the case was skipped or failed (the `reason` field of the JSON rows).
    pub fn reason(&self) -> Option<&str> {
        match self {
            Outcome::Skipped(why) | Outcome::Failed(why) => Some(why),
            Outcome::Measured(_) | Outcome::OutOfMemory => None,
        }
    }

    /// `ok`, `skipped: <why>`, `out of memory` or `failed: <why>`, as in the report.
    pub fn status(&self) -> String {
        match self {
            Outcome::Measured(_) => "ok".into(),
            Outcome::Skipped(why) => format!("skipped: {why}"),
            Outcome::OutOfMemory => "out of memory".into(),
            Outcome::Failed(why) => format!("failed: {why}"),
        }
    }
}

/// One row of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The case.
    pub case: Case,
    /// Device name (`cpu: <model>`, the wgpu adapter), when known.
    pub device: Option<String>,
    /// How the convolutions were computed (CNN cases of da-bench).
    pub conv: Option<String>,
    /// What happened.
    pub outcome: Outcome,
    /// Peak resident memory of the case's process in MiB, when known.
    pub peak_rss_mib: Option<f64>,
}

impl Row {
    /// A row for a case that produced no measurement.
    pub fn unmeasured(case: Case, outcome: Outcome) -> Self {
        Row {
            case,
            device: None,
            conv: None,
            outcome,
            peak_rss_mib: None,
        }
    }

    /// A row measured once at `median_ms` (for tests).
    #[cfg(test)]
    pub fn measured(case: Case, median_ms: f64) -> Self {
        Row::unmeasured(
            case,
            Outcome::Measured(Timing {
                samples: 1,
                median_ms,
                min_ms: median_ms,
                max_ms: median_ms,
                times_ms: vec![median_ms],
            }),
        )
    }

    /// Images per second of a measured CNN case (images per step over the median step time).
    pub fn images_per_second(&self) -> Option<f64> {
        match &self.outcome {
            Outcome::Measured(t) if t.median_ms > 0.0 => self
                .case
                .shape
                .images_per_step()
                .map(|images| images as f64 / (t.median_ms / 1e3)),
            _ => None,
        }
    }

    /// Exponentials per second of a measured exp case (elements over the median time).
    pub fn exps_per_second(&self) -> Option<f64> {
        match (&self.outcome, self.case.shape) {
            (Outcome::Measured(t), Shape::Exp { elements }) if t.median_ms > 0.0 => {
                Some(elements as f64 / (t.median_ms / 1e3))
            }
            _ => None,
        }
    }

    /// The median in milliseconds of a measured row.
    pub fn median_ms(&self) -> Option<f64> {
        match &self.outcome {
            Outcome::Measured(t) => Some(t.median_ms),
            _ => None,
        }
    }

    /// The row as written to `report.json` (the schema of da-bench's and bench_seed.py's lines,
    /// plus `id` and `status`).
    pub fn to_json(&self) -> Value {
        let shape = match self.case.shape {
            Shape::Mmd { n, m, d } => json!({"n": n, "m": m, "d": d}),
            Shape::Cnn {
                source_batch,
                target_batch,
                image,
            } => {
                json!({"source_batch": source_batch, "target_batch": target_batch, "image": image})
            }
            Shape::Exp { elements } => json!({"elements": elements}),
        };
        let mut row = json!({
            "id": self.case.id(),
            "group": self.case.group,
            "implementation": self.case.implementation,
            "variant": self.case.variant,
            "backend": self.case.backend,
            "device": self.device,
            "shape": shape,
            "status": self.outcome.kind(),
            "peak_rss_mib": self.peak_rss_mib,
        });
        if let Some(reason) = self.outcome.reason() {
            row["reason"] = json!(reason);
        }
        if let Some(conv) = &self.conv {
            row["conv"] = json!(conv);
        }
        if let Outcome::Measured(t) = &self.outcome {
            row["samples"] = json!(t.samples);
            row["median_ms"] = json!(t.median_ms);
            row["min_ms"] = json!(t.min_ms);
            row["max_ms"] = json!(t.max_ms);
            row["times_ms"] = json!(t.times_ms);
            if let Some(rate) = self.images_per_second() {
                row["images_per_second"] = json!(rate);
            }
            if let Some(rate) = self.exps_per_second() {
                row["exps_per_second"] = json!(rate);
            }
        }
        row
    }
}

/// The exp throughput (exponentials per second) of `backend` among `rows`: the fastest of its
/// measured exponentials (burn's `exp()`, and on ndarray mmd-core's host exponential), the
/// machine's limit as far as the bench knows it.
pub fn exp_throughput(rows: &[Row], backend: &str) -> Option<f64> {
    rows.iter()
        .filter(|r| r.case.backend == backend)
        .filter_map(Row::exps_per_second)
        .reduce(f64::max)
}

/// The time in milliseconds that `row`'s exponentials alone take at its backend's measured exp
/// throughput ([`Case::exponentials`] over [`exp_throughput`]): the floor that no implementation
/// computing them can beat. `None` for rows without exponentials or without a measured rate.
pub fn exp_bound_ms(row: &Row, rows: &[Row]) -> Option<f64> {
    let exponentials = row.case.exponentials()?;
    let rate = exp_throughput(rows, &row.case.backend)?;
    Some(exponentials as f64 / rate * 1e3)
}

/// Every row as written to `report.json`: [`Row::to_json`] plus `exp_bound_ms` where known.
pub fn rows_json(rows: &[Row]) -> Vec<Value> {
    rows.iter()
        .map(|row| {
            let mut value = row.to_json();
            if let Some(bound) = exp_bound_ms(row, rows) {
                value["exp_bound_ms"] = json!(bound);
            }
            value
        })
        .collect()
}

/// Reads a result line (da-bench's or bench_seed.py's JSON). `status` is `ok` (with
/// `samples`, `median_ms`, `min_ms`, `max_ms`), `skipped`, `failed` or `out of memory` (with a
/// `reason`).
///
/// # Errors
/// A message naming the missing or malformed field.
pub fn parse_row(line: &str) -> Result<Row, String> {
    let value: Value = serde_json::from_str(line.trim())
        .map_err(|err| format!("not a JSON result line ({err}): {line}"))?;
    let text = |key: &str| -> Result<String, String> {
        value[key]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("field `{key}` is missing or not a string in {line}"))
    };
    let number = |v: &Value, key: &str| -> Result<f64, String> {
        v[key]
            .as_f64()
            .ok_or_else(|| format!("field `{key}` is missing or not a number in {line}"))
    };
    let count = |v: &Value, key: &str| -> Result<usize, String> {
        v[key]
            .as_u64()
            .map(|x| x as usize)
            .ok_or_else(|| format!("field `{key}` is missing or not a count in {line}"))
    };
    let group = text("group")?;
    let shape_value = &value["shape"];
    let shape = match group.as_str() {
        "mmd" => Shape::Mmd {
            n: count(shape_value, "n")?,
            m: count(shape_value, "m")?,
            d: count(shape_value, "d")?,
        },
        "cnn" | "dp" => {
            let image: Vec<usize> = shape_value["image"]
                .as_array()
                .map(|dims| {
                    dims.iter()
                        .filter_map(Value::as_u64)
                        .map(|x| x as usize)
                        .collect()
                })
                .unwrap_or_default();
            let image: [usize; 3] = image
                .try_into()
                .map_err(|_| format!("field `shape.image` is not [c, h, w] in {line}"))?;
            Shape::Cnn {
                source_batch: count(shape_value, "source_batch")?,
                target_batch: count(shape_value, "target_batch")?,
                image,
            }
        }
        "exp" => Shape::Exp {
            elements: count(shape_value, "elements")?,
        },
        other => return Err(format!("unknown group `{other}` in {line}")),
    };
    let reason = || {
        value["reason"]
            .as_str()
            .unwrap_or("no reason given")
            .to_string()
    };
    let outcome = match text("status")?.as_str() {
        "ok" => {
            let timing = Timing {
                samples: count(&value, "samples")?,
                median_ms: number(&value, "median_ms")?,
                min_ms: number(&value, "min_ms")?,
                max_ms: number(&value, "max_ms")?,
                times_ms: value["times_ms"]
                    .as_array()
                    .map(|times| times.iter().filter_map(Value::as_f64).collect())
                    .unwrap_or_default(),
            };
            if !(timing.samples > 0
                && timing.min_ms <= timing.median_ms
                && timing.median_ms <= timing.max_ms)
            {
                return Err(format!(
                    "inconsistent timings (samples {}, min {}, median {}, max {}) in {line}",
                    timing.samples, timing.min_ms, timing.median_ms, timing.max_ms
                ));
            }
            Outcome::Measured(timing)
        }
        "skipped" => Outcome::Skipped(reason()),
        "out of memory" => Outcome::OutOfMemory,
        "failed" => Outcome::Failed(reason()),
        other => return Err(format!("unknown status `{other}` in {line}")),
    };
    Ok(Row {
        case: Case {
            group,
            implementation: text("implementation")?,
            variant: text("variant")?,
            backend: text("backend")?,
            shape,
        },
        device: value["device"].as_str().map(str::to_string),
        conv: value["conv"].as_str().map(str::to_string),
        outcome,
        peak_rss_mib: value["peak_rss_mib"].as_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MMD_LINE: &str = r#"{"backend":"ndarray","device":"cpu: Xeon","group":"mmd","implementation":"ours","max_ms":2.4,"median_ms":2.3,"min_ms":2.2,"peak_rss_mib":14.5,"samples":3,"shape":{"d":14,"m":64,"n":64},"status":"ok","times_ms":[2.3,2.2,2.4],"variant":"gaussian-biased"}"#;

    #[test]
    fn parses_a_da_bench_line() {
        let row = parse_row(MMD_LINE).unwrap();
        assert_eq!(
            row.case.id(),
            "mmd/ours/gaussian-biased/ndarray/n=64,m=64,d=14"
        );
        assert_eq!(row.device.as_deref(), Some("cpu: Xeon"));
        assert_eq!(row.peak_rss_mib, Some(14.5));
        assert_eq!(
            row.outcome,
            Outcome::Measured(Timing {
                samples: 3,
                median_ms: 2.3,
                min_ms: 2.2,
                max_ms: 2.4,
                times_ms: vec![2.3, 2.2, 2.4],
            })
        );
        assert_eq!(row.images_per_second(), None);
    }

    #[test]
    fn parses_cnn_lines_and_computes_throughput() {
        let line = r#"{"group":"cnn","implementation":"torch","variant":"lenet-mmd","backend":"torch-cpu","device":"cpu","shape":{"source_batch":64,"target_batch":32,"image":[1,16,16]},"status":"ok","samples":2,"median_ms":96.0,"min_ms":90.0,"max_ms":100.0,"peak_rss_mib":null}"#;
        let row = parse_row(line).unwrap();
        assert_eq!(row.peak_rss_mib, None);
        assert_eq!(row.images_per_second(), Some(1000.0));
        assert_eq!(row.case.shape.to_string(), "batch=64+32,image=1x16x16");
    }

    #[test]
    fn parses_unmeasured_statuses() {
        let base = r#""group":"mmd","implementation":"torch-seed","variant":"gaussian-biased","backend":"torch-cpu","shape":{"n":4096,"m":4096,"d":2048}"#;
        let skipped = parse_row(&format!(
            r#"{{{base},"status":"skipped","reason":"needs 1536.0 GiB"}}"#
        ))
        .unwrap();
        assert_eq!(skipped.outcome.status(), "skipped: needs 1536.0 GiB");
        let oom = parse_row(&format!(r#"{{{base},"status":"out of memory"}}"#)).unwrap();
        assert_eq!(oom.outcome, Outcome::OutOfMemory);
        let failed =
            parse_row(&format!(r#"{{{base},"status":"failed","reason":"boom"}}"#)).unwrap();
        assert_eq!(failed.outcome.status(), "failed: boom");
    }

    #[test]
    fn rejects_bad_lines_naming_the_problem() {
        assert!(
            parse_row("thread 'main' panicked")
                .unwrap_err()
                .starts_with("not a JSON result line")
        );
        let no_median = MMD_LINE.replace(r#""median_ms":2.3,"#, "");
        assert!(parse_row(&no_median).unwrap_err().contains("`median_ms`"));
        let unordered = MMD_LINE.replace(r#""min_ms":2.2"#, r#""min_ms":2.35"#);
        assert!(
            parse_row(&unordered)
                .unwrap_err()
                .contains("inconsistent timings")
        );
        let bad_status = MMD_LINE.replace(r#""status":"ok""#, r#""status":"maybe""#);
        assert!(
            parse_row(&bad_status)
                .unwrap_err()
                .contains("unknown status `maybe`")
        );
    }

    const EXP_LINE: &str = r#"{"backend":"ndarray","device":"cpu: Xeon","group":"exp","implementation":"burn","variant":"exp","shape":{"elements":4194304},"status":"ok","samples":3,"median_ms":4.0,"min_ms":3.9,"max_ms":4.5,"times_ms":[4.0,3.9,4.5],"exps_per_second":1048576000.0,"peak_rss_mib":40.0}"#;

    #[test]
    fn parses_the_exp_line_and_computes_its_throughput() {
        let row = parse_row(EXP_LINE).unwrap();
        assert_eq!(row.case.id(), "exp/burn/exp/ndarray/elements=4194304");
        // 2^22 exponentials in 4 ms.
        assert_eq!(row.exps_per_second(), Some(1_048_576_000.0));
        assert_eq!(row.to_json()["exps_per_second"], 1_048_576_000.0);
        assert_eq!(parse_row(&row.to_json().to_string()).unwrap(), row);
        assert_eq!(parse_row(MMD_LINE).unwrap().exps_per_second(), None);
    }

    #[test]
    fn exp_bound_is_the_exponentials_over_the_backend_throughput() {
        let exp = parse_row(EXP_LINE).unwrap();
        // n = m = 64: 128^2 = 16384 kernel entries.
        let ours = parse_row(MMD_LINE).unwrap();
        let mut slow = ours.clone();
        slow.case.implementation = "ours-exp-per-kernel".into();
        let mut linear = ours.clone();
        linear.case.variant = "linear".into();
        let mut wgpu = ours.clone();
        wgpu.case.backend = "wgpu".into();
        let rows = vec![
            exp,
            ours.clone(),
            slow.clone(),
            linear.clone(),
            wgpu.clone(),
        ];
        let rate = 1_048_576_000.0;
        assert_eq!(exp_throughput(&rows, "ndarray"), Some(rate));
        assert_eq!(exp_bound_ms(&ours, &rows), Some(16384.0 / rate * 1e3));
        assert_eq!(exp_bound_ms(&slow, &rows), Some(5.0 * 16384.0 / rate * 1e3));
        assert_eq!(exp_bound_ms(&linear, &rows), None, "no exponentials");
        assert_eq!(exp_bound_ms(&wgpu, &rows), None, "no wgpu throughput");
        let json = rows_json(&rows);
        assert_eq!(json[1]["exp_bound_ms"], 16384.0 / rate * 1e3);
        assert!(json[0].get("exp_bound_ms").is_none());
        assert!(json[3].get("exp_bound_ms").is_none());
    }

    #[test]
    fn json_round_trip() {
        let row = parse_row(MMD_LINE).unwrap();
        let again = parse_row(&row.to_json().to_string()).unwrap();
        assert_eq!(again, row);
        assert_eq!(
            row.to_json()["id"],
            "mmd/ours/gaussian-biased/ndarray/n=64,m=64,d=14"
        );
        for outcome in [
            Outcome::OutOfMemory,
            Outcome::Skipped("no adapter".into()),
            Outcome::Failed("timed out after 5 s".into()),
        ] {
            let unmeasured = Row::unmeasured(row.case.clone(), outcome);
            assert_eq!(
                parse_row(&unmeasured.to_json().to_string()).unwrap(),
                unmeasured
            );
        }
    }
}
