"""Run one module ad hoc (``ansible localhost -m ...``); read results back from Ansible's output."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any, Dict, Mapping

from tests.playbook import BIN, REPO_ROOT

MODULE = "dbpools.aiven.aiven_connection_pool"
# The default callback prints "localhost | CHANGED => {...}" (FAILED!, SUCCESS); the JSON ends at a "}" line.
RESULT = re.compile(r"^localhost \| ([A-Z]+)!?(?: \| rc=\d+)? => (\{.*?^\})", re.S | re.M)


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
