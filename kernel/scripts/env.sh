# Sourced by the Makefile: the environment every lowdim build, test and kernel shares.
# Caches live outside the clone (CI clones afresh; a cold workspace target/ costs minutes).
export LOWDIM_HOME="${LOWDIM_HOME:-$HOME/.cache/lowdim}"
# The checkout this file belongs to: the kernel registered from here `:dep`s its lib/.
LOWDIM_WORKSPACE="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export LOWDIM_WORKSPACE
export LOWDIM_VENV="${LOWDIM_VENV:-$LOWDIM_HOME/venv}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$LOWDIM_HOME/target}"
export PATH="$LOWDIM_VENV/bin:$HOME/.cargo/bin:$PATH"
# tch's build script asks the venv's python where torch lives.
export LIBTORCH_USE_PYTORCH=1
if [ -x "$LOWDIM_VENV/bin/python" ]; then
  _torch_lib="$(ls -d "$LOWDIM_VENV"/lib/python3*/site-packages/torch/lib 2>/dev/null | head -n 1)"
  [ -n "$_torch_lib" ] && export LD_LIBRARY_PATH="$_torch_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  unset _torch_lib
fi
if command -v mold >/dev/null 2>&1; then
  export CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS="-C link-arg=-fuse-ld=mold"
fi
