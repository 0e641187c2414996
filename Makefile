# Developer entry points. `make test` is what CI runs (.ci/run).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PYTEST := PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 $(VENV)/bin/pytest
EMULATOR_PORT ?= 8765

.PHONY: venv system-deps test unit emulator-test emulator lint clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

system-deps:
	tools/install-system-deps.sh

## unit: tests of the collection's own code, no network
unit: venv
	$(PYTEST) tests/unit -q

## emulator-test: the emulator against the contract, aiven-client and real PgBouncer
emulator-test: venv system-deps
	$(PYTEST) tests/emulator -q

lint: venv
	$(VENV)/bin/ruff check .

test: lint unit emulator-test

## emulator: serve the default seed with the PgBouncer backend until Ctrl-C
emulator: venv system-deps
	$(PY) -m tests.emulator --port $(EMULATOR_PORT) --backend pgbouncer

clean:
	rm -rf $(VENV) build tests/output .pytest_cache .ruff_cache
