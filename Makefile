# Developer entry points. `make test` is what CI runs (.ci/run); `make demo` is the README's first command.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
# The emulator is a package of its own (emulator/aiven_emulator): on the path of every python run here.
PY := PYTHONPATH=$(CURDIR)/emulator $(VENV)/bin/python
PYTEST := PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 $(VENV)/bin/pytest
EMULATOR_PORT ?= 8765
SANITY_ARGS ?=
INTEGRATION_ARGS ?=
BENCH_ARGS ?=

.PHONY: venv lock check-latest nox system-deps check test lint ansible-lint collection-root sanity unit emulator-test integration molecule e2e system connection security awx docs package matrix demo bench bench-smoke emulator clean

venv: $(VENV)/.installed

# A venv is exactly its lock: made anew whenever the lock changes, installed hash-checked without
# resolving (the lock is complete), then compared with `pip freeze --all` (tests/support/locks.py).
# $(call install_lock,VENV,LOCK)
install_lock = rm -rf $(1) && $(PYTHON) -m venv $(1) && \
	$(1)/bin/pip install --quiet --require-hashes --no-deps -r $(2) && \
	$(1)/bin/python -m tests.support.locks $(2) && touch $(1)/.installed

$(VENV)/.installed: requirements/dev.txt
	$(call install_lock,$(VENV),$<)

## lock: resolve requirements/*.in into their locks (every package pinned, with hashes) with uv;
## pins already in a lock are kept unless UPGRADE=1 (then the newest that the ranges allow)
UV_COMPILE = $(VENV)/bin/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command "make lock" $(if $(UPGRADE),--upgrade)
lock: venv
	$(foreach in,$(wildcard requirements/*.in),$(UV_COMPILE) --output-file $(in:.in=.txt) $(in) &&) true

## check-latest: `make check` in a throwaway venv from requirements/dev.in without the lock: what tomorrow's
## releases break, found on purpose (not part of `make test`; the venv is build/venv-latest)
LATEST_VENV := build/venv-latest
check-latest:
	rm -rf $(LATEST_VENV)
	$(PYTHON) -m venv $(LATEST_VENV)
	$(LATEST_VENV)/bin/pip install --quiet -r requirements/dev.in
	@echo "Newer than requirements/dev.txt (a reason to run make lock UPGRADE=1 once this passes):"
	@$(LATEST_VENV)/bin/python -m tests.support.locks --report requirements/dev.txt
	touch $(LATEST_VENV)/.installed
	$(MAKE) check VENV=$(LATEST_VENV)

## system-deps: Debian packages (pgbouncer, postgresql-15, ...) when missing; needs root
system-deps:
	tools/install-system-deps.sh

# mypy.ini reads the collection as ansible_collections.dbpools.aiven from build/mypy (a symlink to this tree).
MYPY := mkdir -p build/mypy/ansible_collections/dbpools && ln -sfn $(CURDIR) build/mypy/ansible_collections/dbpools/aiven && $(VENV)/bin/mypy

## check: the fast tier, about a minute: ruff, mypy, changelog lint, unit tests (quick hypothesis profile), ansible-lint
check: venv
	$(VENV)/bin/ruff check .
	$(MYPY)
	$(VENV)/bin/antsibull-changelog lint
	HYPOTHESIS_PROFILE=quick $(PYTEST) tests/unit -q
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/ansible-lint --profile production

## test: everything that guards a release, each check once (CI runs this: .ci/run); the demo runs in `package`, from the tarball;
## the e2e suites run as one session (`e2e`), so the tarball is built once for package and awx
test: lint ansible-lint nox sanity unit emulator-test integration molecule e2e matrix bench-smoke

## lint: Python style, types of plugins/, the changelog fragments
lint: venv
	$(VENV)/bin/ruff check .
	$(MYPY)
	$(VENV)/bin/antsibull-changelog lint

## ansible-lint: production profile, from the work tree (it installs the collection into .ansible/)
ansible-lint: venv
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/ansible-lint --profile production

# ansible-test wants the collection at .../ansible_collections/dbpools/aiven and refuses a symlink: a copy.
COLLECTION_ROOT ?= build/collection/ansible_collections/dbpools/aiven
# $(call ansible_test,VENV): that venv's ansible-test in the root, the venv first on PATH (pyenv shims break it).
ansible_test = env -C $(COLLECTION_ROOT) PATH="$(CURDIR)/$(1)/bin:$$PATH" ansible-test
# $(call with_emulator,LOG): serve the integration seed while the command runs; its config goes into the root
# (it holds the token), and the command's output is scanned for secrets: at -vvvv, which prints every result with
# its invocation (masked api_token) and measured no slower than -v here (135 s against 141 s).
with_emulator = $(PY) -m tests.support.serve_emulator --seed tests/seeds/integration.yml \
	--config-vars tests/integration/emulator-vars.yml \
	--integration-config $(COLLECTION_ROOT)/tests/integration/integration_config.yml --scan-log $(1) --
INTEGRATION_TEST = integration --local --python 3.11 --color no -vvvv

## nox: antsibull-nox's extra-checks (unwanted files, the action group, whitespace) and docs-check
## (antsibull-docs lint-collection-docs), configured in antsibull-nox.toml; docs-check's venv comes from requirements/docs.txt
nox: venv
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/nox --no-color -s extra-checks docs-check
	.nox/docs-check/bin/python -m tests.support.locks requirements/docs.txt

## collection-root: copy the work tree to $(COLLECTION_ROOT), once per make run (sanity, unit, integration, matrix);
## COLLECTION_ROOT=build/OTHER/ansible_collections/dbpools/aiven gives a run a copy of its own
collection-root: venv
	tools/ansible-test-root.sh $(CURDIR)/$(COLLECTION_ROOT)

## sanity: ansible-test sanity (all tests, no ignore files) in the collection root
sanity: venv system-deps collection-root
	$(call ansible_test,$(VENV)) sanity --local --python 3.11 --color no $(SANITY_ARGS)

## unit: tests of the collection's own code, no network, with ansible-test units (make check runs them with plain pytest)
unit: venv collection-root
	$(call ansible_test,$(VENV)) units --local --python 3.11 --color no

## emulator-test: the emulator (a package of its own, emulator/) against the contract, aiven-client and real PgBouncer
emulator-test: venv system-deps
	$(PYTEST) emulator/tests -q

## integration: ansible-test integration targets against the emulator, then a secret scan of the output
integration: venv collection-root
	$(call with_emulator,build/integration.log) $(call ansible_test,$(VENV)) $(INTEGRATION_TEST) $(INTEGRATION_ARGS)

## molecule: the role's harness, its scenarios against the emulator on ansible-core 2.19 (.venv) and 2.17 (.venv-2.17)
molecule: venv .venv-2.17/.installed
	$(PYTEST) tests/molecule -q

## e2e: every suite of tests/e2e in one pytest session (the targets below run one marker each)
e2e: venv system-deps .venv-2.17/.installed
	$(PYTEST) tests/e2e -q

## system: faults, lost replies, concurrent runs and service states through real ansible-playbook runs
## (the role's booleans on ansible-core 2.17 too: hence the matrix venv)
system: venv .venv-2.17/.installed
	$(PYTEST) tests/e2e -m system -q

## connection: connection details (lookup connection_info) through real PgBouncer with TLS verify-full
connection: venv system-deps
	$(PYTEST) tests/e2e -m connection -q

## security: TLS with a private CA (ca_path), validate_certs, secrets in diffs and errors
security: venv system-deps
	$(PYTEST) tests/e2e -m security -q

## awx: the role run the way AWX runs it (ansible-runner, credential as env vars), ansible-builder introspection
awx: venv
	$(PYTEST) tests/e2e -m awx -q

## docs: the collection docs with antsibull-docs (HTML in build/docs/html), and its docs linter
docs: venv
	$(PYTEST) tests/e2e -m docs -q

## package: the release tarball in build/dist: its contents, galaxy-importer with no warning, installed offline, the demo from the install
package: venv system-deps
	$(PYTEST) tests/e2e -m package -q

## matrix: unit and integration tests on the floor ansible-core (2.17; the newest, 2.19, is .venv)
matrix: matrix-2.17

# A venv per ansible-core of the matrix, made again when its lock changes; kept after the run.
.PRECIOUS: .venv-%/.installed
.venv-%/.installed: requirements/matrix-%.txt
	$(call install_lock,.venv-$*,$<)

## matrix-VERSION: that ansible-core's venv must report it, then runs units and integration (emulator from .venv)
matrix-%: venv .venv-%/.installed collection-root
	.venv-$*/bin/ansible --version | grep '^ansible \[core $*\.'
	$(call ansible_test,.venv-$*) units --local --python 3.11 --color no
	$(call with_emulator,build/matrix-$*-integration.log) $(call ansible_test,.venv-$*) $(INTEGRATION_TEST)

## demo: local emulator with real PgBouncer, playbooks/demo.yml twice (the second changes nothing)
demo: venv system-deps
	$(PY) tools/demo.py

## bench: the benchmark (numbers, not assertions), about 15 minutes; BENCH_ARGS="--pools 40 --services 4" for a quick one
bench: venv
	$(PY) -m tests.perf $(BENCH_ARGS)

## bench-smoke: baseline and the role's scenarios on a tiny workload (a rate limit that bites), so `make test` proves the script runs
bench-smoke: venv
	$(PY) -m tests.perf --pools 20 --services 2 --latency-ms 0 \
	    --scenarios baseline,baseline_estate,role_cold,role_converged,role_converged_prerequisites,role_converged_capacity_ignored,role_check,role_cold_limited \
	    --limited-pools 20 --limited-services 2 --rate-limit 10 --rate-limit-window 2 --repeat 2 --json build/bench-smoke.json

## emulator: serve the default seed with the PgBouncer backend until Ctrl-C
emulator: venv system-deps
	$(PY) -m aiven_emulator --port $(EMULATOR_PORT) --backend pgbouncer

clean:
	rm -rf $(VENV) .venv-* .nox build tests/output .pytest_cache .ruff_cache .ansible
