//! `lowdim-kernel run`: what the kernelspec executes.
//!
//! Takes a warm build directory that no other live kernel holds (a locked slot
//! in a small pool), so a restart reuses compiled dependencies while two
//! notebooks open at once never share one; then serves the connection.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};

use crate::interrupt::{self, Interrupter};
use crate::session::Setup;
use crate::{paths, server, sys};

const POOL_SIZE: usize = 8;

pub fn run(args: &[String]) -> Result<(), String> {
    let connection = match args {
        [flag, file] if flag == "--control_file" || flag == "--connection-file" || flag == "-f" => PathBuf::from(file),
        _ => return Err(format!("run takes --control_file FILE; got {args:?}")),
    };
    let (slot_dir, _lock) = take_slot(&paths::warm_pool())?;
    eprintln!("lowdim-kernel: build directory {}", slot_dir.display());
    let flag_file = slot_dir.with_extension("interrupt");
    let interrupter = Interrupter::new(&flag_file)?;
    // The cell process and cargo inherit these; set before any thread starts.
    std::env::set_var("EVCXR_TMPDIR", &slot_dir);
    std::env::set_var(interrupt::FILE_ENV, &flag_file);
    std::env::set_var("LOWDIM_KERNEL", "1");
    // Keeps evcxr's error reports to the message (no backtrace of evcxr itself).
    std::env::set_var("RUST_LIB_BACKTRACE", "0");
    // The workspace's build settings must not leak into the kernel's own builds.
    std::env::remove_var("CARGO_TARGET_DIR");
    std::env::remove_var("CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS");
    let setup = Setup { config_dir: paths::config_dir(), workspace: paths::workspace(), build_dir: slot_dir };
    server::serve(&connection, setup, interrupter)
}

/// The first pool slot whose lock no live kernel holds. The lock is released
/// by the kernel's death, whatever kills it.
fn take_slot(pool: &Path) -> Result<(PathBuf, File), String> {
    fs::create_dir_all(pool).map_err(|e| format!("{}: {e}", pool.display()))?;
    for i in 0..POOL_SIZE {
        let lock_path = pool.join(format!("slot-{i}.lock"));
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| format!("{}: {e}", lock_path.display()))?;
        if sys::try_lock(&lock) {
            let dir = pool.join(format!("slot-{i}"));
            fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            return Ok((dir, lock));
        }
    }
    Err(format!("all {POOL_SIZE} warm build directories in {} are in use; close a notebook", pool.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_live_holders_never_share_a_slot() {
        let pool = std::env::temp_dir().join(format!("lowdim-pool-test-{}", std::process::id()));
        let (a, _la) = take_slot(&pool).unwrap();
        let (b, lb) = take_slot(&pool).unwrap();
        assert_ne!(a, b);
        drop(lb);
        let (c, _lc) = take_slot(&pool).unwrap();
        assert_eq!(b, c, "a released slot is reused, warm");
        let _ = fs::remove_dir_all(pool);
    }
}
