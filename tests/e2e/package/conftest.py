"""One tarball per session, built from a clean copy and installed offline into an empty folder."""

from __future__ import annotations

import os
import tarfile
from typing import Dict, Set

import pytest

from tests.support.ansible import ansible_env
from tests.support.collection import REPO_ROOT, build_tarball, copy_worktree, install_tarball

# Where the README says `make package` leaves the release tarball: the one tested is the one shipped.
DIST = os.path.join(REPO_ROOT, "build", "dist")


@pytest.fixture(scope="session")
def clean_copy(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The work tree's tracked and untracked-not-ignored files, so local caches and venvs cannot leak into the build."""
    copy = str(tmp_path_factory.mktemp("source") / "ansible_collections" / "dbpools" / "aiven")
    copy_worktree(copy)
    return copy


@pytest.fixture(scope="session")
def tarball(clean_copy: str) -> str:
    return build_tarball(clean_copy, DIST)


@pytest.fixture(scope="session")
def members(tarball: str) -> Set[str]:
    """The tarball's files (not folders), relative to the collection root."""
    with tarfile.open(tarball) as archive:
        return {member.name.removeprefix("./") for member in archive.getmembers() if member.isfile()}


@pytest.fixture(scope="session")
def collections_root(tarball: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    root = str(tmp_path_factory.mktemp("installed"))
    install_tarball(tarball, root)
    return root


@pytest.fixture(scope="session")
def installed(collections_root: str) -> str:
    return os.path.join(collections_root, "ansible_collections", "dbpools", "aiven")


@pytest.fixture(scope="session")
def install_env(collections_root: str) -> Dict[str, str]:
    """Ansible sees the installed collection and nothing of the caller's ANSIBLE_* or AIVEN_* settings."""
    return ansible_env(collections_root)
