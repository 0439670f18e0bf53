# OneVisit: `make run` serves the API with demo data on the embedded database;
# `make test` runs the whole suite. Both install what they need first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
export PORT

.PHONY: install run test lint format bench bench-scale fault clean openapi

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[embedded,dev]"
	touch $(STAMP)

run: install
	$(BIN)/python -m app.launcher

test: install
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
