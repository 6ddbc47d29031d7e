#!/usr/bin/env bash
# `make test`: the set-up, then every gate and test, each step timed; a table of
# the steps and their minutes closes the run, and the first failing step stops it.
#   bash kernel/scripts/test.sh            every step
#   bash kernel/scripts/test.sh fmt clippy only those steps (names as in the table)
set -uo pipefail
cd "$(dirname "$0")/../.."

run_notebooks() {
  python kernel/scripts/run_notebooks.py --out "${EXECUTED:-$HOME/.cache/lowdim/executed}" \
    --fallback-check --kernel-checks --browser-check tutorials/01_first_embedding.ipynb notebooks tutorials
}

declare -A STEP=(
  [setup]="bash kernel/scripts/setup.sh"
  [fmt]="cargo fmt --all --check"
  [clippy]="cargo clippy -p lowdim --all-targets --locked -- -D warnings"
  [clippy-no-torch]="cargo clippy -p lowdim --all-targets --no-default-features --locked -- -D warnings"
  [lib-tests]="cargo test -p lowdim --locked"
  [kernel-tests]="cargo test -p lowdim-kernel --release --locked"
  [notebooks]="run_notebooks"
)
ORDER=(setup fmt clippy clippy-no-torch lib-tests kernel-tests notebooks)
[ $# -gt 0 ] && ORDER=("$@")

# Minutes since second $1 of this run, one decimal.
minutes() { awk -v s=$((SECONDS - $1)) 'BEGIN { printf "%.1f", s / 60 }'; }

rows=() status=0 start=$SECONDS
for name in "${ORDER[@]}"; do
  [ -n "${STEP[$name]:-}" ] || { echo "test.sh: no step \`$name\` (steps: ${!STEP[*]})" >&2; exit 2; }
  echo "==> $name: ${STEP[$name]}"
  t0=$SECONDS
  # setup.sh sources env.sh itself; the other steps need it in this shell.
  if [ "$name" = setup ]; then ${STEP[$name]}; else (source kernel/scripts/env.sh && eval "${STEP[$name]}"); fi
  rc=$?
  rows+=("$(printf '%-16s %6s min  %s' "$name" "$(minutes $t0)" "$([ $rc -eq 0 ] && echo ok || echo "FAILED ($rc)")")")
  [ $rc -eq 0 ] || { status=$rc; break; }
done

echo
echo "make test: time per step"
printf '%s\n' "${rows[@]}"
printf '%-16s %6s min\n' total "$(minutes $start)"
exit $status
