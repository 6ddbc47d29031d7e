//! The process that runs cells. evcxr starts this binary again with
//! `EVCXR_IS_RUNTIME` set; before handing over to evcxr's runtime loop it puts
//! itself between the cells and evcxr on stdout and stderr.
//!
//! Why: evcxr tells a panic and an `Err` from `?` only to itself (its reply
//! would say "ok"). Here both are seen, with the message the cell printed on
//! stderr just before, and told to the kernel as one `LOWDIM_CELL_FAILED` line.
//! A panic's message comes before evcxr's notice (the panic hook runs first),
//! so stderr is always drained before a stdout line is read.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;

use crate::protocol::{failure_line, EVCXR_COMPLETE, EVCXR_PANIC, EVCXR_USER_ERROR};
use crate::sys;

/// Stderr lines kept for a failure's message.
const KEPT_LINES: usize = 40;

pub fn run() -> ! {
    // evcxr asks for backtraces in the cell process; a notebook wants the message.
    std::env::set_var("RUST_BACKTRACE", "0");
    if let Err(e) = intercept() {
        eprintln!("lowdim-kernel: cell errors will be reported as plain output ({e})");
    }
    evcxr::runtime_hook();
    unreachable!("evcxr's runtime loop returned")
}

fn intercept() -> io::Result<()> {
    let (out_read, out_write) = sys::pipe()?;
    let (err_read, err_write) = sys::pipe()?;
    let real_out = sys::redirect(1, &out_write)?;
    let real_err = sys::redirect(2, &err_write)?;
    // The write ends now live on as descriptors 1 and 2.
    drop((out_write, err_write));
    std::thread::spawn(move || {
        let mut relay = Relay::new(real_out, real_err);
        let _ = relay.pump(out_read, err_read);
    });
    Ok(())
}

/// Splits a byte stream into lines.
#[derive(Default)]
struct Lines {
    partial: Vec<u8>,
}

impl Lines {
    fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        self.partial.extend_from_slice(bytes);
        let mut lines = Vec::new();
        while let Some(end) = self.partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=end).collect();
            lines.push(String::from_utf8_lossy(&line[..end]).into_owned());
        }
        lines
    }
}

struct Relay {
    out: File,
    err: File,
    out_lines: Lines,
    err_lines: Lines,
    /// Stderr since the cell began: a panic's message is the last block in it.
    cell_err: Vec<String>,
    /// Stderr since the last stdout line: an `Err`'s message, printed just
    /// before evcxr's notice.
    recent_err: Vec<String>,
}

impl Relay {
    fn new(out: File, err: File) -> Self {
        Relay { out, err, out_lines: Lines::default(), err_lines: Lines::default(), cell_err: vec![], recent_err: vec![] }
    }

    fn pump(&mut self, mut out: File, mut err: File) -> io::Result<()> {
        let mut buf = vec![0u8; 1 << 16];
        let fds = [out.as_raw_fd(), err.as_raw_fd()];
        loop {
            let [out_ready, err_ready] = sys::readable(fds, -1)?;
            if err_ready {
                self.read_err(&mut err, &mut buf)?;
            }
            if out_ready {
                // Whatever reached stderr before this stdout was written is read first.
                while sys::readable([fds[1]], 0)?[0] {
                    if self.read_err(&mut err, &mut buf)? == 0 {
                        break;
                    }
                }
                let n = out.read(&mut buf)?;
                if n == 0 {
                    return Ok(());
                }
                for line in self.out_lines.push(&buf[..n]) {
                    self.stdout_line(&line)?;
                }
            }
        }
    }

    fn read_err(&mut self, err: &mut File, buf: &mut [u8]) -> io::Result<usize> {
        let n = err.read(buf)?;
        self.err.write_all(&buf[..n])?;
        self.err.flush()?;
        for line in self.err_lines.push(&buf[..n]) {
            keep(&mut self.cell_err, line.clone());
            keep(&mut self.recent_err, line);
        }
        Ok(n)
    }

    fn stdout_line(&mut self, line: &str) -> io::Result<()> {
        writeln!(self.out, "{line}")?;
        match line {
            EVCXR_PANIC => writeln!(self.out, "{}", failure_line(true, &panic_message(&self.cell_err)))?,
            EVCXR_USER_ERROR => writeln!(self.out, "{}", failure_line(false, &self.recent_err.join("\n")))?,
            EVCXR_COMPLETE => self.cell_err.clear(),
            _ => {}
        }
        self.recent_err.clear();
        self.out.flush()
    }
}

fn keep(lines: &mut Vec<String>, line: String) {
    if lines.len() == KEPT_LINES {
        lines.remove(0);
    }
    lines.push(line);
}

/// The last panic report in `err`: from "thread … panicked at" on, without the
/// hint about backtraces.
fn panic_message(err: &[String]) -> String {
    let start = err.iter().rposition(|l| l.contains("panicked at")).unwrap_or(0);
    err[start..].iter().filter(|l| !l.starts_with("note: run with `RUST_BACKTRACE=1`")).cloned().collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_split_across_reads() {
        let mut l = Lines::default();
        assert!(l.push(b"ab").is_empty());
        assert_eq!(l.push(b"c\nd\n"), vec!["abc".to_string(), "d".to_string()]);
    }

    #[test]
    fn the_panic_message_is_the_last_report() {
        let err: Vec<String> = [
            "noise",
            "thread 'a' panicked at x.rs:1:1:",
            "old",
            "thread 'b' panicked at y.rs:2:2:",
            "assertion failed: ok",
            "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(panic_message(&err), "thread 'b' panicked at y.rs:2:2:\nassertion failed: ok");
    }
}
