"""Make this checkout importable as ``ansible_collections.dbpools.aiven``.

Plain pytest does not know the collection namespace. A symlink tree in a temp
folder maps it onto the checkout, so tests import the real files in place.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile

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
