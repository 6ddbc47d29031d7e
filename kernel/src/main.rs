//! `lowdim-kernel`: installs, launches and checks the `rust-lowdim` Jupyter kernel.
//!
//! The kernel is evcxr_jupyter with lowdim preloaded. This binary writes the
//! kernelspec and the evcxr config (`install`), is the command the kernelspec
//! runs (`run`: picks a warm build directory no other live kernel holds, then
//! hands over to evcxr), and checks every piece (`doctor`).

mod config;
mod doctor;
mod install;
mod launch;
mod paths;

use std::process::ExitCode;

const USAGE: &str = "\
usage: lowdim-kernel <command>

  install [--venv DIR]       register the Jupyter kernel `rust-lowdim` (Rust (lowdim))
  run --control_file FILE    start the kernel (what the kernelspec runs)
  doctor [--quick]           check every piece; one line per problem with what to do
  config                     print the evcxr config the kernel loads

Environment: LOWDIM_HOME (default ~/.cache/lowdim) holds the venv, build caches and
the kernel's warm build directories; JUPYTER_DATA_DIR overrides where kernels go.";

fn main() -> ExitCode {
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
