"""Every molecule scenario of the role connection_pools passes against the emulator and prints no secret."""

from __future__ import annotations

import glob
import os
import subprocess
from typing import Any, Dict, List

import pytest

from tests.molecule.conftest import MOLECULE_DIR
from tests.support.ansible import BIN, ansible_env
from tests.support.collection import REPO_ROOT
from tests.support.emulator import EmulatorProcess
from tests.support.secrets import leaked_secrets, secrets_of

LOG_DIR = os.path.join(REPO_ROOT, "build", "molecule")


def scenarios() -> List[str]:
    return sorted(os.path.basename(os.path.dirname(path)) for path in glob.glob(os.path.join(MOLECULE_DIR, "*", "molecule.yml")))


def molecule_env(collections_root: str, emulator: EmulatorProcess, token: str) -> Dict[str, str]:
    env = ansible_env(collections_root, {"AIVEN_WEB_URL": emulator.url, "AIVEN_TOKEN": token, "NO_COLOR": "1"})
    # A MOLECULE_* of the developer's shell (a scenario, a driver) would change what runs.
    return {key: value for key, value in env.items() if not key.startswith("MOLECULE_")}


def test_scenarios_found() -> None:
    assert {"default", "check_diff", "purge"} <= set(scenarios())


@pytest.mark.parametrize("scenario", scenarios())
def test_scenario(scenario: str, emulator: EmulatorProcess, seed: Dict[str, Any], collections_root: str) -> None:
    token = seed["tokens"][0]
    proc = subprocess.run([os.path.join(BIN, "molecule"), "test", "-s", scenario], cwd=REPO_ROOT,
                          env=molecule_env(collections_root, emulator, token), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, timeout=900, check=False)
    # Kept on disk rather than in the failure message, which must not echo a leaked secret.
    os.makedirs(LOG_DIR, exist_ok=True)
    log = os.path.join(LOG_DIR, f"{scenario}.log")
    with open(log, "w", encoding="utf-8") as handle:
        handle.write(proc.stdout)

    leaked = leaked_secrets(proc.stdout, secrets_of(emulator.credentials, token))
    assert not leaked, f"found in the output of scenario {scenario} ({log}): {', '.join(leaked)}"
    assert proc.returncode == 0, f"molecule test -s {scenario} exited {proc.returncode}; output in {log}"
