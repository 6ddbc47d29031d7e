"""Checks the rust-lowdim kernel the way a notebook user meets it, through jupyter_client.

- a panicking cell and a cell whose `?` returns an `Err` reply status "error";
- an interrupt stops a UMAP fit on 60k points and a `Trainer` run within a second,
  as a KeyboardInterrupt, and a variable defined before is still there; the
  trainer's model keeps its finished epochs; progress updates in place meanwhile;
- a loop that never checks is stopped by restarting the cell process, which says
  what was lost;
- a kernel started with no network at all (its own network namespace, talking
  over IPC sockets) runs a cell.

`run_notebooks.py --kernel-checks` runs them inside `make test`; `--bench` prints
the kernel's timings beside ipykernel's for `make bench`.
"""
import contextlib
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from jupyter_client.manager import KernelManager

KERNEL = "rust-lowdim"
STARTUP_TIMEOUT_S = 1200
INTERRUPT_TARGET_S = 1.0

UMAP_60K = """let big = swiss_roll(60_000, 0.05, 3)?;
let umap = Umap::params().n_epochs(5000).fit(&big)?;"""

TRAINER = """use tch::{nn, Device};
let ds = swiss_roll(4000, 0.05, 1)?;
let y = ds.targets().view().insert_axis(Axis(1)).to_owned();
let data = TensorData::regression(ds.records().view(), y.view(), Device::Cpu)?;
let mut model = Model::new(Device::Cpu, 0, |p| nn::seq()
    .add(nn::linear(p / "l1", 3, 64, Default::default())).add_fn(|x| x.relu())
    .add(nn::linear(p / "l2", 64, 1, Default::default())));
let trainer = Trainer::new().epochs(100_000).batch_size(16).log_every(100);"""
FIT = "model.fit(&trainer, &data, &Loss::mse())?;"

SPIN = """let mut spins = 0u64;
loop { spins = std::hint::black_box(spins + 1); }"""


class Kernel:
    """A started kernel and its client."""

    def __init__(self, name=KERNEL, **km_args):
        self.km = KernelManager(kernel_name=name, **km_args)
        t0 = time.time()
        self.km.start_kernel(stdout=subprocess.DEVNULL)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=STARTUP_TIMEOUT_S)
        self.ready_s = time.time() - t0

    def run(self, code, timeout=STARTUP_TIMEOUT_S, trigger=None):
        """Runs a cell; `trigger(msg)` may return True once to interrupt it then.
        Returns (reply content, iopub messages, seconds from interrupt to reply)."""
        msg_id = self.kc.execute(code)
        outputs, t_int = [], None
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                msg = self.kc.get_iopub_msg(timeout=0.1)
            except Exception:  # queue.Empty: nothing new yet
                msg = None
            if msg is None or msg["parent_header"].get("msg_id") != msg_id:
                if trigger and t_int is None and trigger(None):
                    t_int = self.interrupt()
                continue
            if msg["msg_type"] == "status":
                if msg["content"]["execution_state"] == "idle":
                    break
                continue
            outputs.append(msg)
            if trigger and t_int is None and trigger(msg):
                t_int = self.interrupt()
        reply = self.kc.get_shell_msg(timeout=timeout)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = self.kc.get_shell_msg(timeout=timeout)
        return reply["content"], outputs, (time.time() - t_int if t_int else None)

    def interrupt(self):
        self.km.interrupt_kernel()
        return time.time()

    def value(self, code):
        content, outputs, _ = self.run(code)
        return content["status"], text_of(outputs)

    def close(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


@contextlib.contextmanager
def jupyter_path(folder):
    """Kernelspecs are looked up in `folder` first while the block runs."""
    saved = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(folder)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = saved


def text_of(outputs):
    """What a reader sees of a cell's messages: streams, values, errors."""
    parts = []
    for m in outputs:
        c = m["content"]
        if m["msg_type"] == "stream":
            parts.append(c["text"])
        elif m["msg_type"] in ("execute_result", "display_data"):
            parts.append(c["data"].get("text/plain", ""))
        elif m["msg_type"] == "error":
            parts.append(f"{c['ename']}: {c['evalue']}")
    return "".join(parts).strip()


def after_seconds(s):
    t0 = time.time()
    return lambda msg: time.time() - t0 >= s


def on_display(starts_with, count=1):
    """Fires on the `count`-th display whose text starts with `starts_with`."""
    seen = []

    def fire(msg):
        if msg and msg["msg_type"] in ("display_data", "update_display_data"):
            if msg["content"]["data"].get("text/plain", "").startswith(starts_with):
                seen.append(msg)
        return len(seen) >= count
    return fire


def updates_in_place(outputs):
    """The largest number of messages that showed one display id."""
    ids = {}
    for m in outputs:
        if m["msg_type"] in ("display_data", "update_display_data"):
            i = (m["content"].get("transient") or {}).get("display_id")
            if i:
                ids[i] = ids.get(i, 0) + 1
    return max(ids.values(), default=0)


def expect(cond, problem, problems):
    if not cond:
        problems.append(problem)


def check_errors(k, problems):
    content, outputs, _ = k.run('assert!(1 + 1 == 3, "arithmetic is broken");')
    expect(content["status"] == "error" and content.get("ename") == "Panic" and "arithmetic is broken" in content.get("evalue", ""),
           f"a failing assert! replied {content.get('status')} {content.get('ename')}: {content.get('evalue')}", problems)
    content, _, _ = k.run('let bad: Result<(), Error> = Err(Error::data("no such column")); bad?;')
    expect(content["status"] == "error" and "no such column" in content.get("evalue", ""),
           f"a cell whose ? returned Err replied {content.get('status')}: {content.get('evalue')}", problems)
    content, _, _ = k.run("let x: u32 = \"text\";")
    expect(content["status"] == "error" and content.get("ename") == "CompilationError",
           f"a cell that does not compile replied {content.get('status')} {content.get('ename')}", problems)


def check_interrupt(k, name, code, trigger, problems, after=None):
    content, outputs, latency = k.run(code, trigger=trigger)
    print(f"    interrupt of {name}: {content.get('ename')} after {latency if latency is None else round(latency, 2)} s", flush=True)
    expect(content["status"] == "error" and content.get("ename") == "KeyboardInterrupt",
           f"interrupting {name} replied {content.get('status')} {content.get('ename')}: {content.get('evalue')}", problems)
    expect(latency is not None and latency <= INTERRUPT_TARGET_S,
           f"interrupting {name} took {latency} s (target {INTERRUPT_TARGET_S} s)", problems)
    status, kept = k.value("kept")
    expect(status == "ok" and kept == "42", f"after interrupting {name}, `kept` gave {status} {kept!r}", problems)
    return content, outputs


def session_checks():
    """Errors, interrupts and progress on one kernel; returns a problem or None."""
    problems = []
    k = Kernel()
    try:
        # The session's first cell may end in `?` and still draw its value.
        content, outputs, _ = k.run('lines(&[Series::indexed("first", vec![1.0, 2.0])])?')
        drawn = [m for m in outputs if m["msg_type"] == "execute_result" and "application/vnd.plotly.v1+json" in m["content"]["data"]]
        expect(content["status"] == "ok" and drawn, f"a first cell ending in ? did not draw its figure: {text_of(outputs)[:200]}", problems)
        status, text = k.value("let kept = 41 + 1;\nkept")
        if (status, text) != ("ok", "42"):
            return f"the first cell gave {status} {text!r}"
        check_errors(k, problems)
        _, outputs = check_interrupt(k, "a UMAP fit on 60k points", UMAP_60K, on_display("UMAP epochs"), problems)
        status, text = k.value(TRAINER)
        expect(status == "ok", f"setting up a Trainer run failed: {text}", problems)
        content, outputs = check_interrupt(k, "a Trainer run", FIT, on_display("training curves after epoch", 4), problems)
        updates = updates_in_place(outputs)
        print(f"    the trainer's displays were updated in place up to {updates} times", flush=True)
        expect(updates >= 3, f"progress updated in place only {updates} times", problems)
        expect("the last finished" in content.get("evalue", ""), f"the trainer's interrupt did not say what it kept: {content.get('evalue')}", problems)
        status, epochs = k.value("model.history().epochs()")
        expect(status == "ok" and epochs.isdigit() and int(epochs) >= 2, f"the interrupted model's history gave {status} {epochs!r}", problems)
        content, _, latency = k.run(SPIN, trigger=after_seconds(1.0))
        print(f"    interrupt of a loop that never checks: {content.get('ename')} after {latency and round(latency, 2)} s", flush=True)
        expect(content.get("ename") == "KeyboardInterrupt" and "restarted" in content.get("evalue", "")
               and "kept" in content.get("evalue", "") and "model" in content.get("evalue", ""),
               f"interrupting a plain loop replied {content.get('ename')}: {content.get('evalue')}", problems)
        status, text = k.value("1 + 1")
        expect((status, text) == ("ok", "2"), f"after the restart, 1 + 1 gave {status} {text!r}", problems)
    finally:
        k.close()
    return "; ".join(problems) or None


def offline_check():
    """A kernel in a network namespace of its own (no network at all) runs a cell.
    Returns a problem or None."""
    if not shutil.which("unshare") or subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode != 0:
        return "cannot make a network namespace here (unshare -n)"
    from jupyter_client.kernelspec import KernelSpecManager
    spec = KernelSpecManager().get_kernel_spec(KERNEL)
    scratch = pathlib.Path(tempfile.mkdtemp(prefix="lowdim-offline-"))
    kdir = scratch / "kernels" / "rust-lowdim-offline"
    kdir.mkdir(parents=True)
    (kdir / "kernel.json").write_text(json.dumps({
        "argv": ["unshare", "-n"] + spec.argv, "display_name": "offline", "language": "rust",
        "interrupt_mode": "message", "env": spec.env}))
    try:
        with jupyter_path(scratch):
            k = Kernel("rust-lowdim-offline", transport="ipc")
        try:
            status, text = k.value("let v = ndarray::array![1.0, 2.0]; v.sum()")
            print(f"    offline kernel answered {text!r}", flush=True)
            return None if (status, text) == ("ok", "3.0") else f"the offline kernel gave {status} {text!r}"
        finally:
            k.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def time_kernel(name, first, trivial, long_cell, trigger):
    """(start → first result, median trivial cell, interrupt → reply) in seconds."""
    t0 = time.time()
    k = Kernel(name)
    try:
        k.run(first)
        start = time.time() - t0
        times = []
        for _ in range(9):
            t = time.time()
            k.run(trivial)
            times.append(time.time() - t)
        _, _, latency = k.run(long_cell, trigger=trigger)
        return start, statistics.median(times), latency
    finally:
        k.close()


def bench():
    """`bench kernel_*` lines: ours beside ipykernel in the same venv."""
    ipy = time_kernel("python3", "import numpy\n1 + 1", "1 + 1",
                      "import time\nwhile True:\n    time.sleep(0.001)", after_seconds(1.0))
    ours = time_kernel(KERNEL, "1 + 1", "1 + 1", "let kept = 1;\n" + UMAP_60K, on_display("UMAP epochs"))
    for case, o, p, target in zip(["kernel_warm_start", "kernel_trivial_cell", "kernel_interrupt"], ours, ipy, [10, 0.5, 1]):
        o_txt, p_txt = ("nan" if o is None else f"{o:.3f}"), ("nan" if p is None else f"{p:.3f}")
        ratio = "nan" if not (o and p) else f"{p / o:.2f}"
        print(f"bench {case} ours={o_txt} peer={p_txt} ratio={ratio} target_ours<={target}", flush=True)


if __name__ == "__main__":
    if "--bench" in sys.argv:
        bench()
    else:
        for check in (session_checks, offline_check):
            problem = check()
            print(f"{'FAIL' if problem else 'ok  '} {check.__name__}{': ' + problem if problem else ''}", flush=True)
