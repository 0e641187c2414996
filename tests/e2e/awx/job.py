"""One AWX-style job: a private data dir, ansible-runner, and the job events it leaves.

AWX gives every job a fresh private data dir (project/, inventory/, env/) and runs it
with ansible-runner; the credentials' environment goes to the runner as ``envvars``
with ``suppress_env_files=True`` (AWX_RUNNER_OMIT_ENV_FILES, default on), so no
env/envvars file is written. Plain ``ansible-runner run DIR`` users put the same
variables in env/envvars instead. Both ways are offered (``env_file``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Union

import ansible_runner
import yaml

EVENT_FILE = re.compile(r"^(\d+)-[^/]*\.json$")


def write_private(path: str, text: str) -> None:
    """Write ``text`` readable by the owner only (inventories and env files may be sensitive)."""
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def make_private_data_dir(path: str, inventory: Dict[str, Any], playbook_file: Optional[str] = None) -> str:
    """project/ (a copy of ``playbook_file``) and inventory/hosts.yml, as AWX lays them out; returns ``path``."""
    os.makedirs(path, mode=0o700)
    os.makedirs(os.path.join(path, "project"), mode=0o700)
    if playbook_file:
        shutil.copy2(playbook_file, os.path.join(path, "project", os.path.basename(playbook_file)))
    write_private(os.path.join(path, "inventory", "hosts.yml"), yaml.safe_dump(inventory, sort_keys=False))
    return path


@dataclass
class Job:
    ident: str
    status: str
    rc: int
    private_data_dir: str
    artifact_dir: str
    events: List[Dict[str, Any]] = field(default_factory=list)

    def of(self, *kinds: str) -> List[Dict[str, Any]]:
        return [event for event in self.events if event.get("event") in kinds]

    def stats(self) -> Dict[str, Dict[str, int]]:
        """The playbook_on_stats event's per-host counts: {"ok": {host: n}, "changed": {...}, ...}."""
        found = self.of("playbook_on_stats")
        if len(found) != 1:
            raise AssertionError(f"job {self.ident}: {len(found)} playbook_on_stats events")
        return {key: value for key, value in found[0]["event_data"].items() if isinstance(value, dict) and key != "artifact_data"}

    def host_counts(self, host: str = "localhost") -> Dict[str, int]:
        return {key: per_host.get(host, 0) for key, per_host in self.stats().items()}

    def changed_results(self) -> List[str]:
        """The task of each result (or loop item) shown as changed.

        From the event's display line: no_log censors ``res`` down to its "censored"
        message, ``changed`` included, but the line still says "changed:" (after the
        task's warnings, which come first).
        """
        return [event["event_data"].get("task", "") for event in self.of("runner_on_ok", "runner_item_on_ok")
                if any(line.startswith("changed:") for line in event.get("stdout", "").splitlines())]

    def results_of(self, task: str) -> List[Dict[str, Any]]:
        """The results (``res``) of ``task``, ok or failed, in order."""
        return [event["event_data"].get("res", {}) for event in self.of("runner_on_ok", "runner_on_failed")
                if event["event_data"].get("task") == task]

    def artifact_files(self) -> List[str]:
        """Every file the runner wrote under artifacts/<ident>/, relative to it."""
        found = []
        for folder, _dirs, files in os.walk(self.artifact_dir):
            found += [os.path.relpath(os.path.join(folder, name), self.artifact_dir) for name in files]
        return sorted(found)

    def read_artifact(self, relative: str) -> str:
        with open(os.path.join(self.artifact_dir, relative), encoding="utf-8") as handle:
            return handle.read()


@dataclass
class AwxRun:
    """A job as a test sees it: the job, what the emulator received during it, the credential's environment."""

    job: Job
    requests: Dict[str, Any]
    injected: Dict[str, str]
    env_file: bool
    # Every secret the job could leak, and the name of the one its credential carried.
    secrets: Dict[str, str]
    token_name: str


def awx_job_env(collections_root: str, injected: Dict[str, str]) -> Dict[str, str]:
    """The job's environment: what AWX sets itself (where collections are), then the credential's."""
    return {"ANSIBLE_COLLECTIONS_PATH": collections_root, "ANSIBLE_NOCOLOR": "1", **injected}


def read_events(artifact_dir: str) -> List[Dict[str, Any]]:
    """The job events (artifacts/<ident>/job_events/<counter>-<uuid>.json) in counter order."""
    folder = os.path.join(artifact_dir, "job_events")
    numbered = []
    for name in os.listdir(folder):
        match = EVENT_FILE.match(name)
        if match:
            with open(os.path.join(folder, name), encoding="utf-8") as handle:
                numbered.append((int(match.group(1)), json.load(handle)))
    return [event for _counter, event in sorted(numbered, key=lambda item: item[0])]


def run_job(
    private_data_dir: str,
    ident: str,
    playbook: Union[str, List[Dict[str, Any]]],
    envvars: Dict[str, str],
    env_file: bool = False,
    cmdline: str = "",
    timeout: int = 120,
) -> Job:
    """Run ``playbook`` with ansible-runner; ``env_file`` writes env/envvars instead of AWX's in-memory envvars."""
    kwargs: Dict[str, Any] = {}
    if env_file:
        write_private(os.path.join(private_data_dir, "env", "envvars"), json.dumps(envvars))
    else:
        kwargs.update(envvars=dict(envvars), suppress_env_files=True)
    if cmdline:
        kwargs["cmdline"] = cmdline
    runner = ansible_runner.run(private_data_dir=private_data_dir, ident=ident, playbook=playbook, quiet=True, timeout=timeout, **kwargs)
    artifact_dir = os.path.join(private_data_dir, "artifacts", ident)
    return Job(ident=ident, status=runner.status, rc=runner.rc, private_data_dir=private_data_dir,
               artifact_dir=artifact_dir, events=read_events(artifact_dir))
