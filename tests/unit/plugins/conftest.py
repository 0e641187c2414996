# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for running the modules and the lookup in-process against a local fake Aiven API."""

from __future__ import annotations

import os

import pytest

from ansible_collections.dbpools.aiven.tests.unit.plugins.support.fake_api import PROJECT_CA_PEM, FakeAivenApi

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


@pytest.fixture
def fifo(tmp_path) -> str:
    """A named pipe where a CA file is expected: reading it would block."""
    path = str(tmp_path / "ca.pem")
    os.mkfifo(path)
    return path


@pytest.fixture
def ca_file(tmp_path) -> str:
    """A project CA file (PROJECT_CA_PEM) with a private key before it."""
    path = tmp_path / "project-ca.pem"
    path.write_text(f"-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n{PROJECT_CA_PEM}\n", encoding="utf-8")
    return str(path)
