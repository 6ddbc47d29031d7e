"""Starts the real rust-lowdim kernel, times it, and runs cells that touch every piece.

Prints `first cell answered S s after launch` (a cold build directory compiles
lowdim, libtorch's bindings and plotly first: minutes; a warm one: seconds), the
time of each cell and its answer; exits 1 with the kernel's error text when a cell
fails. Used by the set-up (which so warms a build directory and reports the cold
start) and by `lowdim-kernel doctor`.
"""
import subprocess
import sys
import time

from jupyter_client.manager import start_new_kernel

from kernel_checks import text_of

CELLS = [
    ("trivial cell", "1 + 1", "2"),
    ("lowdim figure", 'lines(&[Series::indexed("check", vec![1.0, 2.0])]).map(|f| f.n_traces()).map_err(|e| e.to_string())', "Ok(1)"),
    ("libtorch", "tch::Tensor::from_slice(&[1.0f64, 2.0]).sum(tch::Kind::Double).double_value(&[])", "3.0"),
]


outputs = []


def run_cell(client, code, timeout):
    return client.execute_interactive(code, timeout=timeout, output_hook=outputs.append)


def main():
    t0 = time.time()
    km, kc = start_new_kernel(kernel_name="rust-lowdim", startup_timeout=1200, stdout=subprocess.DEVNULL)
    try:
        # kernel_info is answered at once; the first cell waits for the session
        # (evcxr with lowdim loaded) to start.
        print(f"kernel_info answered {time.time() - t0:.1f} s after launch", flush=True)
        first = True
        for name, code, want in CELLS:
            outputs.clear()
            t = time.time()
            reply = run_cell(kc, code, 1200)
            got = text_of(outputs)
            if reply["content"]["status"] != "ok" or got != want:
                print(f"{name}: expected {want!r}, got:\n{got}", file=sys.stderr)
                return 1
            if first:
                print(f"first cell answered {time.time() - t0:.1f} s after launch", flush=True)
                first = False
            print(f"{name} in {time.time() - t:.2f} s -> {got}", flush=True)
        return 0
    finally:
        km.shutdown_kernel(now=True)


if __name__ == "__main__":
    sys.exit(main())
