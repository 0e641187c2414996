# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for module_utils/_text.py, and for API texts reaching a module's msg and warnings through it."""

from __future__ import annotations

import unicodedata
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.dbpools.aiven.plugins.module_utils import _text
from ansible_collections.dbpools.aiven.plugins.module_utils._api import AivenApiError
from ansible_collections.dbpools.aiven.plugins.module_utils._text import TEXT_MAX, printable, unusable_character
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.text_checks import has_control

# Clears the screen, then forges a line of its own.
HOSTILE = "\x1b[2J\x1b[Hok\r\n[WARNING]: forged"
SHOWN = "\\x1b[2J\\x1b[Hok\\r\\n[WARNING]: forged"


@pytest.mark.parametrize("text, expected", [
    ("plain text, unchanged: é ü 池", "plain text, unchanged: é ü 池"),
    (HOSTILE, SHOWN),
    ("tab\there", "tab\\there"),
    ("csi \x9b2J del \x7f nul \x00", "csi \\x9b2J del \\x7f nul \\x00"),
    ("bidi \u202egnp.exe line\u2028para\u2029", "bidi \\u202egnp.exe line\\u2028para\\u2029"),
    ("surrogate \ud800", "surrogate \\ud800"),
    ("", ""),
])
def test_control_characters_are_escaped_as_python_writes_them(text, expected):
    assert printable(text) == expected


def test_long_texts_are_cut_with_an_ellipsis():
    assert printable("x" * 1_000_000) == "x" * (TEXT_MAX - 3) + "..."
    assert printable("x" * TEXT_MAX) == "x" * TEXT_MAX
    assert printable("\x1b" * 10, limit=11) == "\\x1b\\x1b..."
    assert printable("abcdef", limit=2) == "ab"


@given(st.text(), st.integers(min_value=0, max_value=TEXT_MAX))
def test_property_printable_is_bounded_clean_and_stable(text, limit):
    shown = printable(text, limit)
    assert len(shown) <= limit
    assert not has_control(shown)
    assert printable(shown, limit) == shown
    shown.encode("utf-8")  # no unpaired surrogate left to break the output


def test_api_error_text_is_printable_and_failure_keeps_the_api_text():
    err = AivenApiError(400, HOSTILE + "x" * 5000, method="POST", path="/v1/p")
    assert str(err) == f"POST /v1/p: HTTP 400: {printable(HOSTILE + 'x' * 5000)}"
    assert not has_control(str(err)) and len(str(err)) < TEXT_MAX + 50
    assert err.failure()["message"] == HOSTILE + "x" * 5000


# Mostly printable ASCII, as names are, with now and then a character of any kind: both paths are taken.
NAME_LIKE = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7e) | st.characters(), max_size=80)


@given(NAME_LIKE | st.text(), st.integers(min_value=0, max_value=TEXT_MAX))
def test_property_the_fast_path_gives_what_the_character_scan_gives(text, limit):
    fast = (printable(text, limit), unusable_character(text))
    with mock.patch.object(_text, "_plain", return_value=False):
        assert (printable(text, limit), unusable_character(text)) == fast


def test_the_fast_path_takes_only_characters_with_nothing_to_escape():
    for code in range(0x250):
        char = chr(code)
        if _text._plain(char):
            assert unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Zl", "Zp")
    assert _text._plain("pool-00001 avnadmin ~")
    assert not _text._plain("tab\there") and not _text._plain("del\x7f") and not _text._plain("池")
    assert unusable_character("ok\x00") == 2 and unusable_character("ok") is None
