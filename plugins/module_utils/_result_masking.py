# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible-core's remove_values on a module's result, without its cost when there is nothing to remove.

remove_values copies every node of a result through generic checks: at 10,000 pools that is about half a
second, and more in check mode. A result holds a no_log value only by mistake, so one quick look decides:
when no text (nor number written out) contains any no_log value and the result is made of plain JSON types
only, remove_values would return an equal copy, and the result is returned as it is; otherwise
remove_values itself runs, so what is removed, and how, stays ansible-core's.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.common.text.converters import to_native


def _clean(value: Any, no_log: Collection[str]) -> bool:
    """True when remove_values would change nothing in ``value`` and return the same types."""
    kind = type(value)
    if kind is str:
        return not any(secret in value for secret in no_log)
    if kind is dict:
        # Keys are never masked (remove_values copies them as they are).
        return all(_clean(item, no_log) for item in value.values())
    if kind is list:
        return all(_clean(item, no_log) for item in value)
    if value is None or kind is bool or kind is int or kind is float:
        # remove_values masks a number whose text contains a no_log value, and on ansible-core 2.17 a boolean or None too.
        text = str(value)
        return not any(secret in text for secret in no_log)
    # Tuples, sets, subclasses, anything else: remove_values decides.
    return False


def without_no_log_values(value: Any, no_log: Collection[str]) -> Any:
    """``value`` with every no_log value removed, as ansible-core's remove_values removes them."""
    # As remove_values reads them (bytes as text).
    texts = [to_native(secret, errors="surrogate_or_strict") for secret in no_log]
    if _clean(value, texts):
        return value
    return remove_values(value, no_log)
