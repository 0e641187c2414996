"""The environments a release is tested in come from their locks: every package pinned with hashes,
the locks current with their inputs, and this venv exactly its lock (`pip freeze --all`; `make nox`
checks its docs-check venv against requirements/docs.txt the same way)."""

from __future__ import annotations

import glob
import os
import sys
from pathlib import Path

import pytest

from tests.support.collection import REPO_ROOT
from tests.support.locks import drift, installed, pinned, read_lock, unmet

INPUTS = sorted(glob.glob(os.path.join(REPO_ROOT, "requirements", "*.in")))


def lock_of(input_path: str) -> str:
    return input_path[:-len(".in")] + ".txt"


def test_every_input_has_a_lock() -> None:
    assert [os.path.basename(path) for path in INPUTS] == ["dev.in", "docs.in", "matrix-2.17.in"]
    assert [path for path in INPUTS if not os.path.isfile(lock_of(path))] == []


@pytest.mark.parametrize("input_path", INPUTS, ids=os.path.basename)
def test_the_lock_pins_every_input_within_its_range(input_path: str) -> None:
    """An input edited without `make lock` afterwards fails here."""
    assert unmet(input_path, pinned(read_lock(lock_of(input_path)))) == []


@pytest.mark.parametrize("input_path", INPUTS, ids=os.path.basename)
def test_every_pin_has_a_hash(input_path: str) -> None:
    pins = read_lock(lock_of(input_path))
    assert len(pins) > 20 and sorted(name for name, pin in pins.items() if pin.hashes == 0) == []


def test_this_venv_is_exactly_the_dev_lock() -> None:
    assert os.path.realpath(sys.prefix) == os.path.realpath(os.path.join(REPO_ROOT, ".venv")), "run through make (the .venv)"
    assert drift(read_lock(os.path.join(REPO_ROOT, "requirements", "dev.txt")), installed()) == []


def test_drift_names_every_difference(tmp_path: Path) -> None:
    """The comparison itself: a changed, a missing and an extra package each get a line; another platform's pin none."""
    lock = tmp_path / "lock.txt"
    lock.write_text("a==1.0 \\\n    --hash=sha256:00\nb==2.0 \\\n    --hash=sha256:11\n"
                    "win==1 ; sys_platform == 'win32' \\\n    --hash=sha256:22\n", encoding="utf-8")
    assert drift(read_lock(str(lock)), {"a": "1.1", "c": "3"}) == [
        "a: installed 1.1, locked 1.0", "b==2.0: locked, not installed", "c==3: installed, not in the lock"]
