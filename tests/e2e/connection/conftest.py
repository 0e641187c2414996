"""Fixtures of the connection tests: the emulator with real PgBouncer, lookup runs against it."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from aiven_emulator.process import EmulatorProcess
from tests.e2e.connection.world import SEED, LookupRuns


@pytest.fixture(scope="session")
def emulator(session_emulator: Callable[..., EmulatorProcess]) -> EmulatorProcess:
    """One emulator for the suite: every service gets PostgreSQL and PgBouncer, which take a while to start."""
    return session_emulator(SEED, backend="pgbouncer", start_timeout=180)


@pytest.fixture
def lookup_runs(emulator: EmulatorProcess, collections_root: str, tmp_path: Any) -> LookupRuns:
    """Playbook runs of the lookup, against a request log emptied for this test."""
    emulator.reset_requests()
    return LookupRuns(collections_root, emulator.url, str(tmp_path))


@pytest.fixture(scope="session")
def passwords(emulator: EmulatorProcess) -> list[str]:
    """Every seeded password: none may show in a playbook's output."""
    return [password for entry in emulator.credentials["services"] for password in entry["users"].values() if password]
