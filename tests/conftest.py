"""Make this checkout importable as ``ansible_collections.dbpools.aiven``, the emulator as ``aiven_emulator``; hypothesis profiles.

Plain pytest does not know the collection namespace. A symlink tree in a temp
folder maps it onto the checkout, so tests import the real files in place.
The emulator is a package of its own in emulator/: pytest.ini puts that folder on
sys.path for plain pytest; ansible-test units ignores pytest.ini, so this does it
there too (in the copy tools/ansible-test-root.sh makes, emulator/ included).

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


def _expose_emulator() -> None:
    emulator_folder = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "emulator")
    if emulator_folder not in sys.path:
        sys.path.insert(0, emulator_folder)


_expose_collection()
_expose_emulator()
settings.register_profile("release", max_examples=250)
settings.register_profile("quick", max_examples=25)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "release"))
