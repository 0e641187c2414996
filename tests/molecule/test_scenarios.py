"""Every molecule scenario of the role connection_pools passes against the emulator, on ansible-core 2.19 and 2.17, and prints no secret.

Molecule is the role's one harness: cold, converged, report-only, purge and check-mode runs, a selection, a
purge's limit, unavailable services set aside, a token per project, drift checks and the databases and users declared
beside the pools, the connection-capacity check, with the API requests each makes counted from the emulator's request log in the scenarios' verify steps.
"""

from __future__ import annotations

import glob
import os
import subprocess
from typing import Any, Dict, List

import pytest

from aiven_emulator.process import EmulatorProcess
from tests.molecule.conftest import MOLECULE_DIR
from tests.support.ansible import BIN, ansible_env
from tests.support.collection import REPO_ROOT
from tests.support.secrets import leaked_secrets, secrets_of

LOG_DIR = os.path.join(REPO_ROOT, "build", "molecule")
# The ansible-core each scenario runs on: the bin folder whose ansible-playbook molecule finds first on PATH
# (molecule itself runs from .venv). Each scenario's verify asserts the version (shared/tasks/ansible_core.yml).
CORES = {"2.19": BIN, "2.17": os.path.join(REPO_ROOT, ".venv-2.17", "bin")}


def scenarios() -> List[str]:
    return sorted(os.path.basename(os.path.dirname(path)) for path in glob.glob(os.path.join(MOLECULE_DIR, "*", "molecule.yml")))


def seeded_tokens(seed: Dict[str, Any]) -> Dict[str, str]:
    """Every token of the seed (a string, or a mapping with ``token``), named by its place in the seed, never by its value."""
    return {f"API token tokens[{index}] of the seed": item["token"] if isinstance(item, dict) else item
            for index, item in enumerate(seed["tokens"])}


def molecule_env(collections_root: str, emulator: EmulatorProcess, token: str, core: str) -> Dict[str, str]:
    env = ansible_env(collections_root, {"AIVEN_WEB_URL": emulator.url, "AIVEN_TOKEN": token, "NO_COLOR": "1",
                                         "DBPOOLS_ANSIBLE_CORE": core})
    env["PATH"] = CORES[core] + os.pathsep + env.get("PATH", "")
    # A MOLECULE_* of the developer's shell (a scenario, a driver) would change what runs.
    return {key: value for key, value in env.items() if not key.startswith("MOLECULE_")}


def test_scenarios_found() -> None:
    assert {"default", "check_diff", "purge", "messages", "selection", "unavailable", "tokens", "drift",
            "prerequisites", "capacity"} <= set(scenarios())


@pytest.mark.parametrize("core", sorted(CORES))
@pytest.mark.parametrize("scenario", scenarios())
def test_scenario(scenario: str, core: str, emulator: EmulatorProcess, seed: Dict[str, Any], collections_root: str) -> None:
    if not os.path.exists(os.path.join(CORES[core], "ansible-playbook")):
        pytest.fail(f"no ansible-core {core} at {CORES[core]} (make .venv-2.17/.installed makes it)")
    token = seed["tokens"][0]
    proc = subprocess.run([os.path.join(BIN, "molecule"), "test", "-s", scenario], cwd=REPO_ROOT,
                          env=molecule_env(collections_root, emulator, token, core), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, timeout=900, check=False)
    # Kept on disk rather than in the failure message, which must not echo a leaked secret.
    os.makedirs(LOG_DIR, exist_ok=True)
    log = os.path.join(LOG_DIR, f"{scenario}-{core}.log")
    with open(log, "w", encoding="utf-8") as handle:
        handle.write(proc.stdout)

    # The scenario tokens (tokens) too: each is a secret of its project.
    leaked = leaked_secrets(proc.stdout, {**secrets_of(emulator.credentials, token), **seeded_tokens(seed)})
    assert not leaked, f"found in the output of scenario {scenario} ({log}): {', '.join(leaked)}"
    assert proc.returncode == 0, f"molecule test -s {scenario} (ansible-core {core}) exited {proc.returncode}; output in {log}"
