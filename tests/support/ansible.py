"""Run ansible-playbook and ad-hoc ansible against the emulator the way a user would.

One place for the environment (only what the test sets reaches Ansible: no AIVEN_* or
ANSIBLE_* of the developer's shell), the command lines, the PLAY RECAP parsing and
reading a result back from Ansible's output.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any, Dict, Iterable, Mapping, Optional

from tests.support.collection import REPO_ROOT

BIN = os.path.dirname(sys.executable)
APPLY_POOLS = os.path.join(REPO_ROOT, "playbooks", "apply_pools.yml")
# The group playbooks/apply_pools.yml runs on, with just the control node in it.
LOCAL_INVENTORY = {"all": {"children": {"aiven_pools": {"hosts": {"localhost": {"ansible_connection": "local"}}}}}}
MODULE = "dbpools.aiven.aiven_connection_pool"
# The default callback prints "localhost | CHANGED => {...}" (FAILED!, SUCCESS); the JSON ends at a "}" line.
RESULT = re.compile(r"^localhost \| ([A-Z]+)!?(?: \| rc=\d+)? => (\{.*?^\})", re.S | re.M)
RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


# How Python prints a warning: "FILE:LINE: CATEGORYWarning: message", then the source line, indented.
PYTHON_WARNING = re.compile(r"^(?P<file>[^\n]+?\.py):\d+: \w*Warning: [^\n]*\n?(?:  [^\n]*\n?)?", re.M)


def raised_in_collection(path: str) -> bool:
    """Whether a file is the collection's code (the work tree or a copy of it), not a dependency's (a venv in the tree included)."""
    if "/ansible_collections/dbpools/aiven/" in path:
        return True
    relative = os.path.relpath(os.path.realpath(path), REPO_ROOT)
    return not relative.startswith((os.pardir, ".venv"))


def without_dependency_warnings(output: str) -> str:
    """``output`` less the Python warnings raised in third-party code.

    Their text and timing are the dependency's: cryptography 51.0.1 made ansible-core warn about DSA
    on every command (2026-12-07) with nothing changed here. A test that wants clean output asserts on
    what remains: Ansible's messages, tracebacks, and warnings raised in the collection's own code.
    """
    return PYTHON_WARNING.sub(lambda match: match[0] if raised_in_collection(match["file"]) else "", output)


def ansible_env(collections_root: str, extra: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """A clean environment for ansible-*: this venv first on PATH, the collection found under ``collections_root``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AIVEN_", "ANSIBLE_"))}
    env.update({
        "PATH": BIN + os.pathsep + os.environ.get("PATH", ""),
        "ANSIBLE_COLLECTIONS_PATH": collections_root,
        "ANSIBLE_LOCALHOST_WARNING": "False",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False",
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
    })
    env.update(extra or {})
    return env


@dataclass
class PlaybookRun:
    rc: int
    output: str
    seconds: float

    def recap(self, host: str = "localhost") -> Dict[str, int]:
        return recap(self.output, host)


def recap(output: str, host: str = "localhost") -> Dict[str, int]:
    """PLAY RECAP counts of ``host``: ok, changed, unreachable, failed."""
    for name, ok, changed, unreachable, failed in RECAP.findall(output):
        if name == host:
            return {"ok": int(ok), "changed": int(changed), "unreachable": int(unreachable), "failed": int(failed)}
    raise AssertionError(f"no PLAY RECAP for {host} in:\n{output[-4000:]}")


def write_json(directory: str, name: str, data: Any) -> str:
    """``data`` as ``directory``/``name`` (mode 0600: vars files may hold a token); returns the path."""
    path = os.path.join(directory, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    return path


def run_playbook(
    playbook: str,
    env: Mapping[str, str],
    extra_vars: Optional[Mapping[str, Any]] = None,
    inventory: Optional[str] = None,
    args: Iterable[str] = (),
    timeout: float = 900,
) -> PlaybookRun:
    """Run ``playbook`` on ``inventory``, by default localhost alone in the group ``aiven_pools``.

    Extra vars go through a JSON file, never the command line (they may hold a token).
    """
    with tempfile.TemporaryDirectory(prefix="playbook-vars-") as tmp:
        inventory = inventory or write_json(tmp, "inventory.json", LOCAL_INVENTORY)
        command = [os.path.join(BIN, "ansible-playbook"), "-i", inventory, playbook, *args,
                   "-e", f"ansible_python_interpreter={sys.executable}"]
        if extra_vars:
            command += ["-e", "@" + write_json(tmp, "vars.json", dict(extra_vars))]
        started = time.monotonic()
        proc = subprocess.run(command, cwd=REPO_ROOT, env=dict(env), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
                              timeout=timeout, check=False)
    return PlaybookRun(rc=proc.returncode, output=proc.stdout, seconds=time.monotonic() - started)


@dataclass
class AdhocRun:
    rc: int
    output: str
    seconds: float
    status: str                 # CHANGED, SUCCESS or FAILED
    result: Dict[str, Any]


def run_module(args: str, env: Mapping[str, str], verbosity: int = 3, module: str = MODULE) -> AdhocRun:
    """``args`` in key=value form; auth comes from ``env`` (AIVEN_TOKEN, AIVEN_WEB_URL), never the command line."""
    command = [os.path.join(BIN, "ansible"), "localhost", "-e", f"ansible_python_interpreter={sys.executable}",
               "-m", module, "-a", args]
    if verbosity:
        command.append("-" + "v" * verbosity)
    started = time.monotonic()
    proc = subprocess.run(command, cwd=REPO_ROOT, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL, text=True, timeout=300, check=False)
    seconds = time.monotonic() - started
    match = RESULT.search(proc.stdout)
    if not match:
        raise AssertionError(f"no module result in the output (exit {proc.returncode}):\n{proc.stdout[-3000:]}")
    return AdhocRun(proc.returncode, proc.stdout, seconds, match.group(1), json.loads(match.group(2)))


def marked_json(output: str, marker: str) -> Any:
    """The JSON a playbook printed with ``debug: msg: "MARKER {{ ... | to_json }}"`` (the last such line)."""
    found = re.findall(r'^\s*"msg": "' + re.escape(marker) + r' (.*)"\s*$', output, re.M)
    assert found, f"no {marker} line in the output"
    return json.loads(json.loads(f'"{found[-1]}"'))
