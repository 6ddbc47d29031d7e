//! `lowdim-kernel doctor`: checks every piece the kernel needs and prints one
//! line per problem saying what to do.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{config, paths};

struct Report {
    problems: usize,
}

impl Report {
    fn check(&mut self, what: &str, result: Result<String, String>) {
        match result {
            Ok(detail) => println!("ok      {what}: {detail}"),
            Err(fix) => {
                self.problems += 1;
                println!("PROBLEM {what}: {fix}");
            }
        }
    }
}

pub fn doctor(args: &[String]) -> Result<(), String> {
    let quick = args.iter().any(|a| a == "--quick");
    let mut report = Report { problems: 0 };
    report.check("rust toolchain", toolchain());
    report.check("rust-src", rust_src());
    let spec = read_kernelspec();
    let venv = spec.as_ref().ok().and_then(|s| s["metadata"]["lowdim"]["venv"].as_str().map(PathBuf::from));
    let venv = venv.unwrap_or_else(paths::default_venv);
    match paths::PythonSide::probe(&venv) {
        Ok(py) => {
            report.check("torch version", torch_version(&py));
            report.check("libtorch", libtorch(&py, spec.as_ref().ok()));
            report.check("plotly renderer", plotly(&venv, &py));
        }
        Err(e) => report.check("python venv", Err(e)),
    }
    report.check("kernelspec", spec.and_then(|s| kernelspec(&s)));
    report.check("mold linker", mold());
    if !quick && report.problems == 0 {
        report.check("config compiles", compiles());
    }
    match report.problems {
        0 => {
            println!("all checks passed");
            Ok(())
        }
        n => Err(format!("{n} problem(s); fix them in order, then run `lowdim-kernel doctor` again")),
    }
}

/// Cells are compiled with the toolchain on PATH; it must build the workspace's crates.
fn toolchain() -> Result<String, String> {
    let version =
        paths::output(Command::new("rustc").arg("--version")).map_err(|e| format!("{e}; install Rust with rustup (https://rustup.rs)"))?;
    let minor = version.split(' ').nth(1).and_then(|v| v.split('.').nth(1)).and_then(|m| m.parse::<u32>().ok());
    match minor {
        Some(m) if m >= 85 => Ok(version),
        _ => Err(format!("{version} is older than 1.85, which lowdim needs; run `rustup update`")),
    }
}

fn rust_src() -> Result<String, String> {
    let sysroot = paths::output(Command::new("rustc").args(["--print", "sysroot"]))?;
    let src = Path::new(&sysroot).join("lib/rustlib/src/rust/library");
    if src.exists() {
        Ok(src.display().to_string())
    } else {
        Err("missing (evcxr needs it for completions and the std sources); run `rustup component add rust-src`".into())
    }
}

fn torch_version(py: &paths::PythonSide) -> Result<String, String> {
    let base = py.torch_version.split('+').next().unwrap_or_default();
    if base == paths::torch_version() {
        Ok(py.torch_version.clone())
    } else {
        Err(format!(
            "the venv has torch {} but tch 0.26 needs {}; run `{} -m pip install torch=={}`",
            py.torch_version,
            paths::torch_version(),
            py.python.display(),
            paths::torch_version()
        ))
    }
}

fn libtorch(py: &paths::PythonSide, spec: Option<&serde_json::Value>) -> Result<String, String> {
    let lib = py.torch_lib();
    if !lib.join("libtorch_cpu.so").exists() {
        return Err(format!("{} has no libtorch_cpu.so; reinstall torch in the venv", lib.display()));
    }
    let configured = spec.and_then(|s| s["env"]["LD_LIBRARY_PATH"].as_str()).unwrap_or_default();
    let std_lib = paths::rust_std_lib()?;
    for needed in [&lib, &std_lib] {
        if !configured.split(':').any(|dir| Path::new(dir) == needed.as_path()) {
            return Err(format!("the kernelspec's LD_LIBRARY_PATH `{configured}` lacks {}; run `lowdim-kernel install`", needed.display()));
        }
    }
    Ok(configured.to_string())
}

fn plotly(venv: &Path, py: &paths::PythonSide) -> Result<String, String> {
    let ext = venv.join("share/jupyter/labextensions/jupyterlab-plotly");
    if !ext.exists() {
        return Err(format!("no JupyterLab plotly renderer at {}; run `make lab` (pip install plotly)", ext.display()));
    }
    if !py.plotly_js.exists() {
        return Err(format!("{} is missing; reinstall plotly in the venv", py.plotly_js.display()));
    }
    Ok(format!("{} and {}", ext.display(), py.plotly_js.display()))
}

fn read_kernelspec() -> Result<serde_json::Value, String> {
    let path = paths::kernel_dir().join("kernel.json");
    let text =
        std::fs::read_to_string(&path).map_err(|_| format!("{} not found; run `lowdim-kernel install` (or `make lab`)", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{} is not valid JSON ({e}); run `lowdim-kernel install`", path.display()))
}

fn kernelspec(spec: &serde_json::Value) -> Result<String, String> {
    let launcher = spec["argv"][0].as_str().unwrap_or_default();
    if !Path::new(launcher).exists() {
        return Err(format!("its launcher `{launcher}` does not exist; run `lowdim-kernel install`"));
    }
    let config_dir = PathBuf::from(spec["env"]["EVCXR_CONFIG_DIR"].as_str().unwrap_or_default());
    let installed = std::fs::read_to_string(config_dir.join("init.evcxr")).unwrap_or_default();
    if installed != config::init_evcxr(&paths::workspace())? {
        return Err("its init.evcxr is stale (the workspace moved); run `lowdim-kernel install`".into());
    }
    Ok(paths::kernel_dir().display().to_string())
}

fn mold() -> Result<String, String> {
    match paths::output(Command::new("mold").arg("--version")) {
        Ok(v) => Ok(v),
        Err(_) => Ok("not found (optional; `apt-get install mold` makes cell links faster)".into()),
    }
}

/// Starts the real kernel and runs a cell that uses lowdim, ndarray and a figure.
fn compiles() -> Result<String, String> {
    let spec = read_kernelspec()?;
    let python = spec["env"]["LOWDIM_PYTHON"].as_str().unwrap_or("python3").to_string();
    let script = paths::workspace().join("kernel/scripts/check_kernel.py");
    println!("....... starting the kernel and compiling a cell (a few minutes on a cold build directory)");
    paths::output(Command::new(python).arg(script))
        .map_err(|e| format!("{e}\n  fix: read the compiler message above; if it names a crate version, run `lowdim-kernel install`"))
}
