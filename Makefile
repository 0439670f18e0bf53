# OneVisit: `make run` serves the API with demo data on the embedded database;
# `make test` runs the whole suite. Both install what they need first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
# Two test processes, each with its own embedded database server (sized for 2-core CI).
PYTEST_ARGS ?= -n 2
export PORT

.PHONY: install clients run test lint format bench bench-scale fault slow-clients clean openapi

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[embedded,dev]"
	touch $(STAMP)

# The client contract tools (tests/contract): openapi-typescript, openapi-fetch, tsc and
# Redocly CLI at the versions pinned in clients/typescript/package-lock.json.
CLIENTS_STAMP := clients/typescript/node_modules/.installed

clients: $(CLIENTS_STAMP)

$(CLIENTS_STAMP): clients/typescript/package.json clients/typescript/package-lock.json
	cd clients/typescript && npm ci --no-audit --no-fund --loglevel=error
	touch $(CLIENTS_STAMP)

run: install
	$(BIN)/python -m app.platform.launcher

test: install clients
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

openapi: install
	ONEVISIT_ENV=development $(BIN)/flask --app wsgi openapi write --format=json openapi.json

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# Measurements, not tests: each prints figures (see docs/benchmarks.md). A few minutes each.
BENCH_INSTALL := $(VENV)/.installed-bench

$(BENCH_INSTALL): $(STAMP)
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[embedded,dev,bench]"
	touch $(BENCH_INSTALL)

bench: $(BENCH_INSTALL)
	$(BIN)/python -m bench.run_bench

bench-scale: $(BENCH_INSTALL)
	$(BIN)/python -m bench.scale

fault: $(BENCH_INSTALL)
	$(BIN)/python -m bench.fault

# 500 idle or trickling connections against a running `make run` (on $$PORT); prints the
# latency of /healthz and a login meanwhile (docs/operations.md, "Slow clients").
slow-clients: install
	$(BIN)/python -m bench.slow_clients --port $(PORT) --connections 500 --seconds 8
