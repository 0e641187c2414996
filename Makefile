# Developer entry points. `make test` is what CI runs (.ci/run); `make demo` is the README's first command.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PYTEST := PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 $(VENV)/bin/pytest
EMULATOR_PORT ?= 8765
SANITY_ARGS ?=
INTEGRATION_ARGS ?=

.PHONY: venv system-deps test lint ansible-lint sanity unit emulator-test integration emulator clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

## system-deps: Debian packages (pgbouncer, postgresql-15, ...) when missing; needs root
system-deps:
	tools/install-system-deps.sh

## test: everything CI checks
test: lint ansible-lint sanity unit emulator-test integration

## lint: Python style and the changelog fragments
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/antsibull-changelog lint

## ansible-lint: production profile, from the work tree (it installs the collection into .ansible/)
ansible-lint: venv
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/ansible-lint --profile production

## sanity: ansible-test sanity (all tests, no ignore files) on a copy of the work tree
sanity: venv system-deps
	tools/ansible-test-env.sh sanity --local --python 3.11 --color no $(SANITY_ARGS)

## unit: tests of the collection's own code, no network
unit: venv
	$(PYTEST) tests/unit -q

## emulator-test: the emulator against the contract, aiven-client and real PgBouncer
emulator-test: venv system-deps
	$(PYTEST) tests/emulator -q

## integration: ansible-test integration targets against the emulator, then a secret scan of the -vvvv output
integration: venv
	$(PY) tools/run-integration.py $(INTEGRATION_ARGS)

## emulator: serve the default seed with the PgBouncer backend until Ctrl-C
emulator: venv system-deps
	$(PY) -m tests.emulator --port $(EMULATOR_PORT) --backend pgbouncer

clean:
	rm -rf $(VENV) build tests/output .pytest_cache .ruff_cache .ansible
