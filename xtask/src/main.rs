//! Project automation (`cargo xtask ...`, matklad's pattern).
//!
//! - `cargo xtask test`: the README's test command, `cargo test --workspace --all-features`
//!   (every crate, on ndarray and on wgpu).
//! - `cargo xtask bench [--quick] [--wgpu] [--compare-pytorch] [--filter TEXT] [--samples N]`:
//!   the benchmarks of `bench/` (see `bench/README.md`); the report goes to
//!   `<target dir>/bench/report.md`, `report.json` and `mmd_time.png` / `mmd_time.svg`.
//! - `cargo xtask bench-kit [--out DIR] [--vulkan-loader]`: the benchmark as a folder that runs
//!   on a machine without cargo (a GPU machine): `DIR/run.sh` takes the options of `bench`.

mod bench;

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
    /// Run the benchmarks and write target/bench/report.{md,json} and mmd_time.{png,svg}.
    Bench(bench::BenchArgs),
    /// Build .bench-kit/: the benchmark for a machine without cargo (run it with its run.sh).
    BenchKit(bench::kit::KitArgs),
}

fn main() -> ExitCode {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    match Cli::parse().task {
        Task::Test => {
            let status = Command::new(cargo)
                .args(["test", "--workspace", "--all-features"])
                .current_dir(bench::workspace_root())
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
        Task::Bench(args) => bench::run(&args, &cargo),
        Task::BenchKit(args) => bench::kit::run(&args, &cargo),
    }
}
