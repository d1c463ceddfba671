//! The default job: source-only against MMD (or any list of transfer methods) on one transfer
//! direction, as a table.

use std::path::PathBuf;

use clap::Args;

use crate::train::{RunOptions, Summary, TrainConfig, Transfer};
#[cfg(test)]
use crate::train::{Score, Selection};

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
    /// Transfer methods to compare, one row each, comma-separated (default: none,mmd).
    #[arg(long, value_enum, value_delimiter = ',', num_args = 1..)]
    pub methods: Vec<Transfer>,
    /// The run's configuration (the transfer loss is set per row).
    #[command(flatten)]
    pub run: ConfigArgs,
}

/// Images per set in `--quick` runs.
const QUICK_LIMIT: usize = 600;

/// The built-in domains, for `--all-directions`.
const DOMAINS: [&str; 3] = ["mnist", "mfeat", "optdigits"];

/// The methods compared when `--methods` is not given.
pub const DEFAULT_METHODS: [Transfer; 2] = [Transfer::None, Transfer::Mmd];

impl CompareArgs {
    /// The methods to run, in the order given, each once (default [`DEFAULT_METHODS`]).
    pub fn methods(&self) -> Vec<Transfer> {
        let given = match self.methods.is_empty() {
            true => &DEFAULT_METHODS[..],
            false => &self.methods[..],
        };
        let mut methods = Vec::with_capacity(given.len());
        for method in given {
            if !methods.contains(method) {
                methods.push(*method);
            }
        }
        methods
    }
}

/// Trains each of the methods with otherwise identical settings and prints a table.
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
        for transfer in args.methods() {
            let config = TrainConfig {
                transfer,
                ..direction.clone()
            };
            config.validate()?;
            let name = match transfer {
                Transfer::None => "source_only",
                other => other.name(),
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
            let summary = run_config(&config, &data, &out, options, backend, None)?;
            summaries.push(summary.expect("compare runs never stop early"));
        }
    }
    let table = table(&summaries);
    println!("{table}");
    let path = args.out.join("table.md");
    atomic_file::write(&path, table.as_bytes())
        .map_err(|source| CommandError::Io { path, source })?;
    Ok(summaries)
}

/// A markdown table per method: the selected epoch's target and source accuracy (the last
/// epoch unless `--select best-score`), and how well the unsupervised score ranked the epochs
/// against the target accuracy (Spearman's rho; `-` when undefined).
pub fn table(summaries: &[Summary]) -> String {
    let mut out = String::from(
        "| source -> target | method | target accuracy | source accuracy | epoch (of) | rho(score, target acc.) | s/epoch |\n|---|---|---|---|---|---|---|\n",
    );
    for s in summaries {
        let rho = match s.score_accuracy_spearman {
            Some(rho) => format!("{rho:+.2} ({})", s.score.name()),
            None => "-".to_string(),
        };
        out.push_str(&format!(
            "| {} -> {} | {} | {:.2}% | {:.2}% | {} ({}) | {rho} | {:.1} |\n",
            s.source,
            s.target,
            label(s.transfer),
            100.0 * s.selected_target_accuracy,
            100.0 * s.selected_source_accuracy,
            s.selected_epoch,
            s.epochs,
            s.seconds_per_epoch
        ));
    }
    out
}

/// The name of a method in the table.
fn label(transfer: Transfer) -> &'static str {
    match transfer {
        Transfer::None => "source only",
        Transfer::Mmd => "MMD",
        Transfer::Lmmd => "LMMD",
        Transfer::Jmmd => "JMMD",
        Transfer::Coral => "CORAL",
        Transfer::Dann => "DANN",
        Transfer::Bnm => "BNM",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: CompareArgs,
    }

    fn methods(argv: &[&str]) -> Vec<Transfer> {
        let argv = std::iter::once("compare").chain(argv.iter().copied());
        Cli::try_parse_from(argv).unwrap().args.methods()
    }

    #[test]
    fn methods_default_to_source_only_and_mmd() {
        assert_eq!(methods(&[]), DEFAULT_METHODS);
        assert_eq!(CompareArgs::default().methods(), DEFAULT_METHODS);
    }

    #[test]
    fn methods_keep_their_order_once_each() {
        assert_eq!(
            methods(&["--methods", "none,mmd,lmmd,jmmd,coral,dann,bnm"]),
            Transfer::ALL
        );
        assert_eq!(
            methods(&["--methods", "dann,coral", "--methods", "dann"]),
            [Transfer::Dann, Transfer::Coral]
        );
        let err = Cli::try_parse_from(["compare", "--methods", "mmd,dan"])
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("dan") && err.contains("coral"), "{err}");
    }

    #[test]
    fn the_table_has_one_row_per_method() {
        let summaries: Vec<Summary> = Transfer::ALL
            .into_iter()
            .map(|transfer| Summary {
                target_accuracy: 0.5,
                source_accuracy: 0.9,
                transfer,
                source: "mnist".into(),
                target: "mfeat".into(),
                epochs: 2,
                best_target_accuracy: 0.6,
                select: Selection::Last,
                score: Score::Snd,
                selected_epoch: 2,
                selected_target_accuracy: 0.5,
                selected_source_accuracy: 0.9,
                score_accuracy_spearman: Some(0.5),
                seconds_per_epoch: 1.0,
                images_per_second: 100.0,
                backend: "ndarray".into(),
            })
            .collect();
        let table = table(&summaries);
        let rows: Vec<&str> = table.lines().skip(2).collect();
        assert_eq!(rows.len(), Transfer::ALL.len(), "{table}");
        for (row, label) in
            rows.iter()
                .zip(["source only", "MMD", "LMMD", "JMMD", "CORAL", "DANN", "BNM"])
        {
            assert!(row.contains(&format!("| {label} |")), "{row}");
            assert!(row.contains("| 2 (2) | +0.50 (snd) |"), "{row}");
        }
    }
}
