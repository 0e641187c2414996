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


def _expose_collection() -> None:
    if "ansible_collections.dbpools.aiven" in sys.modules:  # ansible-test units has put it there
        return
    from tests.support.collection import link_collection  # plain pytest only: under ansible-test, tests/ is not a top-level package

    root = tempfile.mkdtemp(prefix="dbpools-collections-")
    atexit.register(shutil.rmtree, root, True)
    sys.path.insert(0, link_collection(root))


_expose_collection()
settings.register_profile("release", max_examples=250)
settings.register_profile("quick", max_examples=25)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "release"))
