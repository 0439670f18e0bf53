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

.PHONY: install clients console run test test-slow lint format bench bench-scale fault fuzz slow-clients clean openapi translations

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

# The supervision console (/console/, blueprints/console.py): console/src bundled with Chart.js
# by esbuild, at the versions pinned in console/package-lock.json, into app/console_static/
# (not committed: built from source here, and in the Docker image's build stage).
CONSOLE_OUT := app/console_static/index.html
CONSOLE_NPM := console/node_modules/.installed

# Without npm the API still runs: /console/ then answers 503 saying to run `make console`.
console:
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory $(CONSOLE_OUT); \
	else echo "npm not found: the console is not built (/console/ answers 503 until it is)"; fi

$(CONSOLE_NPM): console/package.json console/package-lock.json
	cd console && npm ci --no-audit --no-fund --loglevel=error
	touch $(CONSOLE_NPM)

$(CONSOLE_OUT): $(CONSOLE_NPM) console/build.mjs $(wildcard console/src/*)
	cd console && npm run --silent build

run: install console
	$(BIN)/python -m app.platform.launcher

# `make test` (under ten minutes on 2 cores) leaves out the tests marked slow: whole processes
# (gunicorn, `make run`, nginx, Locust), the browser, the generated clients and the bounded
# fuzz run (tests/conftest.py SLOW_PATHS). `make test-slow` runs those; `.ci/run` runs both.
test: install clients console
	$(BIN)/python -m pytest $(PYTEST_ARGS) -m "not slow" --durations=15

test-slow: install clients console
	$(BIN)/python -m pytest $(PYTEST_ARGS) -m slow --durations=15

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

openapi: install
	ONEVISIT_ENV=development $(BIN)/flask --app wsgi openapi write --format=json openapi.json

# Message catalogues (docs/operations.md, "Languages"): extract the English messages of the
# code into app/translations/messages.pot, merge them into each .po, compile the .mo files.
# The .mo files are committed (the app and the Docker image read them without a build step);
# tests/test_languages.py fails when a .po and its .mo disagree or a message lacks Chinese.
translations: install
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output --width 100 \
		--project OneVisit --copyright-holder "OneVisit maintainers" --msgid-bugs-address "" \
		-o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --width 100 \
		--no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d app/translations --statistics

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

# schemathesis with every check and every phase (stateful included), once per role, against
# a production-like stack; fixed seed (FUZZ_SEED), prints a replay line per role. Fails on any
# failure. ~25 examples per operation (FUZZ_EXAMPLES). Several minutes: docs/benchmarks.md.
FUZZ_EXAMPLES ?= 25
FUZZ_SEED ?= 20261202
# FUZZ_JOBS: roles run side by side (processes); FUZZ_WORKERS: schemathesis threads per role
# (1: two race CPython's AST counter inside hypothesis); FUZZ_BUDGET: seconds per role.
FUZZ_JOBS ?= 1
FUZZ_WORKERS ?= 1
FUZZ_BUDGET ?= 3000
fuzz: install
	$(BIN)/python -m bench.fuzz --examples $(FUZZ_EXAMPLES) --seed $(FUZZ_SEED) \
		--jobs $(FUZZ_JOBS) --workers $(FUZZ_WORKERS) --budget $(FUZZ_BUDGET) \
		$(if $(FUZZ_ROLES),--roles $(FUZZ_ROLES)) $(if $(FUZZ_KEEP),--keep)

# 500 idle or trickling connections against a running `make run` (on $$PORT); prints the
# latency of /healthz and a login meanwhile (docs/operations.md, "Slow clients").
# TOPOLOGY=nginx starts nginx (deploy/nginx.conf) in front of gunicorn itself and measures that.
TOPOLOGY ?= running
slow-clients: install
	$(BIN)/python -m bench.slow_clients --topology $(TOPOLOGY) --port $(PORT) --connections 500 --seconds 8
