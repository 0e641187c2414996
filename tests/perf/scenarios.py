"""The scenarios of the benchmark and the runner that measures them on the emulator."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from tests.emulator.harness import EmulatorProcess

from . import workload

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.dirname(sys.executable)
APPLY_PLAYBOOK = os.path.join(REPO, "playbooks", "apply_pools.yml")
LOOP_PLAYBOOK = os.path.join(HERE, "playbooks", "loop.yml")
AVN_LOOP = os.path.join(HERE, "avn_loop.sh")
METHODS = ("GET", "POST", "PUT", "DELETE")
EMPTY, APPLIED = "empty", "applied"


@dataclass(frozen=True)
class Scenario:
    name: str
    tool: str            # "role", "loop" or "avn"
    needs: str           # state of the services before: EMPTY or APPLIED (the definitions in place)
    check: bool = False  # role only: --check with every pool_size changed
    what: str = ""


SCENARIOS = [
    Scenario("role_cold", "role", EMPTY, what="the role on empty services (playbooks/apply_pools.yml)"),
    Scenario("role_converged", "role", APPLIED, what="the role again, nothing to change"),
    Scenario("role_check", "role", APPLIED, check=True, what="the role with --check, every pool_size changed"),
    Scenario("loop_cold", "loop", EMPTY, what="one module call per pool, empty services"),
    Scenario("loop_converged", "loop", APPLIED, what="one module call per pool, nothing to change"),
    Scenario("avn_cold", "avn", EMPTY, what="one `avn service connection-pool-create` per pool, empty services"),
]
BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}


@dataclass
class Measurement:
    seconds: float = 0.0
    requests: Dict[str, int] = field(default_factory=dict)
    error: Optional[str] = None

    def as_json(self) -> Dict[str, Any]:
        data: Dict[str, Any] = {"seconds": round(self.seconds, 3), "requests": self.requests}
        if self.error:
            data["failed"] = self.error
        return data


class ScenarioFailed(Exception):
    pass


@contextlib.contextmanager
def _stderr_to(path: str):
    """Point file descriptor 2 at ``path`` meanwhile: a child started now writes its stderr there.

    The emulator logs to stderr (also when it stops); that would cut into the progress lines.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "a", encoding="utf-8") as log:
        os.dup2(log.fileno(), 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


class Bench:
    """Owns the emulator (memory backend) and the files the tools read; run() measures one scenario."""

    def __init__(self, pools: int, services: int, latency_ms: int, workdir: str, logdir: str, collections: str) -> None:
        self.pools = pools
        self.services = services
        self.latency_ms = latency_ms
        self.workdir = workdir
        self.logdir = logdir
        self.collections = collections
        self.definitions = workload.definitions(pools, services)
        self.emulator: Optional[EmulatorProcess] = None
        self.state = ""
        self._write_inputs()
        open(os.path.join(logdir, "emulator.log"), "w", encoding="utf-8").close()

    # -- inputs -----------------------------------------------------------------

    def _path(self, name: str) -> str:
        return os.path.join(self.workdir, name)

    def _write_inputs(self) -> None:
        with open(self._path("inventory.yml"), "w", encoding="utf-8") as handle:
            json.dump({"aiven_pools": {"hosts": {"localhost": {
                "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}, handle)
        for name, pools in (("vars.json", self.definitions), ("vars-resized.json", workload.resized(self.definitions))):
            with open(self._path(name), "w", encoding="utf-8") as handle:
                json.dump({"connection_pools_project": workload.PROJECT, "connection_pools_definitions": pools}, handle)
        with open(self._path("pools.tsv"), "w", encoding="utf-8") as handle:
            for pool in self.definitions:
                handle.write("\t".join(str(pool[key]) for key in (
                    "service_name", "pool_name", "database_name", "username", "pool_size", "pool_mode")) + "\n")

    # -- emulator ---------------------------------------------------------------

    def start(self) -> None:
        self.stop()
        self.emulator = EmulatorProcess(workload.seed(self.services), backend="memory", latency_ms=self.latency_ms)
        with _stderr_to(os.path.join(self.logdir, "emulator.log")):
            self.emulator.start()
        self.state = EMPTY

    def stop(self) -> None:
        if self.emulator is not None:
            self.emulator.stop()
            self.emulator = None

    def _prepare(self, scenario: Scenario) -> None:
        """Bring the services to the state the scenario starts from (not measured)."""
        if self.emulator is None or (scenario.needs == EMPTY and self.state != EMPTY):
            self.start()
        if scenario.needs == APPLIED and self.state != APPLIED:
            if self.state != EMPTY:
                self.start()
            code = self._execute(self._command("role", check=False), f"{scenario.name}-setup")
            if code != 0:
                raise ScenarioFailed(f"setup (the role on empty services) exited {code}")
            self.state = APPLIED

    def pool_count(self) -> int:
        assert self.emulator is not None
        total = 0
        for index in range(self.services):
            url = f"{self.emulator.url}/v1/project/{workload.PROJECT}/service/{workload.service_name(index)}"
            reply = self.emulator.session.get(url, headers={"Authorization": f"aivenv1 {workload.TOKEN}"}, timeout=60)
            reply.raise_for_status()
            total += len(reply.json()["service"].get("connection_pools") or [])
        return total

    # -- tools ------------------------------------------------------------------

    def _env(self) -> Dict[str, str]:
        assert self.emulator is not None
        env = {key: value for key, value in os.environ.items() if not key.startswith(("AIVEN_", "ANSIBLE_"))}
        env.update({
            "PATH": BIN + os.pathsep + os.environ.get("PATH", ""),
            "ANSIBLE_COLLECTIONS_PATH": self.collections,
            "ANSIBLE_LOCALHOST_WARNING": "False",
            "ANSIBLE_RETRY_FILES_ENABLED": "False",
            "ANSIBLE_NOCOLOR": "1",
            "AIVEN_TOKEN": workload.TOKEN,
            "AIVEN_AUTH_TOKEN": workload.TOKEN,
            "AIVEN_WEB_URL": self.emulator.url,
            "AIVEN_CONFIG_DIR": self._path("avn-config"),  # no user config of avn
        })
        return env

    def _command(self, tool: str, check: bool) -> List[str]:
        if tool == "avn":
            return ["bash", AVN_LOOP, workload.PROJECT, self._path("pools.tsv")]
        playbook = APPLY_PLAYBOOK if tool == "role" else LOOP_PLAYBOOK
        command = [os.path.join(BIN, "ansible-playbook"), "-i", self._path("inventory.yml"), playbook,
                   "-e", "@" + self._path("vars-resized.json" if check else "vars.json")]
        if check:
            command.append("--check")
        return command

    def _execute(self, command: List[str], log_name: str) -> int:
        with open(os.path.join(self.logdir, f"{log_name}.log"), "w", encoding="utf-8") as log:
            log.write("$ " + " ".join(command) + "\n")
            log.flush()
            return subprocess.run(command, cwd=REPO, env=self._env(), stdout=log, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, check=False).returncode

    # -- measuring --------------------------------------------------------------

    def run(self, scenario: Scenario) -> Measurement:
        measurement = Measurement()
        try:
            self._prepare(scenario)
            assert self.emulator is not None
            command = self._command(scenario.tool, scenario.check)
            self.emulator.reset_requests()
            started = time.monotonic()
            code = self._execute(command, scenario.name)
            measurement.seconds = time.monotonic() - started
            by_method = self.emulator.requests_log()["by_method"]
            measurement.requests = {method: int(by_method.get(method, 0)) for method in METHODS}
            measurement.requests.update({method: int(n) for method, n in by_method.items() if method not in METHODS})
            measurement.requests["total"] = sum(n for method, n in measurement.requests.items())
            # Whatever ran, the services now hold (or still hold) the definitions, unless it failed.
            self.state = APPLIED
            if code != 0:
                raise ScenarioFailed(f"exited {code}, see {os.path.join(self.logdir, scenario.name + '.log')}")
            found = self.pool_count()
            if found != self.pools:
                raise ScenarioFailed(f"{found} pools on the services afterwards, expected {self.pools}")
        except ScenarioFailed as exc:
            measurement.error = str(exc)
            self.state = "unknown"
        except Exception as exc:  # emulator or HTTP trouble: report it, keep the other scenarios
            measurement.error = f"{type(exc).__name__}: {exc}"
            self.state = "unknown"
        return measurement
