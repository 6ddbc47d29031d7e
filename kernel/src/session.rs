//! The evaluation session: one evcxr `CommandContext` with lowdim loaded, on a
//! thread of its own, and the threads that carry the cell process's output.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};
use evcxr::{CommandContext, EvalCallbacks, EvalContextOutputs};

use crate::interrupt::{Ending, Interrupter, GRACE};
use crate::protocol::{self, Display, Failure, Line};

/// What a cell sends on its way: streamed text and displays.
#[derive(Debug)]
pub enum Output {
    Stdout(String),
    Stderr(String),
    Display(Display),
}

pub type Sink = Arc<dyn Fn(Output) + Send + Sync>;

/// A cell's error as Jupyter reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct CellError {
    pub ename: String,
    pub evalue: String,
    pub traceback: Vec<String>,
}

impl CellError {
    pub fn new(ename: &str, evalue: impl Into<String>) -> Self {
        let evalue = evalue.into();
        let traceback = vec![format!("\x1b[0;31m{ename}\x1b[0m: {evalue}")];
        CellError { ename: ename.to_string(), evalue, traceback }
    }
}

/// A cell's result: its value's representations (mime type → content) or an error.
pub type CellResult = Result<Vec<(String, String)>, CellError>;

/// Where the session finds its configuration.
pub struct Setup {
    /// `init.evcxr` (`:dep` lines) and `prelude.rs`.
    pub config_dir: PathBuf,
    /// The workspace whose Cargo.lock pins every crate the cells build.
    pub workspace: PathBuf,
    /// The warm build directory (`EVCXR_TMPDIR`).
    pub build_dir: PathBuf,
}

pub struct Session {
    ctx: CommandContext,
    pumps: Pumps,
    interrupter: Interrupter,
}

impl Session {
    /// Starts evcxr, pins the crate versions, loads lowdim and the prelude.
    /// Offline: every crate is already on disk and the lock file says which.
    pub fn start(setup: &Setup, interrupter: Interrupter, sink: Sink) -> Result<Session, String> {
        let mut clock = Phases::new();
        let (ctx, outputs) = CommandContext::new().map_err(|e| format!("evcxr could not start: {e}"))?;
        clock.done("evcxr");
        interrupter.set_process(ctx.process_handle());
        let mut session = Session { ctx, pumps: Pumps::start(outputs, sink), interrupter };
        pin_versions(&setup.workspace, &setup.build_dir)?;
        session.command(":offline 1", "offline mode")?;
        let init = read(&setup.config_dir.join("init.evcxr"))?;
        session.command(&init, "init.evcxr")?;
        clock.done("dependencies");
        // evcxr lets cells use `?` only after one has failed to compile without
        // it, and that first failure also gives up drawing the cell's value (it
        // falls back to `Debug`). One `?` with the prelude settles it for the session.
        let prelude = read(&setup.config_dir.join("prelude.rs"))? + "Ok::<(), lowdim::Error>(())?;\n";
        session.command(&prelude, "prelude.rs")?;
        clock.done("prelude");
        eprintln!("lowdim-kernel: session start: {}", clock.report());
        Ok(session)
    }

    fn command(&mut self, code: &str, what: &str) -> Result<(), String> {
        match self.execute(code) {
            Ok(_) => Ok(()),
            Err(e) => Err(format!("{what} failed:\n{}\n\n{}", code.trim(), e.evalue)),
        }
    }

    /// Runs one cell.
    pub fn execute(&mut self, code: &str) -> CellResult {
        self.interrupter.begin();
        let before: Vec<String> = self.ctx.variables_and_types().map(|(name, _)| name.to_string()).collect();
        let result = self.ctx.execute_with_callbacks(code, &mut EvalCallbacks::default());
        let failure = self.pumps.settle();
        let ending = self.interrupter.end();
        match (result, ending) {
            (_, Ending::Killed) => Err(CellError::new(
                "KeyboardInterrupt",
                format!(
                    "the cell did not stop within {} s of the interrupt, so its process was restarted: {}",
                    GRACE.as_secs(),
                    lost(&before)
                ),
            )),
            (Ok(outputs), ending) => match failure {
                None => Ok(outputs.content_by_mime_type.into_iter().collect()),
                Some(f) => Err(failed(f, ending == Ending::Stopped)),
            },
            (Err(evcxr::Error::CompilationErrors(errors)), _) => Err(compilation_error(&errors)),
            (Err(evcxr::Error::SubprocessTerminated(message)), _) => {
                Err(CellError::new("CellProcessDied", format!("{}\nThe cell process was restarted: {}", message.trim(), lost(&before))))
            }
            (Err(e), _) => Err(CellError::new("Error", e.to_string())),
        }
    }
}

/// Where start-up time goes, for the kernel's log.
struct Phases {
    last: Instant,
    spent: Vec<(&'static str, f64)>,
}

impl Phases {
    fn new() -> Self {
        Phases { last: Instant::now(), spent: vec![] }
    }

    fn done(&mut self, what: &'static str) {
        self.spent.push((what, self.last.elapsed().as_secs_f64()));
        self.last = Instant::now();
    }

    fn report(&self) -> String {
        self.spent.iter().map(|(w, s)| format!("{w} {s:.1} s")).collect::<Vec<_>>().join(", ")
    }
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// evcxr resolves dependencies in the build directory, offline: with the
/// workspace's Cargo.lock there, cargo keeps exactly the locked versions
/// instead of the newest ones it finds on disk. lowdim is the session's only
/// `:dep`, so evcxr's check of it resolves the same graph and the lock survives.
fn pin_versions(workspace: &Path, build_dir: &Path) -> Result<(), String> {
    let from = workspace.join("Cargo.lock");
    let to = build_dir.join("Cargo.lock");
    std::fs::copy(&from, &to).map(|_| ()).map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))
}

fn failed(f: Failure, interrupted: bool) -> CellError {
    let ename = match (interrupted, f.panicked) {
        (true, _) => "KeyboardInterrupt",
        (false, true) => "Panic",
        (false, false) => "Error",
    };
    let message = if f.message.trim().is_empty() { "(no message)".to_string() } else { f.message };
    CellError::new(ename, message)
}

fn lost(before: &[String]) -> String {
    if before.is_empty() {
        "no variables were defined; functions, types and dependencies are kept".to_string()
    } else {
        format!("the variables {} are lost; functions, types and dependencies are kept", before.join(", "))
    }
}

fn compilation_error(errors: &[evcxr::CompilationError]) -> CellError {
    let mut blocks = Vec::new();
    for e in errors {
        let mut block = match e.code() {
            Some(code) => format!("error[{code}]: {}", e.message()),
            None => format!("error: {}", e.message()),
        };
        for span in e.spanned_messages() {
            for line in &span.lines {
                block.push_str(&format!("\n  | {line}"));
            }
            if !span.label.is_empty() {
                block.push_str(&format!("\n  = {}", span.label));
            }
        }
        for help in e.help() {
            block.push_str(&format!("\n  help: {help}"));
        }
        blocks.push(block);
    }
    let evalue = blocks.join("\n\n");
    CellError { ename: "CompilationError".into(), traceback: blocks.iter().map(|b| format!("\x1b[0;31m{b}\x1b[0m")).collect(), evalue }
}

/// The threads that read the cell process's stdout and stderr.
///
/// evcxr returns from a cell once its output channels are empty, which means
/// taken, not yet handled; [`Pumps::settle`] waits for the pumps to finish
/// what they took, so a failure notice is never missed and output comes
/// before the reply.
struct Pumps {
    /// One per pump, held while it takes and handles a line.
    fences: [Arc<Mutex<()>>; 2],
    wanted: Arc<AtomicBool>,
    failure: Arc<Mutex<Option<Failure>>>,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
}

impl Pumps {
    fn start(outputs: EvalContextOutputs, sink: Sink) -> Self {
        let pumps = Pumps {
            fences: Default::default(),
            wanted: Arc::default(),
            failure: Arc::default(),
            stdout: outputs.stdout,
            stderr: outputs.stderr,
        };
        let failure = Arc::clone(&pumps.failure);
        let out_sink = Arc::clone(&sink);
        pumps.spawn(0, pumps.stdout.clone(), move |line| match protocol::parse(line) {
            Line::Display(d) => out_sink(Output::Display(d)),
            Line::Failed(f) => *failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(f),
            Line::Text(t) => out_sink(Output::Stdout(t)),
        });
        pumps.spawn(1, pumps.stderr.clone(), move |line| sink(Output::Stderr(line)));
        pumps
    }

    fn spawn(&self, which: usize, rx: Receiver<String>, handle: impl Fn(String) + Send + 'static) {
        let (fence, wanted) = (Arc::clone(&self.fences[which]), Arc::clone(&self.wanted));
        std::thread::spawn(move || loop {
            if wanted.load(Ordering::Acquire) {
                std::thread::sleep(Duration::from_millis(1));
                continue;
            }
            let _held = fence.lock().unwrap_or_else(|p| p.into_inner());
            match rx.recv_timeout(Duration::from_millis(10)) {
                Ok(line) => handle(line),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
        });
    }

    /// Waits until everything the cell printed has been handled; returns the
    /// cell's failure, if it reported one.
    fn settle(&self) -> Option<Failure> {
        // Stderr travels through a thread of evcxr's own: give it a moment.
        let deadline = Instant::now() + Duration::from_millis(200);
        std::thread::sleep(Duration::from_millis(5));
        while !(self.stdout.is_empty() && self.stderr.is_empty()) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        self.wanted.store(true, Ordering::Release);
        let held = self.fences.each_ref().map(|f| f.lock().unwrap_or_else(|p| p.into_inner()));
        let failure = self.failure.lock().unwrap_or_else(|p| p.into_inner()).take();
        drop(held);
        self.wanted.store(false, Ordering::Release);
        failure
    }
}
