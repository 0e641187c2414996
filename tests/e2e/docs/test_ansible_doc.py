"""ansible-doc renders every module, filter, lookup and role of the work tree, without a warning of its own or of ours."""

from __future__ import annotations

import os
import re
import subprocess
from typing import Dict

import pytest

from tests.e2e.docs.site import documented_content
from tests.support.ansible import BIN, without_dependency_warnings
from tests.support.collection import REPO_ROOT

# "> MODULE dbpools.aiven.x (/path)", "> ROLE: *dbpools.aiven.x* (/path)": the heading and where it read the docs.
HEADING = re.compile(r"^> (?P<kind>[A-Z]+):? \*?dbpools\.aiven\.(?P<name>\w+)\*? \((?P<path>[^)]+)\)")


@pytest.mark.parametrize(("kind", "name"), documented_content(), ids=[f"{kind}-{name}" for kind, name in documented_content()])
def test_ansible_doc_renders_it_from_the_work_tree(docs_env: Dict[str, str], kind: str, name: str) -> None:
    proc = subprocess.run([os.path.join(BIN, "ansible-doc"), "-t", kind, f"dbpools.aiven.{name}"], cwd=REPO_ROOT, env=docs_env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    heading = HEADING.match(proc.stdout)
    assert heading, proc.stdout[:500]
    assert (heading["kind"], heading["name"]) == (kind.upper(), name)
    work_tree = os.path.realpath(REPO_ROOT)
    assert os.path.commonpath([os.path.realpath(heading["path"]), work_tree]) == work_tree
    assert "options" in proc.stdout.lower()
    # A dependency's Python warning is not ours to fail on; Ansible's warnings about the docs are.
    assert without_dependency_warnings(proc.stderr).strip() == ""
