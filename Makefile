# Developer entry points. `make test` is what CI runs (.ci/run); `make demo` is the README's first command.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PYTEST := PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 $(VENV)/bin/pytest
EMULATOR_PORT ?= 8765
SANITY_ARGS ?=
INTEGRATION_ARGS ?=
MOLECULE_SCENARIOS ?=
BENCH_ARGS ?=

.PHONY: venv system-deps check test lint ansible-lint sanity unit emulator-test integration molecule system connection security awx docs package matrix demo bench bench-smoke emulator clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

## system-deps: Debian packages (pgbouncer, postgresql-15, ...) when missing; needs root
system-deps:
	tools/install-system-deps.sh

## check: the fast tier, about a minute: ruff, changelog lint, unit tests (quick hypothesis profile), ansible-lint
check: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/antsibull-changelog lint
	HYPOTHESIS_PROFILE=quick $(PYTEST) tests/unit -q
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/ansible-lint --profile production

## test: everything CI checks
test: lint ansible-lint sanity unit emulator-test integration molecule system connection security awx docs package matrix demo bench-smoke

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

## molecule: the role's molecule scenarios against the emulator (MOLECULE_SCENARIOS="default purge" to pick)
molecule: venv
	$(PY) tools/run-molecule.py $(MOLECULE_SCENARIOS)

## system: faults, lost replies, concurrent runs and service states through real ansible-playbook runs
system: venv
	$(PYTEST) tests/system -q

## connection: connection details (lookup connection_info) through real PgBouncer with TLS verify-full
connection: venv system-deps
	$(PYTEST) tests/connection -q

## security: TLS with a private CA (ca_path), validate_certs, secrets in diffs and errors
security: venv system-deps
	$(PYTEST) tests/security -q

## awx: the role run the way AWX runs it (ansible-runner, credential as env vars), ansible-builder introspection
awx: venv
	$(PY) tools/run-awx-job.py

## docs: the collection docs with antsibull-docs (HTML in build/docs/html), and its docs linter
docs: venv
	$(PY) tools/build-docs.py

## package: ansible-galaxy collection build, the tarball's contents, install it and run the demo from the install
package: venv system-deps
	$(PY) tools/package.py

## matrix: unit and integration tests on the floor ansible-core (2.17) in a virtualenv of its own
matrix: venv
	$(PY) tools/run-matrix.py

## demo: local emulator with real PgBouncer, playbooks/demo.yml twice (the second changes nothing)
demo: venv system-deps
	$(PY) tools/demo.py

## bench: the benchmark (numbers, not assertions), about 15 minutes; BENCH_ARGS="--pools 40 --services 4" for a quick one
bench: venv
	$(PY) -m tests.perf $(BENCH_ARGS)

## bench-smoke: baseline and the role's scenarios on a tiny workload (a rate limit that bites), so `make test` proves the script runs
bench-smoke: venv
	$(PY) -m tests.perf --pools 20 --services 2 --latency-ms 0 \
	    --scenarios baseline,role_cold,role_converged,role_check,role_cold_limited \
	    --limited-pools 20 --limited-services 2 --rate-limit 10 --rate-limit-window 2 --json build/bench-smoke.json

## emulator: serve the default seed with the PgBouncer backend until Ctrl-C
emulator: venv system-deps
	$(PY) -m tests.emulator --port $(EMULATOR_PORT) --backend pgbouncer

clean:
	rm -rf $(VENV) .venv-* build tests/output .pytest_cache .ruff_cache .ansible
