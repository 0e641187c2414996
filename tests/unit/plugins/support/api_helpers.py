# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the API client tests share: the token, Aiven's error shape, a client factory, a refused read and a fake clock."""

from __future__ import annotations

import threading

import pytest

from aiven_emulator.errors import ApiError
from ansible_collections.dbpools.aiven.plugins.module_utils._api import AivenApiError, AivenClient

TOKEN = "s3cr3t-T0KEN-value-abcdef0123456789"
SERVICE_PATH = "/v1/project/proj/service/pg1"
POOLS_PATH = SERVICE_PATH + "/connection_pool"


def aiven_error(message: str, status: int, error_code: str | None = None) -> dict:
    """The body of an error reply, in the emulator's rendering of Aiven's shape."""
    return ApiError(status, message, error_code).body()


class FakeTime:
    """A monotonic clock that moves only when the client sleeps: waits are recorded, not spent."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


def make_client(url: str, fake_time: FakeTime | None = None, token: str = TOKEN, **kwargs) -> AivenClient:
    """A client with short real waits, or with ``fake_time`` none at all."""
    options: dict = {"timeout": 5.0, "max_retries": 3, "backoff_factor": 0.01, "backoff_max": 0.05}
    if fake_time is not None:
        options.update(sleep=fake_time.sleep, clock=fake_time.clock)
    options.update(kwargs)
    return AivenClient(token, api_url=url, **options)


def refused(server, **client_options) -> AivenApiError:
    """The error a client with ``client_options`` raises for a read of proj/pg1 from ``server``."""
    with pytest.raises(AivenApiError) as info:
        make_client(server.url, **client_options).get_service("proj", "pg1")
    return info.value
