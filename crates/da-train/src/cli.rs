//! The command line of the `da-train` program.
//!
//! Each subcommand's arguments live beside its code in [`crate::commands`]; adding one is a
//! variant here and a match arm in the binary.

use clap::{Parser, Subcommand};

use crate::commands::compare::CompareArgs;
use crate::commands::eval::EvalArgs;
use crate::commands::mmd::MmdArgs;
use crate::commands::orchestrator::OrchestratorArgs;
use crate::commands::train::TrainArgs;

/// Train, evaluate and measure domain adaptation with MMD on Burn.
#[derive(Debug, Parser)]
#[command(
    name = "da-train",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// What to do; with none, `compare` runs: source-only against MMD on MNIST -> MFEAT.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options of the default `compare` job (when no subcommand is given).
    #[command(flatten)]
    pub compare: CompareArgs,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compute the MMD between two sample files (.csv or .npy, one sample per row).
    ///
    /// With no options it is the seed's default MMD loss: a sum of 5 Gaussian kernels with
    /// bandwidths mean * 2^(i - 2) and the biased estimator, computed in f64 on the CPU.
    Mmd(MmdArgs),
    /// Train one model: `clf_loss + lambda * transfer_loss` on labelled source and unlabelled
    /// target batches; writes metrics.csv, checkpoint.bin, summary.json and pictures to --out.
    Train(TrainArgs),
    /// Accuracy of a checkpoint written by `train` on a domain.
    Eval(EvalArgs),
    /// Source-only against MMD with otherwise identical settings, as a table (the default job).
    Compare(CompareArgs),
    /// The orchestrator that the nodes of a run on several machines meet at (`train --nodes`).
    Orchestrator(OrchestratorArgs),
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn mmd_parses_into_its_arguments() {
        let cli = Cli::try_parse_from(["da-train", "mmd", "-s", "a.csv", "-t", "b.npy", "--json"])
            .unwrap();
        let args = match cli.command {
            Some(Command::Mmd(args)) => args,
            other => panic!("expected the mmd subcommand, got {other:?}"),
        };
        assert_eq!(args.source, std::path::Path::new("a.csv"));
        assert_eq!(args.target, std::path::Path::new("b.npy"));
        assert!(args.json);
    }

    #[test]
    fn no_subcommand_is_the_compare_job() {
        let cli = Cli::try_parse_from(["da-train", "--quick", "--epochs", "3"]).unwrap();
        assert!(cli.command.is_none());
        assert!(cli.compare.quick);
        assert_eq!(cli.compare.run.epochs, Some(3));
        let cli = Cli::try_parse_from(["da-train", "train", "--transfer", "none", "--lr", "0.1"])
            .unwrap();
        match cli.command {
            Some(Command::Train(args)) => assert_eq!(args.run.lr, Some(0.1)),
            other => panic!("expected train, got {other:?}"),
        }
        let cli = Cli::try_parse_from(["da-train", "train", "--plot-format", "svg"]).unwrap();
        match cli.command {
            Some(Command::Train(args)) => {
                assert_eq!(args.run.plot_format, Some(crate::train::PlotFormat::Svg))
            }
            other => panic!("expected train, got {other:?}"),
        }
        assert!(Cli::try_parse_from(["da-train", "train", "--plot-format", "gif"]).is_err());
    }
}
