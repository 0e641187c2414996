# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the API client tests."""

from __future__ import annotations

import pytest

from ansible_collections.dbpools.aiven.tests.unit.plugins.support.api_helpers import FakeTime
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.stub_server import StubServer


@pytest.fixture
def server():
    stub = StubServer().start()
    yield stub
    stub.stop()


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()
