"""The e2e suite: each test carries the marker of its subfolder (``pytest tests/e2e -m system``); the shared fixtures.

The markers are registered in pytest.ini (strict): a subfolder without one is an error here,
not a test that no ``-m`` selects.
"""

from __future__ import annotations

from pathlib import Path
from typing import List

import pytest

from tests.support.fixtures import clean_copy, collections_root, installed, installed_root, pki, session_emulator, tarball

# The shared fixtures, imported for pytest to find them here (tests/support/fixtures.py defines them).
__all__ = ["clean_copy", "collections_root", "installed", "installed_root", "pki", "session_emulator", "tarball"]

HERE = Path(__file__).parent


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: List[pytest.Item]) -> None:
    registered = {line.split(":", 1)[0].strip() for line in config.getini("markers")}
    for item in items:
        if HERE not in item.path.parents:
            continue
        suite = item.path.relative_to(HERE).parts[0]
        if suite not in registered:
            raise pytest.UsageError(f"{item.nodeid}: tests/e2e/{suite} has no marker of its own in pytest.ini")
        item.add_marker(suite)
