"""Seeds, the emulator with its measurements, and the ansible-playbook runs of the system tests."""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

import requests

from aiven_emulator.process import EmulatorProcess
from tests.e2e.system.measure import WRITE_METHODS, Measurement
from tests.support.ansible import APPLY_POOLS, PlaybookRun, ansible_env, run_playbook

PROJECT = "system-project"
TOKEN = "system-token"
DATABASES = ["defaultdb", "appdb"]
USERS = ["avnadmin", "app"]
PLAYBOOKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "playbooks")
# One module call on one service; its outcome (without the pools) lands in a JSON file.
POOL_BATCH = os.path.join(PLAYBOOKS, "pool_batch.yml")
SETTINGS = ("database_name", "username", "pool_mode", "pool_size")


def service(name: str, state: str = "RUNNING", pools: Iterable[Mapping[str, Any]] = ()) -> Dict[str, Any]:
    """A seed service; ``pools`` in the module's terms (database_name), written in the seed's (database)."""
    seeded = []
    for pool in pools:
        entry = {key: value for key, value in pool.items() if key != "database_name" and value is not None}
        entry["database"] = pool["database_name"]
        seeded.append(entry)
    return {"name": name, "state": state, "plan": "startup-4", "databases": list(DATABASES), "users": list(USERS), "pools": seeded}


def seed(*services: Dict[str, Any]) -> Dict[str, Any]:
    return {"tokens": [TOKEN], "projects": [{"name": PROJECT, "services": list(services)}]}


def declared(definitions: Iterable[Mapping[str, Any]], service_name: Optional[str] = None) -> Dict[str, Dict[str, Any]]:
    """The present pools of role definitions (or module pools), by name, with the four settings."""
    wanted = {}
    for entry in definitions:
        if service_name is not None and entry.get("service_name", service_name) != service_name:
            continue
        if entry.get("state", "present") == "present":
            wanted[entry["pool_name"]] = {key: entry.get(key) for key in SETTINGS}
    return wanted


class RecordedEmulator(EmulatorProcess):
    """The emulator, counting every request log and fault rule into a Measurement before they are reset."""

    def __init__(self, seed_data: Dict[str, Any], measurement: Measurement, **kwargs: Any) -> None:
        super().__init__(seed_data, **kwargs)
        self.measurement = measurement
        self._verification_gets = 0

    def _collect(self) -> None:
        self.measurement.add_log(self.requests_log(), self._verification_gets)
        self._verification_gets = 0

    def reset_requests(self) -> None:
        self._collect()
        super().reset_requests()

    def faults(self) -> List[Dict[str, Any]]:
        """The fault rules with how often each fired."""
        return self._control("GET", "faults")["rules"]

    def clear_faults(self) -> None:
        self.measurement.add_faults(self.faults())
        super().clear_faults()

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._collect()
            self.measurement.add_faults(self.faults())
        super().stop()

    def pools(self, service_name: str) -> Dict[str, Dict[str, Any]]:
        """The pools of a service as the API shows them, by name (a read of the test, not counted)."""
        response = requests.get(f"{self.url}/v1/project/{PROJECT}/service/{service_name}",
                                headers={"Authorization": f"aivenv1 {TOKEN}"}, timeout=30)
        self._verification_gets += 1
        assert response.status_code == 200, f"reading {service_name}: HTTP {response.status_code}"
        return {pool["pool_name"]: {"database_name": pool["database"], "username": pool.get("username") or None,
                                    "pool_mode": pool["pool_mode"], "pool_size": pool["pool_size"]}
                for pool in response.json()["service"]["connection_pools"]}


def identities(changes: Iterable[Mapping[str, Any]]) -> List[Tuple[str, str, Any]]:
    """(pool_name, action, fields) of each entry of changes, applied, failed_changes or not_attempted."""
    return [(change["pool_name"], change["action"], change.get("fields")) for change in changes]


def counts(log: Mapping[str, Any]) -> Counter:
    """(method, status) -> number of requests."""
    return Counter((entry["method"], entry["status"]) for entry in log["log"])


def writes(log: Mapping[str, Any]) -> List[Tuple[str, str, Any]]:
    """The write requests of a log, in order: (method, last path segment, status)."""
    return [(entry["method"], entry["path"].rsplit("/", 1)[-1], entry["status"]) for entry in log["log"] if entry["method"] in WRITE_METHODS]


class Ansible:
    """ansible-playbook runs against one emulator, each recorded in the test's Measurement."""

    def __init__(self, collections_root: str, emulator: RecordedEmulator, workdir: str) -> None:
        self.env = ansible_env(collections_root, {"AIVEN_TOKEN": TOKEN, "AIVEN_WEB_URL": emulator.url})
        self.measurement = emulator.measurement
        # Results hold no secret without include_secrets: no run may print a seeded password.
        self.passwords = [password for entry in emulator.credentials["services"] for password in entry["users"].values() if password]
        self.workdir = workdir
        self._outcomes = 0

    def role(self, definitions: List[Mapping[str, Any]], label: str = "role", playbook: str = APPLY_POOLS,
             **variables: Any) -> PlaybookRun:
        """The role on ``definitions`` (project defaulted); ``variables`` are more extra vars."""
        extra = {"connection_pools_definitions": list(definitions), "connection_pools_project": PROJECT, **variables}
        run = run_playbook(playbook, self.env, extra_vars=extra)
        self.measurement.add_run(label, run)
        self.assert_no_password(run.output, label)
        return run

    def batch(self, service_name: str, pools: List[Mapping[str, Any]], label: str = "batch",
              **options: Any) -> Tuple[PlaybookRun, Dict[str, Any]]:
        """One module call with ``pools``; ``options`` are concurrency, api_retries, wait, wait_timeout, purge, allow_empty.

        Returns the run and the module's outcome without its pools (changed, changes, msg,
        failure, applied, failed_changes, not_attempted, seconds); the outcome must hold
        no password, which the call checks.
        """
        extra = {"system_service": service_name, "system_pools": list(pools)}
        return self.playbook_outcome(POOL_BATCH, label, extra, **options)

    def playbook_outcome(self, playbook: str, label: str, extra: Dict[str, Any],
                         **options: Any) -> Tuple[PlaybookRun, Dict[str, Any]]:
        """``playbook`` run with ``extra`` and each option as ``system_<option>``; it writes its module outcome to
        ``system_outcome_file``, which must hold no password (nor may the output)."""
        self._outcomes += 1
        outcome_file = os.path.join(self.workdir, f"outcome-{self._outcomes}.json")
        extra = dict(extra, system_project=PROJECT, system_outcome_file=outcome_file)
        extra.update({f"system_{key}": value for key, value in options.items()})
        run = run_playbook(playbook, self.env, extra_vars=extra)
        self.measurement.add_run(label, run)
        assert run.rc == 0 and os.path.exists(outcome_file), f"{playbook} did not finish:\n{run.output[-3000:]}"
        with open(outcome_file, encoding="utf-8") as handle:
            outcome = json.load(handle)
        self.assert_no_password(run.output + json.dumps(outcome), label)
        return run, outcome

    def assert_no_password(self, text: str, label: str) -> None:
        leaked = sum(1 for password in self.passwords if password in text)
        assert leaked == 0, f"{label}: {leaked} seeded password(s) in the output or the outcome"
