"""Executes notebooks headless through the real rust-lowdim kernel, one after another.

usage: run_notebooks.py [--out DIR] [--browser-check NOTEBOOK] [--fallback-check]
                        [--kernel-checks] PATH...

Each PATH is a notebook or a folder of them. A notebook passes when every cell runs
without error: the kernel replies "error" to a cell that panics (a failed `assert!`)
or whose `?` returns an `Err`, and nbclient stops there. Executed copies go to --out.
--browser-check exports that executed notebook to HTML and loads it in headless
Chromium with no network, checking that every figure actually drew.
--fallback-check starts a kernel with a broken config and checks its answer.
--kernel-checks runs kernel_checks.py: error replies, interrupts, a start offline.
Ends with the line `N passed, N failed`; exits 1 if anything failed.
"""
import argparse
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError

import kernel_checks

KERNEL = "rust-lowdim"
# A cold build directory compiles lowdim, libtorch bindings and plotly first.
STARTUP_TIMEOUT_S = 1200
CELL_TIMEOUT_S = 600


def notebooks(paths):
    for p in map(pathlib.Path, paths):
        if p.is_dir():
            yield from sorted(q for q in p.glob("*.ipynb") if ".ipynb_checkpoints" not in q.parts)
        else:
            yield p


def execute(path, out_dir):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name=KERNEL, timeout=CELL_TIMEOUT_S,
                            startup_timeout=STARTUP_TIMEOUT_S, resources={"metadata": {"path": str(path.parent)}})
    t0 = time.time()
    try:
        client.execute()
        error = None
    except (CellExecutionError, CellTimeoutError) as e:
        error = str(e)
    except Exception as e:  # the kernel died or never started
        error = f"{type(e).__name__}: {e}"
    out = out_dir / path.name
    nbformat.write(nb, out)
    return error, time.time() - t0, out


def count_figures(nb_path):
    nb = nbformat.read(nb_path, as_version=4)
    return sum(1 for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
               if "application/vnd.plotly.v1+json" in o.get("data", {}))


def drawn_plots(url, isolate):
    """Loads `url` in headless Chromium and counts the plotly plots that drew."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        raise RuntimeError("chromium not found (the set-up installs Debian's chromium)")
    profile = tempfile.mkdtemp(prefix="lowdim-chromium-")
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-quic", f"--user-data-dir={profile}", "--virtual-time-budget=40000",
           "--dump-dom", url]
    # No network at all: a fresh network namespace when we may make one.
    if isolate and shutil.which("unshare") and subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0:
        cmd = ["unshare", "-n"] + cmd
    try:
        dom = subprocess.run(cmd, capture_output=True, text=True, timeout=180).stdout
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    # plotly draws two main-svg layers per plot.
    return len(re.findall(r'<svg[^>]*class="main-svg"', dom)) // 2


def browser_check(executed):
    """Exports the notebook to HTML, loads it in Chromium with no network, counts drawn plots."""
    from nbconvert import HTMLExporter

    want = count_figures(executed)
    body, _ = HTMLExporter().from_filename(str(executed))
    html = executed.with_suffix(".html")
    html.write_text(body, encoding="utf-8")
    plots = drawn_plots(html.resolve().as_uri(), isolate=True)
    print(f"    exported HTML: {html.name}: {plots} of {want} figure(s) drawn ({len(body) / 1e6:.1f} MB page)")
    if want == 0:
        return "the notebook has no figure to check"
    return None if plots >= want else f"only {plots} of {want} figures drew in the exported page"


def lab_check(executed):
    """Opens the executed notebook in a local JupyterLab in Chromium: the plotly
    renderer must draw every figure from the saved outputs, with no internet."""
    import secrets
    import socket
    import urllib.request

    want = count_figures(executed)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    token = secrets.token_hex(8)
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
         f"--port={port}", f"--ServerApp.token={token}", f"--ServerApp.root_dir={executed.parent}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        plots = drawn_plots(f"http://127.0.0.1:{port}/lab/tree/{executed.name}?token={token}", isolate=False)
    finally:
        server.terminate()
        server.wait(timeout=60)
    print(f"    JupyterLab: {executed.name}: {plots} of {want} figure(s) drawn")
    return None if plots >= want > 0 else f"only {plots} of {want} figures drew in JupyterLab"


def fallback_check():
    """A kernel whose config cannot build must answer cells with a readable error.

    Registers a copy of rust-lowdim in a scratch Jupyter data dir with a broken
    init.evcxr, runs one cell through the real launcher and checks the answer.
    """
    import json
    import os

    from jupyter_client.manager import start_new_kernel

    scratch = pathlib.Path(tempfile.mkdtemp(prefix="lowdim-fallback-"))
    env = dict(os.environ, JUPYTER_DATA_DIR=str(scratch / "jupyter"), LOWDIM_HOME=str(scratch / "home"))
    launcher = pathlib.Path(os.environ["CARGO_TARGET_DIR"]) / "release" / "lowdim-kernel"
    subprocess.run([str(launcher), "install", "--venv", os.environ["LOWDIM_VENV"]], env=env, check=True,
                   capture_output=True)
    kdir = scratch / "jupyter" / "kernels" / KERNEL
    (kdir / "config" / "init.evcxr").write_text(':dep lowdim_no_such_crate = "=0.0.1"\n')
    spec = json.loads((kdir / "kernel.json").read_text())
    spec["env"].update(JUPYTER_DATA_DIR=env["JUPYTER_DATA_DIR"], LOWDIM_HOME=env["LOWDIM_HOME"])
    (kdir / "kernel.json").write_text(json.dumps(spec))
    try:
        with kernel_checks.jupyter_path(scratch / "jupyter"):
            km, kc = start_new_kernel(kernel_name=KERNEL, startup_timeout=600)
        seen = []
        try:
            kc.execute_interactive("1 + 1", timeout=120, output_hook=seen.append)
        finally:
            km.shutdown_kernel(now=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    errors = [m["content"] for m in seen if m["msg_type"] == "error"]
    text = "\n".join(f"{e['ename']}: {e['evalue']}" for e in errors)
    print("    fallback answer: " + " | ".join(text.strip().splitlines()[:4]))
    if "could not" in text and "lowdim_no_such_crate" in text and "doctor" in text:
        return None
    return "a broken config did not produce a readable error naming the problem"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--out", default=None)
    ap.add_argument("--browser-check", default=None)
    ap.add_argument("--fallback-check", action="store_true")
    ap.add_argument("--kernel-checks", action="store_true")
    args = ap.parse_args()
    out_dir = pathlib.Path(args.out or tempfile.mkdtemp(prefix="lowdim-executed-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = {"passed": 0, "failed": 0}

    def report(what, problem, secs=None):
        took = f" ({secs:.0f}s)" if secs is not None else ""
        counts["failed" if problem else "passed"] += 1
        print(f"FAIL {what}{took}\n{problem}\n" if problem else f"ok   {what}{took}", flush=True)

    executed = {}
    for nb in notebooks(args.paths):
        error, secs, out = execute(nb, out_dir)
        executed[nb.resolve()] = out
        report(nb, error, secs)
    if args.browser_check:
        target = executed.get(pathlib.Path(args.browser_check).resolve())
        problem = (browser_check(target) or lab_check(target)) if target else f"{args.browser_check} was not executed"
        report(f"browser check of {args.browser_check}", problem)
    if args.fallback_check:
        report("broken-config check: the kernel explains what is wrong", fallback_check())
    if args.kernel_checks:
        for check in (kernel_checks.session_checks, kernel_checks.offline_check):
            t0 = time.time()
            problem = check()
            report(f"kernel check {check.__name__}", problem, time.time() - t0)
    print(f"executed notebooks are in {out_dir}")
    print(f"{counts['passed']} passed, {counts['failed']} failed")
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
