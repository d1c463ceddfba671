//! `da-train orchestrator`: the meeting point of the nodes of a run on several machines.

use clap::Args;

use super::CommandError;
use crate::parallel::run_orchestrator;

/// Options of `da-train orchestrator`.
#[derive(Debug, Clone, Args)]
pub struct OrchestratorArgs {
    /// Port to listen on; nodes give `--orchestrator ws://THIS_HOST:PORT`.
    #[arg(long, default_value_t = 3000)]
    pub port: u16,
}

/// Runs burn-collective's global orchestrator until the process is interrupted.
pub fn run(args: &OrchestratorArgs) -> Result<(), CommandError> {
    eprintln!(
        "orchestrator listening on port {}; stop it with Ctrl-C when the nodes are done",
        args.port
    );
    run_orchestrator(args.port).map_err(CommandError::Input)
}
