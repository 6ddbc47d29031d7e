//! Cooperative interrupt. The kernel writes `1` to a small file whose path the
//! cell process inherits (`LOWDIM_INTERRUPT_FILE`); every long loop in lowdim
//! reads it (`lowdim::interrupt::check`) and returns `Error::Interrupted`, so the
//! cell ends through `?` and the session keeps its variables. A cell that never
//! looks (a user's own loop) is stopped by restarting the cell process after a
//! grace period, or at once on a second interrupt.

use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

pub const FILE_ENV: &str = "LOWDIM_INTERRUPT_FILE";
/// How long a cell has to stop by itself before its process is restarted.
pub const GRACE: Duration = Duration::from_secs(3);

#[derive(Default)]
struct State {
    /// The cell now running, counted from 1; 0 before the first.
    cell: u64,
    running: bool,
    requested_at: Option<Instant>,
    killed: bool,
}

/// Shared by the evaluator (which arms it per cell) and the control channel.
#[derive(Clone)]
pub struct Interrupter {
    file: PathBuf,
    state: Arc<Mutex<State>>,
    process: Arc<OnceLock<Arc<Mutex<Child>>>>,
}

/// How a cell's run ended with respect to interrupts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Undisturbed,
    /// Interrupted; the cell stopped by itself.
    Stopped,
    /// Interrupted; the cell process was restarted.
    Killed,
}

impl Interrupter {
    pub fn new(file: &Path) -> Result<Self, String> {
        let me = Interrupter { file: file.to_path_buf(), state: Default::default(), process: Default::default() };
        me.write(false)?;
        Ok(me)
    }

    /// The cell process to restart when a cell does not stop by itself.
    pub fn set_process(&self, child: Arc<Mutex<Child>>) {
        let _ = self.process.set(child);
    }

    fn write(&self, flag: bool) -> Result<(), String> {
        std::fs::write(&self.file, if flag { "1" } else { "0" }).map_err(|e| format!("{}: {e}", self.file.display()))
    }

    /// A cell starts: clears the flag.
    pub fn begin(&self) {
        let _ = self.write(false);
        let mut s = lock(&self.state);
        s.cell += 1;
        s.running = true;
        s.requested_at = None;
        s.killed = false;
    }

    /// The cell ended: how, as far as interrupts go.
    pub fn end(&self) -> Ending {
        let _ = self.write(false);
        let mut s = lock(&self.state);
        s.running = false;
        match (s.requested_at, s.killed) {
            (_, true) => Ending::Killed,
            (Some(_), false) => Ending::Stopped,
            (None, false) => Ending::Undisturbed,
        }
    }

    /// An interrupt request: sets the flag; a second request, or a cell still
    /// running after [`GRACE`], restarts the cell process.
    pub fn request(&self) {
        let (cell, second) = {
            let mut s = lock(&self.state);
            if !s.running {
                return;
            }
            let second = s.requested_at.is_some();
            s.requested_at.get_or_insert_with(Instant::now);
            (s.cell, second)
        };
        let _ = self.write(true);
        if second {
            self.kill(cell);
            return;
        }
        let me = self.clone();
        std::thread::spawn(move || {
            std::thread::sleep(GRACE);
            me.kill(cell);
        });
    }

    /// Restarts the cell process if cell `cell` is still running.
    fn kill(&self, cell: u64) {
        {
            let mut s = lock(&self.state);
            if !s.running || s.cell != cell || s.killed {
                return;
            }
            s.killed = true;
        }
        if let Some(child) = self.process.get() {
            let _ = lock(child).kill();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_follows_the_cell() {
        let file = std::env::temp_dir().join(format!("lowdim-interrupt-test-{}", std::process::id()));
        let i = Interrupter::new(&file).unwrap();
        i.request();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "0", "no cell runs: nothing to interrupt");
        i.begin();
        i.request();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "1");
        assert_eq!(i.end(), Ending::Stopped);
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "0");
        i.begin();
        assert_eq!(i.end(), Ending::Undisturbed);
        i.begin();
        i.request();
        i.request();
        assert_eq!(i.end(), Ending::Killed, "a second interrupt restarts the cell process");
        let _ = std::fs::remove_file(file);
    }
}
