# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a module's main() in this process and return its JSON result.

ansible-core 2.19 reads module arguments through ``patch_module_args`` (assigning
``basic._ANSIBLE_ARGS`` fails there with "No serialization profile was specified");
2.17 and 2.18 do not have that helper, so the arguments are put into
``basic._ANSIBLE_ARGS`` directly, as those versions read them.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any, Callable, Iterator
from unittest import mock

from ansible.module_utils import basic

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19

    @contextlib.contextmanager
    def patch_module_args(args: dict[str, Any] | None = None) -> Iterator[None]:
        serialized = json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}).encode("utf-8")
        with mock.patch.object(basic, "_ANSIBLE_ARGS", serialized):
            yield


class ModuleCrashed(AssertionError):
    """main() ended with an exception other than the SystemExit of exit_json/fail_json."""


def run_module(main: Callable[[], None], args: dict[str, Any], capsys: Any) -> dict[str, Any]:
    """The parsed result of ``main()`` with ``args``; raises ModuleCrashed on a traceback."""
    capsys.readouterr()  # drop anything printed before
    code: Any = None
    with patch_module_args(args):
        try:
            main()
            raise ModuleCrashed("main() returned without exit_json or fail_json")
        except SystemExit as exit_:
            code = exit_.code
        except ModuleCrashed:
            raise
        except Exception as exc:  # any other exception is the bug under test
            raise ModuleCrashed(f"{type(exc).__name__}: {exc}") from exc
    out = capsys.readouterr().out
    try:
        result = json.loads(out)
    except ValueError as exc:
        raise ModuleCrashed(f"output is not one JSON document: {out[:500]!r}") from exc
    if not isinstance(result, dict):
        raise ModuleCrashed(f"output is not a JSON object: {out[:500]!r}")
    failed = bool(result.get("failed"))
    if (code not in (0, None)) != failed:
        raise ModuleCrashed(f"exit code {code!r} does not match failed={failed}")
    return result


def warnings_of(result: dict[str, Any]) -> list[str]:
    """Warning texts; ansible-core 2.19 keeps each as a summary object until the controller formats it."""
    return [item if isinstance(item, str) else item["event"]["msg"] for item in result.get("warnings", [])]


def run_against(main: Callable[[], None], fake_api: Any, capsys: Any, token: str, **args: Any) -> dict[str, Any]:
    """main() against the fake API with ``token``, no retry and a 5 s timeout; its result holds no traceback and not the token."""
    base: dict[str, Any] = {"api_url": fake_api.url, "api_token": token, "api_retries": 0, "api_timeout": 5}
    result = run_module(main, dict(base, **args), capsys)
    assert "exception" not in result and "Traceback" not in json.dumps(result)
    assert token not in json.dumps(result)
    return result
