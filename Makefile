# Everything runs from a project-local virtualenv that this Makefile creates.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
OUT     ?= out/demo

.PHONY: all install demo test lint typecheck check bench fixtures clean

all: test

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/mt5bridge demo --out $(OUT)

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check bridge strategies tests bench
	$(BIN)/ruff format --check bridge strategies tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

fixtures: $(STAMP)
	$(BIN)/python -m bridge.fixturegen --out fixtures/demo --seed 7 --days 5

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
