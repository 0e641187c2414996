# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's version: the single source of truth at run time (equal to galaxy.yml's)."""

from __future__ import annotations

COLLECTION_VERSION = "1.0.0"
