"""`make bench`: ours and the Python peer on the same data in one run.

Prints one line per case:
  bench <case> ours=<s> peer=<s> ratio=<peer/ours> quality_ours=<x> quality_peer=<y> peak_mb_ours=<m> peak_mb_peer=<m>
ratio > 1 means ours is faster. These machines are noisy: read ratios, not seconds.

The kernel cases (`kernel_warm_start`, `kernel_trivial_cell`, `kernel_interrupt`) start
the rust-lowdim kernel and ipykernel from the same venv (kernel/scripts/kernel_checks.py).

usage: run.py BENCH_BINARY [CASE ...]
"""
import json
import pathlib
import subprocess
import sys
import tempfile

CASES = ["umap_mnist1d_10k", "umap_synth_60k", "umap_transform_1", "umap_transform_1000", "knn_synth_60k",
         "mle_10k_100", "twonn_10k_100", "tsne_5k", "ksubspaces_20k", "spectral_clustering_20k", "leverage_20k",
         "isomap_5k", "spectral_5k", "lle_5k", "kpca_5k", "mnist1d_cnn_6000", "mnist1d_mlp_6000",
         "soft_emlp_epoch", "equiv_projectors_inertia", "molrg_train_1000", "ddim_10k"]
KERNEL_CASES = ["kernel_warm_start", "kernel_trivial_cell", "kernel_interrupt"]
HERE = pathlib.Path(__file__).resolve().parent


def one(cmd):
    out = subprocess.run(cmd, capture_output=True, text=True)
    lines = out.stdout.strip().splitlines()
    if out.returncode != 0 or not lines:
        why = "failed" if out.returncode != 0 else "printed no result"
        raise RuntimeError(f"{' '.join(map(str, cmd))} {why}:\n{out.stderr[-2000:]}")
    return json.loads(lines[-1])


def main():
    binary, cases = sys.argv[1], sys.argv[2:] or CASES + KERNEL_CASES
    if any(c in KERNEL_CASES for c in cases):
        sys.path.insert(0, str(HERE.parent.parent / "kernel" / "scripts"))
        import kernel_checks
        kernel_checks.bench()
        cases = [c for c in cases if c not in KERNEL_CASES]
        if not cases:
            return 0
    data = pathlib.Path(tempfile.mkdtemp(prefix="lowdim-bench-"))
    subprocess.run([binary, "prepare", str(data)], check=True)
    failed = 0
    for case in cases:
        try:
            ours = one([binary, "run", case, str(data)])
            peer = one([sys.executable, str(HERE / "peers.py"), case, str(data)])
        except RuntimeError as e:
            failed += 1
            print(f"bench {case} FAILED: {e}", flush=True)
            continue
        ratio = peer["seconds"] / ours["seconds"]
        print(f"bench {case} ours={ours['seconds']:.4g} peer={peer['seconds']:.4g} ratio={ratio:.2f} "
              f"quality_ours={ours['quality']:.4f} quality_peer={peer['quality']:.4f} "
              f"peak_mb_ours={ours['peak_mb']:.0f} peak_mb_peer={peer['peak_mb']:.0f}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
