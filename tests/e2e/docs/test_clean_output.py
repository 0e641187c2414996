"""What the docs tests call clean output: a dependency's Python warning goes, everything of ours stays."""

from __future__ import annotations

import os

from tests.support.ansible import without_dependency_warnings
from tests.support.collection import REPO_ROOT

DEPENDENCY = (".venv/lib/python3.11/site-packages/ansible/_internal/_ssh/_ssh_agent.py:18: CryptographyDeprecationWarning: "
              "DSA is deprecated\n  from cryptography.hazmat.primitives.asymmetric.dsa import (\n")


def test_a_dependency_warning_is_dropped() -> None:
    assert without_dependency_warnings(os.path.join(REPO_ROOT, DEPENDENCY)) == ""
    assert without_dependency_warnings("/usr/lib/python3/dist-packages/x.py:3: UserWarning: old\n  import y\n") == ""


def test_a_warning_raised_in_the_collection_stays() -> None:
    for path in (os.path.join(REPO_ROOT, "plugins", "filter", "pools.py"), "/tmp/c/ansible_collections/dbpools/aiven/plugins/lookup/connection_info.py"):
        warning = f"{path}:12: DeprecationWarning: datetime.utcnow() is deprecated\n  now = datetime.utcnow()\n"
        assert without_dependency_warnings(warning) == warning


def test_ansible_messages_and_tracebacks_stay() -> None:
    output = "[WARNING]: Skipping plugin (pools.py), cannot load: boom\nTraceback (most recent call last):\n"
    assert without_dependency_warnings(os.path.join(REPO_ROOT, DEPENDENCY) + output) == output
