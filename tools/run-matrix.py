#!/usr/bin/env python
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the unit and integration suites on other ansible-core versions, each in a virtualenv of its own.

    .venv/bin/python tools/run-matrix.py [--versions 2.17 [2.19]]

By default only the floor, 2.17 (meta/runtime.yml: requires_ansible ">=2.17.0"): the newest
that installs on Python 3.11, 2.19, is the main .venv, whose suites `make unit` and
`make integration` run already (``--versions 2.17 2.19`` runs both here).

For each version:
1. its virtualenv: .venv-2.17 is made with python3.11 (or $PYTHON) from
   requirements-matrix-2.17.txt, and made again only when that file changed (the stamp
   .venv-2.17/.installed holds the file's hash); 2.19 is .venv, which `make venv` keeps;
2. ``ansible --version`` of that virtualenv, which must report that version;
3. at the same time (units use the CPU, integration mostly waits on ansible processes):
   ``pytest tests/unit`` and tools/run-integration.py, both with that virtualenv's Python;
   the integration copy, config and log go to build/matrix-<version>/, so a concurrent
   ``make integration`` (build/ansible_collections) is not disturbed.

Prints a table (version, unit counts, integration result, seconds) and exits non-zero when
a virtualenv cannot be made, reports another version, or a suite fails. Logs:
build/matrix-<version>/{install,unit,integration-output,integration-summary}.log and unit.xml (JUnit).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from toolkit import echo  # noqa: E402

STAMP = ".installed"
# The lines of run-integration.py's console worth keeping apart from its full log.
SUMMARY_LINES = ("run-integration: ", "ad-hoc: ", "FATAL: ", "NOTICE: ", "Running ")


@dataclass(frozen=True)
class Core:
    """One ansible-core version and the virtualenv that has it."""

    version: str
    venv: str
    requirements: str | None  # None: the main .venv, made by `make venv`

    @property
    def python(self) -> str:
        return os.path.join(REPO, self.venv, "bin", "python")

    @property
    def build(self) -> str:
        return os.path.join(REPO, "build", f"matrix-{self.version}")


CORES = {
    "2.17": Core("2.17", ".venv-2.17", "requirements-matrix-2.17.txt"),
    "2.19": Core("2.19", ".venv", None),
}


@dataclass
class Outcome:
    """What one version's run found; ``problems`` empty means it passed."""

    core: Core
    installed: str = "?"
    unit_passed: int = 0
    unit_failed: int = 0
    unit_seconds: float = 0.0
    integration: str = "not run"
    integration_seconds: float = 0.0
    problems: list = field(default_factory=list)


def log(message: str) -> None:
    echo(f"run-matrix: {message}\n")


def file_hash(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def ensure_venv(core: Core) -> str | None:
    """Make the virtualenv when missing or out of date; returns a problem, or None."""
    if core.requirements is None:
        return None if os.path.exists(core.python) else f"{core.venv} is missing: run `make venv`"
    venv = os.path.join(REPO, core.venv)
    stamp = os.path.join(venv, STAMP)
    wanted = file_hash(os.path.join(REPO, core.requirements))
    if os.path.exists(core.python) and os.path.exists(stamp):
        with open(stamp, encoding="utf-8") as handle:
            if handle.read().strip() == wanted:
                log(f"{core.venv} is up to date with {core.requirements}")
                return None
    log(f"making {core.venv} from {core.requirements} (log: {os.path.relpath(core.build, REPO)}/install.log)")
    started = time.monotonic()
    shutil.rmtree(venv, ignore_errors=True)
    os.makedirs(core.build, exist_ok=True)
    interpreter = os.environ.get("PYTHON", "python3.11")
    with open(os.path.join(core.build, "install.log"), "w", encoding="utf-8") as out:
        for command in ([interpreter, "-m", "venv", venv],
                        [core.python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r",
                         os.path.join(REPO, core.requirements)]):
            out.write(f"$ {' '.join(command)}\n")
            out.flush()
            if subprocess.run(command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, check=False).returncode != 0:
                return f"could not make {core.venv}: see {os.path.relpath(out.name, REPO)}"
    # Written last: an interrupted install is redone next time.
    with open(stamp, "w", encoding="utf-8") as handle:
        handle.write(wanted + "\n")
    log(f"{core.venv} made in {time.monotonic() - started:.0f} s")
    return None


def ansible_version(core: Core) -> str:
    """The first line of that virtualenv's ``ansible --version``, echoed with its paths."""
    proc = subprocess.run([os.path.join(REPO, core.venv, "bin", "ansible"), "--version"], cwd=REPO,
                          capture_output=True, text=True, check=False)
    lines = proc.stdout.splitlines()
    for line in lines[:1] + [line for line in lines if "python version" in line or "executable location" in line]:
        log(f"{core.venv}: {line.strip()}")
    return lines[0] if lines else f"ansible --version failed: {proc.stderr.strip()}"


def run_to_log(command: list, log_file: str, env: dict) -> tuple:
    """Run ``command`` with its output in ``log_file``; returns (exit code, seconds)."""
    started = time.monotonic()
    with open(log_file, "w", encoding="utf-8") as out:
        out.write(f"$ {' '.join(command)}\n")
        out.flush()
        code = subprocess.run(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, check=False).returncode
    return code, time.monotonic() - started


def unit_suite(core: Core) -> tuple:
    xml = os.path.join(core.build, "unit.xml")
    if os.path.exists(xml):
        os.remove(xml)
    # No cache folder in the work tree: another version's pytest may run at the same time.
    command = [core.python, "-m", "pytest", "tests/unit", "-q", "-p", "no:cacheprovider", f"--junitxml={xml}"]
    env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    return run_to_log(command, os.path.join(core.build, "unit.log"), env)


def integration_suite(core: Core) -> tuple:
    """tools/run-integration.py; its own lines only in integration-summary.log (the full output is its log)."""
    command = [core.python, os.path.join(REPO, "tools", "run-integration.py"), "--build-dir", core.build]
    started = time.monotonic()
    with open(os.path.join(core.build, "integration-summary.log"), "w", encoding="utf-8") as out:
        proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith(SUMMARY_LINES):
                out.write(line)
        code = proc.wait()
    return code, time.monotonic() - started


def unit_counts(core: Core) -> tuple:
    """(passed, failed, ids of the failed tests) from pytest's JUnit report."""
    xml = os.path.join(core.build, "unit.xml")
    if not os.path.exists(xml):
        return 0, 0, []
    passed = failed = 0
    failed_ids = []
    for case in ET.parse(xml).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
            failed_ids.append(f"{case.get('classname')}::{case.get('name')}")
        elif case.find("skipped") is None:
            passed += 1
    return passed, failed, failed_ids


def integration_failures(core: Core) -> list:
    """run-integration.py's own FAILED lines (which target, ad-hoc check or secret scan)."""
    console = os.path.join(core.build, "integration-summary.log")
    with open(console, encoding="utf-8", errors="replace") as handle:
        return [line.strip() for line in handle if line.startswith("run-integration: FAILED: ")]


def run_core(core: Core) -> Outcome:
    outcome = Outcome(core)
    problem = ensure_venv(core)
    if problem:
        outcome.problems.append(problem)
        return outcome
    outcome.installed = ansible_version(core)
    if f"[core {core.version}." not in outcome.installed:
        outcome.problems.append(f"{core.venv} reports {outcome.installed!r}, not ansible-core {core.version}")
        return outcome
    os.makedirs(core.build, exist_ok=True)
    log(f"{core.version}: unit and integration suites started (logs in {os.path.relpath(core.build, REPO)}/)")
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        unit = pool.submit(unit_suite, core)
        integration = pool.submit(integration_suite, core)
        (unit_code, outcome.unit_seconds), (integration_code, outcome.integration_seconds) = unit.result(), integration.result()

    outcome.unit_passed, outcome.unit_failed, failed_ids = unit_counts(core)
    if unit_code != 0:
        outcome.problems.append(f"unit: pytest exited {unit_code}, {outcome.unit_failed} failed"
                                f" (see {os.path.relpath(core.build, REPO)}/unit.log)")
        outcome.problems += [f"unit: {test_id}" for test_id in failed_ids[:20]]
    outcome.integration = "passed" if integration_code == 0 else "FAILED"
    if integration_code != 0:
        outcome.problems.append(f"integration: exit {integration_code}"
                                f" (see {os.path.relpath(core.build, REPO)}/integration-output.log)")
        outcome.problems += [f"integration: {line}" for line in integration_failures(core)]
    return outcome


def table(outcomes: list) -> str:
    header = ("ansible-core", "unit passed", "unit failed", "unit s", "integration", "integration s")
    rows = [header]
    for outcome in outcomes:
        installed = outcome.installed.split("[core ", 1)[-1].rstrip("]") if "[core " in outcome.installed else outcome.core.version
        rows.append((installed, str(outcome.unit_passed), str(outcome.unit_failed), f"{outcome.unit_seconds:.0f}",
                     outcome.integration, f"{outcome.integration_seconds:.0f}"))
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--versions", nargs="+", choices=sorted(CORES), default=["2.17"],
                        help="ansible-core versions to run (default: 2.17; 2.19 is the main .venv)")
    args = parser.parse_args()

    started = time.monotonic()
    outcomes = []
    for version in args.versions:
        outcomes.append(run_core(CORES[version]))
    if "2.19" not in args.versions and os.path.exists(CORES["2.19"].python):
        log("2.19 runs in `make unit` and `make integration`; its virtualenv:")
        ansible_version(CORES["2.19"])

    echo("\n" + table(outcomes) + "\n\n")
    problems = [f"{outcome.core.version}: {problem}" for outcome in outcomes for problem in outcome.problems]
    for problem in problems:
        log(f"FAILED: {problem}")
    log(f"{'FAILED' if problems else 'passed'} in {time.monotonic() - started:.0f} s")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
