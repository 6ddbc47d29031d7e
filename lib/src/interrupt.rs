//! Ctrl-C in a notebook: long loops ask [`check`] whether the user interrupted.
//!
//! The `rust-lowdim` kernel answers an interrupt by writing `1` to a small file
//! named by `LOWDIM_INTERRUPT_FILE`, which the cell process inherits. Every long
//! loop in lowdim (epochs, rounds, tiles, iterations, batches) calls [`check`],
//! which then returns [`Error::Interrupted`]: the cell ends through `?`, the
//! kernel reports a `KeyboardInterrupt`, and every variable defined before the
//! cell is kept. Outside the kernel the variable is unset and [`check`] costs a
//! load and a compare.
//!
//! Your own long loop can take part the same way:
//!
//! ```
//! # fn main() -> lowdim::Result<()> {
//! for step in 0..1_000 {
//!     lowdim::interrupt::check("my sweep")?;
//!     // ... one step of work ...
//! #   let _ = step;
//! }
//! # Ok(()) }
//! ```

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

use crate::error::{Error, Result};

/// The environment variable naming the kernel's interrupt file.
pub const FILE_ENV: &str = "LOWDIM_INTERRUPT_FILE";

/// The file is read at most this often; a loop may call [`check`] millions of times.
const READ_EVERY_MS: u64 = 20;

fn file() -> Option<&'static PathBuf> {
    static FILE: OnceLock<Option<PathBuf>> = OnceLock::new();
    FILE.get_or_init(|| std::env::var_os(FILE_ENV).filter(|v| !v.is_empty()).map(PathBuf::from)).as_ref()
}

fn millis() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_millis() as u64 + 1
}

/// Whether the user asked to interrupt the running cell.
pub fn requested() -> bool {
    static LAST_READ: AtomicU64 = AtomicU64::new(0);
    static FLAG: AtomicBool = AtomicBool::new(false);
    let Some(path) = file() else { return false };
    let now = millis();
    let last = LAST_READ.load(Ordering::Relaxed);
    if last != 0 && now - last < READ_EVERY_MS {
        return FLAG.load(Ordering::Relaxed);
    }
    LAST_READ.store(now, Ordering::Relaxed);
    let flag = std::fs::read(path).map(|b| b.first() == Some(&b'1')).unwrap_or(false);
    FLAG.store(flag, Ordering::Relaxed);
    flag
}

/// `Err(Error::Interrupted)` naming `during` when the user interrupted, else `Ok`.
pub fn check(during: &str) -> Result<()> {
    if requested() {
        Err(Error::Interrupted(during.to_string()))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_the_kernel_nothing_is_interrupted() {
        // The test process has no interrupt file.
        if std::env::var_os(FILE_ENV).is_none() {
            assert!(!requested());
            assert!(check("a test").is_ok());
        }
    }

    #[test]
    fn the_error_names_what_stopped() {
        let e = Error::Interrupted("UMAP epoch 3 of 200".into());
        assert_eq!(e.to_string(), "interrupted during UMAP epoch 3 of 200");
    }
}
