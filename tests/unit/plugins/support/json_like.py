# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hypothesis strategies for the filters' property tests: whatever a template can hand a filter, and the checks of its answer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
from ansible.errors import AnsibleFilterError
from hypothesis import strategies as st

from ansible_collections.dbpools.aiven.tests.unit.plugins.support.text_checks import has_control

SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
# Terminal controls (ESC, CSI, newline), a bidi override and an unpaired surrogate, beside plain names.
ODD_TEXT = st.sampled_from(["\x1b[2J", "a\nb", "\x9b2J", "\u202eevil", "\ud800", "\t", "x" * 700])
NAMES = st.sampled_from(["prod", "pg-a", "app"]) | ODD_TEXT | st.text(max_size=8)


def json_like(words: Sequence[str]) -> st.SearchStrategy[Any]:
    """Nested dicts, lists and scalars; ``words`` (the keys and values a filter looks for) come up often."""
    known = st.sampled_from(list(words))
    leaves = SCALARS | known | ODD_TEXT
    return st.recursive(leaves, lambda children: st.lists(children, max_size=4)
                        | st.dictionaries(known | st.text(max_size=6), children, max_size=7), max_leaves=24)


def shaped(keys: dict[str, st.SearchStrategy[Any]], words: Sequence[str]) -> st.SearchStrategy[Any]:
    """Lists of dicts with the keys a filter reads, each value of the expected kind or not."""
    values = {key: strategy | json_like(words) for key, strategy in keys.items()}
    return st.lists(st.fixed_dictionaries({}, optional=values), max_size=5)


def result_or_filter_error(name: str, call: Callable[[], Any]) -> Any:
    """The filter's result, or None after an AnsibleFilterError that names the filter; any other exception fails the test."""
    try:
        return call()
    except AnsibleFilterError as err:
        assert str(err).startswith(f"{name}: "), str(err)
        assert not has_control(str(err)), repr(str(err))
        return None
    except Exception as err:  # noqa: BLE001 - any other exception is the bug under test
        pytest.fail(f"{name} raised {type(err).__name__}: {err}")
