//! `cargo xtask bench`: builds `da-bench` once, runs every case in its own child process with a
//! time limit, and writes `report.md`, `report.json` and `mmd_time.png` (and `.svg`) under
//! `<target dir>/bench/`.
//!
//! Each backend starts with the throughput of `tensor.exp()`, which gives every quadratic
//! Gaussian MMD row its exponential bound (the time its exponentials alone take).
//!
//! A case that runs out of memory, panics or hangs becomes a row that says so, and the run goes
//! on. Cases whose estimated memory exceeds the cap (half of `MemAvailable` by default) are
//! skipped before they start, so that the machine does not swap.

mod breakdown;
mod case;
mod chart;
mod child;
pub mod kit;
mod machine;
mod markdown;
mod memory;
mod pytorch;
mod row;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

use clap::Args;
use da_plot::PlotFormat;
use serde_json::{Value, json};

use case::{Case, Grid, SamplingPlan, select};
use machine::Machine;
use row::{Outcome, Row, exp_throughput};

/// Options of `cargo xtask bench`.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// A smoke run of about a minute: n = m in {64, 256}, d in {14, 256}, 3 samples.
    #[arg(long)]
    pub quick: bool,
    /// Also run on burn-wgpu (builds da-bench with `--features wgpu`); without an adapter the
    /// wgpu rows say `skipped: no adapter`.
    #[arg(long)]
    pub wgpu: bool,
    /// Also run on burn-cuda (builds da-bench with `--features cuda`, which needs no CUDA
    /// toolkit); without an NVIDIA GPU and driver the cuda rows say `skipped: no adapter`.
    #[arg(long)]
    pub cuda: bool,
    /// Also run bench/pytorch/bench_seed.py (PyTorch CPU) and add a `ours / torch` column.
    #[arg(long)]
    pub compare_pytorch: bool,
    /// Only the cases whose id contains this text (see --list); repeat it to select the cases
    /// that contain any of several.
    #[arg(long)]
    pub filter: Vec<String>,
    /// Samples per case (default 15 for MMD and 10 for CNN cases, 3 with --quick).
    #[arg(long)]
    pub samples: Option<usize>,
    /// Skip cases estimated to need more memory than this (default: half of MemAvailable).
    #[arg(long)]
    pub mem_cap_gib: Option<f64>,
    /// Time limit of one case in seconds (default 1800, 120 with --quick).
    #[arg(long)]
    pub timeout_s: Option<u64>,
    /// Print the ids of the selected cases (and which the memory cap skips) and exit.
    #[arg(long)]
    pub list: bool,
    /// Run this da-bench executable instead of building one with cargo (what `run.sh` of a
    /// `cargo xtask bench-kit` does on a machine without cargo). It must have been built with
    /// the features of the GPU backends asked for, else their rows say `skipped: no adapter`.
    #[arg(long, value_name = "PATH")]
    pub da_bench: Option<PathBuf>,
}

/// The workspace root: `$XTASK_ROOT` when set (a bench kit's `run.sh` sets it to the source
/// tree it lies in), else the one this program was compiled in (xtask lives in `<root>/xtask`).
pub fn workspace_root() -> PathBuf {
    match std::env::var_os("XTASK_ROOT") {
        Some(root) if !root.is_empty() => PathBuf::from(root),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("xtask lives in the workspace root")
            .to_path_buf(),
    }
}

/// `$CARGO_TARGET_DIR` when set (relative to the root, where da-bench is built), else
/// `<root>/target`.
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(|dir| root.join(dir))
        .unwrap_or_else(|| root.join("target"))
}

/// The GPU backends a run asked for (`--wgpu`, `--cuda`), by da-bench's backend name, which is
/// also the name of the cargo feature that compiles it in.
fn gpu_backends(args: &BenchArgs) -> Vec<&'static str> {
    [("wgpu", args.wgpu), ("cuda", args.cuda)]
        .into_iter()
        .filter_map(|(name, wanted)| wanted.then_some(name))
        .collect()
}

/// Builds da-bench (dev profile) with the features of `backends` and returns the path of its
/// executable.
fn build_da_bench(cargo: &str, root: &Path, backends: &[&str]) -> Result<PathBuf, String> {
    let mut command = Command::new(cargo);
    command
        .args([
            "build",
            "-p",
            "da-bench",
            "--message-format=json-render-diagnostics",
        ])
        .current_dir(root);
    let features = match backends.is_empty() {
        true => String::new(),
        false => format!(" --features {}", backends.join(",")),
    };
    command.args(features.split_whitespace());
    eprintln!("building da-bench{features} ...");
    let out = command
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|err| format!("cannot run {cargo}: {err}"))?;
    if !out.status.success() {
        return Err(format!("`{cargo} build -p da-bench` failed"));
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|msg| msg["reason"] == "compiler-artifact" && msg["target"]["name"] == "da-bench")
        .find_map(|msg| msg["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| "cargo built da-bench but named no executable".into())
}

/// The da-bench executable that `--da-bench` names, or why it cannot be run.
fn prebuilt_da_bench(path: &Path) -> Result<PathBuf, String> {
    use std::os::unix::fs::PermissionsExt;
    let meta =
        std::fs::metadata(path).map_err(|err| format!("--da-bench {}: {err}", path.display()))?;
    if !meta.is_file() {
        return Err(format!("--da-bench {} is not a file", path.display()));
    }
    if meta.permissions().mode() & 0o111 == 0 {
        return Err(format!("--da-bench {} is not executable", path.display()));
    }
    Ok(path.to_path_buf())
}

/// The device name of a GPU backend, or why there is none. The probe runs in a child process
/// because burn-wgpu and burn-cuda panic when no device exists.
fn probe(da_bench: &Path, backend: &str) -> Result<String, String> {
    let mut command = Command::new(da_bench);
    command
        .args(["--backend", backend, "probe"])
        .env("RUST_BACKTRACE", "0");
    let limit = Duration::from_secs(120);
    let finished = child::run(command, limit).map_err(|err| err.to_string())?;
    let line = finished
        .stdout
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .and_then(|l| serde_json::from_str::<Value>(l).ok());
    match line {
        Some(value) if finished.code == Some(0) && value["status"] == "ok" => Ok(value["device"]
            .as_str()
            .unwrap_or("unnamed adapter")
            .to_string()),
        Some(value) if value["reason"].is_string() => {
            Err(value["reason"].as_str().unwrap_or_default().to_string())
        }
        _ if finished.timed_out => Err("the probe timed out".into()),
        _ => Err(finished
            .stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("the probe failed")
            .to_string()),
    }
}

/// Runs one case; the row says what happened whatever happened.
fn run_case(da_bench: &Path, case: &Case, plan: &SamplingPlan, limit: Duration) -> Row {
    let mut command = Command::new(da_bench);
    command
        .args(case.da_bench_args(plan))
        .env("RUST_BACKTRACE", "0");
    match child::run(command, limit) {
        Err(err) => Row::unmeasured(
            case.clone(),
            Outcome::Failed(format!("cannot start da-bench: {err}")),
        ),
        Ok(finished) => match child::outcome(&finished, limit) {
            Ok(mut row) => {
                // The parent's case is the truth; the child only adds measurements.
                row.case = case.clone();
                row
            }
            Err(outcome) => Row::unmeasured(case.clone(), outcome),
        },
    }
}

fn progress(index: usize, total: usize, row: &Row) {
    let result = match (row.median_ms(), row.exps_per_second()) {
        (Some(median), Some(rate)) => {
            format!("{} ms ({:.3} G exp/s)", markdown::ms(median), rate / 1e9)
        }
        (Some(median), None) => format!("{} ms", markdown::ms(median)),
        (None, _) => row.outcome.status(),
    };
    eprintln!("[{index}/{total}] {}: {result}", row.case.id());
}

/// `text` cut to `max` characters, with `...` when cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        format!("{}...", text.chars().take(max).collect::<String>())
    }
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    atomic_file::write(path, text.as_bytes()).map_err(|err| format!("cannot write {err}"))
}

/// `cargo xtask bench`.
pub fn run(args: &BenchArgs, cargo: &str) -> ExitCode {
    match bench(args, cargo) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(2)
        }
    }
}

fn bench(args: &BenchArgs, cargo: &str) -> Result<ExitCode, String> {
    let root = workspace_root();
    let (grid, mut plan) = if args.quick {
        (Grid::quick(), SamplingPlan::QUICK)
    } else {
        (Grid::full(), SamplingPlan::FULL)
    };
    if let Some(samples) = args.samples {
        if samples == 0 {
            return Err("--samples must be at least 1, got 0".into());
        }
        plan.samples = samples;
        plan.cnn_samples = samples;
    }
    let limit = Duration::from_secs(
        args.timeout_s
            .unwrap_or(if args.quick { 120 } else { 1800 }),
    );
    let cap = match args.mem_cap_gib {
        Some(gib) if gib.is_finite() && gib > 0.0 => Some((gib * (1u64 << 30) as f64) as u64),
        Some(gib) => return Err(format!("--mem-cap-gib must be positive, got {gib}")),
        None => memory::default_cap(),
    };
    let mut cases = grid.cases("ndarray");
    let gpus = gpu_backends(args);
    for backend in &gpus {
        // Software drivers (lavapipe) are slow: the quick run keeps the GPU cases tiny.
        let gpu_grid = if args.quick {
            Grid::tiny()
        } else {
            grid.clone()
        };
        cases.extend(gpu_grid.cases(backend));
    }
    let cases = select(cases, &args.filter);
    if args.list {
        for case in &cases {
            match memory::skip_reason(case, cap) {
                Some(why) => println!("{}  (skipped: {why})", case.id()),
                None => println!("{}", case.id()),
            }
        }
        return Ok(ExitCode::SUCCESS);
    }

    let da_bench = match &args.da_bench {
        Some(path) => prebuilt_da_bench(path)?,
        None => build_da_bench(cargo, &root, &gpus)?,
    };
    let mut notes = Vec::new();
    if !args.wgpu {
        notes.push("wgpu: not requested (add --wgpu)".into());
    }
    // The GPU backends whose probe failed.
    let mut unavailable = Vec::new();
    for &backend in &gpus {
        if !cases.iter().any(|c| c.backend == backend) {
            continue;
        }
        if let Err(why) = probe(&da_bench, backend).map_err(|why| shorten(&why, 160)) {
            eprintln!("{backend}: no adapter ({why}); the {backend} rows are skipped");
            notes.push(format!("{backend}: no adapter ({why})"));
            unavailable.push(backend);
        }
    }

    let mut rows = Vec::with_capacity(cases.len());
    for (index, case) in cases.iter().enumerate() {
        let row = if unavailable.contains(&case.backend.as_str()) {
            Row::unmeasured(case.clone(), Outcome::Skipped("no adapter".into()))
        } else if let Some(why) = memory::skip_reason(case, cap) {
            Row::unmeasured(case.clone(), Outcome::Skipped(why))
        } else {
            run_case(&da_bench, case, &plan, limit)
        };
        progress(index + 1, cases.len(), &row);
        rows.push(row);
    }

    if args.compare_pytorch {
        match pytorch::torch_available() {
            Err(why) => {
                eprintln!("{why}. {}", pytorch::INSTALL_HINT);
                notes.push(format!("PyTorch comparison skipped: {why}"));
            }
            Ok(()) => {
                let script = root.join("bench/pytorch/bench_seed.py");
                let script_args = pytorch::script_args(&grid, &plan, &args.filter, cap, limit);
                let whole = limit * (cases.len().max(1) as u32);
                // The CPU cases, and with --cuda the matrix-product cases on the GPU as well.
                let devices = if args.cuda {
                    &["cpu", "cuda"][..]
                } else {
                    &["cpu"][..]
                };
                for device in devices {
                    let mut script_args = script_args.clone();
                    script_args.extend(["--device".to_string(), device.to_string()]);
                    eprintln!("running {} --device {device} ...", script.display());
                    match pytorch::run("python3", &script, &script_args, whole) {
                        Ok(torch_rows) => {
                            for row in &torch_rows {
                                progress(rows.len() + 1, rows.len() + 1, row);
                                rows.push(row.clone());
                            }
                        }
                        Err(err) => {
                            eprintln!("PyTorch comparison ({device}) failed: {err}");
                            notes.push(format!("PyTorch comparison ({device}) failed: {err}"));
                        }
                    }
                }
            }
        }
    }

    let machine = Machine::current();
    let commit = machine::commit(&root);
    let date = machine::now_utc();
    let settings = format!(
        "{}, {} samples per MMD case and {} per CNN case, warm-up {} iteration(s) and {} ms, \
         {} ms of samples at most per case, memory cap {}, time limit {} s per case{}",
        if args.quick { "quick" } else { "full" },
        plan.samples,
        plan.cnn_samples,
        plan.warmup_iters,
        plan.warmup_ms,
        plan.budget_ms,
        cap.map_or_else(|| "none".into(), memory::gib),
        limit.as_secs(),
        if args.filter.is_empty() {
            String::new()
        } else {
            format!(", filter `{}`", args.filter.join("` or `"))
        }
    );
    let header = markdown::Header {
        commit: commit.clone(),
        machine: format!("{}, {} cores", machine.cpu, machine.cores),
        date: date.clone(),
        settings: settings.clone(),
        notes: notes.clone(),
    };
    let out_dir = target_dir(&root).join("bench");
    std::fs::create_dir_all(&out_dir)
        .map_err(|err| format!("cannot create {}: {err}", out_dir.display()))?;
    let report = markdown::report(&header, &rows);
    write(&out_dir.join("report.md"), &report)?;
    let json = json!({
        "commit": commit,
        "machine": {"cpu": machine.cpu, "cores": machine.cores},
        "date": date,
        "settings": settings,
        "notes": notes,
        "exps_per_second": exp_throughputs(&rows),
        "rows": row::rows_json(&rows),
    });
    let pretty = serde_json::to_string_pretty(&json).expect("JSON values serialise");
    write(&out_dir.join("report.json"), &(pretty + "\n"))?;
    let chart = chart::chart(&rows);
    for format in [PlotFormat::Png, PlotFormat::Svg] {
        let chart_path = out_dir.join(format!("mmd_time.{}", format.extension()));
        match &chart {
            Some(chart) => chart
                .save(&chart_path, format)
                .map_err(|err| format!("cannot write {}: {err}", chart_path.display()))?,
            None => {
                // An old chart would describe another run.
                let _ = std::fs::remove_file(&chart_path);
            }
        }
    }
    println!("{report}");
    eprintln!(
        "wrote {}/report.md, report.json{}",
        out_dir.display(),
        if chart.is_some() {
            " and mmd_time.{png,svg}"
        } else {
            " (no chart: no Gaussian biased MMD timing)"
        }
    );

    let failed: Vec<&Row> = rows
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Failed(_)))
        .collect();
    if failed.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("{} case(s) failed:", failed.len());
        for row in failed {
            eprintln!("  {}: {}", row.case.id(), row.outcome.status());
        }
        Ok(ExitCode::FAILURE)
    }
}

/// `{backend: exponentials per second}` of every backend whose exp case was measured.
fn exp_throughputs(rows: &[Row]) -> Value {
    let mut rates = serde_json::Map::new();
    for row in rows {
        if let Some(rate) = exp_throughput(rows, &row.case.backend) {
            rates.insert(row.case.backend.clone(), json!(rate));
        }
    }
    Value::Object(rates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_throughputs_per_backend() {
        let exp = |backend: &str, median_ms: f64| Row::measured(Case::exp(backend), median_ms);
        let skipped = Row::unmeasured(Case::exp("wgpu"), Outcome::Skipped("no adapter".into()));
        let rows = [exp("ndarray", 4.0), skipped];
        // 2^22 exponentials in 4 ms.
        assert_eq!(exp_throughputs(&rows), json!({"ndarray": 1_048_576_000.0}));
    }

    #[test]
    fn prebuilt_da_bench_must_be_an_executable_file() {
        let dir = std::env::temp_dir().join(format!("xtask-prebuilt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let plain = dir.join("plain");
        std::fs::write(&plain, "").unwrap();
        let missing = prebuilt_da_bench(&dir.join("missing")).unwrap_err();
        let folder = prebuilt_da_bench(&dir).unwrap_err();
        let not_executable = prebuilt_da_bench(&plain).unwrap_err();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(
            missing.starts_with("--da-bench ") && missing.contains("missing"),
            "{missing}"
        );
        assert!(folder.ends_with("is not a file"), "{folder}");
        assert!(
            not_executable.ends_with("is not executable"),
            "{not_executable}"
        );
        let this = std::env::current_exe().unwrap();
        assert_eq!(prebuilt_da_bench(&this).unwrap(), this);
    }

    #[test]
    fn shorten_cuts_long_text_only() {
        assert_eq!(shorten("short", 10), "short");
        assert_eq!(shorten("abcdefghijk", 4), "abcd...");
        assert_eq!(shorten("ééééé", 2), "éé...");
    }
}
