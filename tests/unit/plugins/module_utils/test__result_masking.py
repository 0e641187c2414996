# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""without_no_log_values: always what ansible-core's remove_values returns, and the result itself when nothing is to remove."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.common.parameters import remove_values
from hypothesis import example, given
from hypothesis import strategies as st

from ansible_collections.dbpools.aiven.plugins.module_utils._result_masking import without_no_log_values

SECRET = "s3cret-T0KEN"
# Texts that sometimes hold the secret, numbers that sometimes spell it.
TEXTS = st.one_of(st.text(max_size=12), st.builds(lambda a, b: a + SECRET + b, st.text(max_size=4), st.text(max_size=4)), st.just(SECRET))
SCALARS = st.one_of(TEXTS, st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False))
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4), st.tuples(inner, inner)),
    max_leaves=20,
)


@given(VALUES, st.sampled_from([{SECRET}, {SECRET, "12"}, set(), {""}, {"one"}]))
# ansible-core 2.17 masks None and booleans whose text holds a no_log value; 2.19 leaves them.
@example(None, {"one"})
@example(True, {"ru"})
def test_same_as_remove_values(value: Any, no_log: set[str]) -> None:
    assert without_no_log_values(value, no_log) == remove_values(value, no_log)


def test_a_result_without_secrets_is_returned_as_it_is() -> None:
    result = {"pools": [{"pool_name": "app", "pool_size": 10, "username": None, "ok": True}], "msg": "fine"}
    assert without_no_log_values(result, {SECRET}) is result


def test_a_secret_anywhere_is_removed() -> None:
    result = {"pools": [{"user": SECRET, "uri": f"postgres://u:{SECRET}@h/db"}], "count": 1234}
    masked = without_no_log_values(result, {SECRET, "234"})
    assert masked == {"pools": [{"user": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER", "uri": "postgres://u:********@h/db"}],
                      "count": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"}
    # The result given is left as it was.
    assert result["pools"][0]["user"] == SECRET
