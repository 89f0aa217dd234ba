# `make run` and `make test` work on a fresh clone: each creates .venv and installs the
# project (with its dev extra) when that has not been done for the current pyproject.toml.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint benchmark ui clean-state

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/forecasting run

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check forecasting models tests benchmarks scripts

benchmark: $(STAMP)
	$(BIN)/python benchmarks/backtest_speed.py

ui: $(STAMP)
	$(BIN)/forecasting ui

clean-state:
	rm -rf .state mlruns/mlflow.db mlruns/artifacts
