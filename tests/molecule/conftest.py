"""Fixtures of the molecule scenarios: the emulator they talk to and the collection on a path."""

from __future__ import annotations

import os
from typing import Any, Dict, Iterator

import pytest
import yaml

from aiven_emulator.process import EmulatorProcess
from tests.support.collection import REPO_ROOT
from tests.support.fixtures import collections_root  # noqa: F401  # pylint: disable=unused-import

MOLECULE_DIR = os.path.join(REPO_ROOT, "extensions", "molecule")
# Services of their own for each scenario, so that they do not see each other's pools.
SEED_FILE = os.path.join(REPO_ROOT, "tests", "seeds", "molecule.yml")


@pytest.fixture(scope="session")
def seed() -> Dict[str, Any]:
    with open(SEED_FILE, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.fixture(scope="session")
def emulator(seed: Dict[str, Any]) -> Iterator[EmulatorProcess]:
    # Limit off: the scenarios' playbook runs share one token, hundreds of requests a minute; the limiter's tests are in emulator/tests.
    with EmulatorProcess(seed, backend="memory", options={"rate_limit": 0}) as running:
        yield running
