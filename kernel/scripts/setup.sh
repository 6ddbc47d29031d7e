#!/usr/bin/env bash
# The set-up behind `make lab` and `make test`. Idempotent: each step checks
# first and is skipped when its result is already there.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
source kernel/scripts/env.sh
EVCXR_VERSION=0.22.0

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
  rustup component list --installed 2>/dev/null | grep -q '^rust-src' && return 0
  step "adding the rust-src component"
  rustup component add rust-src
}

evcxr() {
  cargo install --list | grep -qx "evcxr_jupyter v$EVCXR_VERSION:" && return 0
  step "building evcxr_jupyter $EVCXR_VERSION (about 8 minutes on 2 cores, once)"
  timed cargo install evcxr_jupyter --locked --version "$EVCXR_VERSION"
}

kernel() {
  # Every crate of the workspace on disk once, so later builds need no network.
  cargo fetch --locked -q
  step "registering the Jupyter kernel rust-lowdim"
  cargo build --release --locked -q -p lowdim-kernel
  "$CARGO_TARGET_DIR/release/lowdim-kernel" install --venv "$LOWDIM_VENV"
}

system_packages
python_venv
rust_src
evcxr
kernel
