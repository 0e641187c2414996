"""The tarball installed offline: its files match FILES.json, Ansible finds it there only, and the demo runs from it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Dict, List

from tests.support.ansible import BIN
from tests.support.collection import REPO_ROOT

NAME = "dbpools.aiven"


def run(command: List[str], env: Dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)


def test_installed_files_match_files_json(installed_root: str, install_env: Dict[str, str]) -> None:
    proc = run([os.path.join(BIN, "ansible-galaxy"), "collection", "verify", NAME, "-p", installed_root, "--offline"], install_env)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_galaxy_lists_the_collection_in_the_install_only(installed_root: str, install_env: Dict[str, str]) -> None:
    proc = run([os.path.join(BIN, "ansible-galaxy"), "collection", "list", NAME, "--format", "json"], install_env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    found = [os.path.realpath(path) for path, entries in json.loads(proc.stdout).items() if NAME in entries]
    assert found == [os.path.realpath(os.path.join(installed_root, "ansible_collections"))]


def test_ansible_doc_reads_the_module_from_the_install(installed: str, install_env: Dict[str, str]) -> None:
    module = f"{NAME}.aiven_connection_pool"
    proc = run([os.path.join(BIN, "ansible-doc"), "--json", module], install_env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    filename = json.loads(proc.stdout)[module]["doc"]["filename"]
    assert os.path.realpath(filename).startswith(os.path.realpath(installed) + os.sep)


def test_demo_runs_from_the_installed_collection(installed_root: str, installed: str, install_env: Dict[str, str]) -> None:
    """The README's first command, with the installed collection and its playbooks/ (emulator with real PgBouncer)."""
    command = [sys.executable, os.path.join(REPO_ROOT, "tools", "demo.py"), "--collections-path", installed_root,
               "--playbooks-dir", os.path.join(installed, "playbooks")]
    proc = run(command, install_env)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
