# The two commands: `make run` (the embedded demo) and `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test venv lint format typecheck migrations migrations-check bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/recall demo

# SQLite + embedded Redis always; PostgreSQL/Redis too (side by side) when their URLs are set.
test: $(STAMP)
	bash .ci/suites $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(STAMP)
	$(BIN)/mypy

# Generate a migration from table changes (auto migrations need PostgreSQL).
migrations: $(STAMP)
	bash .ci/migrations new

migrations-check: $(STAMP)
	bash .ci/migrations check

# Benchmarks against the machine's PostgreSQL and Redis (not part of `make test`).
bench: $(STAMP)
	$(BIN)/python -m tests.benchmarks $(BENCH)

clean:
	rm -rf $(VENV) .recall .pytest_cache .mypy_cache .ruff_cache
