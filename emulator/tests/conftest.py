"""Fixtures: an emulator subprocess with the test seed (harness.py), which covers every service case."""

from __future__ import annotations

import pytest
from harness import TEST_SEED, UNLIMITED, Api

from aiven_emulator.process import EmulatorProcess


@pytest.fixture(scope="module")
def emulator():
    # Off: these tests make hundreds of requests a minute with one token; the limiter's own tests turn it on.
    with EmulatorProcess(TEST_SEED, options=UNLIMITED) as emu:
        yield emu


@pytest.fixture
def api(emulator):
    emulator.clear_faults()
    emulator.set_latency(0)
    return Api(emulator.url)
