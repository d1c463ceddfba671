//! The default job: source-only against MMD on one transfer direction, as a table.

use std::path::PathBuf;

use clap::Args;

use crate::train::{RunOptions, Summary, TrainConfig, Transfer, write_atomic};

use super::CommandError;
use super::train::{ConfigArgs, load_run_data, run_config};

/// Options of `da-train compare` (also what `da-train` with no subcommand runs).
#[derive(Debug, Clone, Default, Args)]
pub struct CompareArgs {
    /// A short version for CI: 2 epochs on at most 600 images per set.
    #[arg(long)]
    pub quick: bool,
    /// Output directory; each direction and method gets a sub-directory.
    #[arg(long, default_value = "runs/compare")]
    pub out: PathBuf,
    /// Run all six directions between mnist, mfeat and optdigits instead of --source -> --target.
    #[arg(long)]
    pub all_directions: bool,
    /// The run's configuration (the transfer loss is set per row).
    #[command(flatten)]
    pub run: ConfigArgs,
}

/// Images per set in `--quick` runs.
const QUICK_LIMIT: usize = 600;

/// The built-in domains, for `--all-directions`.
const DOMAINS: [&str; 3] = ["mnist", "mfeat", "optdigits"];

/// Runs source-only and MMD training with otherwise identical settings and prints a table.
pub fn run(args: &CompareArgs) -> Result<Vec<Summary>, CommandError> {
    let mut base = args.run.config()?;
    if args.quick {
        base.epochs = base.epochs.min(2);
    }
    let directions: Vec<(String, String)> = if args.all_directions {
        DOMAINS
            .iter()
            .flat_map(|s| {
                DOMAINS
                    .iter()
                    .filter(move |t| *t != s)
                    .map(move |t| (s.to_string(), t.to_string()))
            })
            .collect()
    } else {
        vec![(base.source.clone(), base.target.clone())]
    };
    let backend = args.run.backend();
    let mut summaries = Vec::new();
    for (source, target) in directions {
        let direction = TrainConfig {
            source,
            target,
            ..base.clone()
        };
        let data = load_run_data(&direction, args.quick.then_some(QUICK_LIMIT))?;
        for transfer in [Transfer::None, Transfer::Mmd] {
            let config = TrainConfig {
                transfer,
                ..direction.clone()
            };
            let name = match transfer {
                Transfer::None => "source_only",
                Transfer::Mmd => "mmd",
            };
            eprintln!(
                "== {} -> {}: {name} ({} epochs, {backend:?})",
                config.source, config.target, config.epochs
            );
            let out = match args.all_directions {
                true => args
                    .out
                    .join(format!("{}_to_{}", config.source, config.target))
                    .join(name),
                false => args.out.join(name),
            };
            let options = RunOptions {
                progress: !args.run.no_progress,
                ..RunOptions::default()
            };
            let summary = run_config(&config, &data, &out, options, backend)?;
            summaries.push(summary.expect("compare runs never stop early"));
        }
    }
    let table = table(&summaries);
    println!("{table}");
    let path = args.out.join("table.md");
    write_atomic(&path, table.as_bytes()).map_err(|source| CommandError::Io { path, source })?;
    Ok(summaries)
}

/// A markdown table of target and source accuracy per method.
pub fn table(summaries: &[Summary]) -> String {
    let mut out = String::from(
        "| source -> target | method | target accuracy | source accuracy | epochs | s/epoch |\n|---|---|---|---|---|---|\n",
    );
    for s in summaries {
        out.push_str(&format!(
            "| {} -> {} | {} | {:.2}% | {:.2}% | {} | {:.1} |\n",
            s.source,
            s.target,
            match s.transfer {
                Transfer::None => "source only",
                Transfer::Mmd => "MMD",
            },
            100.0 * s.target_accuracy,
            100.0 * s.source_accuracy,
            s.epochs,
            s.seconds_per_epoch
        ));
    }
    out
}
