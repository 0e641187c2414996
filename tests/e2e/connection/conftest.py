"""Fixtures of the connection tests: the emulator with real PgBouncer, the collection for ansible-playbook."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from tests.connection.world import SEED, LookupRuns
from tests.support.collection import link_collection
from tests.support.emulator import EmulatorProcess


@pytest.fixture(scope="session")
def collections_root(tmp_path_factory: pytest.TempPathFactory) -> str:
    return link_collection(str(tmp_path_factory.mktemp("collections")))


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorProcess]:
    """One emulator for the suite: every service gets PostgreSQL and PgBouncer, which take a while to start."""
    with EmulatorProcess(SEED, backend="pgbouncer", start_timeout=180) as emu:
        yield emu


@pytest.fixture
def lookup_runs(emulator: EmulatorProcess, collections_root: str, tmp_path: Any) -> LookupRuns:
    """Playbook runs of the lookup, against a request log emptied for this test."""
    emulator.reset_requests()
    return LookupRuns(collections_root, emulator.url, str(tmp_path))


@pytest.fixture(scope="session")
def passwords(emulator: EmulatorProcess) -> list[str]:
    """Every seeded password: none may show in a playbook's output."""
    return [password for entry in emulator.credentials["services"] for password in entry["users"].values() if password]
