//! Displays that update in place while a cell runs: a progress line for long
//! fits and live figures (the trainer's loss curves).
//!
//! In the `rust-lowdim` kernel (`LOWDIM_KERNEL` set) a display is one line on
//! stdout, `LOWDIM_DISPLAY {"id", "update", "data"}`, which the kernel turns into
//! Jupyter's `display_data` and, for later versions of the same display,
//! `update_display_data`: JupyterLab, VS Code and nbclient replace it in place.
//! In a terminal, progress is one line redrawn on stderr; elsewhere (tests,
//! pipes) nothing is printed. Keep the prefix in step with the kernel's
//! `protocol.rs`.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use crate::error::{Error, Result};
use crate::interrupt;

const PREFIX: &str = "LOWDIM_DISPLAY ";
/// Progress appears only for work that lasts longer than this.
const SHOW_AFTER: Duration = Duration::from_millis(500);
/// At most this many redraws a second.
const REDRAW_EVERY: Duration = Duration::from_millis(250);

/// Whether this process runs in the `rust-lowdim` kernel, which renders displays.
pub fn in_kernel() -> bool {
    std::env::var_os("LOWDIM_KERNEL").is_some()
}

/// One display, shown once and then updated in place.
#[derive(Debug)]
pub struct LiveDisplay {
    id: String,
    shown: bool,
}

impl Default for LiveDisplay {
    fn default() -> Self {
        Self::new()
    }
}

impl LiveDisplay {
    pub fn new() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        let id = format!("lowdim-{}-{nanos:x}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        LiveDisplay { id, shown: false }
    }

    /// Shows `data` (mime type → content), replacing what this display showed
    /// before. Does nothing outside the kernel.
    pub fn show(&mut self, data: Map<String, Value>) {
        if !in_kernel() {
            return;
        }
        let line = json!({ "id": self.id, "update": self.shown, "data": data });
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{PREFIX}{line}");
        let _ = out.flush();
        self.shown = true;
    }
}

/// A progress line for a loop of known length: what runs, step of steps,
/// elapsed and remaining time. Each [`Progress::set`] also checks for an
/// interrupt, so a loop with progress stops on Ctrl-C.
///
/// ```
/// # fn main() -> lowdim::Result<()> {
/// let mut progress = lowdim::display::Progress::new("my sweep", 100);
/// for step in 0..100 {
///     progress.set(step)?;
/// }
/// progress.finish();
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Progress {
    label: String,
    total: usize,
    done: usize,
    start: Instant,
    last_draw: Option<Instant>,
    display: LiveDisplay,
    terminal: bool,
}

impl Progress {
    pub fn new(label: impl Into<String>, total: usize) -> Self {
        Progress {
            label: label.into(),
            total,
            done: 0,
            start: Instant::now(),
            last_draw: None,
            display: LiveDisplay::new(),
            terminal: !in_kernel() && std::io::stderr().is_terminal(),
        }
    }

    /// Renames what runs (e.g. "epoch 3/40") without drawing.
    pub fn set_label(&mut self, label: impl Into<String>) {
        self.label = label.into();
    }

    /// `done` steps of `total` are finished. Redraws at most four times a
    /// second; `Err(Error::Interrupted)` when the user interrupted.
    pub fn set(&mut self, done: usize) -> Result<()> {
        self.done = done.min(self.total);
        if interrupt::requested() {
            return Err(Error::Interrupted(format!("{} (step {} of {})", self.label, self.done, self.total)));
        }
        let now = Instant::now();
        let due = match self.last_draw {
            None => now - self.start >= SHOW_AFTER,
            Some(last) => now - last >= REDRAW_EVERY,
        };
        if due {
            self.draw(now);
        }
        Ok(())
    }

    /// The loop ended: a shown line says how long it took.
    pub fn finish(&mut self) {
        if self.last_draw.is_some() {
            self.done = self.total;
            self.draw(Instant::now());
            if self.terminal {
                eprintln!();
            }
        }
    }

    fn draw(&mut self, now: Instant) {
        self.last_draw = Some(now);
        let text = self.text(now);
        if self.terminal {
            eprint!("\r{text}");
            let _ = std::io::stderr().flush();
        } else {
            let mut data = Map::new();
            data.insert("text/html".into(), Value::String(self.html(&text)));
            data.insert("text/plain".into(), Value::String(text));
            self.display.show(data);
        }
    }

    /// "UMAP epochs  37/200  18 %  1.2 s elapsed, about 5.3 s left".
    pub fn text(&self, now: Instant) -> String {
        let elapsed = (now - self.start).as_secs_f64();
        let fraction = if self.total == 0 { 1.0 } else { self.done as f64 / self.total as f64 };
        let timing = if self.done >= self.total {
            format!("done in {}", seconds(elapsed))
        } else if self.done == 0 {
            format!("{} elapsed", seconds(elapsed))
        } else {
            format!("{} elapsed, about {} left", seconds(elapsed), seconds(elapsed / fraction - elapsed))
        };
        format!("{}  {}/{}  {:.0} %  {timing}", self.label, self.done, self.total, 100.0 * fraction)
    }

    fn html(&self, text: &str) -> String {
        let escaped = text.replace('&', "&amp;").replace('<', "&lt;");
        format!(
            "<div class=\"lowdim-progress\" style=\"font-family:monospace\"><progress value=\"{}\" max=\"{}\" \
             style=\"width:40%;vertical-align:middle\"></progress> {escaped}</div>",
            self.done,
            self.total.max(1)
        )
    }
}

fn seconds(s: f64) -> String {
    if s < 60.0 {
        format!("{s:.1} s")
    } else {
        format!("{}:{:02} min", (s / 60.0) as u64, (s % 60.0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_says_step_share_and_time() {
        let p = Progress { done: 37, ..Progress::new("UMAP epochs", 200) };
        let text = p.text(p.start + Duration::from_secs_f64(1.2));
        assert!(text.starts_with("UMAP epochs  37/200  18 %  1.2 s elapsed, about 5.3 s left"), "{text}");
        let done = Progress { done: 200, ..Progress::new("x", 200) };
        assert!(done.text(done.start + Duration::from_secs(75)).ends_with("done in 1:15 min"));
        assert!(p.html("a<b").contains("a&lt;b"));
    }

    #[test]
    fn a_short_loop_shows_nothing_and_counts_to_its_total() {
        let mut p = Progress::new("quick", 3);
        for i in 0..5 {
            p.set(i + 1).unwrap();
        }
        assert_eq!(p.done, 3, "steps past the total count as the total");
        p.finish();
        assert!(p.last_draw.is_none(), "work shorter than SHOW_AFTER shows no line");
    }
}
