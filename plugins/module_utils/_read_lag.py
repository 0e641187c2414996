# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading again while the API does not show a write yet: a bounded backoff.

Aiven's API is not read-your-writes: a pool just created or changed may be missing
from, or old in, the next read (Terraform's provider re-reads such a pool until it
appears). Before the engine calls an accepted write "not reflected", it reads again
after each of READ_LAG_DELAYS; a write that shows by then is taken as made.
"""

from __future__ import annotations

from collections.abc import Callable

# Seconds to wait before each read again; together READ_LAG_TOTAL (30 s), the most a run waits for one read.
READ_LAG_DELAYS = (1.0, 2.0, 4.0, 8.0, 15.0)
READ_LAG_TOTAL = sum(READ_LAG_DELAYS)


def read_until_shown(read: Callable[[], None], shown: Callable[[], bool], sleep: Callable[[float], None]) -> bool:
    """``read()``, then read again after each delay while ``shown()`` is False; whether it shows in the end."""
    read()
    for delay in READ_LAG_DELAYS:
        if shown():
            return True
        sleep(delay)
        read()
    return shown()
