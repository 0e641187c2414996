"""Fixtures of the TLS and secrets tests: the emulator over HTTPS with the private CA (pki), Ansible's environment."""

from __future__ import annotations

from typing import Callable, Dict, Iterator, Optional

import pytest

from aiven_emulator.process import EmulatorProcess
from tests.e2e.security.world import CA_VARIABLES, SEED, TOKEN
from tests.support.ansible import ansible_env
from tests.support.fixtures import Pki
from tests.support.secrets import secrets_of


@pytest.fixture(scope="session")
def https_emulator(session_emulator: Callable[..., EmulatorProcess], pki: Pki) -> EmulatorProcess:
    return session_emulator(SEED, tls_cert=pki.cert_file, tls_key=pki.key_file, ca_file=pki.ca_file)


@pytest.fixture
def emulator(https_emulator: EmulatorProcess) -> Iterator[EmulatorProcess]:
    """The session's HTTPS emulator with an empty request log and no fault rules."""
    https_emulator.clear_faults()
    https_emulator.reset_requests()
    yield https_emulator
    https_emulator.clear_faults()


@pytest.fixture
def make_env(collections_root: str, https_emulator: EmulatorProcess) -> Callable[..., Dict[str, str]]:
    """Ansible's environment, auth from AIVEN_TOKEN / AIVEN_WEB_URL, no CA settings of the shell; plus ``extra``."""

    def make(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
        env = ansible_env(collections_root, {"AIVEN_TOKEN": TOKEN, "AIVEN_WEB_URL": https_emulator.url})
        for name in CA_VARIABLES:
            env.pop(name, None)
        env.update(extra or {})
        return env

    return make


@pytest.fixture(scope="session")
def seeded_secrets(https_emulator: EmulatorProcess) -> Dict[str, str]:
    """The token and every seeded password, by whose they are."""
    return secrets_of(https_emulator.credentials, TOKEN)
