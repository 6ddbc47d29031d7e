#!/usr/bin/env bash
# The set-up behind `make lab` and `make test`. Idempotent: each step checks
# first and is skipped when its result is already there.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
source kernel/scripts/env.sh

step() { printf '==> %s\n' "$*"; }
timed() { local t0=$SECONDS; "$@"; printf '    (%ds)\n' $((SECONDS - t0)); }

# Debian packages: chromium for the browser check, mold for fast links (optional).
system_packages() {
  local need=()
  command -v mold >/dev/null 2>&1 || need+=(mold)
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  [ ${#need[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "    no apt-get: install ${need[*]} yourself (mold is optional; chromium runs the browser check)"
    return 0
  fi
  step "installing ${need[*]} (Debian packages)"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null \
    || echo "    warning: could not install ${need[*]}"
}

python_venv() {
  [ -x "$LOWDIM_VENV/bin/python" ] || { step "creating the venv $LOWDIM_VENV"; python3 -m venv "$LOWDIM_VENV"; }
  local stamp="$LOWDIM_VENV/.lowdim-requirements.txt"
  if ! cmp -s kernel/requirements.txt "$stamp"; then
    step "installing Python packages (torch 2.13.0 is ~4.7 GB: a few minutes the first time)"
    timed "$LOWDIM_VENV/bin/pip" install -q --disable-pip-version-check -r kernel/requirements.txt
    cp kernel/requirements.txt "$stamp"
  fi
}

rust_src() {
  # rust-src for the kernel's rust-analyzer; rustfmt and clippy for make test's gates.
  local installed; installed=$(rustup component list --installed 2>/dev/null)
  local missing=()
  for c in rust-src rustfmt clippy; do grep -q "^$c" <<<"$installed" || missing+=("$c"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  step "adding the rustup components ${missing[*]}"
  rustup component add "${missing[@]}"
}

kernel() {
  # Every crate of the workspace on disk once: the kernel starts with no network.
  cargo fetch --locked -q
  step "building the Jupyter kernel (the evcxr library inside: about 8 minutes on 2 cores, once)"
  timed cargo build --release --locked -q -p lowdim-kernel
  "$CARGO_TARGET_DIR/release/lowdim-kernel" install --venv "$LOWDIM_VENV"
}

# Starts the kernel once and runs a cell: the first start compiles lowdim, libtorch's
# bindings and plotly into a build directory that later starts reuse.
first_start() {
  local stamp="$LOWDIM_HOME/evcxr/.warm-$(cksum < Cargo.lock | cut -d' ' -f1)"
  [ -e "$stamp" ] && return 0
  step "starting the kernel once (a cold start compiles lowdim and its dependencies: minutes)"
  timed python kernel/scripts/check_kernel.py && touch "$stamp"
}

system_packages
python_venv
rust_src
kernel
first_start
