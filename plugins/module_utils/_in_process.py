# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A module's work run in the controller's worker process, with the result a module run would give.

A module receives its arguments as a payload, in a process of its own, and sends its result back as
JSON: at 10,000 pool definitions that alone costs several times a one-task playbook. The action
plugin of aiven_connection_pool runs the module's ``run`` here instead, when the module would run on
the controller with its Python anyway. What AnsibleModule does around ``run`` is done here the same
way: the arguments as the module would receive them (plain JSON types), ansible-core's
ArgumentSpecValidator with the module's spec and rules and AnsibleModule's messages, the task's
environment for the environment fallbacks, check and diff mode, warnings in the result, failures
with ``failure``, ``invocation``, and every no_log value removed from the whole result. Only what a
module process adds and the controller has no use for is left out: the log of the invocation on the
target, and a traceback (an unexpected error is a failed result with a message).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, NoReturn

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError

from ansible_collections.dbpools.aiven.plugins.module_utils._api import local_failure
from ansible_collections.dbpools.aiven.plugins.module_utils._module_args import given_in_process
from ansible_collections.dbpools.aiven.plugins.module_utils._module_like import ModuleLike
from ansible_collections.dbpools.aiven.plugins.module_utils._result_masking import without_no_log_values
from ansible_collections.dbpools.aiven.plugins.module_utils._text import MESSAGE_MAX, printable

# What JSON makes of a key that is no string, as a module's arguments travel (json.dumps).
_JSON_KEYS = {True: "true", False: "false", None: "null"}


class ModuleExit(Exception):
    """The end of a run through fail_json: ``result`` is what the module would have returned."""

    def __init__(self, result: dict[str, Any]) -> None:
        super().__init__(result.get("msg", ""))
        self.result = result


class InProcessModule:
    """The stand-in for AivenModule in the controller's process (see ModuleLike): warnings kept, failures raised."""

    def __init__(self, params: dict[str, Any], check_mode: bool, diff: bool, no_log_values: set[str]) -> None:
        self.params = params
        self.check_mode = check_mode
        self._diff = diff
        self.no_log_values = no_log_values
        self.warnings: list[str] = []

    def warn(self, warning: str) -> None:
        self.warnings.append(warning)

    def fail_json(self, msg: str, **kwargs: Any) -> NoReturn:
        # As AivenModule: every failure has ``failure``. No traceback from the controller's process, not even one passed.
        kwargs.pop("exception", None)
        if not kwargs.get("failure"):
            kwargs["failure"] = local_failure(str(msg))
        kwargs.update(failed=True, msg=str(msg))
        raise ModuleExit(kwargs)


def plain(value: Any) -> Any:
    """``value`` as a module would receive it: dicts, lists and plain scalars (no tagged or unsafe subclasses, no tuples).

    A module gets its arguments through JSON; the controller's values are ansible-core's subclasses of str and
    dict (2.17's unsafe text, 2.19's tagged values), which a result must not carry back into the play.
    """
    kind = type(value)
    if kind is str or kind is int or kind is bool or kind is float or value is None:
        return value
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, Mapping):
        return {_plain_key(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return value


def _plain_key(key: Any) -> Any:
    if isinstance(key, str):
        return str.__str__(key)
    if isinstance(key, bool) or key is None:
        return _JSON_KEYS[key]
    if isinstance(key, (int, float)):
        return str(key)
    return key


@contextmanager
def task_environment(environment: Mapping[str, Any]) -> Iterator[None]:
    """os.environ with the task's ``environment:`` over it while the run lasts, as a module process would get it.

    The environment fallbacks (AIVEN_TOKEN, AIVEN_WEB_URL ...) read os.environ, and so do requests' proxy and
    CA bundle settings. The worker process runs this one task; the variables are put back all the same.
    """
    saved = {name: os.environ.get(name) for name in environment}
    try:
        os.environ.update({str(name): str(value) for name, value in environment.items()})
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def validated(name: str, spec: dict[str, Any], rules: Mapping[str, Any], given: dict[str, Any],
              check_mode: bool, diff: bool) -> tuple[InProcessModule, str | None]:
    """The stand-in with the arguments checked as AnsibleModule checks them, and AnsibleModule's message of a bad one.

    ``name``: the module's name as the task gives it, which Ansible's "Unsupported parameters" message shows.
    The stand-in knows the no_log values either way, so that a failure's invocation masks them.
    """
    result = ArgumentSpecValidator(spec, **rules).validate(given)
    params = dict(given)
    params.update(result.validated_parameters)
    module = InProcessModule(params, check_mode, diff, set(result._no_log_values))  # pylint: disable=protected-access
    # AnsibleModule's (ModuleArgumentSpecValidator's) warning for an option given twice.
    for twice in result._warnings:  # pylint: disable=protected-access
        module.warn(f"Both option {twice['option']} and its alias {twice['alias']} are set.")
    # AnsibleModule's test: the collection of errors is true even when empty.
    if not result.errors.errors:
        return module, None
    message = result.errors.msg
    if isinstance(result.errors[0], UnsupportedError):
        message = f"Unsupported parameters for ({name}) module: {message}"
    return module, message


def finished(module: InProcessModule | None, output: dict[str, Any]) -> dict[str, Any]:
    """``output`` as AnsibleModule returns it: with invocation and warnings, every no_log value removed.

    ``module`` None: the arguments could not be checked; the result then holds nothing of them.
    """
    if module is None:
        return output
    output.setdefault("invocation", {"module_args": module.params})
    if module.warnings:
        output["warnings"] = list(module.warnings)
    return without_no_log_values(output, module.no_log_values)


def run_in_process(name: str, spec: Callable[[], dict[str, Any]], rules: Mapping[str, Any],
                   work: Callable[[ModuleLike], dict[str, Any]], arguments: Mapping[str, Any],
                   environment: Mapping[str, Any], check_mode: bool, diff: bool) -> dict[str, Any]:
    """A module's result for ``arguments``, its ``work`` run here: the spec built and the arguments checked first.

    ``spec`` is called with the arguments and environment in place: the module's spec depends on them.
    Never raises for the run's own errors: an unexpected one is a failed result with its type and, once the
    no_log values are known, its message with them removed; never a traceback.
    """
    given = plain(arguments)
    module: InProcessModule | None = None
    with given_in_process(given), task_environment(environment):
        try:
            module, problem = validated(name, spec(), rules, given, check_mode, diff)
            output = work(module) if problem is None else module.fail_json(msg=problem)
        except ModuleExit as ended:
            output = ended.result
        except Exception as err:  # pylint: disable=broad-exception-caught  # a failed task, never a traceback
            # Before the arguments are checked no no_log value is known: the type alone then.
            said = f"{type(err).__name__}: {err}" if module is not None else type(err).__name__
            message = printable(f"{name} failed in the controller's process: {said}", MESSAGE_MAX)
            output = {"failed": True, "msg": message, "failure": local_failure(message)}
    return finished(module, output)
