//! `lowdim-kernel install`: writes the `rust-lowdim` kernelspec and its evcxr config.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::{config, paths};

pub fn install(args: &[String]) -> Result<(), String> {
    let venv = match args {
        [] => paths::default_venv(),
        [flag, dir] if flag == "--venv" => PathBuf::from(dir),
        _ => return Err(format!("install takes [--venv DIR]; got {args:?}")),
    };
    let py = paths::PythonSide::probe(&venv)?;
    let dir = paths::kernel_dir();
    let config_dir = dir.join("config");
    fs::create_dir_all(&config_dir).map_err(|e| format!("{}: {e}", config_dir.display()))?;

    write(&config_dir.join("init.evcxr"), &config::init_evcxr(&paths::workspace())?)?;
    write(&config_dir.join("prelude.rs"), config::PRELUDE)?;
    // Left by earlier versions of the kernel, which started a separate one on failure.
    let _ = fs::remove_file(dir.join("fallback_kernel.py"));
    let launcher = copy_self(&dir)?;
    let spec = kernel_json(&launcher, &config_dir, &venv, &py)?;
    write(&dir.join("kernel.json"), &spec)?;
    println!("installed kernel `{}` (\"{}\") in {}", paths::KERNEL_NAME, paths::DISPLAY_NAME, dir.display());
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The kernelspec runs a copy of this binary, so rebuilding or cleaning the
/// workspace never breaks a registered kernel. Rename, not overwrite: a running
/// kernel may be executing the old copy.
fn copy_self(dir: &Path) -> Result<PathBuf, String> {
    let me = std::env::current_exe().map_err(|e| format!("cannot locate this binary: {e}"))?;
    let target = dir.join("lowdim-kernel");
    let staging = dir.join("lowdim-kernel.new");
    fs::copy(&me, &staging).map_err(|e| format!("cannot copy {} to {}: {e}", me.display(), staging.display()))?;
    fs::rename(&staging, &target).map_err(|e| format!("cannot install {}: {e}", target.display()))?;
    Ok(target)
}

fn kernel_json(launcher: &Path, config_dir: &Path, venv: &Path, py: &paths::PythonSide) -> Result<String, String> {
    // Glibc reads LD_LIBRARY_PATH at process start, so it must be in the
    // kernel's environment from the outset for cell code to find libtorch.
    let inherited = std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".into());
    let venv_bin = venv.join("bin").display().to_string();
    let cargo_bin = paths::cargo_bin("").display().to_string();
    let mut path: Vec<&str> = Vec::new();
    for dir in [venv_bin.as_str(), cargo_bin.trim_end_matches('/')].into_iter().chain(inherited.split(':')) {
        if !dir.is_empty() && !path.contains(&dir) {
            path.push(dir);
        }
    }
    let path = path.join(":");
    let library_path = format!("{}:{}", py.torch_lib().display(), paths::rust_std_lib()?.display());
    let spec = json!({
        "argv": [launcher, "run", "--control_file", "{connection_file}"],
        "display_name": paths::DISPLAY_NAME,
        "language": "rust",
        "interrupt_mode": "message",
        "env": {
            "EVCXR_CONFIG_DIR": config_dir,
            "LD_LIBRARY_PATH": library_path,
            "LIBTORCH_USE_PYTORCH": "1",
            "PATH": path,
            "LOWDIM_HOME": paths::lowdim_home(),
            "LOWDIM_PLOTLY_JS": py.plotly_js,
            "LOWDIM_WORKSPACE": paths::workspace(),
            "LOWDIM_PYTHON": py.python,
        },
        "metadata": { "lowdim": { "workspace": paths::workspace(), "venv": venv } }
    });
    serde_json::to_string_pretty(&spec).map_err(|e| e.to_string())
}
