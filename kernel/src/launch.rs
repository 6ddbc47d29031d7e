//! `lowdim-kernel run`: what the kernelspec executes.
//!
//! 1. Takes a warm build directory that no other live kernel holds (an flock'ed
//!    slot in a small pool), so a restart reuses compiled dependencies (~12 s)
//!    while two notebooks open at once never share one.
//! 2. Runs evcxr_jupyter on it, copying its stderr through and keeping the tail.
//! 3. If evcxr fails (a broken config kills it with a bare message), hands the
//!    same connection over to a minimal kernel that answers every cell with the
//!    error and what to do, instead of leaving a silently dead kernel.

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::io::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use crate::paths;

const POOL_SIZE: usize = 8;
const TAIL_LINES: usize = 60;

pub fn run(args: &[String]) -> Result<(), String> {
    let connection = match args {
        [flag, file] if flag == "--control_file" => file.clone(),
        _ => return Err(format!("run takes --control_file FILE; got {args:?}")),
    };
    let (slot_dir, _lock) = take_slot(&paths::warm_pool())?;
    let evcxr = std::env::var("LOWDIM_EVCXR").unwrap_or_else(|_| "evcxr_jupyter".into());
    eprintln!("lowdim-kernel: build directory {}", slot_dir.display());
    let mut child = Command::new(&evcxr)
        .args(["--control_file", &connection])
        .env("EVCXR_TMPDIR", &slot_dir)
        // Keeps evcxr's error reports to the message (no backtrace of evcxr itself).
        .env("RUST_LIB_BACKTRACE", "0")
        // The workspace's build settings must not leak into the kernel's own builds.
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS")
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {evcxr}: {e}; run `lowdim-kernel doctor`"))?;
    let tail = Arc::new(Mutex::new(VecDeque::new()));
    let copier = child.stderr.take().map(|err| {
        let tail = Arc::clone(&tail);
        std::thread::spawn(move || tee(err, &tail))
    });
    let status = child.wait().map_err(|e| format!("waiting for evcxr: {e}"))?;
    if let Some(copier) = copier {
        let _ = copier.join();
    }
    if status.success() {
        return Ok(());
    }
    let lines: Vec<String> = tail.lock().map(|t| t.iter().cloned().collect()).unwrap_or_default();
    let message = explain(&lines, &status.to_string(), &diagnose(&slot_dir));
    serve_error(&connection, &slot_dir, &message)
}

/// Copies evcxr's stderr to ours, keeping the last lines for the error report.
fn tee(err: impl std::io::Read, tail: &Mutex<VecDeque<String>>) {
    let mut stderr = std::io::stderr();
    for line in BufReader::new(err).lines().map_while(Result::ok) {
        let _ = writeln!(stderr, "{line}");
        if let Ok(mut t) = tail.lock() {
            t.push_back(line);
            if t.len() > TAIL_LINES {
                t.pop_front();
            }
        }
    }
}

/// evcxr reports a failed build of its config with the first line of the
/// compiler's message only; checking the same crate again shows where it failed.
fn diagnose(slot_dir: &Path) -> String {
    if !slot_dir.join("Cargo.toml").exists() {
        return String::new();
    }
    let out = Command::new("timeout")
        .args(["300", "cargo", "check", "--quiet", "--message-format", "short"])
        .current_dir(slot_dir)
        .env("CARGO_TARGET_DIR", "target")
        .env_remove("CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS")
        .output();
    let Ok(out) = out else { return String::new() };
    let text = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = text.lines().filter(|l| l.contains("error")).take(20).collect();
    if errors.is_empty() {
        String::new()
    } else {
        format!("\nThe compiler says:\n{}\n", errors.join("\n"))
    }
}

fn explain(lines: &[String], status: &str, diagnosis: &str) -> String {
    format!(
        "The rust-lowdim kernel stopped ({status}) before it could run cells.\n\
         Its last messages:\n\n{}\n{diagnosis}\n\
         What to do: run `lowdim-kernel doctor` (or `make doctor`) in a terminal; it checks \
         evcxr, rust-src, libtorch and compiles the kernel's config, one line per problem. \
         Then restart the kernel.",
        lines.join("\n")
    )
}

/// Replaces this process with the fallback kernel on the same connection file.
fn serve_error(connection: &str, slot_dir: &Path, message: &str) -> Result<(), String> {
    let note = slot_dir.join("last-error.txt");
    fs::write(&note, message).map_err(|e| format!("{}: {e}", note.display()))?;
    eprintln!("{message}");
    let python = std::env::var("LOWDIM_PYTHON").map_err(|_| "LOWDIM_PYTHON is not set".to_string())?;
    let script = paths::kernel_dir().join("fallback_kernel.py");
    let err = Command::new(python).arg(script).arg(connection).arg(&note).exec();
    Err(format!("cannot start the fallback kernel: {err}"))
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
        // SAFETY: flock on a descriptor we own; no memory is touched.
        let taken = unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
        if taken {
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
