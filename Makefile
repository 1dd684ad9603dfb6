# Tidemill: `make run` to try it, `make test` to run every test against real services.
SHELL := /bin/bash
PY ?= python3
UV := $(shell command -v uv 2>/dev/null)
VENV := .venv
BIN := $(VENV)/bin
DATA ?= ./data

.PHONY: venv run test services conformance bench check fmt lint types clean fidelity console

$(BIN)/tidemill: pyproject.toml uv.lock
	@if [ -z "$(UV)" ]; then $(PY) -m pip install --quiet uv; fi
	uv sync --frozen --quiet
	@touch $@

venv: $(BIN)/tidemill

## run: set up and start the service on embedded defaults (SQLite, local data dir)
run: venv
	@$(BIN)/python -m tidemill demo --data-dir $(DATA)

## services: install the real servers the tests use (PostgreSQL, Go) when missing
services:
	@scripts/install-services.sh

## test: everything — unit, store (SQLite + PostgreSQL), API, CLI and Go conformance
test: venv services
	$(BIN)/pytest -q -p no:cacheprovider
	bash conformance/run.sh

conformance: venv
	bash conformance/run.sh

## bench: the performance figures (API throughput and latency, scheduler fire lag and idle CPU)
bench: venv services
	$(BIN)/python bench/run.py
	$(BIN)/python bench/exports.py
	$(BIN)/python bench/scheduler.py
	$(BIN)/python bench/hdfs.py
	$(BIN)/python bench/cdn_logs.py
	$(BIN)/python bench/backfill.py
	$(BIN)/python bench/spark.py
	$(BIN)/python bench/spark_spill.py
	TIDEMILL_TEST_MULTI_NODE_SPARK=1 $(BIN)/pytest -q -p no:cacheprovider -s tests/runner/test_multi_node_spark.py

## console: rebuild the web console's assets (src/tidemill/console/static) from console/ with npm
console:
	cd console && npm ci --no-audit --no-fund && npm test && npm run build

fmt: venv
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

lint: venv
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench

types: venv
	$(BIN)/mypy

## fidelity: Spark answers for cases that have none (real Spark), then the parity report
## (docs/spark-fidelity.md); fails while a case is different, unnamed, invalid or unrecorded;
## then the whole corpus on the Spark engine (make test runs 3 cases of each category there)
fidelity: venv
	-$(BIN)/python -m tests.fidelity record --missing
	$(BIN)/python -m tests.fidelity report
	TIDEMILL_FIDELITY_SPARK=all $(BIN)/pytest -q -p no:cacheprovider tests/fidelity/test_spark_engine.py

## check: format, lint, types, import layers, tests
check: lint types
	$(BIN)/lint-imports
	$(MAKE) test

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
