//! Project automation (`cargo xtask ...`, matklad's pattern).
//!
//! - `cargo xtask test`: the README's test command, `cargo test --workspace --all-features`
//!   (every crate, on ndarray and on wgpu).

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use clap::{Parser, Subcommand};

/// Project automation.
#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Run every test of the workspace on all backends (the README's test command).
    Test,
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace root")
        .to_path_buf()
}

fn main() -> ExitCode {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    match Cli::parse().task {
        Task::Test => {
            let status = Command::new(cargo)
                .args(["test", "--workspace", "--all-features"])
                .current_dir(workspace_root())
                .status();
            match status {
                Ok(s) if s.success() => ExitCode::SUCCESS,
                Ok(s) => ExitCode::from(s.code().unwrap_or(1) as u8),
                Err(err) => {
                    eprintln!("error: cannot run cargo: {err}");
                    ExitCode::from(2)
                }
            }
        }
    }
}
