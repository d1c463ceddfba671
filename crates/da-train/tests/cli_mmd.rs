//! End-to-end tests of `da-train mmd`: the built binary on small files in a scratch directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// A fresh scratch directory for one test, under cargo's per-target temp dir.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Self {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("cli_mmd")
            .join(test);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the scratch directory");
        Self(dir)
    }

    fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, contents).expect("write a test file");
        path
    }

    fn csv(&self, name: &str, rows: &[Vec<f64>]) -> PathBuf {
        let text: String = rows
            .iter()
            .map(|row| {
                let fields: Vec<String> = row.iter().map(|v| format!("{v:?}")).collect();
                fields.join(",") + "\n"
            })
            .collect();
        self.write(name, text)
    }

    /// A version 1.0 `.npy` file holding `rows` as `<f8`, C order.
    fn npy(&self, name: &str, rows: &[Vec<f64>]) -> PathBuf {
        let dict = format!(
            "{{'descr': '<f8', 'fortran_order': False, 'shape': ({}, {}), }}",
            rows.len(),
            rows[0].len()
        );
        let padded = (10 + dict.len() + 1).div_ceil(64) * 64 - 10;
        let header = format!("{dict:<width$}\n", width = padded - 1);
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend(u16::try_from(header.len()).unwrap().to_le_bytes());
        bytes.extend(header.as_bytes());
        bytes.extend(rows.iter().flatten().flat_map(|v| v.to_le_bytes()));
        self.write(name, bytes)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn da_train(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_da-train"))
        .args(args)
        .output()
        .expect("run da-train")
}

fn mmd(source: &Path, target: &Path, options: &[&str]) -> Output {
    let (source, target) = (source.to_str().unwrap(), target.to_str().unwrap());
    let mut args = vec!["mmd", "--source", source, "--target", target];
    args.extend(options);
    da_train(&args)
}

/// Runs `mmd --json` and returns the parsed object, failing with stderr if it failed.
fn mmd_json(source: &Path, target: &Path, options: &[&str]) -> Value {
    let mut options = options.to_vec();
    options.push("--json");
    let output = mmd(source, target, &options);
    assert!(
        output.status.success(),
        "da-train failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("stdout is one JSON object")
}

/// Asserts exit code 2 and a message containing every one of `parts`; returns stderr.
fn assert_input_error(output: &Output, parts: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    assert!(output.stdout.is_empty(), "nothing on stdout on error");
    for part in parts {
        assert!(stderr.contains(part), "{stderr:?} should contain {part:?}");
    }
    stderr
}

/// Deterministic pseudo-random rows (splitmix64), values in [-2, 2) plus `shift`.
fn rows(count: usize, width: usize, seed: u64, shift: f64) -> Vec<Vec<f64>> {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 2.0 + shift
    };
    (0..count)
        .map(|_| (0..width).map(|_| next()).collect())
        .collect()
}

/// The seed's Gaussian MMD written out directly: Z = [source; target], D_ij = ||z_i - z_j||^2,
/// base = sum(D) / (N^2 - N) (or `fix_sigma`), b_i = base * mul^(i - num / 2),
/// K = sum_i exp(-D / b_i), loss = mean(K_ss) + mean(K_tt) - mean(K_st) - mean(K_ts).
fn seed_gaussian(
    source: &[Vec<f64>],
    target: &[Vec<f64>],
    mul: f64,
    num: i32,
    fix_sigma: Option<f64>,
) -> f64 {
    let z: Vec<&Vec<f64>> = source.iter().chain(target).collect();
    let big_n = z.len();
    let dist =
        |i: usize, j: usize| -> f64 { z[i].iter().zip(z[j]).map(|(a, b)| (a - b) * (a - b)).sum() };
    let mut total = 0.0;
    for i in 0..big_n {
        for j in 0..big_n {
            total += dist(i, j);
        }
    }
    let base = fix_sigma.unwrap_or(total / (big_n * big_n - big_n) as f64);
    let kernel = |i: usize, j: usize| -> f64 {
        (0..num)
            .map(|k| (-dist(i, j) / (base * mul.powi(k - num / 2))).exp())
            .sum()
    };
    let n = source.len();
    let block_mean = |rows: std::ops::Range<usize>, cols: std::ops::Range<usize>| {
        let count = (rows.len() * cols.len()) as f64;
        let mut sum = 0.0;
        for i in rows {
            for j in cols.clone() {
                sum += kernel(i, j);
            }
        }
        sum / count
    };
    block_mean(0..n, 0..n) + block_mean(n..big_n, n..big_n)
        - block_mean(0..n, n..big_n)
        - block_mean(n..big_n, 0..n)
}

/// `||mean(source) - mean(target)||^2`.
fn seed_linear(source: &[Vec<f64>], target: &[Vec<f64>]) -> f64 {
    let mean =
        |rows: &[Vec<f64>], k: usize| rows.iter().map(|r| r[k]).sum::<f64>() / rows.len() as f64;
    (0..source[0].len())
        .map(|k| (mean(source, k) - mean(target, k)).powi(2))
        .sum()
}

fn assert_close(actual: f64, expected: f64) {
    let tolerance = 1e-12 * expected.abs().max(1e-3);
    assert!(
        (actual - expected).abs() <= tolerance,
        "{actual} differs from {expected} by {}",
        (actual - expected).abs()
    );
}

fn number(json: &Value, key: &str) -> f64 {
    json[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number in {json}"))
}

#[test]
fn default_json_run_is_the_seed_loss() {
    let dir = Scratch::new("default_json");
    let source = rows(7, 3, 1, 0.0);
    let target = rows(5, 3, 2, 0.75);
    let source_path = dir.csv("source.csv", &source);
    let target_path = dir.csv("target.csv", &target);
    let json = mmd_json(&source_path, &target_path, &[]);
    assert_close(
        number(&json, "mmd"),
        seed_gaussian(&source, &target, 2.0, 5, None),
    );
    assert_eq!(
        (json["n"].as_u64(), json["m"].as_u64(), json["d"].as_u64()),
        (Some(7), Some(5), Some(3))
    );
    assert_eq!(json["kernel"], "gaussian");
    assert_eq!(json["kernel_mul"], 2.0);
    assert_eq!(json["kernel_num"], 5);
    assert_eq!(json["bandwidth"], "mean");
    assert_eq!(json["fix_sigma"], Value::Null);
    assert_eq!(json["estimator"], "biased");
    assert_eq!(json["source"], source_path.to_str().unwrap());
}

#[test]
fn npy_inputs_and_a_csv_header_give_the_same_value() {
    let dir = Scratch::new("npy_and_header");
    let source = rows(6, 4, 3, 0.0);
    let target = rows(9, 4, 4, -0.5);
    let csv = dir.csv("source.csv", &source);
    let with_header = dir.write(
        "source_header.csv",
        format!("a,b,c,d\n{}", std::fs::read_to_string(&csv).unwrap()),
    );
    let npy = dir.npy("target.npy", &target);
    let expected = seed_gaussian(&source, &target, 2.0, 5, None);
    assert_close(number(&mmd_json(&csv, &npy, &[]), "mmd"), expected);
    assert_close(number(&mmd_json(&with_header, &npy, &[]), "mmd"), expected);
}

// Expected values from the seed's PyTorch MMDLoss in float64 (/work/shared/golden/mmd_seed.json):
//   MMDLoss()(torch.tensor(SOURCE, dtype=torch.float64), torch.tensor(TARGET, dtype=torch.float64))
const RBF_SOURCE: &str = "\
0.7947453856468201, 1.432336449623108, 1.1140446662902832, 1.360000491142273, 0.4943504333496094\n\
-0.6050781011581421, -0.6255554556846619, -2.2441515922546387, 0.9551163911819458, 0.004422797355800867\n\
-0.09214377403259277, -0.8406422138214111, 0.2897105813026428, -0.08167526870965958, 0.1709297001361847\n\
-0.6376504302024841, -0.242880180478096, -1.0133599042892456, 1.312212586402893, 1.2961313724517822\n\
-0.1884002685546875, -0.05748238414525986, 3.0230724811553955, 1.8207063674926758, -1.2127509117126465\n\
0.20286710560321808, 0.05192931741476059, 1.6363924741744995, 0.6569599509239197, 0.02690223976969719\n\
1.3996469974517822, -0.6796286106109619, -1.575940728187561, 2.2017481327056885, 1.0488942861557007\n\
0.14418362081050873, -0.006669795140624046, -1.5814697742462158, 0.8178214430809021, 0.41826584935188293\n\
";
const RBF_TARGET: &str = "\
2.231776475906372, 0.4670012891292572, -1.552039623260498, -1.3946716785430908, 1.9066424369812012\n\
-2.8764121532440186, -1.1634316444396973, -3.857734441757202, -1.298457145690918, 0.21766313910484314\n\
-0.9953324198722839, 0.22998297214508057, 1.1422128677368164, -0.2407410740852356, 1.8083009719848633\n\
0.7841427326202393, -1.543393850326538, -0.1928810477256775, -0.628878653049469, -0.9191378951072693\n\
-0.23083478212356567, 1.1741752624511719, 2.257840871810913, 0.14746205508708954, 0.9395410418510437\n\
0.6340030431747437, -1.1678857803344727, 1.141794204711914, -0.14865022897720337, 1.1069269180297852\n\
";
const RBF_LOSS: f64 = 1.0873906034568708;
// MMDLoss(kernel_type='linear') on float64 inputs.
const LINEAR_SOURCE: &str = "\
0.1627657115459442, 0.8330853581428528, 0.38706129789352417, 0.2624484598636627, -0.2879616320133209\n\
0.09338771551847458, 0.21070453524589539, -0.0034418923314660788, 0.42630237340927124, -0.6233665347099304\n\
-1.8545869588851929, 1.3697861433029175, -0.8592686057090759, 1.8850224018096924, -1.3769302368164062\n\
1.2782073020935059, 0.04966728389263153, 0.6912127733230591, 0.43959692120552063, 0.29621046781539917\n\
-1.03821861743927, 0.45904144644737244, 0.29827386140823364, -0.032379407435655594, -0.4578155279159546\n\
-0.41301995515823364, 1.8174197673797607, 1.481563687324524, 0.4616207778453827, -0.2875120937824249\n\
0.8964565992355347, -1.4426605701446533, -1.1134483814239502, 0.7079806923866272, 0.7211645841598511\n\
-0.7999211549758911, -0.7561827301979065, 1.850433349609375, -1.2615619897842407, 1.1972014904022217\n\
";
const LINEAR_TARGET: &str = "\
1.202787160873413, 1.2712955474853516, 1.4443602561950684, 4.469266414642334, 0.8068512678146362\n\
-1.5358598232269287, -0.33018314838409424, -1.254040002822876, -0.6609668135643005, -0.27496910095214844\n\
2.957699775695801, 1.5126829147338867, -1.6953346729278564, -0.11912792921066284, 1.9650051593780518\n\
2.898203134536743, 0.6098718643188477, 0.05562061071395874, -0.34089767932891846, 2.2908518314361572\n\
-0.145900160074234, 0.1183810830116272, 1.9796268939971924, -1.9777030944824219, 1.5373551845550537\n\
1.9373137950897217, -2.3892548084259033, 0.13806983828544617, -2.243868589401245, -2.2365994453430176\n\
";
const LINEAR_LOSS: f64 = 2.998775729307099;

#[test]
fn matches_the_pytorch_seed_golden_values() {
    let dir = Scratch::new("golden");
    let source = dir.write("s.csv", RBF_SOURCE);
    let target = dir.write("t.csv", RBF_TARGET);
    assert_close(number(&mmd_json(&source, &target, &[]), "mmd"), RBF_LOSS);
    let source = dir.write("ls.csv", LINEAR_SOURCE);
    let target = dir.write("lt.csv", LINEAR_TARGET);
    let json = mmd_json(&source, &target, &["--kernel", "linear"]);
    assert_close(number(&json, "mmd"), LINEAR_LOSS);
}

#[test]
fn gaussian_options_follow_the_formula() {
    let dir = Scratch::new("gaussian_options");
    let source = rows(5, 2, 5, 0.0);
    let target = rows(8, 2, 6, 1.0);
    let (s, t) = (dir.csv("s.csv", &source), dir.csv("t.csv", &target));
    let json = mmd_json(&s, &t, &["--kernel-mul", "3", "--kernel-num", "3"]);
    assert_close(
        number(&json, "mmd"),
        seed_gaussian(&source, &target, 3.0, 3, None),
    );
    assert_eq!(
        (json["kernel_mul"].as_f64(), json["kernel_num"].as_u64()),
        (Some(3.0), Some(3))
    );

    let json = mmd_json(&s, &t, &["--fix-sigma", "0.7"]);
    assert_close(
        number(&json, "mmd"),
        seed_gaussian(&source, &target, 2.0, 5, Some(0.7)),
    );
    assert_eq!(json["bandwidth"], "fixed");
    assert_eq!(json["fix_sigma"], 0.7);
}

#[test]
fn linear_kernel_is_the_squared_mean_difference() {
    let dir = Scratch::new("linear");
    let source = rows(4, 3, 7, 0.0);
    let target = rows(6, 3, 8, 0.5);
    let (s, t) = (dir.csv("s.csv", &source), dir.npy("t.npy", &target));
    let json = mmd_json(&s, &t, &["--kernel", "linear"]);
    assert_close(number(&json, "mmd"), seed_linear(&source, &target));
    assert_eq!(json["kernel"], "linear");
    assert_eq!(json["kernel_num"], Value::Null);
    assert_eq!(json["bandwidth"], Value::Null);
}

#[test]
fn other_estimators_run() {
    let dir = Scratch::new("estimators");
    let (s, t) = (
        dir.csv("s.csv", &rows(6, 2, 9, 0.0)),
        dir.csv("t.csv", &rows(6, 2, 10, 0.0)),
    );
    for estimator in ["unbiased", "linear"] {
        let json = mmd_json(&s, &t, &["--estimator", estimator, "--bandwidth", "median"]);
        assert!(number(&json, "mmd").is_finite());
        assert_eq!(json["estimator"], estimator);
        assert_eq!(json["bandwidth"], "median");
    }
}

#[test]
fn without_json_prints_one_line_with_the_value() {
    let dir = Scratch::new("text");
    let source = rows(3, 2, 11, 0.0);
    let target = rows(4, 2, 12, 0.0);
    let output = mmd(&dir.csv("s.csv", &source), &dir.csv("t.csv", &target), &[]);
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let value: f64 = stdout
        .strip_prefix("mmd = ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("unexpected output {stdout:?}"))
        .parse()
        .unwrap();
    assert_close(value, seed_gaussian(&source, &target, 2.0, 5, None));
    assert!(stdout.contains("source 3x2, target 4x2"), "{stdout}");
}

#[test]
fn a_missing_file_exits_2_naming_it() {
    let dir = Scratch::new("missing");
    let present = dir.csv("s.csv", &rows(2, 2, 13, 0.0));
    let missing = dir.0.join("nope.csv");
    let output = mmd(&present, &missing, &[]);
    assert_input_error(&output, &[&format!("cannot read {}", missing.display())]);
}

#[test]
fn a_ragged_file_exits_2_naming_file_and_line() {
    let dir = Scratch::new("ragged");
    let good = dir.csv("s.csv", &rows(2, 3, 14, 0.0));
    let ragged = dir.write("r.csv", "1,2,3\n4,5,6\n7,8\n");
    let output = mmd(&good, &ragged, &[]);
    assert_input_error(
        &output,
        &[&format!(
            "{}: line 3 has 2 fields, expected 3",
            ragged.display()
        )],
    );
}

#[test]
fn a_non_number_exits_2_naming_file_line_and_column() {
    let dir = Scratch::new("not_a_number");
    let bad = dir.write("bad.csv", "x,y\n1,2\n3,oops\n");
    let good = dir.csv("t.csv", &rows(2, 2, 15, 0.0));
    let output = mmd(&bad, &good, &[]);
    assert_input_error(
        &output,
        &[&format!(
            "{}: line 3, column 2: 'oops' is not a number",
            bad.display()
        )],
    );
}

#[test]
fn a_width_mismatch_exits_2_naming_both_files() {
    let dir = Scratch::new("width");
    let s = dir.csv("s.csv", &rows(3, 3, 16, 0.0));
    let t = dir.npy("t.npy", &rows(3, 4, 17, 0.0));
    let output = mmd(&s, &t, &[]);
    assert_input_error(
        &output,
        &[&format!(
            "{} has 3 columns, {} has 4",
            s.display(),
            t.display()
        )],
    );
}

#[test]
fn an_empty_file_exits_2_naming_it() {
    let dir = Scratch::new("empty");
    let empty = dir.write("empty.csv", "");
    let good = dir.csv("t.csv", &rows(2, 2, 18, 0.0));
    let output = mmd(&good, &empty, &[]);
    assert_input_error(
        &output,
        &[&format!("{}: the file is empty", empty.display())],
    );
    let header_only = dir.write("header.csv", "a,b\n");
    let output = mmd(&header_only, &good, &[]);
    assert_input_error(
        &output,
        &[&format!(
            "{}: no data rows after the header on line 1",
            header_only.display()
        )],
    );
}

#[test]
fn a_bad_extension_exits_2_naming_the_accepted_ones() {
    let dir = Scratch::new("extension");
    let text = dir.write("s.txt", "1,2\n");
    let good = dir.csv("t.csv", &rows(2, 2, 19, 0.0));
    let output = mmd(&text, &good, &[]);
    assert_input_error(
        &output,
        &[
            &text.display().to_string(),
            "unsupported file extension '.txt'",
            ".csv, .npy",
        ],
    );
}

#[test]
fn invalid_option_values_exit_2_with_the_mmd_core_message() {
    let dir = Scratch::new("options");
    let s = dir.csv("s.csv", &rows(2, 2, 20, 0.0));
    let t = dir.csv("t.csv", &rows(2, 2, 21, 0.0));
    for (options, message) in [
        (
            &["--kernel-num", "0"][..],
            "kernel_num must be at least 1, got 0",
        ),
        (
            &["--kernel-mul", "-2"],
            "kernel_mul must be a finite number > 0, got -2",
        ),
        (&["--fix-sigma", "0"], "must be a finite number > 0, got 0"),
        (
            &["--kernel", "linear", "--fix-sigma", "1"],
            "--fix-sigma applies to the gaussian kernel only",
        ),
    ] {
        assert_input_error(&mmd(&s, &t, options), &[message]);
    }
    // Too few rows for the unbiased estimator: mmd-core's message.
    let one = dir.csv("one.csv", &rows(1, 2, 22, 0.0));
    assert_input_error(
        &mmd(&one, &t, &["--estimator", "unbiased"]),
        &["the unbiased estimator needs at least 2 rows in each batch"],
    );
    // clap's usage errors exit 2 as well.
    let output = mmd(&s, &t, &["--bandwidth", "mean", "--fix-sigma", "1"]);
    assert_eq!(output.status.code(), Some(2));
    let output = mmd(&s, &t, &["--kernel", "laplace"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn permutations_add_a_p_value() {
    let dir = Scratch::new("permutations");
    let (s, t) = (
        dir.csv("s.csv", &rows(12, 2, 23, 0.0)),
        dir.csv("t.csv", &rows(10, 2, 24, 0.3)),
    );
    let plain = mmd_json(&s, &t, &[]);
    assert_eq!(plain["p_value"], Value::Null);
    assert_eq!(plain["permutations"], Value::Null);

    let json = mmd_json(&s, &t, &["--permutations", "200", "--seed", "4"]);
    let p = number(&json, "p_value");
    assert!(p > 0.0 && p <= 1.0, "{json}");
    // A multiple of 1 / (P + 1): (1 + count) / 201.
    let count = p * 201.0 - 1.0;
    assert!((count - count.round()).abs() < 1e-9, "{p}");
    assert_eq!(json["permutations"], 200);
    assert_eq!(json["seed"], 4);
    // The statistic is still the loss.
    assert_eq!(json["mmd"], plain["mmd"]);

    let again = mmd_json(&s, &t, &["--permutations", "200", "--seed", "4"]);
    assert_eq!(again["p_value"], json["p_value"], "same seed, same p-value");
    let default_seed = mmd_json(&s, &t, &["--permutations", "200"]);
    assert_eq!(default_seed["seed"], 0);
}

#[test]
fn a_clear_shift_has_the_smallest_p_value() {
    let dir = Scratch::new("shift");
    let (s, t) = (
        dir.npy("s.npy", &rows(20, 3, 25, 0.0)),
        dir.csv("t.csv", &rows(20, 3, 26, 3.0)),
    );
    for estimator in ["biased", "unbiased"] {
        let json = mmd_json(&s, &t, &["--permutations", "99", "--estimator", estimator]);
        assert_eq!(number(&json, "p_value"), 0.01, "{json}");
    }
}

#[test]
fn permutations_print_a_second_line_of_text() {
    let dir = Scratch::new("permutations_text");
    let (s, t) = (
        dir.csv("s.csv", &rows(6, 2, 27, 0.0)),
        dir.csv("t.csv", &rows(7, 2, 28, 0.0)),
    );
    let output = mmd(&s, &t, &["--permutations", "50", "--seed", "2"]);
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0].starts_with("mmd = "), "{stdout}");
    let p: f64 = lines[1]
        .strip_prefix("p_value = ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("unexpected output {stdout:?}"))
        .parse()
        .unwrap();
    assert!(p > 0.0 && p <= 1.0);
    assert!(lines[1].ends_with("(50 permutations, seed 2)"), "{stdout}");
}

#[test]
fn bad_permutation_options_exit_2() {
    let dir = Scratch::new("bad_permutations");
    let s = dir.csv("s.csv", &rows(4, 2, 29, 0.0));
    let t = dir.csv("t.csv", &rows(4, 2, 30, 0.0));
    assert_input_error(
        &mmd(&s, &t, &["--permutations", "0"]),
        &["permutations must be at least 1, got 0"],
    );
    assert_input_error(
        &mmd(&s, &t, &["--permutations", "10", "--estimator", "linear"]),
        &[
            "the permutation test needs a quadratic estimator (biased or unbiased), got the linear estimator",
        ],
    );
    // clap's usage errors: not a number, and --seed without --permutations.
    for options in [
        &["--permutations", "-3"][..],
        &["--permutations", "many"],
        &["--seed", "1"],
    ] {
        let output = mmd(&s, &t, options);
        assert_eq!(output.status.code(), Some(2), "{options:?}");
        assert!(output.stdout.is_empty());
    }
}
