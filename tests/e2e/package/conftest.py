"""The release tarball's files and the environment of its offline install (tests/support/fixtures.py builds and installs it once)."""

from __future__ import annotations

import tarfile
from typing import Dict, Set

import pytest

from tests.support.ansible import ansible_env


@pytest.fixture(scope="session")
def members(tarball: str) -> Set[str]:
    """The tarball's files (not folders), relative to the collection root."""
    with tarfile.open(tarball) as archive:
        return {member.name.removeprefix("./") for member in archive.getmembers() if member.isfile()}


@pytest.fixture(scope="session")
def install_env(installed_root: str) -> Dict[str, str]:
    """Ansible sees the installed collection and nothing of the caller's ANSIBLE_* or AIVEN_* settings."""
    return ansible_env(installed_root)
