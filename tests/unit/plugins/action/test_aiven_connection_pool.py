# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action plugin's rule: in the controller's process only where the module would run with the controller's own Python."""

from __future__ import annotations

import os
import sys

import pytest

from ansible_collections.dbpools.aiven.plugins.action.aiven_connection_pool import module_process_reason, same_python

PYTHON = sys.executable


def test_local_plain_task_with_the_controllers_python_runs_in_process() -> None:
    assert module_process_reason(True, 0, False, PYTHON, PYTHON) is None


@pytest.mark.parametrize(("local", "async_seconds", "become", "interpreter", "reason"), [
    (False, 0, False, PYTHON, "the connection is not ansible.builtin.local"),
    (True, 30, False, PYTHON, "the task is async"),
    (True, 0, True, PYTHON, "the task uses become"),
    (True, 0, False, None, "the Python interpreter is still to be discovered"),
    (True, 0, False, "/usr/bin/python3-other", "the task's Python interpreter (/usr/bin/python3-other) is not the controller's"),
    (True, 0, False, "python3", "the task's Python interpreter (python3) is not the controller's"),
])
def test_anything_else_runs_the_module(local, async_seconds, become, interpreter, reason) -> None:
    assert (module_process_reason(local, async_seconds, become, interpreter, PYTHON) or "").startswith(reason)


def test_another_name_of_the_same_python_beside_it_is_the_same(tmp_path) -> None:
    real = tmp_path / "python3.11"
    real.write_text("")
    (tmp_path / "python").symlink_to(real)
    assert same_python(str(tmp_path / "python"), str(real))


def test_a_link_elsewhere_to_the_same_binary_is_not(tmp_path) -> None:
    # A virtualenv's python links to the system's: the same binary, other packages.
    venv = tmp_path / "venv" / "bin"
    venv.mkdir(parents=True)
    real = tmp_path / "python3.11"
    real.write_text("")
    (venv / "python").symlink_to(real)
    assert not same_python(str(venv / "python"), str(real))
    assert os.path.realpath(venv / "python") == str(real)
