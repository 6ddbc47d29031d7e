# lowdim: the two commands of the README, and a few helpers.
#   make lab    set up what is missing, register the kernel, open JupyterLab on the tutorials
#   make test   the same set-up, then every Rust test and every notebook through the real kernel
SHELL := /bin/bash
ENV := source kernel/scripts/env.sh &&
EXECUTED ?= $(HOME)/.cache/lowdim/executed
LAB_PORT ?= 8888

.PHONY: setup lab test test-rust test-notebooks doctor bench

setup:
	@bash kernel/scripts/setup.sh

lab: setup
	@$(ENV) if [ -z "$${DISPLAY:-}$${BROWSER:-}" ]; then nobrowser=--no-browser; fi; \
	  echo "==> JupyterLab on http://127.0.0.1:$(LAB_PORT)/lab/tree/tutorials (the URL with its token follows)"; \
	  jupyter lab --ip=127.0.0.1 --port=$(LAB_PORT) $$nobrowser $$( [ "$$(id -u)" -eq 0 ] && echo --allow-root ) \
	    --ServerApp.root_dir="$(CURDIR)" --LabApp.default_url=/lab/tree/tutorials

# Each step is timed; a table of the steps closes the run (kernel/scripts/test.sh).
# Format and lints come first (they fail in seconds). Without the torch feature
# only the deep modules drop out, so a lint pass over that build checks it; its
# tests are the default build's. The kernel's tests build in release, on the
# dependencies (the evcxr library) its binary already compiled there.
test:
	@EXECUTED="$(EXECUTED)" bash kernel/scripts/test.sh

test-rust: setup
	@bash kernel/scripts/test.sh fmt clippy clippy-no-torch lib-tests kernel-tests

test-notebooks: setup
	@EXECUTED="$(EXECUTED)" bash kernel/scripts/test.sh notebooks

doctor:
	@$(ENV) "$$CARGO_TARGET_DIR/release/lowdim-kernel" doctor

# Side-by-side benchmarks: ours and the Python peer on the same data, one line per case.
bench: setup
	@$(ENV) stamp="$$LOWDIM_VENV/.lowdim-bench-requirements.txt"; \
	  cmp -s lib/benches/requirements.txt "$$stamp" || { pip install -q -r lib/benches/requirements.txt && cp lib/benches/requirements.txt "$$stamp"; }
	@$(ENV) bin=$$(cargo bench -p lowdim --bench side_by_side --no-run --message-format=json 2>/dev/null \
	  | python -c 'import json,sys; print([m["executable"] for m in map(json.loads, sys.stdin) if m.get("executable")][-1])') \
	  && python lib/benches/run.py "$$bin" $(CASES)
