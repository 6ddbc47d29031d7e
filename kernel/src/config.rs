//! The evcxr config the kernel loads: `init.evcxr` (`:dep` lines) and `prelude.rs`.
//!
//! evcxr must be able to name every type a cell infers, and a type from a crate
//! that is not a direct `:dep` of the session cannot be named. So besides lowdim
//! itself the session depends on the crates whose types lowdim hands out, at
//! exactly the versions in the workspace's Cargo.lock.

use std::path::Path;

use crate::paths;

/// Crates whose types appear in lowdim's API, with the features the session needs.
const SESSION_DEPS: &[(&str, &str)] = &[
    ("ndarray", ""),
    ("linfa", ""),
    ("linfa-reduction", ""),
    ("plotly", ", default-features = false"),
    ("tch", ""),
];

pub const PRELUDE: &str = "use lowdim::prelude::*;\n";

/// One `[[package]]` entry of a Cargo.lock.
struct Package {
    name: String,
    version: String,
    dependencies: Vec<String>,
}

fn parse_lock(text: &str) -> Vec<Package> {
    text.split("[[package]]").skip(1).map(parse_package).collect()
}

fn parse_package(block: &str) -> Package {
    let field = |key: &str| {
        block
            .lines()
            .find_map(|l| l.strip_prefix(key)?.trim().strip_prefix('=').map(|v| v.trim().trim_matches('"').to_string()))
            .unwrap_or_default()
    };
    let deps = block
        .split_once("dependencies = [")
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(list, _)| list.split(',').map(|d| d.trim().trim_matches('"').to_string()).filter(|d| !d.is_empty()).collect())
        .unwrap_or_default();
    Package { name: field("name "), version: field("version "), dependencies: deps }
}

/// The version of `dep` that `lowdim` itself depends on.
fn locked_version(packages: &[Package], dep: &str) -> Result<String, String> {
    let lowdim = packages.iter().find(|p| p.name == "lowdim").ok_or("Cargo.lock has no package `lowdim`")?;
    let entry = lowdim
        .dependencies
        .iter()
        .find(|d| d.split(' ').next() == Some(dep))
        .ok_or_else(|| format!("lowdim does not depend on `{dep}` in Cargo.lock"))?;
    // An entry carries a version only when several versions of the crate are locked.
    if let Some((_, version)) = entry.split_once(' ') {
        return Ok(version.to_string());
    }
    packages
        .iter()
        .find(|p| p.name == dep)
        .map(|p| p.version.clone())
        .ok_or_else(|| format!("Cargo.lock lists no version of `{dep}`"))
}

/// The contents of `init.evcxr` for the workspace at `workspace`.
pub fn init_evcxr(workspace: &Path) -> Result<String, String> {
    let lock_path = workspace.join("Cargo.lock");
    let lock = std::fs::read_to_string(&lock_path).map_err(|e| format!("{}: {e}", lock_path.display()))?;
    let packages = parse_lock(&lock);
    // evcxr checks each `:dep` with a `cargo metadata` of its own, online. It
    // first builds an empty crate, which empties the build directory's
    // Cargo.lock, so each check resolves afresh; offline, cargo then picks the
    // newest *downloaded* version of every crate, and a version an earlier
    // online build fetched only in part (jiff 1.0.3 without its optional
    // jiff-static, which `cargo metadata` wants) stops the kernel. Online,
    // cargo fetches what is missing; it costs a few seconds per start.
    // No `:cache`: evcxr's compilation cache is shared by every build directory
    // and, once it holds crates from an earlier resolution, serves artifacts that
    // break a cold build ("found possibly newer version of crate `serde_core`").
    let mut out = format!(":dep lowdim = {{ path = {:?} }}\n", workspace.join("lib"));
    for (name, extra) in SESSION_DEPS {
        let version = locked_version(&packages, name)?;
        out.push_str(&format!(":dep {name} = {{ version = \"={version}\"{extra} }}\n"));
    }
    Ok(out)
}

/// `lowdim-kernel config`: prints what `install` would write.
pub fn print() -> Result<(), String> {
    print!("# init.evcxr\n{}\n# prelude.rs\n{PRELUDE}", init_evcxr(&paths::workspace())?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"
[[package]]
name = "ndarray"
version = "0.15.6"

[[package]]
name = "ndarray"
version = "0.16.1"

[[package]]
name = "linfa"
version = "0.8.1"

[[package]]
name = "lowdim"
version = "0.1.0"
dependencies = [
 "linfa",
 "ndarray 0.16.1",
]
"#;

    #[test]
    fn picks_the_version_lowdim_uses() {
        let packages = parse_lock(LOCK);
        assert_eq!(locked_version(&packages, "ndarray").unwrap(), "0.16.1");
        assert_eq!(locked_version(&packages, "linfa").unwrap(), "0.8.1");
        assert!(locked_version(&packages, "tch").unwrap_err().contains("tch"));
    }

    #[test]
    fn the_real_workspace_config_names_every_session_dep() {
        let init = init_evcxr(&paths::workspace()).unwrap();
        for (name, _) in SESSION_DEPS {
            assert!(init.contains(&format!(":dep {name} = {{ version = \"=")), "{init}");
        }
        assert!(init.contains(":dep lowdim = { path ="));
    }
}
