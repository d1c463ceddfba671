//! Drift detection: the MMD two-sample test of a reference window of embeddings against one or
//! more current windows (`.npy` or CSV files), with the p-value, the decision at `alpha` and an
//! PNG (or SVG) histogram of the permutation distribution per comparison. See the library
//! (`src/lib.rs`) for what the p-value means and `README.md` for the commands.
//!
//! ```text
//! cargo run -p example-drift-detection -- [--reference PATH] [--current PATH]...
//!     [--permutations N] [--seed S] [--alpha A] [--out DIR] [--quick]
//! cargo run -p example-drift-detection -- --generate DIR
//! ```
use std::path::PathBuf;
use std::process::ExitCode;

use da_plot::PlotFormat;
use example_drift_detection::{Options, Window, compare, data_dir, generate, save_histogram};

/// Permutations under `--quick` (unless `--permutations` is given).
const QUICK_PERMUTATIONS: usize = 200;

const USAGE: &str = "\
usage: example-drift-detection [OPTIONS]
       example-drift-detection --generate DIR

Tests a reference window of embeddings against current windows with the MMD two-sample test.

options:
  --reference PATH    reference window, .npy or .csv [default: data/reference.npy]
  --current PATH      window to test; repeat for several [default: data/drifted.csv and
                      data/same.csv]
  --permutations N    random relabellings [default: 1000; 200 with --quick]
  --seed S            seed of the relabellings [default: 0]
  --alpha A           significance level, in (0, 1) [default: 0.05]
  --out DIR           folder of the histograms [default: runs/drift-detection]
  --plot-format F     png or svg [default: png]
  --quick             fewer permutations (what CI runs)
  --generate DIR      write the sample windows (reference.npy, drifted.csv, same.csv) to DIR
                      and exit
  -h, --help          this text";

/// What the command line asks for.
#[derive(Debug)]
enum Command {
    Help,
    Generate(PathBuf),
    Test {
        reference: PathBuf,
        current: Vec<PathBuf>,
        options: Options,
        out: PathBuf,
        format: PlotFormat,
    },
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut args = args.into_iter();
    let (mut reference, mut current, mut out) = (None, Vec::new(), None);
    let (mut permutations, mut seed, mut alpha, mut quick) = (None, 0u64, 0.05f64, false);
    let mut format = PlotFormat::Png;
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        let number_error =
            |name: &str, text: &str, what: &str| format!("{name}: '{text}' is not {what}");
        match arg.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--quick" => quick = true,
            "--generate" => return Ok(Command::Generate(value("--generate")?.into())),
            "--reference" => reference = Some(PathBuf::from(value("--reference")?)),
            "--current" => current.push(PathBuf::from(value("--current")?)),
            "--out" => out = Some(PathBuf::from(value("--out")?)),
            "--plot-format" => {
                format = value("--plot-format")?
                    .parse()
                    .map_err(|err| format!("--plot-format: {err}"))?;
            }
            "--permutations" => {
                let text = value("--permutations")?;
                match text.parse::<usize>() {
                    Ok(n) if n >= 1 => permutations = Some(n),
                    _ => {
                        return Err(number_error("--permutations", &text, "a whole number >= 1"));
                    }
                }
            }
            "--seed" => {
                let text = value("--seed")?;
                seed = text
                    .parse()
                    .map_err(|_| number_error("--seed", &text, "a whole number >= 0"))?;
            }
            "--alpha" => {
                let text = value("--alpha")?;
                match text.parse::<f64>() {
                    Ok(a) if a > 0.0 && a < 1.0 => alpha = a,
                    _ => return Err(number_error("--alpha", &text, "a number in (0, 1)")),
                }
            }
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    let data = data_dir();
    if current.is_empty() {
        current = vec![data.join("drifted.csv"), data.join("same.csv")];
    }
    let default_permutations = if quick {
        QUICK_PERMUTATIONS
    } else {
        Options::default().permutations
    };
    Ok(Command::Test {
        reference: reference.unwrap_or_else(|| data.join("reference.npy")),
        current,
        options: Options {
            permutations: permutations.unwrap_or(default_permutations),
            seed,
            alpha,
        },
        out: out.unwrap_or_else(|| PathBuf::from("runs/drift-detection")),
        format,
    })
}

fn run(command: Command) -> Result<(), Box<dyn std::error::Error>> {
    match command {
        Command::Help => println!("{USAGE}"),
        Command::Generate(dir) => {
            for path in generate(&dir)? {
                println!("wrote {}", path.display());
            }
        }
        Command::Test {
            reference,
            current,
            options,
            out,
            format,
        } => {
            let reference = Window::read(&reference)?;
            for path in &current {
                let comparison = compare(&reference, &Window::read(path)?, &options)?;
                println!("{}", comparison.report());
                let chart = save_histogram(&comparison, &out, format)?;
                println!("  histogram: {}\n", chart.display());
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let command = match parse(std::env::args().skip(1)) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("error: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Command, String> {
        parse(list.iter().map(|s| s.to_string()))
    }

    #[test]
    fn defaults_test_both_committed_windows() {
        let Ok(Command::Test {
            reference,
            current,
            options,
            out,
            format,
        }) = args(&[])
        else {
            panic!("a test command");
        };
        assert_eq!(format, PlotFormat::Png);
        assert!(reference.ends_with("data/reference.npy"));
        assert_eq!(current.len(), 2);
        assert!(current[0].ends_with("data/drifted.csv") && current[1].ends_with("data/same.csv"));
        assert_eq!(options, Options::default());
        assert_eq!(out, PathBuf::from("runs/drift-detection"));
        let Ok(Command::Test { options, .. }) = args(&["--quick", "--seed", "3"]) else {
            panic!("a test command");
        };
        assert_eq!(
            (options.permutations, options.seed),
            (QUICK_PERMUTATIONS, 3)
        );
        let Ok(Command::Test {
            options, current, ..
        }) = args(&["--quick", "--permutations", "50", "--current", "x.csv"])
        else {
            panic!("a test command");
        };
        assert_eq!(options.permutations, 50);
        assert_eq!(current, vec![PathBuf::from("x.csv")]);
        let Ok(Command::Test { format, .. }) = args(&["--plot-format", "SVG"]) else {
            panic!("a test command");
        };
        assert_eq!(format, PlotFormat::Svg);
    }

    #[test]
    fn bad_arguments_are_named() {
        let err = |list: &[&str]| args(list).unwrap_err();
        assert_eq!(
            err(&["--alpha", "1.5"]),
            "--alpha: '1.5' is not a number in (0, 1)"
        );
        assert_eq!(
            err(&["--permutations", "0"]),
            "--permutations: '0' is not a whole number >= 1"
        );
        assert_eq!(err(&["--seed"]), "--seed needs a value");
        assert_eq!(err(&["--frobnicate"]), "unknown argument '--frobnicate'");
        assert_eq!(
            err(&["--plot-format", "gif"]),
            "--plot-format: unknown plot format `gif`; expected `png` or `svg`"
        );
    }
}
