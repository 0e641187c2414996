"""The scenarios of the benchmark and the runner that measures them on the emulator."""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from aiven_emulator.process import EmulatorProcess
from tests.support.ansible import ansible_env
from tests.support.collection import REPO_ROOT

from . import workload

REPO = REPO_ROOT
HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.dirname(sys.executable)
APPLY_PLAYBOOK = os.path.join(REPO, "playbooks", "apply_pools.yml")
LOOP_PLAYBOOK = os.path.join(HERE, "playbooks", "loop.yml")
BASELINE_PLAYBOOK = os.path.join(HERE, "playbooks", "baseline.yml")
AVN_LOOP = os.path.join(HERE, "avn_loop.sh")
METHODS = ("GET", "POST", "PUT", "DELETE")
EMPTY, APPLIED, ANY = "empty", "applied", "any"
MAIN, LIMITED, LARGE = "main", "limited", "large"  # the workloads: the run's, role_cold_limited's own, the large estate


@dataclass(frozen=True)
class Scenario:
    name: str
    tool: str                # "baseline", "baseline_estate", "role", "loop" or "avn"
    needs: str               # state of the services before: EMPTY, APPLIED (the definitions in place) or ANY
    check: bool = False      # role only: --check with every pool_size changed
    limited: bool = False    # on the LIMITED workload under the emulator's rate limit (default: production's)
    read_only: bool = False  # leaves the services as it found them
    what: str = ""
    large: bool = False      # on the LARGE workload (many projects)
    once: bool = False       # measured in the first round only (slow, or judged against a bound rather than baseline)
    prerequisites: bool = False  # role only: connection_pools_databases and connection_pools_users declared too
    capacity_ignored: bool = False  # role only: connection_pools_capacity: ignore (the role as it was before the check)

    @property
    def workload(self) -> str:
        return LIMITED if self.limited else LARGE if self.large else MAIN


# The standard order; baseline first, so every ratio to it comes from the same run.
SCENARIOS = [
    Scenario("baseline", "baseline", ANY, read_only=True, what="one aiven_connection_pool_info call, one service read"),
    # Ansible's own cost of the estate's inventory: the baseline's one call with the declaration loaded (unused).
    Scenario("baseline_estate", "baseline_estate", ANY, read_only=True,
             what="the baseline with the declaration in the inventory (loaded, not used)"),
    Scenario("role_cold", "role", EMPTY, what="the role on empty services (playbooks/apply_pools.yml)"),
    Scenario("role_converged", "role", APPLIED, what="the role again, nothing to change"),
    Scenario("role_check", "role", APPLIED, check=True, read_only=True,
             what="the role with --check, every pool_size changed"),
    # The databases and users each service's pools use, declared beside them (all exist: nothing to write).
    Scenario("role_converged_prerequisites", "role", APPLIED, read_only=True, prerequisites=True,
             what="the role again with the databases and users declared, nothing to change"),
    # The capacity check left out: what role_converged cost before it (issue #24: converged no slower with it).
    Scenario("role_converged_capacity_ignored", "role", APPLIED, read_only=True, capacity_ignored=True,
             what="the role again with connection_pools_capacity: ignore, nothing to change"),
    Scenario("role_cold_limited", "role", EMPTY, limited=True, once=True,
             what="the role on empty services under the emulator's rate limit (its own workload)"),
    Scenario("loop_cold", "loop", EMPTY, once=True, what="one module call per pool, empty services"),
    Scenario("loop_converged", "loop", APPLIED, once=True, what="one module call per pool, nothing to change"),
    Scenario("avn_cold", "avn", EMPTY, once=True, what="one `avn service connection-pool-create` per pool, empty services"),
    Scenario("baseline_large_estate", "baseline_estate", ANY, read_only=True, large=True,
             what="the baseline with the large declaration in the inventory (loaded, not used)"),
    Scenario("role_large_converged", "role", APPLIED, large=True,
             what="the role on the large estate (many projects), nothing to change"),
    Scenario("role_large_check", "role", APPLIED, large=True, check=True, read_only=True,
             what="the role with --check on the large estate, every pool_size changed"),
]
BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}
BASELINE_SCENARIO = SCENARIOS[0]


@dataclass(frozen=True)
class Workload:
    pools: int
    services: int
    projects: int = 1


@dataclass(frozen=True)
class RateLimit:
    """The limit a limited run ran under, as the emulator reported its options."""

    requests: int   # at most this many requests per user (0: off) ...
    window: float   # ... in this many seconds (the emulator's rate_limit, rate_limit_window)
    shape: str      # "window" (production's) or "bucket"; an emulator without rate_limit_shape has a bucket

    @classmethod
    def of(cls, options: Dict[str, Any]) -> "RateLimit":
        return cls(int(options["rate_limit"]), float(options["rate_limit_window"]), str(options.get("rate_limit_shape", "bucket")))


@dataclass
class Measurement:
    workload: Workload
    seconds: float = 0.0
    requests: Dict[str, int] = field(default_factory=dict)
    refused: int = 0                      # requests the emulator's rate limit answered 429
    longest_gap: float = 0.0              # the most seconds between two requests: the client's longest wait, at least
    rate_limit: Optional[RateLimit] = None
    error: Optional[str] = None
    peak_rss_kb: int = 0                  # the largest process of the run's tree (tests/perf/peak_rss.py)
    cpu_seconds: float = 0.0              # user + system seconds of the run's tree; the median over runs after add()
    cpu_runs: List[float] = field(default_factory=list)
    runs: List[float] = field(default_factory=list)    # seconds of each run; ``seconds`` is their median
    paired: List[float] = field(default_factory=list)  # each run's seconds / the baseline run just before it

    @property
    def vs_paired(self) -> Optional[float]:
        """The median of the ratios to the baseline of the same round: load that drifts moves both sides."""
        return statistics.median(self.paired) if self.paired else None

    def add(self, run: "Measurement", baseline_seconds: Optional[float]) -> None:
        """Fold one more run of the same scenario in: median seconds, peak memory, the last run's requests."""
        self.runs.append(run.seconds)
        self.cpu_runs.append(run.cpu_seconds)
        self.cpu_seconds = statistics.median(self.cpu_runs)
        if baseline_seconds and not run.error:
            self.paired.append(run.seconds / baseline_seconds)
        self.seconds = statistics.median(self.runs)
        self.peak_rss_kb = max(self.peak_rss_kb, run.peak_rss_kb)
        self.requests, self.refused, self.rate_limit = run.requests, run.refused, run.rate_limit
        self.longest_gap = max(self.longest_gap, run.longest_gap)
        self.error = self.error or run.error

    def as_json(self) -> Dict[str, Any]:
        data: Dict[str, Any] = {"seconds": round(self.seconds, 3), "requests": self.requests,
                                "refused_429": self.refused, "longest_gap_seconds": self.longest_gap,
                                "runs_seconds": [round(run, 3) for run in self.runs],
                                "paired_ratios": [round(ratio, 4) for ratio in self.paired],
                                "peak_rss_mb": round(self.peak_rss_kb / 1024, 1),
                                "cpu_seconds": round(self.cpu_seconds, 3), "cpu_runs_seconds": [round(cpu, 3) for cpu in self.cpu_runs],
                                "workload": {"pools": self.workload.pools, "services": self.workload.services,
                                             "projects": self.workload.projects}}
        if self.rate_limit is not None:
            data["rate_limit"] = {"requests": self.rate_limit.requests, "window_seconds": self.rate_limit.window,
                                  "shape": self.rate_limit.shape}
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

    def __init__(self, workloads: Dict[str, Workload], limit_options: Dict[str, Any], latency_ms: int,
                 workdir: str, logdir: str, collections: str) -> None:
        self.workloads = workloads  # by MAIN and LIMITED
        # The rate-limit options the command line set for the limited runs; the others are the emulator's defaults.
        self.limit_options = limit_options
        self.latency_ms = latency_ms
        self.workdir = workdir
        self.logdir = logdir
        self.collections = collections
        self.emulator: Optional[EmulatorProcess] = None
        self.seeded = ""  # the workload whose services the emulator holds
        self.state = ""
        self._write_inputs()
        open(os.path.join(logdir, "emulator.log"), "w", encoding="utf-8").close()

    # -- inputs -----------------------------------------------------------------

    def _path(self, name: str) -> str:
        return os.path.join(self.workdir, name)

    def _write_json(self, name: str, data: Any) -> None:
        with open(self._path(name), "w", encoding="utf-8") as handle:
            json.dump(data, handle)

    _inventory = {"aiven_pools": {"hosts": {"localhost": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}

    def _write_inputs(self) -> None:
        self._write_json("inventory.yml", self._inventory)
        for key, size in self.workloads.items():
            # The baseline reads the first service of whichever workload the emulator holds.
            self._write_json(f"{key}-baseline-vars.json", {"baseline_project": workload.project_of(0, size.services, size.projects),
                                                           "baseline_service": workload.service_name(0)})
            pools = workload.definitions(size.pools, size.services, size.projects)
            # Over many projects each entry names its own.
            project = workload.PROJECT if size.projects == 1 else ""
            # The declaration where users keep it, in the inventory's group_vars (ansible-core 2.19 loads a 10,000-pool
            # `-e @file` three times slower than the same group_vars file: a cost of -e, not of the role).
            for name, listed, extra in (("inventory", pools, {}), ("inventory-resized", workload.resized(pools), {}),
                                        ("inventory-prerequisites", pools, workload.prerequisites(pools)),
                                        ("inventory-capacity-ignored", pools, {"connection_pools_capacity": "ignore"})):
                os.makedirs(self._path(os.path.join(f"{key}-{name}", "group_vars")), exist_ok=True)
                self._write_json(os.path.join(f"{key}-{name}", "hosts.yml"), self._inventory)
                self._write_json(os.path.join(f"{key}-{name}", "group_vars", "aiven_pools.json"),
                                 {"connection_pools_project": project, "connection_pools_definitions": listed, **extra})
            with open(self._path(f"{key}-pools.tsv"), "w", encoding="utf-8") as handle:
                for pool in pools:
                    handle.write("\t".join(str(pool[column]) for column in (
                        "service_name", "pool_name", "database_name", "username", "pool_size", "pool_mode")) + "\n")

    # -- emulator ---------------------------------------------------------------

    def start(self, key: str) -> None:
        self.stop()
        # The other scenarios measure the tools, not the limit: off for them (the emulator's default is production's).
        options = dict(self.limit_options) if key == LIMITED else {"rate_limit": 0}
        size = self.workloads[key]
        self.emulator = EmulatorProcess(workload.seed(size.services, size.projects), backend="memory",
                                        latency_ms=self.latency_ms, options=options)
        with _stderr_to(os.path.join(self.logdir, "emulator.log")):
            self.emulator.start()
        self.seeded = key
        self.state = EMPTY

    def stop(self) -> None:
        if self.emulator is not None:
            self.emulator.stop()
            self.emulator = None

    def _prepare(self, scenario: Scenario, key: str) -> None:
        """Bring the services to the state the scenario starts from (not measured)."""
        if self.emulator is None or self.seeded != key or (scenario.needs == EMPTY and self.state != EMPTY):
            self.start(key)
        if scenario.needs == APPLIED and self.state != APPLIED:
            if self.state != EMPTY:
                self.start(key)
            code = self._execute(self._command("role", key), f"{scenario.name}-setup")
            if code != 0:
                raise ScenarioFailed(f"setup (the role on empty services) exited {code}")
            self.state = APPLIED

    def pool_count(self, key: str) -> int:
        assert self.emulator is not None
        total = 0
        size = self.workloads[key]
        for index in range(size.services):
            project = workload.project_of(index, size.services, size.projects)
            url = f"{self.emulator.url}/v1/project/{project}/service/{workload.service_name(index)}"
            reply = self.emulator.session.get(url, headers={"Authorization": f"aivenv1 {workload.TOKEN}"}, timeout=60)
            reply.raise_for_status()
            total += len(reply.json()["service"].get("connection_pools") or [])
        return total

    # -- tools ------------------------------------------------------------------

    def _env(self) -> Dict[str, str]:
        assert self.emulator is not None
        return ansible_env(self.collections, {
            "AIVEN_TOKEN": workload.TOKEN,
            "AIVEN_AUTH_TOKEN": workload.TOKEN,
            "AIVEN_WEB_URL": self.emulator.url,
            "AIVEN_CONFIG_DIR": self._path("avn-config"),  # no user config of avn
        })

    def _command(self, tool: str, key: str, check: bool = False, prerequisites: bool = False, capacity_ignored: bool = False) -> List[str]:
        if tool == "avn":
            return ["bash", AVN_LOOP, workload.PROJECT, self._path(f"{key}-pools.tsv")]
        playbook = {"role": APPLY_PLAYBOOK, "loop": LOOP_PLAYBOOK}.get(tool, BASELINE_PLAYBOOK)
        variant = "-resized" if check else "-prerequisites" if prerequisites else "-capacity-ignored" if capacity_ignored else ""
        inventory = self._path("inventory.yml" if tool == "baseline" else f"{key}-inventory{variant}")
        command = [os.path.join(BIN, "ansible-playbook"), "-i", inventory, playbook]
        if tool.startswith("baseline"):
            command += ["-e", "@" + self._path(f"{key}-baseline-vars.json")]
        if check:
            command.append("--check")
        return command

    def _execute(self, command: List[str], log_name: str, measurement: Optional[Measurement] = None) -> int:
        rss_file = self._path("peak-rss")
        with open(os.path.join(self.logdir, f"{log_name}.log"), "w", encoding="utf-8") as log:
            log.write("$ " + " ".join(command) + "\n")
            log.flush()
            code = subprocess.run([sys.executable, "-m", "tests.perf.peak_rss", rss_file] + command, cwd=REPO, env=self._env(),
                                  stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, check=False).returncode
        if measurement is not None:
            with open(rss_file, encoding="utf-8") as handle:
                peak, cpu = handle.read().split()
            measurement.peak_rss_kb, measurement.cpu_seconds = int(peak), float(cpu)
        return code

    # -- measuring --------------------------------------------------------------

    def _timed(self, scenario: Scenario, measurement: Measurement, key: str) -> int:
        """Runs the scenario's tool; fills in seconds, requests and peak memory; returns its exit code."""
        assert self.emulator is not None
        command = self._command(scenario.tool, key, scenario.check, scenario.prerequisites, scenario.capacity_ignored)
        if scenario.limited:
            # Setting options (none changed, unless the command line set some) refills every user's allowance:
            # the run starts from a full one. The reply is every option: the limit in force.
            measurement.rate_limit = RateLimit.of(self.emulator.set_options(**self.limit_options))
        try:
            self.emulator.reset_requests()
            started = time.monotonic()
            code = self._execute(command, scenario.name, measurement)
            measurement.seconds = time.monotonic() - started
            snapshot = self.emulator.requests_log()
        finally:
            if scenario.limited:
                # Counting the pools afterwards must not wait for the window either.
                self.emulator.set_options(rate_limit=0)
        by_method = snapshot["by_method"]
        measurement.requests = {method: int(by_method.get(method, 0)) for method in METHODS}
        measurement.requests.update({method: int(n) for method, n in by_method.items() if method not in METHODS})
        measurement.requests["total"] = sum(n for method, n in measurement.requests.items())
        measurement.refused = int(snapshot.get("rate_limited", 0))
        measurement.longest_gap = float(snapshot.get("longest_gap", 0.0))
        return code

    def run(self, scenario: Scenario, key: Optional[str] = None) -> Measurement:
        """Measure one run of ``scenario``; ``key`` runs the baseline on the workload the emulator holds for others."""
        key = key or scenario.workload
        measurement = Measurement(self.workloads[key])
        try:
            self._prepare(scenario, key)
            before = self.state
            code = self._timed(scenario, measurement, key)
            # Whatever changes pools leaves the definitions in place, unless it failed.
            self.state = before if scenario.read_only else APPLIED
            if code != 0:
                raise ScenarioFailed(f"exited {code}, see {os.path.join(self.logdir, scenario.name + '.log')}")
            expected = {EMPTY: 0, APPLIED: measurement.workload.pools}.get(self.state)
            found = self.pool_count(key)
            if expected is not None and found != expected:
                raise ScenarioFailed(f"{found} pools on the services afterwards, expected {expected}")
        except ScenarioFailed as exc:
            measurement.error = str(exc)
            self.state = "unknown"
        except Exception as exc:  # emulator or HTTP trouble: report it, keep the other scenarios
            measurement.error = f"{type(exc).__name__}: {exc}"
            self.state = "unknown"
        return measurement
