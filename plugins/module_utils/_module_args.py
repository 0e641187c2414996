# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module's arguments as given (before Ansible's fallbacks, defaults and conversions), read once.

Some checks must know what the task itself set: whether api_token came from it or from the
environment, a pool item that is no dict. ansible-core's ``_load_params`` parses (and on 2.19
deep-copies) every argument at each call, which at 10,000 definitions costs a tenth of a
second each time; the parse is kept for as long as the arguments it came from.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from ansible.module_utils import basic

# (the serialized arguments, their profile) -> the arguments they hold.
_read: tuple[object, object, Mapping[str, Any]] | None = None
# The arguments of a run in the controller's process (no serialized arguments there): see given_in_process.
_in_process: Mapping[str, Any] | None = None


@contextmanager
def given_in_process(arguments: Mapping[str, Any]) -> Iterator[None]:
    """While it lasts, given_arguments() is ``arguments``: the task's, for the module's code run by its action plugin."""
    global _in_process  # pylint: disable=global-statement  # one run at a time in a worker process
    before, _in_process = _in_process, arguments
    try:
        yield
    finally:
        _in_process = before


def given_arguments() -> Mapping[str, Any]:
    """The arguments as given; {} where the module is only introspected (ansible-test validate-modules). Not to be changed."""
    global _read  # pylint: disable=global-statement  # one parse per process, as ansible-core keeps the serialized arguments
    if _in_process is not None:
        return _in_process
    source = (getattr(basic, "_ANSIBLE_ARGS", None), getattr(basic, "_ANSIBLE_PROFILE", None))
    # Compared by identity: tests (and ansible-core's patch_module_args) put new arguments in place of the old ones.
    if _read is not None and source[0] is not None and _read[0] is source[0] and _read[1] is source[1]:
        return _read[2]
    raw = basic._load_params()  # pylint: disable=protected-access  # the one way to the arguments as given
    arguments = raw if isinstance(raw, Mapping) else {}
    _read = (getattr(basic, "_ANSIBLE_ARGS", None), getattr(basic, "_ANSIBLE_PROFILE", None), arguments)
    return arguments
