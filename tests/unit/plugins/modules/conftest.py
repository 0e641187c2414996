# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for running the modules in-process."""

from __future__ import annotations

import pytest
from ansible import module_utils
from ansible.module_utils.common import warnings as ansible_warnings


@pytest.fixture(autouse=True)
def module_warnings(monkeypatch) -> None:
    """Each run's warnings in its own result, whatever ran before in this process.

    ansible-core gathers warnings in a global for the one module run a process normally
    makes, so one run's would show in the next; and 2.19, once controller code is
    imported (the filter tests do), prints them instead of returning them: back to module mode.
    """
    monkeypatch.setattr(ansible_warnings, "_global_warnings", type(ansible_warnings._global_warnings)())
    internal = getattr(module_utils, "_internal", None)
    if internal is not None and hasattr(internal, "is_controller"):
        monkeypatch.setattr(internal, "is_controller", False)
