//! Running one case in a child process with a time limit, and reading what it left behind.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::row::{Outcome, Row, parse_row};

/// How a child process ended, and what it printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    /// The exit code, when it exited.
    pub code: Option<i32>,
    /// The signal that ended it, when one did (Unix).
    pub signal: Option<i32>,
    /// Whether this program killed it at the time limit.
    pub timed_out: bool,
    /// Everything it wrote to stdout.
    pub stdout: String,
    /// Everything it wrote to stderr.
    pub stderr: String,
}

const SIGKILL: i32 = 9;

/// Runs `command` to its end or until `limit`, when it is killed. Its stdout and stderr are
/// captured (read on threads, so a chatty child cannot block on a full pipe).
///
/// # Errors
/// When the program cannot be started.
pub fn run(mut command: Command, limit: Duration) -> std::io::Result<Finished> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let stdout = reader(child.stdout.take());
    let stderr = reader(child.stderr.take());
    let started = Instant::now();
    let (status, timed_out) = loop {
        if let Some(status) = child.try_wait()? {
            break (status, false);
        }
        if started.elapsed() >= limit {
            break (kill(&mut child)?, true);
        }
        thread::sleep(Duration::from_millis(20));
    };
    Ok(Finished {
        code: status.code(),
        signal: signal_of(&status),
        timed_out,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

fn reader(pipe: Option<impl Read + Send + 'static>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn kill(child: &mut Child) -> std::io::Result<std::process::ExitStatus> {
    // The child may have ended between try_wait and kill; wait tells either way.
    let _ = child.kill();
    child.wait()
}

#[cfg(unix)]
fn signal_of(status: &std::process::ExitStatus) -> Option<i32> {
    std::os::unix::process::ExitStatusExt::signal(status)
}

#[cfg(not(unix))]
fn signal_of(_status: &std::process::ExitStatus) -> Option<i32> {
    None
}

/// Whether a message says that memory ran out (Rust's allocation failure, burn-wgpu's and
/// PyTorch's out-of-memory errors).
pub fn mentions_out_of_memory(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    [
        "memory allocation of",
        "out of memory",
        "outofmemory",
        "not enough memory",
        "cannot allocate memory",
        "memoryerror",
    ]
    .iter()
    .any(|needle| lower.contains(needle))
}

/// The last line of `text` that says something, shortened to about 200 characters.
fn last_line(text: &str) -> Option<String> {
    let line = text.lines().rev().map(str::trim).find(|l| !l.is_empty())?;
    Some(if line.chars().count() > 200 {
        format!("{}...", line.chars().take(200).collect::<String>())
    } else {
        line.to_string()
    })
}

/// What a finished case child means: its result row when it printed one and exited cleanly,
/// otherwise the [`Outcome`] to record (out of memory, failed with the reason).
pub fn outcome(finished: &Finished, limit: Duration) -> Result<Row, Outcome> {
    if finished.timed_out {
        return Err(Outcome::Failed(format!(
            "timed out after {} s",
            limit.as_secs()
        )));
    }
    let last_json = finished
        .stdout
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'));
    let parsed = last_json.map(parse_row);
    if finished.code == Some(0) {
        return match parsed {
            Some(Ok(row)) => Ok(row),
            Some(Err(err)) => Err(Outcome::Failed(err)),
            None => Err(Outcome::Failed("exited without a result line".into())),
        };
    }
    // A panic prints `{"status": "failed", "reason": ...}` on stdout before exiting.
    let reason = last_json
        .and_then(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .and_then(|v| v["reason"].as_str().map(str::to_string));
    if mentions_out_of_memory(reason.as_deref().unwrap_or(""))
        || mentions_out_of_memory(&finished.stderr)
        || finished.signal == Some(SIGKILL)
        || finished.code == Some(128 + SIGKILL)
    {
        // SIGKILL that this program did not send: the kernel's OOM killer.
        return Err(Outcome::OutOfMemory);
    }
    let why = reason
        .or_else(|| last_line(&finished.stderr))
        .unwrap_or_else(|| match (finished.code, finished.signal) {
            (_, Some(signal)) => format!("killed by signal {signal}"),
            (Some(code), _) => format!("exit code {code}"),
            (None, None) => "ended without a status".into(),
        });
    Err(Outcome::Failed(why))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finished(code: Option<i32>, signal: Option<i32>, stdout: &str, stderr: &str) -> Finished {
        Finished {
            code,
            signal,
            timed_out: false,
            stdout: stdout.into(),
            stderr: stderr.into(),
        }
    }

    const LIMIT: Duration = Duration::from_secs(5);
    const OK_LINE: &str = r#"{"group":"mmd","implementation":"naive","variant":"gaussian-biased","backend":"ndarray","shape":{"n":64,"m":64,"d":14},"status":"ok","samples":1,"median_ms":1.0,"min_ms":1.0,"max_ms":1.0}"#;

    #[test]
    fn a_clean_exit_with_a_line_is_a_row() {
        let done = finished(Some(0), None, &format!("noise\n{OK_LINE}\n"), "");
        assert_eq!(outcome(&done, LIMIT).unwrap().case.implementation, "naive");
        let silent = finished(Some(0), None, "", "");
        assert_eq!(
            outcome(&silent, LIMIT).unwrap_err(),
            Outcome::Failed("exited without a result line".into())
        );
    }

    #[test]
    fn allocation_failures_and_oom_kills_are_out_of_memory() {
        let abort = finished(
            None,
            Some(6),
            "",
            "memory allocation of 3758096384 bytes failed\n",
        );
        assert_eq!(outcome(&abort, LIMIT).unwrap_err(), Outcome::OutOfMemory);
        let killed = finished(None, Some(9), "", "");
        assert_eq!(outcome(&killed, LIMIT).unwrap_err(), Outcome::OutOfMemory);
        let wgpu = finished(
            Some(101),
            None,
            r#"{"status":"failed","reason":"Unable to allocate buffer: OutOfMemory"}"#,
            "",
        );
        assert_eq!(outcome(&wgpu, LIMIT).unwrap_err(), Outcome::OutOfMemory);
    }

    #[test]
    fn panics_and_time_outs_fail_with_the_reason() {
        let panic = finished(
            Some(101),
            None,
            r#"{"status":"failed","reason":"the loss is not finite: NaN"}"#,
            "thread 'main' panicked at src/main.rs:1:1:\nthe loss is not finite: NaN\n",
        );
        assert_eq!(
            outcome(&panic, LIMIT).unwrap_err(),
            Outcome::Failed("the loss is not finite: NaN".into())
        );
        let stderr_only = finished(Some(2), None, "", "error: unexpected argument '--x'\n\n");
        assert_eq!(
            outcome(&stderr_only, LIMIT).unwrap_err(),
            Outcome::Failed("error: unexpected argument '--x'".into())
        );
        let mut slow = finished(None, Some(9), "", "");
        slow.timed_out = true;
        assert_eq!(
            outcome(&slow, LIMIT).unwrap_err(),
            Outcome::Failed("timed out after 5 s".into())
        );
        let segv = finished(None, Some(11), "", "");
        assert_eq!(
            outcome(&segv, LIMIT).unwrap_err(),
            Outcome::Failed("killed by signal 11".into())
        );
    }

    #[cfg(unix)]
    #[test]
    fn runs_and_kills_real_children() {
        let mut echo = Command::new("sh");
        echo.args(["-c", "echo out; echo err >&2; exit 3"]);
        let done = run(echo, Duration::from_secs(30)).unwrap();
        assert_eq!((done.code, done.timed_out), (Some(3), false));
        assert_eq!(
            (done.stdout.as_str(), done.stderr.as_str()),
            ("out\n", "err\n")
        );

        let mut sleeper = Command::new("sleep");
        sleeper.arg("30");
        let started = Instant::now();
        let done = run(sleeper, Duration::from_millis(100)).unwrap();
        assert!(done.timed_out);
        assert_eq!(done.signal, Some(SIGKILL));
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}
