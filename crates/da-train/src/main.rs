//! The `da-train` program: parses the command line, runs the subcommand, and on failure prints
//! the error to stderr and exits with the code it carries (2 for bad input, as for clap's usage
//! errors).

use std::process::ExitCode;

use clap::Parser;
use da_train::cli::{Cli, Command};
use da_train::commands;

fn main() -> ExitCode {
    // Training allocates and frees image-sized buffers every step: keep them in the heap.
    cnn_host::keep_freed_memory();
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Mmd(args)) => commands::mmd::run(&args),
        Some(Command::Train(args)) => commands::train::run(&args),
        Some(Command::Eval(args)) => commands::eval::run(&args),
        Some(Command::Compare(args)) => commands::compare::run(&args).map(drop),
        Some(Command::Orchestrator(args)) => commands::orchestrator::run(&args),
        None => commands::compare::run(&cli.compare).map(drop),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}
