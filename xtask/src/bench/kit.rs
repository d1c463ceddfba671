//! `cargo xtask bench-kit`: the benchmark harness as a folder of files that runs on a machine
//! with neither cargo nor a Rust toolchain (a rented or sandboxed GPU machine, say).
//!
//! The kit holds `da-bench` built with the `wgpu` and `cuda` features (stripped and gzipped:
//! about 17 MiB instead of 70), this program, the commit they were built at, optionally the
//! Vulkan loader, and `run.sh`, which unpacks da-bench into a temporary folder and starts
//! `xtask bench` with `--da-bench` pointing at it. It lives in the workspace root (`.bench-kit/` by
//! default), so that a copy of the source tree with the kit in it is all the other machine needs:
//! the PyTorch script and its Python come from there.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use clap::Args;

use super::{build_da_bench, machine, workspace_root, write};

/// The backends a kit's da-bench is built with: every GPU backend of da-bench.
const KIT_BACKENDS: [&str; 2] = ["wgpu", "cuda"];

/// Where the Vulkan loader's shared library lies inside the unpacked Debian package.
const VULKAN_LIB_DIR: &str = "vulkan/usr/lib/x86_64-linux-gnu";

/// Options of `cargo xtask bench-kit`.
#[derive(Debug, Clone, Args)]
pub struct KitArgs {
    /// The kit's folder (default `.bench-kit` in the workspace root). An existing kit there is
    /// replaced only once the new one is complete. A kit outside a source tree's root needs
    /// `XTASK_ROOT=<tree>` when it runs.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Also put the Vulkan loader (`libvulkan.so.1`, Debian's `libvulkan1`, fetched with
    /// `apt-get download`) into the kit, for machines whose GPU driver ships without it.
    #[arg(long)]
    pub vulkan_loader: bool,
}

/// `cargo xtask bench-kit`.
pub fn run(args: &KitArgs, cargo: &str) -> ExitCode {
    match make_kit(args, cargo) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(2)
        }
    }
}

fn make_kit(args: &KitArgs, cargo: &str) -> Result<(), String> {
    let root = workspace_root();
    let out = args.out.clone().unwrap_or_else(|| root.join(".bench-kit"));
    let name = out
        .file_name()
        .ok_or_else(|| format!("--out {} names no folder", out.display()))?
        .to_string_lossy()
        .into_owned();
    // Built beside the old kit, which stays usable until the new one is complete.
    let partial = out.with_file_name(format!("{name}.partial"));
    if partial.exists() {
        remove(&partial)?;
    }
    create_dir(&partial)?;

    let da_bench = build_da_bench(cargo, &root, &KIT_BACKENDS)?;
    let this = std::env::current_exe().map_err(|err| format!("cannot find xtask itself: {err}"))?;
    copy_stripped(&this, &partial.join("xtask"))?;
    let stripped = partial.join("da-bench");
    copy_stripped(&da_bench, &stripped)?;
    gzip(&stripped, &partial.join("da-bench.gz"))?;
    std::fs::remove_file(&stripped)
        .map_err(|err| format!("cannot remove {}: {err}", stripped.display()))?;
    if args.vulkan_loader {
        fetch_vulkan_loader(&partial)?;
    }
    let commit = commit_of_tree(&root);
    let script = partial.join("run.sh");
    write_executable(&script, &run_script(&commit))?;

    if out.exists() {
        remove(&out)?;
    }
    std::fs::rename(&partial, &out).map_err(|err| {
        format!(
            "cannot rename {} to {}: {err}",
            partial.display(),
            out.display()
        )
    })?;
    let size = folder_size(&out);
    eprintln!(
        "wrote the bench kit for commit {commit} to {} ({:.1} MiB)",
        out.display(),
        size as f64 / (1u64 << 20) as f64
    );
    eprintln!(
        "on the other machine, in a copy of the source tree with the kit at the same place:\n  \
         {}/run.sh --wgpu --cuda [--compare-pytorch] [--filter TEXT] ...\n\
         (the options of `cargo xtask bench`; the report goes to $CARGO_TARGET_DIR/bench, \
         else target/bench)",
        out.strip_prefix(&root).unwrap_or(&out).display()
    );
    Ok(())
}

/// The commit the kit is built at, with `-dirty` when the tree has uncommitted changes (which
/// the kit then holds, and a copy of the committed tree would not).
fn commit_of_tree(root: &Path) -> String {
    let commit = machine::git_commit(root);
    let dirty = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .current_dir(root)
        .output()
        .is_ok_and(|out| out.status.success() && !out.stdout.is_empty());
    if dirty {
        format!("{commit}-dirty")
    } else {
        commit
    }
}

/// `run.sh`: starts the kit's xtask on the kit's da-bench, in the source tree the kit lies in.
///
/// When the machine has no Vulkan loader and the kit carries one, the loader is put on the
/// library path; so is NVRTC, when the loader does not find it, from the CUDA toolkit or the
/// `nvidia-*` Python packages; when the NVIDIA driver's Vulkan manifest lies outside the loader's
/// usual folders (as under `/usr/local/nvidia` in containers), the loader is pointed at it.
pub fn run_script(commit: &str) -> String {
    format!(
        r#"#!/bin/sh
# The benchmark harness of commit {commit}, made by `cargo xtask bench-kit`: the same options
# and report as `cargo xtask bench`, without cargo. It reads the PyTorch script from the source
# tree this folder lies in, or from $XTASK_ROOT when set (a copy of the tree at that commit).
set -eu
kit=$(cd "$(dirname "$0")" && pwd)
ldconfig=$(command -v ldconfig || echo /sbin/ldconfig)
# Whether the dynamic loader finds a library: in ldconfig's cache or on LD_LIBRARY_PATH.
has_lib() {{
  "$ldconfig" -p 2>/dev/null | grep -q "$1" && return 0
  for dir in $(echo "${{LD_LIBRARY_PATH:-}}" | tr ':' ' '); do
    ls "$dir/$1"* >/dev/null 2>&1 && return 0
  done
  return 1
}}
add_lib_dir() {{
  export LD_LIBRARY_PATH="$1${{LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}}"
}}
if [ -d "$kit/{VULKAN_LIB_DIR}" ] && ! has_lib libvulkan.so.1; then
  echo "run.sh: no Vulkan loader on this machine, using the kit's" >&2
  add_lib_dir "$kit/{VULKAN_LIB_DIR}"
fi
# burn-cuda compiles its kernels with NVRTC, which CUDA installs outside the loader's path
# (the toolkit's lib64, or the nvidia-* Python packages that PyTorch brings).
if ! has_lib libnvrtc.so; then
  pythons=$(python3 -c 'import glob, sys; print(" ".join(d for p in sys.path for d in glob.glob(p + "/nvidia/*/lib")))' 2>/dev/null || true)
  for dir in ${{CUDA_HOME:+$CUDA_HOME/lib64}} /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib $pythons; do
    if ls "$dir"/libnvrtc.so* >/dev/null 2>&1; then
      echo "run.sh: NVRTC from $dir" >&2
      add_lib_dir "$dir"
      break
    fi
  done
fi
if [ -z "${{VK_DRIVER_FILES:-}}${{VK_ICD_FILENAMES:-}}" ] \
  && ! ls /usr/share/vulkan/icd.d/nvidia* /etc/vulkan/icd.d/nvidia* >/dev/null 2>&1; then
  for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/local/nvidia/etc/vulkan/icd.d/nvidia_icd.json; do
    if [ -f "$icd" ]; then
      echo "run.sh: NVIDIA Vulkan driver manifest $icd" >&2
      export VK_DRIVER_FILES="$icd"
      break
    fi
  done
fi
unpacked=$(mktemp -d)
trap 'rm -rf "$unpacked"' EXIT
gzip -dc "$kit/da-bench.gz" >"$unpacked/da-bench"
chmod +x "$unpacked/da-bench"
export XTASK_ROOT="${{XTASK_ROOT:-$(dirname "$kit")}}" XTASK_COMMIT="{commit}"
"$kit/xtask" bench --da-bench "$unpacked/da-bench" "$@"
"#
    )
}

/// Copies an executable and strips its symbols (`strip`; a plain copy where there is none).
fn copy_stripped(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::copy(from, to)
        .map_err(|err| format!("cannot copy {} to {}: {err}", from.display(), to.display()))?;
    match Command::new("strip").arg(to).status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(format!("`strip {}` failed ({status})", to.display())),
        Err(_) => {
            eprintln!(
                "no `strip` on this machine: {} keeps its symbols",
                to.display()
            );
            Ok(())
        }
    }
}

/// Writes `from` gzipped to `to`.
fn gzip(from: &Path, to: &Path) -> Result<(), String> {
    use std::io::Write;
    let bytes =
        std::fs::read(from).map_err(|err| format!("cannot read {}: {err}", from.display()))?;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder
        .write_all(&bytes)
        .map_err(|err| format!("cannot compress {}: {err}", from.display()))?;
    let packed = encoder
        .finish()
        .map_err(|err| format!("cannot compress {}: {err}", from.display()))?;
    atomic_file::write(to, &packed).map_err(|err| format!("cannot write {}: {err}", to.display()))
}

/// Downloads Debian's `libvulkan1` and unpacks it into `<kit>/vulkan`.
fn fetch_vulkan_loader(kit: &Path) -> Result<(), String> {
    let download = kit.join("deb");
    create_dir(&download)?;
    let status = Command::new("apt-get")
        .args(["download", "libvulkan1"])
        .current_dir(&download)
        .status()
        .map_err(|err| format!("--vulkan-loader needs apt-get: {err}"))?;
    if !status.success() {
        return Err(format!("`apt-get download libvulkan1` failed ({status})"));
    }
    let deb = std::fs::read_dir(&download)
        .map_err(|err| format!("cannot read {}: {err}", download.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|ext| ext == "deb"))
        .ok_or("`apt-get download libvulkan1` left no .deb")?;
    let status = Command::new("dpkg-deb")
        .arg("-x")
        .arg(&deb)
        .arg(kit.join("vulkan"))
        .status()
        .map_err(|err| format!("--vulkan-loader needs dpkg-deb: {err}"))?;
    if !status.success() {
        return Err(format!("`dpkg-deb -x {}` failed ({status})", deb.display()));
    }
    if !kit.join(VULKAN_LIB_DIR).join("libvulkan.so.1").exists() {
        return Err(format!(
            "{} holds no {VULKAN_LIB_DIR}/libvulkan.so.1",
            deb.display()
        ));
    }
    remove(&download)
}

fn write_executable(path: &Path, text: &str) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    write(path, text)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|err| format!("cannot make {} executable: {err}", path.display()))
}

fn create_dir(path: &Path) -> Result<(), String> {
    std::fs::create_dir_all(path).map_err(|err| format!("cannot create {}: {err}", path.display()))
}

fn remove(path: &Path) -> Result<(), String> {
    std::fs::remove_dir_all(path).map_err(|err| format!("cannot remove {}: {err}", path.display()))
}

/// The bytes of the files below `path`.
fn folder_size(path: &Path) -> u64 {
    std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| match entry.file_type() {
            Ok(kind) if kind.is_dir() => folder_size(&entry.path()),
            _ => entry.metadata().map_or(0, |meta| meta.len()),
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_script_is_valid_shell_and_runs_the_kit() {
        let script = run_script("abc1234");
        assert!(script.starts_with("#!/bin/sh\n"));
        assert!(script.contains(r#"XTASK_COMMIT="abc1234""#));
        assert!(script.contains(r#""$kit/xtask" bench --da-bench "$unpacked/da-bench" "$@""#));
        let dir = std::env::temp_dir().join(format!("xtask-kit-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("run.sh");
        write_executable(&path, &script).unwrap();
        // `sh -n` parses without running.
        let status = Command::new("sh").arg("-n").arg(&path).status().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(status.success(), "sh -n rejected run.sh:\n{script}");
    }

    #[test]
    fn run_script_starts_the_kit_with_its_arguments() {
        // A kit whose xtask prints what it was started with.
        let dir = std::env::temp_dir().join(format!("xtask-kit-run-{}", std::process::id()));
        let kit = dir.join("kit");
        std::fs::create_dir_all(&kit).unwrap();
        write_executable(&kit.join("run.sh"), &run_script("abc1234")).unwrap();
        // A da-bench that says who it is, and an xtask that starts it and echoes its arguments.
        let da_bench = dir.join("da-bench");
        std::fs::write(&da_bench, "#!/bin/sh\necho unpacked\n").unwrap();
        gzip(&da_bench, &kit.join("da-bench.gz")).unwrap();
        write_executable(
            &kit.join("xtask"),
            "#!/bin/sh\necho \"$XTASK_ROOT|$XTASK_COMMIT|$1|$2|$3\"; \"$3\"; shift 3; echo \"$*\"\n",
        )
        .unwrap();
        let out = Command::new(kit.join("run.sh"))
            .args(["--quick", "--filter", "a b"])
            .env_remove("XTASK_ROOT")
            .output()
            .unwrap();
        let dir = dir.canonicalize().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(out.status.success());
        let stdout = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<&str> = stdout.lines().collect();
        let fields: Vec<&str> = lines[0].split('|').collect();
        assert_eq!(
            fields[..4],
            [
                &*dir.display().to_string(),
                "abc1234",
                "bench",
                "--da-bench"
            ]
        );
        // da-bench was unpacked outside the kit, ran, and is gone once run.sh has ended.
        assert!(
            fields[4].ends_with("/da-bench") && !fields[4].starts_with(&*dir.display().to_string())
        );
        assert!(!Path::new(fields[4]).exists());
        assert_eq!(lines[1..], ["unpacked", "--quick --filter a b"]);
    }

    #[test]
    fn run_script_finds_nvrtc_in_the_cuda_toolkit() {
        let nvrtc_installed = Command::new("sh")
            .args(["-c", "ldconfig -p 2>/dev/null | grep -q libnvrtc.so"])
            .status()
            .is_ok_and(|status| status.success());
        if nvrtc_installed {
            eprintln!("NVRTC is on this machine's loader path: run.sh adds nothing to check");
            return;
        }
        let dir = std::env::temp_dir().join(format!("xtask-kit-nvrtc-{}", std::process::id()));
        let kit = dir.join("kit");
        let cuda_lib = dir.join("cuda/lib64");
        std::fs::create_dir_all(&kit).unwrap();
        std::fs::create_dir_all(&cuda_lib).unwrap();
        std::fs::write(cuda_lib.join("libnvrtc.so.13"), "").unwrap();
        std::fs::write(dir.join("da-bench"), "").unwrap();
        gzip(&dir.join("da-bench"), &kit.join("da-bench.gz")).unwrap();
        write_executable(&kit.join("run.sh"), &run_script("abc1234")).unwrap();
        write_executable(&kit.join("xtask"), "#!/bin/sh\necho \"$LD_LIBRARY_PATH\"\n").unwrap();
        let out = Command::new(kit.join("run.sh"))
            .env("CUDA_HOME", dir.join("cuda"))
            .env("LD_LIBRARY_PATH", "/elsewhere")
            .output()
            .unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(out.status.success());
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            format!("{}:/elsewhere", cuda_lib.display())
        );
    }

    #[test]
    fn folder_size_counts_nested_files() {
        let dir = std::env::temp_dir().join(format!("xtask-kit-size-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("a/b")).unwrap();
        std::fs::write(dir.join("x"), [0u8; 10]).unwrap();
        std::fs::write(dir.join("a/b/y"), [0u8; 5]).unwrap();
        let size = folder_size(&dir);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(size, 15);
    }
}
