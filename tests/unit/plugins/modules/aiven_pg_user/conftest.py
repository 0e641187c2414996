# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""aiven_pg_user in-process against the fake user routes (support/fake_users_api.py)."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.dbpools.aiven.plugins.modules import aiven_pg_user
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.fake_users_api import FakeUsersApi
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.module_runner import run_against

TOKEN = "pg-user-T0KEN-0123456789abcdef"
ENVIRONMENT = ("AIVEN_TOKEN", "AIVEN_AUTH_TOKEN", "AIVEN_WEB_URL", "AIVEN_PROJECT_TOKENS")


@pytest.fixture(scope="module")
def user_api_server():
    server = FakeUsersApi().start()
    yield server
    server.stop()


@pytest.fixture
def user_api(user_api_server, monkeypatch) -> FakeUsersApi:
    """The shared server, emptied, with proj/pg (RUNNING, avnadmin only); the token comes from the arguments only."""
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    user_api_server.reset()
    user_api_server.add_service("proj", "pg")
    return user_api_server


@pytest.fixture
def sleeps(monkeypatch) -> list[float]:
    """The waits between reads again, recorded instead of slept."""
    waited: list[float] = []
    monkeypatch.setattr(aiven_pg_user, "SLEEP", waited.append)
    return waited


@pytest.fixture
def run(user_api, sleeps, capsys):
    """Run the module against the fake: no retry unless asked, no real waits, the token never in the result."""

    def runner(**args: Any) -> dict[str, Any]:
        return run_against(aiven_pg_user.main, user_api, capsys, TOKEN, **args)

    return runner
