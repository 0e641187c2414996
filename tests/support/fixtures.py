"""The fixtures every suite outside tests/unit shares, defined once; a conftest imports the ones it uses.

- ``collections_root``: the work tree linked where Ansible looks for dbpools.aiven.
- ``clean_copy``, ``tarball``, ``installed_root``, ``installed``: the release tarball built once
  per run from a clean copy (into build/dist, where the README says `make package` leaves it)
  and installed offline into an empty folder; the package and AWX tests share them.
- ``session_emulator``: ``session_emulator(seed, **options)`` starts an emulator that lives
  until the session ends (aiven_emulator.process.EmulatorProcess).
- ``pki``: a throwaway private CA, a server certificate for 127.0.0.1/localhost, and an
  unrelated CA, made with the emulator's own CA code.

Running Ansible is tests/support/ansible.py; the secret scan is tests/support/secrets.py.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest

from aiven_emulator.pki import CertificateAuthority
from aiven_emulator.process import EmulatorProcess
from tests.support.collection import REPO_ROOT, build_tarball, copy_worktree, install_tarball, link_collection

DIST = os.path.join(REPO_ROOT, "build", "dist")


@pytest.fixture(scope="session")
def collections_root(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A folder whose ansible_collections/dbpools/aiven is this work tree (ansible-playbook, ansible-doc, ansible-runner)."""
    return link_collection(str(tmp_path_factory.mktemp("collections")))


@pytest.fixture(scope="session")
def clean_copy(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The work tree's tracked and untracked-not-ignored files, so local caches and venvs cannot leak into the build."""
    copy = str(tmp_path_factory.mktemp("source") / "ansible_collections" / "dbpools" / "aiven")
    copy_worktree(copy)
    return copy


@pytest.fixture(scope="session")
def tarball(clean_copy: str) -> str:
    """The release tarball, built once per run: the one tested is the one shipped."""
    return build_tarball(clean_copy, DIST)


@pytest.fixture(scope="session")
def installed_root(tarball: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The tarball installed offline into an empty folder, as AWX installs a project's requirements_collections."""
    root = str(tmp_path_factory.mktemp("installed"))
    install_tarball(tarball, root)
    return root


@pytest.fixture(scope="session")
def installed(installed_root: str) -> str:
    return os.path.join(installed_root, "ansible_collections", "dbpools", "aiven")


@pytest.fixture(scope="session")
def session_emulator() -> Iterator[Callable[..., EmulatorProcess]]:
    """``session_emulator(seed, **options)``: an emulator started now and stopped when the session ends."""
    started: List[EmulatorProcess] = []

    def start(seed: Optional[Dict[str, Any]], **options: Any) -> EmulatorProcess:
        emulator = EmulatorProcess(seed, **options)
        started.append(emulator)
        return emulator.start()

    yield start
    for emulator in reversed(started):
        emulator.stop()


@dataclass
class Pki:
    ca_file: str           # PEM of the private CA: what ca_path is given
    cert_file: str         # the server's certificate, signed by the CA
    key_file: str          # the server's private key
    other_ca_file: str     # an unrelated CA: trusting it must not make the server trusted


def _write(path: str, text: str, mode: int = 0o644) -> str:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(text)
    return path


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """ca.pem, server.pem, server.key (mode 0600) and other-ca.pem in a folder of their own."""
    directory = str(tmp_path_factory.mktemp("pki"))
    ca = CertificateAuthority("dbpools test CA")
    server = ca.issue_server_certificate("localhost")
    return Pki(
        ca_file=_write(os.path.join(directory, "ca.pem"), ca.pem),
        cert_file=_write(os.path.join(directory, "server.pem"), server.cert_pem),
        key_file=_write(os.path.join(directory, "server.key"), server.key_pem, 0o600),
        other_ca_file=_write(os.path.join(directory, "other-ca.pem"), CertificateAuthority("unrelated test CA").pem),
    )
