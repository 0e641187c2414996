# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for running the modules and the lookup in-process against a local fake Aiven API."""

from __future__ import annotations

import pytest

from ansible_collections.dbpools.aiven.tests.unit.plugins.modules.fake_api import FakeAivenApi

ENVIRONMENT = ("AIVEN_TOKEN", "AIVEN_AUTH_TOKEN", "AIVEN_WEB_URL")


@pytest.fixture(scope="module")
def fake_api_server():
    server = FakeAivenApi().start()
    yield server
    server.stop()


@pytest.fixture
def fake_api(fake_api_server, monkeypatch):
    """The shared server, emptied; the token and URL come from the arguments or options only."""
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    fake_api_server.reset()
    return fake_api_server
