//! `lowdim-kernel`: the `rust-lowdim` Jupyter kernel, and the tool that
//! installs and checks it.
//!
//! `run` is the kernel itself: it speaks the Jupyter messaging protocol and
//! evaluates cells with the evcxr library, lowdim preloaded. The same binary is
//! the process that runs the cells (evcxr starts it again with
//! `EVCXR_IS_RUNTIME` set). `install` writes the kernelspec and its config;
//! `doctor` checks every piece.

mod cell_process;
mod config;
mod doctor;
mod install;
mod interrupt;
mod launch;
mod paths;
mod protocol;
mod server;
mod session;
mod sys;

use std::process::ExitCode;

const USAGE: &str = "\
usage: lowdim-kernel <command>

  install [--venv DIR]       register the Jupyter kernel `rust-lowdim` (Rust (lowdim))
  run --control_file FILE    run the kernel on a connection file (what the kernelspec runs)
  doctor [--quick]           check every piece; one line per problem with what to do
  config                     print the evcxr config the kernel loads

Environment: LOWDIM_HOME (default ~/.cache/lowdim) holds the venv, build caches and
the kernel's warm build directories; JUPYTER_DATA_DIR overrides where kernels go.";

fn main() -> ExitCode {
    if std::env::var_os("EVCXR_IS_RUNTIME").is_some() {
        cell_process::run();
    }
    // evcxr also runs this binary as a wrapper around rustc; then this never returns.
    evcxr::runtime_hook();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("install") => install::install(&args[1..]),
        Some("run") => launch::run(&args[1..]),
        Some("doctor") => doctor::doctor(&args[1..]),
        Some("config") => config::print(),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => Err(format!("unknown or missing command\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("lowdim-kernel: {message}");
            ExitCode::FAILURE
        }
    }
}
