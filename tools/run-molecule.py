#!/usr/bin/env python
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the molecule scenarios of the role connection_pools against the local Aiven API emulator.

    .venv/bin/python tools/run-molecule.py [SCENARIO ...] [--keep-going]

1. starts the emulator (memory backend) with extensions/molecule/emulator-seed.yml
   (project molecule-project, services of their own for each scenario, token molecule-token);
2. copies the work tree to build/molecule/ansible_collections/dbpools/aiven, the path
   ANSIBLE_COLLECTIONS_PATH points to (tracked and untracked-not-ignored files, as
   tools/run-integration.py does);
3. runs ``molecule test -s SCENARIO`` for every scenario under extensions/molecule/ (or the
   ones named) with AIVEN_WEB_URL and AIVEN_TOKEN exported;
4. stops the emulator and scans the whole output (build/molecule-output.log) for the API
   token and every seeded password: the role's results hold none, so none may appear.

Exits non-zero when a scenario fails or a secret leaks.
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
import time

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from toolkit import copy_worktree, echo, leaked_secrets, run_logged, secrets_of  # noqa: E402

from tests.support.emulator import EmulatorProcess  # noqa: E402  (needs REPO on sys.path)

MOLECULE_DIR = os.path.join(REPO, "extensions", "molecule")
SEED_FILE = os.path.join(MOLECULE_DIR, "emulator-seed.yml")
BUILD = os.path.join(REPO, "build", "molecule")
COLLECTIONS = os.path.join(BUILD, "collections")
COLLECTION_COPY = os.path.join(COLLECTIONS, "ansible_collections", "dbpools", "aiven")
LOG_FILE = os.path.join(REPO, "build", "molecule-output.log")
BIN = os.path.dirname(sys.executable)


def log(message: str) -> None:
    echo(f"run-molecule: {message}\n")


def scenarios() -> list:
    return sorted(os.path.basename(os.path.dirname(path)) for path in glob.glob(os.path.join(MOLECULE_DIR, "*", "molecule.yml")))


def molecule_env(emulator: EmulatorProcess, token: str) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AIVEN_", "ANSIBLE_", "MOLECULE_"))}
    env.update({
        # molecule and ansible-lint look ansible-config and ansible-playbook up on PATH.
        "PATH": BIN + os.pathsep + os.environ.get("PATH", ""),
        "AIVEN_WEB_URL": emulator.url,
        "AIVEN_TOKEN": token,
        "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_NOCOLOR": "1",
        "NO_COLOR": "1",
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
    })
    return env


def run_scenario(name: str, env: dict, out) -> int:
    return run_logged([os.path.join(BIN, "molecule"), "test", "-s", name], out, cwd=REPO, env=env)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("scenarios", nargs="*", help=f"scenarios to run (default: all of {', '.join(scenarios())})")
    parser.add_argument("--keep-going", action="store_true", help="run the other scenarios after a failure")
    args = parser.parse_args()
    chosen = args.scenarios or scenarios()
    unknown = sorted(set(chosen) - set(scenarios()))
    if unknown:
        parser.error(f"no such scenario: {', '.join(unknown)} (there are {', '.join(scenarios())})")

    started = time.monotonic()
    with open(SEED_FILE, encoding="utf-8") as handle:
        seed = yaml.safe_load(handle)
    token = seed["tokens"][0]
    os.makedirs(BUILD, exist_ok=True)
    copy_worktree(COLLECTION_COPY)
    log(f"collection copied to {os.path.relpath(COLLECTION_COPY, REPO)}")
    failures = []
    timings = []
    emulator = EmulatorProcess(seed, backend="memory")
    try:
        with open(LOG_FILE, "w", encoding="utf-8") as out:
            emulator.start()
            log(f"emulator at {emulator.url}")
            env = molecule_env(emulator, token)
            for name in chosen:
                begin = time.monotonic()
                code = run_scenario(name, env, out)
                timings.append(f"{name} {time.monotonic() - begin:.1f} s")
                if code != 0:
                    failures.append(f"scenario {name} (exit {code})")
                    if not args.keep_going:
                        break
    finally:
        emulator.stop()

    with open(LOG_FILE, encoding="utf-8") as handle:
        output = handle.read()
    leaked = leaked_secrets(output, secrets_of(emulator.credentials, token))
    if leaked:
        failures.append(f"secret scan: found in {os.path.relpath(LOG_FILE, REPO)}: {', '.join(leaked)}")
    else:
        log(f"secret scan: no token or password in {os.path.relpath(LOG_FILE, REPO)}")

    for failure in failures:
        log(f"FAILED: {failure}")
    log(f"{'FAILED' if failures else 'passed'} in {time.monotonic() - started:.1f} s ({', '.join(timings)});"
        f" full output in {os.path.relpath(LOG_FILE, REPO)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
