//! The Jupyter side: the five sockets of the messaging protocol, the shell and
//! control handlers, and the thread that owns the evaluation session.
//!
//! `kernel_info` is answered at once; the session (evcxr with lowdim loaded)
//! starts on its own thread and cells wait for it. Interrupts arrive on the
//! control channel while a cell runs on the shell channel.

use std::path::Path;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Instant;

use jupyter_protocol::{
    CodeMirrorMode, CommInfoReply, CompleteReply, ConnectionInfo, DisplayData, ErrorOutput, ExecuteInput, ExecuteReply, ExecuteResult,
    ExecutionCount, HistoryReply, InspectReply, InterruptReply, IsCompleteReply, IsCompleteReplyStatus, JupyterMessage,
    JupyterMessageContent, KernelInfoReply, LanguageInfo, Media, ReplyError, ReplyStatus, ShutdownReply, Status, StreamContent, Transient,
    UpdateDisplayData,
};
use jupyter_zmq_client as zmq;
use serde_json::{Map, Value};
use tokio::sync::{mpsc as tmpsc, oneshot};

use crate::interrupt::Interrupter;
use crate::session::{CellError, CellResult, Output, Session, Setup, Sink};

struct Job {
    code: String,
    reply: oneshot::Sender<CellResult>,
}

/// Everything the handlers share.
struct Kernel {
    iopub: tmpsc::UnboundedSender<JupyterMessage>,
    /// The last execute request: the cell process's output is sent as its child
    /// (also output that arrives after its reply).
    parent: Arc<Mutex<Option<JupyterMessage>>>,
    jobs: mpsc::Sender<Job>,
    interrupter: Interrupter,
}

pub fn serve(connection_file: &Path, setup: Setup, interrupter: Interrupter) -> Result<(), String> {
    let text = std::fs::read_to_string(connection_file).map_err(|e| format!("{}: {e}", connection_file.display()))?;
    let info: ConnectionInfo =
        serde_json::from_str(&text).map_err(|e| format!("{}: not a connection file: {e}", connection_file.display()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the I/O runtime: {e}"))?;
    runtime.block_on(run(info, setup, interrupter))
}

async fn run(info: ConnectionInfo, setup: Setup, interrupter: Interrupter) -> Result<(), String> {
    let session_id = format!("lowdim-{}", std::process::id());
    let err = |e: zmq::RuntimeError| format!("cannot open the kernel's sockets: {e}");
    let mut heartbeat = zmq::create_kernel_heartbeat_connection(&info).await.map_err(err)?;
    let shell = zmq::create_kernel_shell_connection(&info, &session_id).await.map_err(err)?;
    let control = zmq::create_kernel_control_connection(&info, &session_id).await.map_err(err)?;
    let _stdin = zmq::create_kernel_stdin_connection(&info, &session_id).await.map_err(err)?;
    let iopub = zmq::create_kernel_iopub_xpub_connection(&info, &session_id).await.map_err(err)?;

    let (iopub_tx, iopub_rx) = tmpsc::unbounded_channel();
    let parent = Arc::new(Mutex::new(None));
    let sink = output_sink(iopub_tx.clone(), Arc::clone(&parent));
    let jobs = start_evaluator(setup, interrupter.clone(), sink);
    let kernel = Arc::new(Kernel { iopub: iopub_tx, parent, jobs, interrupter });

    tokio::spawn(async move { while heartbeat.single_heartbeat().await.is_ok() {} });
    tokio::spawn(publish(iopub, iopub_rx));
    tokio::spawn(control_loop(control, Arc::clone(&kernel)));
    shell_loop(shell, kernel).await
}

/// Sends every iopub message in order, and welcomes each subscriber (JEP 65).
async fn publish(mut iopub: zmq::KernelIoPubXPubConnection, mut rx: tmpsc::UnboundedReceiver<JupyterMessage>) {
    loop {
        tokio::select! {
            message = rx.recv() => match message {
                Some(m) => { let _ = iopub.send(m).await; }
                None => return,
            },
            event = iopub.recv_subscription() => {
                if let Ok(zmq::SubscriptionEvent::Subscribe(topic)) = event {
                    let _ = iopub.send(jupyter_protocol::IoPubWelcome::new(topic).into()).await;
                }
            }
        }
    }
}

/// Turns the cell process's output into iopub messages of the running request.
fn output_sink(iopub: tmpsc::UnboundedSender<JupyterMessage>, parent: Arc<Mutex<Option<JupyterMessage>>>) -> Sink {
    Arc::new(move |output| {
        let guard = parent.lock().unwrap_or_else(|p| p.into_inner());
        let Some(parent) = guard.as_ref() else {
            // Output before the first cell (start-up) goes to the kernel's log.
            eprintln!("{output:?}");
            return;
        };
        let message = match output {
            Output::Stdout(line) => StreamContent::stdout(&format!("{line}\n")).as_child_of(parent),
            Output::Stderr(line) => StreamContent::stderr(&format!("{line}\n")).as_child_of(parent),
            Output::Display(d) => {
                let data = media(d.data);
                let transient = Transient { display_id: Some(d.id.clone()) };
                if d.update {
                    UpdateDisplayData::new(data, &d.id).as_child_of(parent)
                } else {
                    DisplayData { data, metadata: Map::new(), transient: Some(transient) }.as_child_of(parent)
                }
            }
        };
        let _ = iopub.send(message);
    })
}

fn media(data: Map<String, Value>) -> Media {
    serde_json::from_value(Value::Object(data)).unwrap_or_default()
}

/// A cell's representations from evcxr: JSON types arrive as text.
fn media_of(outputs: Vec<(String, String)>) -> Media {
    let mut map = Map::new();
    for (mime, content) in outputs {
        let value =
            if mime.ends_with("json") { serde_json::from_str(&content).unwrap_or(Value::String(content)) } else { Value::String(content) };
        map.insert(mime, value);
    }
    media(map)
}

/// The thread that owns the session. It starts evcxr first (cells sent
/// meanwhile wait); if that fails, every cell is answered with the reason.
fn start_evaluator(setup: Setup, interrupter: Interrupter, sink: Sink) -> mpsc::Sender<Job> {
    let (tx, rx) = mpsc::channel::<Job>();
    std::thread::spawn(move || {
        let t0 = Instant::now();
        let session = Session::start(&setup, interrupter, sink);
        match &session {
            Ok(_) => eprintln!("lowdim-kernel: session ready in {:.1} s", t0.elapsed().as_secs_f64()),
            Err(e) => eprintln!("lowdim-kernel: the session could not start:\n{e}"),
        }
        let mut session = session.map_err(|e| start_failure(&e));
        for job in rx {
            let result = match &mut session {
                Ok(s) => s.execute(&job.code),
                Err(e) => Err(e.clone()),
            };
            let _ = job.reply.send(result);
        }
    });
    tx
}

fn start_failure(reason: &str) -> CellError {
    CellError::new(
        "KernelStartError",
        format!(
            "the rust-lowdim kernel could not load its configuration, so it cannot run cells.\n\n{reason}\n\n\
             What to do: run `lowdim-kernel doctor` (or `make doctor`) in a terminal; it checks evcxr, rust-src, \
             libtorch and the kernel's config, one line per problem. Then restart the kernel."
        ),
    )
}

async fn shell_loop(shell: zmq::KernelShellConnection, kernel: Arc<Kernel>) -> Result<(), String> {
    let (mut writer, mut reader) = shell.split();
    let mut count = ExecutionCount::new(0);
    loop {
        let request = reader.read().await.map_err(|e| format!("shell channel: {e}"))?;
        let _ = kernel.iopub.send(Status::busy().as_child_of(&request));
        let reply: Option<JupyterMessage> = match &request.content {
            JupyterMessageContent::KernelInfoRequest(_) => Some(kernel_info().as_child_of(&request)),
            JupyterMessageContent::ExecuteRequest(req) => {
                if req.store_history && !req.silent {
                    count.increment();
                }
                Some(execute(&kernel, &request, &req.code, req.silent, count).await.as_child_of(&request))
            }
            JupyterMessageContent::IsCompleteRequest(_) => {
                Some(IsCompleteReply::new(IsCompleteReplyStatus::Unknown, String::new()).as_child_of(&request))
            }
            JupyterMessageContent::CompleteRequest(req) => Some(
                CompleteReply {
                    matches: vec![],
                    cursor_start: req.cursor_pos,
                    cursor_end: req.cursor_pos,
                    metadata: Default::default(),
                    status: ReplyStatus::Ok,
                    error: None,
                }
                .as_child_of(&request),
            ),
            JupyterMessageContent::InspectRequest(_) => Some(
                InspectReply { found: false, data: Media::default(), metadata: Default::default(), status: ReplyStatus::Ok, error: None }
                    .as_child_of(&request),
            ),
            JupyterMessageContent::HistoryRequest(_) => {
                Some(HistoryReply { history: vec![], status: ReplyStatus::Ok, error: None }.as_child_of(&request))
            }
            JupyterMessageContent::CommInfoRequest(_) => {
                Some(CommInfoReply { status: ReplyStatus::Ok, comms: Default::default(), error: None }.as_child_of(&request))
            }
            JupyterMessageContent::ShutdownRequest(req) => shut_down(&mut writer, &request, req.restart).await,
            _ => None,
        };
        if let Some(reply) = reply {
            writer.send(reply).await.map_err(|e| format!("shell channel: {e}"))?;
        }
        let _ = kernel.iopub.send(Status::idle().as_child_of(&request));
    }
}

async fn execute(kernel: &Kernel, request: &JupyterMessage, code: &str, silent: bool, count: ExecutionCount) -> ExecuteReply {
    if !silent {
        let _ = kernel.iopub.send(ExecuteInput { code: code.to_string(), execution_count: count }.as_child_of(request));
    }
    *kernel.parent.lock().unwrap_or_else(|p| p.into_inner()) = Some(request.clone());
    let (tx, rx) = oneshot::channel();
    let result = match kernel.jobs.send(Job { code: code.to_string(), reply: tx }) {
        Ok(()) => rx.await.unwrap_or_else(|_| Err(CellError::new("KernelError", "the evaluation thread stopped"))),
        Err(_) => Err(CellError::new("KernelError", "the evaluation thread stopped")),
    };
    match result {
        Ok(outputs) => {
            if !silent && !outputs.is_empty() {
                let result = ExecuteResult::new(count, media_of(outputs));
                let _ = kernel.iopub.send(result.as_child_of(request));
            }
            ExecuteReply { status: ReplyStatus::Ok, execution_count: count, ..Default::default() }
        }
        Err(e) => {
            let shown = ErrorOutput { ename: e.ename.clone(), evalue: e.evalue.clone(), traceback: e.traceback.clone() };
            let _ = kernel.iopub.send(shown.as_child_of(request));
            ExecuteReply {
                status: ReplyStatus::Error,
                execution_count: count,
                error: Some(Box::new(ReplyError { ename: e.ename, evalue: e.evalue, traceback: e.traceback })),
                ..Default::default()
            }
        }
    }
}

async fn control_loop(control: zmq::KernelControlConnection, kernel: Arc<Kernel>) {
    let (mut writer, mut reader) = control.split();
    while let Ok(request) = reader.read().await {
        let reply: Option<JupyterMessage> = match &request.content {
            JupyterMessageContent::KernelInfoRequest(_) => Some(kernel_info().as_child_of(&request)),
            JupyterMessageContent::InterruptRequest(_) => {
                kernel.interrupter.request();
                Some(InterruptReply::new().as_child_of(&request))
            }
            JupyterMessageContent::ShutdownRequest(req) => shut_down(&mut writer, &request, req.restart).await,
            _ => None,
        };
        if let Some(reply) = reply {
            let _ = writer.send(reply).await;
        }
    }
}

/// Answers a shutdown request and ends the kernel; the cell process sees its
/// input close and ends too.
async fn shut_down<S: zeromq::SocketSend>(writer: &mut zmq::Connection<S>, request: &JupyterMessage, restart: bool) -> ! {
    let reply = ShutdownReply { restart, status: ReplyStatus::Ok, error: None }.as_child_of(request);
    let _ = writer.send(reply).await;
    std::process::exit(0)
}

fn kernel_info() -> KernelInfoReply {
    KernelInfoReply {
        status: ReplyStatus::Ok,
        protocol_version: "5.3".into(),
        implementation: "lowdim-kernel".into(),
        implementation_version: env!("CARGO_PKG_VERSION").into(),
        language_info: LanguageInfo {
            name: "Rust".into(),
            version: String::new(),
            mimetype: Some("text/rust".into()),
            file_extension: Some(".rs".into()),
            pygments_lexer: Some("rust".into()),
            codemirror_mode: Some(CodeMirrorMode::Simple("rust".into())),
            nbconvert_exporter: Some("rust".into()),
        },
        banner: "Rust with lowdim preloaded (evcxr)".into(),
        help_links: vec![],
        debugger: false,
        error: None,
    }
}
