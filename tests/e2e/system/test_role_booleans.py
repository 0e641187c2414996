"""The role's booleans given as strings (``-e NAME=false``) mean the same on ansible-core 2.17 and 2.19.

``-e`` makes a string. ansible-core 2.17 checks the role's argument spec without converting
the value, and reads any non-empty string as true in a condition; 2.19 refuses a string in a
condition. Each test runs once per core: .venv (2.19) and .venv-2.17 (the floor, made by
``make matrix``). Every test makes fewer than 40 requests, far below the emulator's default
rate limit, so none changes it.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Sequence

import pytest

from tests.e2e.system.drive import PLAYBOOKS, PROJECT, Ansible, declared, seed, service, writes
from tests.support.ansible import APPLY_POOLS, LOCAL_INVENTORY, PlaybookRun, marked_json, write_json
from tests.support.collection import REPO_ROOT

SERVICE = "pg-bool"
DEFINITIONS = [{"service_name": SERVICE, "pool_name": "bool-pool", "database_name": "appdb", "pool_mode": "transaction", "pool_size": 7}]
SPELLINGS = os.path.join(PLAYBOOKS, "role_boolean_spellings.yml")
# Ansible's spellings of a boolean, as strings; the role must read each as Ansible does.
TRUE_SPELLINGS = ["true", "True", "TRUE", "yes", "on", "y", "t", "1"]
FALSE_SPELLINGS = ["false", "False", "no", "off", "n", "f", "0"]


@dataclass(frozen=True)
class Core:
    version: str
    bin_dir: str

    def command(self, name: str) -> str:
        return os.path.join(self.bin_dir, name)


CORES = {
    "2.19": Core("2.19", os.path.dirname(sys.executable)),
    "2.17": Core("2.17", os.path.join(REPO_ROOT, ".venv-2.17", "bin")),
}


@functools.lru_cache(maxsize=None)
def reported_version(core: Core) -> str:
    """The first line of ``ansible-playbook --version`` of that core."""
    proc = subprocess.run([core.command("ansible-playbook"), "--version"], capture_output=True, text=True, timeout=120, check=False)
    return proc.stdout.splitlines()[0] if proc.stdout else proc.stderr[-500:]


@pytest.fixture(params=sorted(CORES))
def core(request: pytest.FixtureRequest) -> Core:
    found = CORES[request.param]
    if not os.path.exists(found.command("ansible-playbook")):
        pytest.fail(f"no ansible-core {found.version} venv at {os.path.dirname(found.bin_dir)} (make .venv-2.17/.installed makes it; make system does)")
    assert f"[core {found.version}." in reported_version(found), reported_version(found)
    return found


def run_role(core: Core, ansible: Ansible, label: str, cli_vars: Sequence[str], args: Sequence[str] = (),
             playbook: str = APPLY_POOLS, extra_vars: Mapping[str, Any] | None = None) -> PlaybookRun:
    """``playbook`` with that core's ansible-playbook; ``cli_vars`` go on the command line as ``-e NAME=VALUE`` (strings)."""
    env = dict(ansible.env, PATH=core.bin_dir + os.pathsep + os.environ.get("PATH", ""))
    variables = {"connection_pools_definitions": DEFINITIONS, "connection_pools_project": PROJECT, **(extra_vars or {})}
    with tempfile.TemporaryDirectory(prefix="role-booleans-") as tmp:
        command = [core.command("ansible-playbook"), "-i", write_json(tmp, "inventory.json", LOCAL_INVENTORY), playbook, *args,
                   "-e", f"ansible_python_interpreter={core.command('python')}", "-e", "@" + write_json(tmp, "vars.json", variables)]
        for assignment in cli_vars:
            command += ["-e", assignment]
        started = time.monotonic()
        proc = subprocess.run(command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, text=True, timeout=600, check=False)
    run = PlaybookRun(rc=proc.returncode, output=proc.stdout, seconds=time.monotonic() - started)
    label = f"{label} ({core.version})"
    ansible.measurement.add_run(label, run)
    ansible.assert_no_password(run.output, label)
    return run


def test_report_only_false_applies_and_true_only_reports(core, start_emulator, ansible_for):
    emulator = start_emulator(seed(service(SERVICE)))
    ansible = ansible_for(emulator)

    report = run_role(core, ansible, "report_only=true", ["connection_pools_report_only=true"])
    assert report.rc == 0, report.output[-3000:]
    assert f"{PROJECT}/{SERVICE}: would create 1 (bool-pool)" in report.output
    assert writes(emulator.requests_log()) == [], "report only writes nothing"
    emulator.reset_requests()
    assert emulator.pools(SERVICE) == {}

    applied = run_role(core, ansible, "report_only=false", ["connection_pools_report_only=false"])
    assert applied.rc == 0, applied.output[-3000:]
    assert f"{PROJECT}/{SERVICE}: create 1 (bool-pool)" in applied.output
    assert "would create" not in applied.output
    assert [(method, status) for method, _name, status in writes(emulator.requests_log())] == [("POST", 200)]
    emulator.reset_requests()
    assert emulator.pools(SERVICE) == declared(DEFINITIONS)


def test_every_spelling_of_report_only_means_what_ansible_says(core, start_emulator, ansible_for):
    # The pool exists with another size: the first run that applies writes once, the others report or find nothing to do.
    emulator = start_emulator(seed(service(SERVICE, pools=[dict(DEFINITIONS[0], pool_size=3)])))
    ansible = ansible_for(emulator)
    spellings = TRUE_SPELLINGS + FALSE_SPELLINGS
    run = run_role(core, ansible, "spellings", [], playbook=SPELLINGS, extra_vars={"system_spellings": spellings})
    assert run.rc == 0, run.output[-3000:]
    outcomes: List[Dict[str, Any]] = marked_json(run.output, "SPELLINGS")
    assert outcomes == [{"spelling": spelling, "report_only": spelling in TRUE_SPELLINGS} for spelling in spellings]
    assert [method for method, _name, _status in writes(emulator.requests_log())] == ["PUT"], "one update, by the first false spelling"
    emulator.reset_requests()
    assert emulator.pools(SERVICE) == declared(DEFINITIONS)


def test_the_other_booleans_from_strings(core, start_emulator, ansible_for):
    # -vvv prints each task's result (at -v and -vv the role hides the module's, which grows with the estate), or that
    # no_log hid it.
    emulator = start_emulator(seed(service(SERVICE)))
    ansible = ansible_for(emulator)
    falsy = ["connection_pools_wait=no", "connection_pools_include_secrets=false", "connection_pools_no_log=off", "connection_pools_validate_certs=0"]
    visible = run_role(core, ansible, "false strings", falsy, args=["-vvv"])
    assert visible.rc == 0, visible.output[-3000:]
    assert f"{PROJECT}/{SERVICE}: create 1 (bool-pool)" in visible.output
    assert "validate_certs is false" in visible.output, "validate_certs=0 reaches the module as false"
    assert '"by_name"' in visible.output, "no_log=off shows the module's result"
    at_v = run_role(core, ansible, "false strings at -v", falsy, args=["-v"])
    assert at_v.rc == 0 and '"by_name"' not in at_v.output, "-v hides the module's result"
    assert "validate_certs is false" in at_v.output, "the module's warnings show at -v although its result is hidden"
    emulator.reset_requests()

    # include_secrets "yes": the results hold passwords, and connection_pools_no_log (its default follows) hides them.
    hidden = run_role(core, ansible, "true strings", ["connection_pools_include_secrets=yes", "connection_pools_validate_certs=on"],
                      args=["-vvv"])
    assert hidden.rc == 0, hidden.output[-3000:]
    assert '"by_name"' not in hidden.output, "no_log (following include_secrets=yes) hides the module's result"
    assert "validate_certs is false" not in hidden.output
    assert [entry["path"] for entry in emulator.requests_log()["log"]] == [f"/v1/project/{PROJECT}/service/{SERVICE}"], (
        "with secrets the role reads the declared service itself")


def test_a_value_that_is_no_boolean_fails_before_any_request(core, start_emulator, ansible_for):
    emulator = start_emulator(seed(service(SERVICE)))
    ansible = ansible_for(emulator)
    refused = run_role(core, ansible, "maybe", ["connection_pools_report_only=maybe"])
    assert refused.rc != 0 and refused.recap()["failed"] == 1
    # ansible-core's argument spec check names the variable (2.17 writes the type as <class 'str'>).
    assert "argument 'connection_pools_report_only' is of type" in refused.output
    assert "The value 'maybe' is not a valid boolean" in refused.output
    assert emulator.requests_log()["log"] == []

    # Without that check (its tag is always), the role's own check names the variable.
    skipped = run_role(core, ansible, "maybe, spec skipped", ["connection_pools_no_log=maybe"], args=["--skip-tags", "always"])
    assert skipped.rc != 0 and skipped.recap()["failed"] == 1
    message = ('role dbpools.aiven.connection_pools: connection_pools_no_log must be a boolean (true or false; yes/no, on/off, 1/0 also work), '
               'got \\"maybe\\"')
    assert message in skipped.output, skipped.output[-3000:]
    assert emulator.requests_log()["log"] == []
