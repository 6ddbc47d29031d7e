//! Where things live. Everything is derived from a few roots so that `install`,
//! `run` and `doctor` agree without a settings file.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Name of the kernelspec (never `rust`, which evcxr's own installer manages).
pub const KERNEL_NAME: &str = "rust-lowdim";
pub const DISPLAY_NAME: &str = "Rust (lowdim)";
/// The Python packages the kernel's venv holds, pinned; the one file that
/// names their versions.
const REQUIREMENTS: &str = include_str!("../requirements.txt");

/// The pinned version of a package of `kernel/requirements.txt`.
pub fn pinned(package: &str) -> Option<&'static str> {
    REQUIREMENTS.lines().find_map(|line| line.split('#').next()?.trim().strip_prefix(package)?.strip_prefix("=="))
}

/// The libtorch release tch binds to: the pinned `torch`.
pub fn torch_version() -> &'static str {
    pinned("torch").expect("kernel/requirements.txt pins torch==<version>")
}

/// The workspace whose `lib/` the kernel `:dep`s: `LOWDIM_WORKSPACE` when set
/// (`kernel/scripts/env.sh` sets it to the checkout it is sourced from), else
/// the one this binary was built from. The build path alone is not enough:
/// every checkout shares one cargo target directory, and cargo does not
/// rebuild a binary when only the checkout's location changed, so a second
/// clone would register a kernel that `:dep`s the first one's library.
pub fn workspace() -> PathBuf {
    match std::env::var_os("LOWDIM_WORKSPACE") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(Path::new(".")).to_path_buf(),
    }
}

fn home() -> PathBuf {
    std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/tmp"))
}

/// Caches that outlive a clone: venv, cargo target dir, warm evcxr build dirs.
pub fn lowdim_home() -> PathBuf {
    match std::env::var_os("LOWDIM_HOME") {
        Some(dir) => PathBuf::from(dir),
        None => home().join(".cache").join("lowdim"),
    }
}

pub fn default_venv() -> PathBuf {
    lowdim_home().join("venv")
}

/// Warm build directories, one per running kernel, guarded by lock files.
pub fn warm_pool() -> PathBuf {
    lowdim_home().join("evcxr")
}

/// Jupyter's per-user data directory (where `jupyter kernelspec list` looks).
pub fn jupyter_data_dir() -> PathBuf {
    match std::env::var_os("JUPYTER_DATA_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => home().join(".local").join("share").join("jupyter"),
    }
}

pub fn kernel_dir() -> PathBuf {
    jupyter_data_dir().join("kernels").join(KERNEL_NAME)
}

/// The kernel's config (`init.evcxr`, `prelude.rs`): `EVCXR_CONFIG_DIR`, which
/// the kernelspec sets, else the installed kernel's.
pub fn config_dir() -> PathBuf {
    match std::env::var_os("EVCXR_CONFIG_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => kernel_dir().join("config"),
    }
}

pub fn cargo_bin(name: &str) -> PathBuf {
    let cargo_home = std::env::var_os("CARGO_HOME").map(PathBuf::from);
    cargo_home.unwrap_or_else(|| home().join(".cargo")).join("bin").join(name)
}

/// Runs a command and returns its trimmed stdout, or a message with its stderr.
pub fn output(cmd: &mut Command) -> Result<String, String> {
    let shown = format!("{cmd:?}");
    let out = cmd.output().map_err(|e| format!("cannot run {shown}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(format!("{shown} failed: {}", String::from_utf8_lossy(&out.stderr).trim()))
    }
}

/// Where the toolchain's `libstd-*.so` lives. Cells are cdylibs linked to it
/// dynamically; their relative RUNPATH misses it when the build directory sits
/// deep under the same home as rustup, so the kernel puts it on LD_LIBRARY_PATH.
pub fn rust_std_lib() -> Result<PathBuf, String> {
    let sysroot = output(Command::new("rustc").args(["--print", "sysroot"]))?;
    let verbose = output(Command::new("rustc").arg("-vV"))?;
    let host = verbose.lines().find_map(|l| l.strip_prefix("host: ")).ok_or_else(|| format!("`rustc -vV` names no host:\n{verbose}"))?;
    Ok(Path::new(&sysroot).join("lib/rustlib").join(host).join("lib"))
}

/// What the venv's Python knows: torch's directory and version, plotly.js.
pub struct PythonSide {
    pub python: PathBuf,
    pub torch_dir: PathBuf,
    pub torch_version: String,
    pub plotly_js: PathBuf,
}

const PROBE: &str = "import os, torch, plotly\n\
print(os.path.dirname(torch.__file__))\n\
print(torch.__version__)\n\
print(os.path.join(os.path.dirname(plotly.__file__), 'package_data', 'plotly.min.js'))";

impl PythonSide {
    pub fn probe(venv: &Path) -> Result<Self, String> {
        let python = venv.join("bin").join("python");
        let text = output(Command::new(&python).args(["-c", PROBE]))
            .map_err(|e| format!("{e}\n  fix: run `make lab` (or pip install -r kernel/requirements.txt into {})", venv.display()))?;
        let lines: Vec<&str> = text.lines().collect();
        match lines.as_slice() {
            [torch_dir, version, js] => Ok(PythonSide {
                python,
                torch_dir: PathBuf::from(torch_dir),
                torch_version: version.to_string(),
                plotly_js: PathBuf::from(js),
            }),
            _ => Err(format!("unexpected answer from {}: {text}", python.display())),
        }
    }

    pub fn torch_lib(&self) -> PathBuf {
        self.torch_dir.join("lib")
    }
}

#[cfg(test)]
mod pin_tests {
    use super::*;

    #[test]
    fn the_torch_pin_is_read_from_the_requirements() {
        let v = torch_version();
        assert!(v.split('.').count() == 3 && v.split('.').all(|p| p.parse::<u32>().is_ok()), "{v}");
        assert_eq!(pinned("jupyterlab").map(|v| v.split('.').count()), Some(3));
        assert_eq!(pinned("numpy"), None);
    }

    #[test]
    fn the_conda_environment_pins_the_same_versions() {
        let conda = include_str!("../../environment.yml");
        for line in REQUIREMENTS.lines().map(|l| l.trim()).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            assert!(conda.lines().any(|c| c.trim() == format!("- {line}")), "environment.yml lacks `{line}`");
        }
    }
}
