# Everything runs from a project-local virtualenv that this Makefile creates.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
OUT     ?= out/demo

.PHONY: all install demo test test-fast lint typecheck bench fixtures clean chromium

all: test

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/mt5bridge demo --out $(OUT)

# The README's test command: lint and types first (both must be clean), then the suite.
test: $(STAMP) lint typecheck chromium
	$(BIN)/python -m pytest -n auto

# The browser tests drive Debian's Chromium: installed here when missing and we are root (else
# those tests skip and say why).
chromium:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "make: chromium could not be installed; the browser tests will be skipped"; }

# The suite without the slow crash, fault and real-data loops: for a developer's edit-test cycle.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -n auto -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check bridge strategies tests bench
	$(BIN)/ruff format --check bridge strategies tests bench
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

# Figures, not pass/fail (docs/performance.md); the real-data runs are in docs/results.md.
bench: $(STAMP) chromium
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python bench/side_by_side.py --runs 3
	$(BIN)/python bench/replay_throughput.py
	$(BIN)/python bench/zmq_floor.py
	$(BIN)/python bench/latency.py
	$(BIN)/python bench/dashboard_latency.py
	$(BIN)/python bench/optimize_scaling.py
	$(BIN)/python bench/sustained.py
	$(BIN)/python bench/sustained.py --transport zmtp
	$(BIN)/python bench/sustained.py --transport zmtp --recovery
	$(BIN)/python bench/memory.py
	$(BIN)/python bench/fuzz_frames.py --frames 200000
	$(BIN)/python bench/fuzz_atheris.py frames --runs 200000

fixtures: $(STAMP)
	$(BIN)/python -m bridge.data.fixturegen --out bridge/data/demo --seed 7 --days 5
	$(BIN)/python -m bridge.data.fixturegen --out fixtures/ticks_demo --seed 8 --ticks

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
