"""The secret scan of tools/run-integration.py (tools/toolkit.py), plus the diff blocks of Ansible's output."""

from __future__ import annotations

import os
import re
import sys
from typing import List

from tests.emulator.harness import REPO_ROOT

sys.path.insert(0, os.path.join(REPO_ROOT, "tools"))
from toolkit import leaked_secrets, secrets_of  # noqa: E402

__all__ = ["diff_blocks", "leaked_secrets", "secrets_of"]

# The default callback prints a diff as "--- before..." / "+++ after..." / "@@ ..." lines, then the task's result line.
_DIFF_BLOCK = re.compile(r"^--- before.*?(?=^(?:ok|changed|fatal|skipping|failed): |^TASK |^PLAY |\Z)", re.S | re.M)


def diff_blocks(output: str) -> List[str]:
    """Every diff Ansible printed (with ``--diff``), each up to the result line of its task."""
    return _DIFF_BLOCK.findall(output)
