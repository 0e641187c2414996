"""ansible-builder as an execution environment build uses it, offline.

An EE build installs the collection with ansible-galaxy (tests.support.collection), then ansible-builder's
introspection reads its meta/execution-environment.yml to collect Python and system
requirements. ``ansible-builder create`` validates a definition against its schema and
writes the build context (Containerfile) without podman or docker.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Dict, List

import yaml

from tests.support.collection import REPO_ROOT

BIN = os.path.dirname(sys.executable)


def _run(command: List[str], cwd: str = REPO_ROOT) -> str:
    proc = subprocess.run(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited with {proc.returncode}:\n{proc.stdout[-3000:]}")
    return proc.stdout


def introspect(collections_root: str) -> Dict[str, List[str]]:
    """``ansible-builder introspect`` of ``collections_root``: {"python": [...], "system": [...]}, each line as it prints it."""
    # No --sanitize: ansible-builder 3.x always sanitizes (the flag is a hidden no-op kept for old callers).
    output = _run([os.path.join(BIN, "ansible-builder"), "introspect", collections_root])
    # A "# Dependency data for ..." comment, then one YAML document.
    data = yaml.safe_load(output[output.index("---"):]) or {}
    return {"python": data.get("python") or [], "system": data.get("system") or []}


def requirement_lines(path: str) -> List[str]:
    """The requirements a pip or bindep file declares (comments and blank lines dropped)."""
    with open(path, encoding="utf-8") as handle:
        return [line.strip() for line in handle if line.strip() and not line.lstrip().startswith("#")]


def create_context(definition: str, context: str) -> str:
    """``ansible-builder create`` of ``definition`` into ``context``; returns the Containerfile."""
    _run([os.path.join(BIN, "ansible-builder"), "create", "--file", definition, "--context", context,
          "--output-filename", "Containerfile"], cwd=os.path.dirname(definition))
    with open(os.path.join(context, "Containerfile"), encoding="utf-8") as handle:
        return handle.read()
