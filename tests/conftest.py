"""Make this checkout importable as ``ansible_collections.dbpools.aiven``; hypothesis profiles.

Plain pytest does not know the collection namespace. A symlink tree in a temp
folder maps it onto the checkout, so tests import the real files in place.

Property tests take their number of examples from the hypothesis profile:
``release`` (the default, what ``make test`` runs) or ``quick`` (``make check``),
chosen with ``HYPOTHESIS_PROFILE``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile

from hypothesis import settings

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _expose_collection() -> None:
    if "ansible_collections.dbpools.aiven" in sys.modules:
        return
    root = tempfile.mkdtemp(prefix="dbpools-collections-")
    atexit.register(shutil.rmtree, root, True)
    namespace_dir = os.path.join(root, "ansible_collections", "dbpools")
    os.makedirs(namespace_dir)
    os.symlink(REPO_ROOT, os.path.join(namespace_dir, "aiven"))
    sys.path.insert(0, root)


_expose_collection()
settings.register_profile("release", max_examples=250)
settings.register_profile("quick", max_examples=25)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "release"))
