//! The config the kernel loads: `init.evcxr` (the `:dep` on lowdim) and `prelude.rs`.
//!
//! lowdim is the session's only dependency. It re-exports the crates whose
//! types it hands out (ndarray, linfa, linfa-reduction, plotly, tch), and the
//! prelude brings them into scope by their own names, so evcxr can name every
//! type a cell infers, and a single dependency keeps the resolved versions
//! exactly those of the workspace's Cargo.lock (see `session::pin_versions`).

use std::path::Path;

use crate::paths;

pub const PRELUDE: &str = "use lowdim::prelude::*;\nuse lowdim::{linfa, linfa_reduction, ndarray, plotly, tch};\n";

/// The contents of `init.evcxr` for the workspace at `workspace`.
pub fn init_evcxr(workspace: &Path) -> Result<String, String> {
    let lib = workspace.join("lib");
    if !lib.join("Cargo.toml").exists() {
        return Err(format!("{} is not the lowdim workspace (no lib/Cargo.toml)", workspace.display()));
    }
    Ok(format!(":dep lowdim = {{ path = {:?} }}\n", lib))
}

/// `lowdim-kernel config`: prints what `install` would write.
pub fn print() -> Result<(), String> {
    print!("# init.evcxr\n{}\n# prelude.rs\n{PRELUDE}", init_evcxr(&paths::workspace())?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_depends_on_lowdim_alone() {
        let init = init_evcxr(&paths::workspace()).unwrap();
        assert_eq!(init.lines().count(), 1, "{init}");
        assert!(init.starts_with(":dep lowdim = { path ="), "{init}");
        assert!(init_evcxr(Path::new("/nonexistent")).unwrap_err().contains("no lib/Cargo.toml"));
    }

    #[test]
    fn lowdim_reexports_every_crate_the_prelude_names() {
        let lib_rs = std::fs::read_to_string(paths::workspace().join("lib/src/lib.rs")).unwrap();
        for krate in ["linfa", "linfa_reduction", "ndarray", "plotly", "tch"] {
            assert!(lib_rs.contains(&format!("pub use {krate};")), "lib.rs does not re-export {krate}");
        }
    }
}
