# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""aiven_pg_database in-process against the fake database routes (support/fake_databases_api.py)."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.dbpools.aiven.plugins.modules import aiven_pg_database
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.fake_databases_api import FakeDatabasesApi
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.module_runner import run_against

TOKEN = "pg-database-T0KEN-0123456789abcdef"
ENVIRONMENT = ("AIVEN_TOKEN", "AIVEN_AUTH_TOKEN", "AIVEN_WEB_URL", "AIVEN_PROJECT_TOKENS")


@pytest.fixture(scope="module")
def db_api_server():
    server = FakeDatabasesApi().start()
    yield server
    server.stop()


@pytest.fixture
def db_api(db_api_server, monkeypatch) -> FakeDatabasesApi:
    """The shared server, emptied, with proj/pg (RUNNING, defaultdb only); the token comes from the arguments only."""
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    db_api_server.reset()
    db_api_server.add_service("proj", "pg")
    return db_api_server


@pytest.fixture
def run(db_api, capsys):
    """Run the module against the fake: no retry unless asked, the token never in the result."""

    def runner(**args: Any) -> dict[str, Any]:
        return run_against(aiven_pg_database.main, db_api, capsys, TOKEN, **args)

    return runner


@pytest.fixture(autouse=True)
def waits(monkeypatch) -> list[float]:
    """The module's waits between reads of a lagging list, recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr(aiven_pg_database, "SLEEP", slept.append)
    return slept
