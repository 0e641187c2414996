"""Fixtures of the system tests: a measured emulator per test, ansible-playbook against it, the report."""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterator, List

import pytest

from tests.e2e.system.drive import Ansible, RecordedEmulator
from tests.e2e.system.measure import GAP_BOUND, REPORT_JSONL, REPORT_MD, Measurement, session_lines, write_summary


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    # Keep the call phase's outcome on the item, for the report line written at teardown.
    report = (yield).get_result()
    if report.when == "call":
        item.system_outcome = report.outcome  # type: ignore[attr-defined]


@pytest.fixture
def measurement(request: pytest.FixtureRequest) -> Iterator[Measurement]:
    """What this test measured; appended to build/system-report.jsonl when it ends."""
    measured = Measurement(request.node.name)
    yield measured
    measured.outcome = getattr(request.node, "system_outcome", "error")
    measured.append()
    # Every test, whatever it asserts itself: no wait of the client beyond its documented bound.
    assert measured.longest_gap <= GAP_BOUND, f"{measured.longest_gap:.1f} s between two requests, more than {GAP_BOUND:g} s"


@pytest.fixture
def start_emulator(measurement: Measurement) -> Iterator[Callable[..., RecordedEmulator]]:
    """``start_emulator(seed, **options)``: an emulator (memory backend) for this test, stopped at its end."""
    started: List[RecordedEmulator] = []

    def start(seed: Dict[str, Any], **options: Any) -> RecordedEmulator:
        # Limit off unless a test sets it: the tests count requests, which the limiter's 429s and waits would change.
        emulator = RecordedEmulator(seed, measurement, options={"rate_limit": 0, **options})
        started.append(emulator)
        return emulator.start()

    yield start
    for emulator in started:
        emulator.stop()


@pytest.fixture
def ansible_for(collections_root: str, tmp_path: Any) -> Callable[[RecordedEmulator], Ansible]:
    """``ansible_for(emulator)``: runs ansible-playbook against that emulator."""
    return lambda emulator: Ansible(collections_root, emulator, str(tmp_path))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not session_lines():
        return
    rows = write_summary()
    terminalreporter.section("system test measurements")
    for row in rows:
        terminalreporter.write_line(row)
    terminalreporter.write_line(f"(per test: {REPORT_JSONL}; table: {REPORT_MD})")
