//! `--compare-pytorch`: the same cases in PyTorch on the CPU (`bench/pytorch/bench_seed.py`).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::case::{Grid, SamplingPlan};
use super::child;
use super::row::{Row, parse_row};

/// How to get PyTorch, printed when it is missing.
pub const INSTALL_HINT: &str = "PyTorch is not installed for python3: `python3 -m pip install torch numpy` \
     (CPU-only wheels: add `--index-url https://download.pytorch.org/whl/cpu`), then run again \
     with --compare-pytorch";

/// Whether `python3` can import torch (`Err` says why not).
pub fn torch_available() -> Result<(), String> {
    let out = Command::new("python3")
        .args(["-c", "import torch"])
        .output()
        .map_err(|err| format!("python3 cannot be started ({err})"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err("python3 cannot import torch".into())
    }
}

/// The arguments of `bench_seed.py` for a grid, sampling plan and filters.
pub fn script_args(
    grid: &Grid,
    plan: &SamplingPlan,
    filters: &[String],
    cap: Option<u64>,
    case_timeout: Duration,
) -> Vec<String> {
    let list = |values: &[usize]| {
        values
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut args = vec![
        "--sizes".into(),
        list(&grid.sizes),
        "--dims".into(),
        list(&grid.dims),
        "--networks".into(),
        grid.networks.join(","),
        "--samples".into(),
        plan.samples.to_string(),
        "--cnn-samples".into(),
        plan.cnn_samples.to_string(),
        "--warmup-iters".into(),
        plan.warmup_iters.to_string(),
        "--warmup-ms".into(),
        plan.warmup_ms.to_string(),
        "--budget-ms".into(),
        plan.budget_ms.to_string(),
        "--timeout-s".into(),
        case_timeout.as_secs().to_string(),
    ];
    if let Some(cap) = cap {
        args.extend(["--mem-cap-bytes".into(), cap.to_string()]);
    }
    for filter in filters {
        args.extend(["--filter".into(), filter.clone()]);
    }
    args
}

/// Runs the script with `interpreter` (`python3`) and returns its rows (each case in its own
/// Python child process, so the script handles time-outs and memory itself; `limit` bounds the
/// whole run).
///
/// # Errors
/// When the script cannot run, fails, or prints a line that is not a result row.
pub fn run(
    interpreter: &str,
    script: &Path,
    args: &[String],
    limit: Duration,
) -> Result<Vec<Row>, String> {
    let mut command = Command::new(interpreter);
    command.arg(script).args(args);
    let finished = child::run(command, limit)
        .map_err(|err| format!("cannot start {interpreter} {}: {err}", script.display()))?;
    if finished.timed_out || finished.code != Some(0) {
        return Err(format!(
            "{} ended with exit code {}{}: {}",
            script.display(),
            finished
                .code
                .map_or_else(|| "none".to_string(), |code| code.to_string()),
            if finished.timed_out {
                " (timed out)"
            } else {
                ""
            },
            finished.stderr.lines().last().unwrap_or("no message")
        ));
    }
    finished
        .stdout
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(parse_row)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_arguments_carry_the_grid() {
        let args = script_args(
            &Grid::quick(),
            &SamplingPlan::QUICK,
            &["mmd/".into(), "cnn/".into()],
            Some(1 << 30),
            Duration::from_secs(120),
        )
        .join(" ");
        assert_eq!(
            args,
            "--sizes 64,256 --dims 14,256 --networks lenet,net_only,dann_digits --samples 3 --cnn-samples 3 \
             --warmup-iters 1 --warmup-ms 0 --budget-ms 2000 --timeout-s 120 \
             --mem-cap-bytes 1073741824 --filter mmd/ --filter cnn/"
        );
    }

    #[cfg(unix)]
    fn script(name: &str, body: &str) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("xtask-{}-{name}.sh", std::process::id()));
        std::fs::write(&path, body).unwrap();
        path
    }

    #[cfg(unix)]
    #[test]
    fn rows_of_a_script_are_parsed() {
        let line = r#"{"group":"cnn","implementation":"torch","variant":"lenet-mmd","backend":"torch-cpu","device":"cpu","shape":{"source_batch":64,"target_batch":32,"image":[1,16,16]},"status":"ok","samples":1,"median_ms":96.0,"min_ms":96.0,"max_ms":96.0,"peak_rss_mib":300.0}"#;
        let ok = script("ok", &format!("echo '{line}'\necho\necho progress >&2\n"));
        let rows = run("sh", &ok, &[], Duration::from_secs(30)).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].images_per_second(), Some(1000.0));

        let failing = script("fail", "echo 'no torch here' >&2\nexit 3\n");
        let err = run("sh", &failing, &[], Duration::from_secs(30)).unwrap_err();
        assert!(
            err.ends_with("ended with exit code 3: no torch here"),
            "{err}"
        );

        let garbage = script("garbage", "echo 'not json'\n");
        let err = run("sh", &garbage, &[], Duration::from_secs(30)).unwrap_err();
        assert!(err.starts_with("not a JSON result line"), "{err}");
        for path in [ok, failing, garbage] {
            let _ = std::fs::remove_file(path);
        }
    }
}
