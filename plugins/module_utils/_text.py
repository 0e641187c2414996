# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Text from the API made fit for a person's terminal: no control characters, bounded length.

Messages, warnings and the change lines show API texts (error messages, names
read from replies) through ``printable``. Machine-readable values (a module's
``failure``, ``changes``) keep the API's text as sent: JSON escapes what they hold.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any

# One text from the API (an error message, a name) in a message.
TEXT_MAX = 500
# A whole message or warning; it may list many problems and names, each of them bounded only by this.
MESSAGE_MAX = 4000
ELLIPSIS = "..."
# C0, DEL and C1 (ESC, CSI: a terminal runs them), line and paragraph separators (they break the
# one line a warning is), format characters (bidi overrides reorder what is shown), and
# unpaired surrogates (they cannot be encoded for output).
_HIDDEN_CATEGORIES = frozenset(("Cc", "Cf", "Cs", "Zl", "Zp"))
# Escaped as Python writes them, so that a name with a newline does not pass for one with a space.
# What no option value may hold: control characters and unpaired surrogates.
_UNUSABLE_CATEGORIES = ("Cc", "Cs")
# A value shown in a message (repr, shortened).
_SHOWN_MAX = 80
# Items a message names (databases, users, pools, writes); the result's lists hold them all.
NAMES_SHOWN = 10
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(char: str) -> str:
    if unicodedata.category(char) not in _HIDDEN_CATEGORIES:
        return char
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")


def _plain(text: str) -> bool:
    """True when ``text`` has nothing to escape and no unusable character, told without a per-character lookup.

    Printable ASCII (space to ``~``) is in none of the categories above; most names and messages are
    only that, and a definition's checks and labels look at each of them several times.
    """
    return text.isascii() and text.isprintable()


def printable(text: str, limit: int = TEXT_MAX) -> str:
    """``text`` with every control character escaped (ESC as ``\\x1b``, a newline as ``\\n``), cut to ``limit`` characters."""
    # Each character escapes to at least one, so no more than ``limit`` + 1 of a huge text are looked at.
    head = text[:limit + 1]
    shown = head if _plain(head) else "".join(_escaped(char) for char in head)
    if len(shown) <= limit:
        return shown
    return shown[:limit - len(ELLIPSIS)] + ELLIPSIS if limit > len(ELLIPSIS) else shown[:limit]


def shown(value: Any) -> str:
    """A value for an error message: its repr (control characters escaped), shortened when long."""
    text = repr(value)
    if len(text) <= _SHOWN_MAX:
        return text
    size = f" ({len(value)} characters)" if isinstance(value, str) else ""
    return f"{text[:_SHOWN_MAX - 20]}...{size}"


def listed(items: Sequence[str]) -> str:
    """Items for a message, the first NAMES_SHOWN of them and a count of the rest."""
    rest = len(items) - NAMES_SHOWN
    text = ", ".join(items[:NAMES_SHOWN])
    return f"{text} and {rest} more" if rest > 0 else text


def unusable_character(text: str) -> int | None:
    """Position of the first control character or unpaired surrogate in ``text``, or None."""
    if _plain(text):
        return None
    for position, char in enumerate(text):
        if unicodedata.category(char) in _UNUSABLE_CATEGORIES:
            return position
    return None
