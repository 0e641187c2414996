# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of dbpools.aiven.aiven_connection_pool: the module's work in the controller's worker process when it would run there anyway.

A module receives its arguments in a payload and runs in a process of its own: at 10,000 pool definitions,
sending them and the result back costs several times a one-task playbook (docs/performance.md). When the
module would run on the controller with the controller's own Python (a local connection, no async, no
become, the task's interpreter is the controller's), this plugin runs the module's ``run`` in this process
instead (module_utils/_in_process: the same checks, messages and result). Anywhere else, the module runs as
usual: remote hosts, delegate_to another host, async, become, another interpreter.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from ansible import constants as C
from ansible.plugins.action import ActionBase
from ansible.plugins.connection.local import Connection as LocalConnection
from ansible.utils.display import Display
from ansible.utils.vars import merge_hash

from ansible_collections.dbpools.aiven.plugins.module_utils._in_process import run_in_process
from ansible_collections.dbpools.aiven.plugins.modules import aiven_connection_pool as module_code

display = Display()

# INTERPRETER_PYTHON values that ask for discovery (ansible-core's _get_shebang).
DISCOVERY_MODES = ("auto", "auto_legacy", "auto_silent", "auto_legacy_silent")


def same_python(interpreter: str, controller_python: str) -> bool:
    """Whether ``interpreter`` is the controller's Python with its packages: the same path, or a name beside it for the same binary.

    Not the resolved path alone: a virtualenv's python is a link to the system's, whose packages differ.
    """
    wanted, own = os.path.abspath(interpreter), os.path.abspath(controller_python)
    return wanted == own or (os.path.dirname(wanted) == os.path.dirname(own) and os.path.realpath(wanted) == os.path.realpath(own))


def module_process_reason(local: bool, async_seconds: int, become: bool, interpreter: str | None, controller_python: str) -> str | None:
    """Why the module must run as a module process; None when running it in this process changes nothing but the cost."""
    if not local:
        return "the connection is not ansible.builtin.local"
    if async_seconds:
        return "the task is async"
    if become:
        return "the task uses become"
    if not interpreter:
        return "the Python interpreter is still to be discovered"
    if not same_python(interpreter, controller_python):
        return f"the task's Python interpreter ({interpreter}) is not the controller's ({controller_python})"
    return None


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = True

    def _interpreter(self, task_vars: dict[str, Any]) -> str | None:
        """The Python a module of this task would run with, as ansible-core chooses it; None when it is still to be discovered."""
        # The delegated host's variables when delegated, as ActionBase._configure_module takes them.
        use_vars = task_vars.get("ansible_delegated_vars", {}).get(self._task.delegate_to, {}) if self._task.delegate_to else task_vars
        configured = C.config.get_config_value("INTERPRETER_PYTHON", variables=use_vars)
        # Templated before it is stripped: on 2.19 a stripped copy loses the trust that lets it be templated.
        interpreter = self._templar.template(configured)
        interpreter = interpreter.strip() if isinstance(interpreter, str) else interpreter
        if not interpreter or interpreter in DISCOVERY_MODES:
            interpreter = (use_vars.get("ansible_facts") or {}).get("discovered_interpreter_python")
        return str(interpreter) if interpreter else None

    def _module_process_reason(self, task_vars: dict[str, Any]) -> str | None:
        local = isinstance(self._connection, LocalConnection)
        try:
            interpreter = self._interpreter(task_vars) if local else None
        except Exception as err:  # pylint: disable=broad-exception-caught  # any doubt: the module process, as always
            return f"the Python interpreter could not be determined ({type(err).__name__})"
        return module_process_reason(local, self._task.async_val, bool(self._play_context.become), interpreter, sys.executable)

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        task_vars = task_vars or {}
        reason = self._module_process_reason(task_vars)
        if reason:
            display.vvv(f"{self._task.action}: runs as a module process: {reason}")
            # What ansible.builtin.normal does for a module without an action plugin.
            wrap_async = self._task.async_val and not self._connection.has_native_async
            result = merge_hash(result, self._execute_module(task_vars=task_vars, wrap_async=wrap_async))
            if not wrap_async:
                self._remove_tmp_path(self._connection._shell.tmpdir)
            return result
        display.vvv(f"{self._task.action}: runs in the controller's process")
        environment: dict[str, Any] = {}
        self._compute_environment_string(environment)
        return merge_hash(result, run_in_process(self._task.action, module_code.safe_argument_spec, module_code.MODULE_RULES, module_code.run,
                                                 self._task.args, environment, bool(self._task.check_mode), bool(self._task.diff)))
