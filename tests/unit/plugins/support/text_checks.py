# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the tests of printable output check, importable by module tests too (ansible-test units lets
the tests of modules and module_utils import no controller code, so this imports none)."""

from __future__ import annotations

import unicodedata

# The categories module_utils/_text.printable escapes.
CONTROL_CATEGORIES = ("Cc", "Cf", "Cs", "Zl", "Zp")


def has_control(text: str) -> bool:
    return any(unicodedata.category(char) in CONTROL_CATEGORIES for char in text)
