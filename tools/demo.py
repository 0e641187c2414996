#!/usr/bin/env python
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The demo behind `make demo`.

    .venv/bin/python tools/demo.py [--collections-path DIR] [--playbooks-dir DIR] [-v]

1. starts the local Aiven API emulator with real PgBouncer + PostgreSQL
   (default seed emulator/aiven_emulator/seed.yml: demo-project/pg-demo);
2. makes the collection findable by ansible-playbook: a symlink
   build/playbook-collections/ansible_collections/dbpools/aiven -> this work tree;
3. runs playbooks/demo.yml with the inventory playbooks/inventory/demo (from
   --playbooks-dir, e.g. an installed collection's, when given): the role
   creates the pools, the playbook prints their connection details (no password:
   the role's results hold none) and connects through one of them (its URI read
   with the info module, in no_log tasks);
4. runs it again: nothing to change, the recap must say changed=0;
5. checks that neither the API token nor a seeded password appeared in the output,
   and stops the emulator (also on a failure or Ctrl-C).

Exits 0 when every step worked.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# tests.support (from REPO) and the emulator, a package of its own in emulator/.
sys.path[:0] = [REPO, os.path.join(REPO, "emulator")]

from aiven_emulator.process import EmulatorProcess  # noqa: E402
from tests.support.ansible import ansible_env, recap  # noqa: E402  (needs REPO on sys.path)
from tests.support.collection import link_collection  # noqa: E402
from tests.support.secrets import leaked_secrets, secrets_of  # noqa: E402

SEED_FILE = os.path.join(REPO, "emulator", "aiven_emulator", "seed.yml")
PLAYBOOKS = os.path.join(REPO, "playbooks")
COLLECTIONS = os.path.join(REPO, "build", "playbook-collections")
BIN = os.path.dirname(sys.executable)


class DemoFailed(Exception):
    """A step of the demo did not work; the message says which."""


def echo(text: str = "") -> None:
    try:
        print(text, flush=True)
    except (BrokenPipeError, ValueError):  # a closed console must not stop the cleanup
        pass


def heading(step: int, total: int, text: str) -> None:
    echo()
    echo(f"=== {step}/{total} {text}")


def playbook_env(emulator: EmulatorProcess, token: str, collections: str) -> dict:
    return ansible_env(collections, {"AIVEN_TOKEN": token, "AIVEN_WEB_URL": emulator.url})


def run_playbook(env: dict, playbooks: str, verbosity: int) -> tuple[int, str]:
    """Run the demo playbook, streaming its output; returns (exit code, output)."""
    inventory, playbook = os.path.join(playbooks, "inventory", "demo"), os.path.join(playbooks, "demo.yml")
    command = [os.path.join(BIN, "ansible-playbook"), "-i", inventory, playbook]
    if verbosity:
        command.append("-" + "v" * verbosity)
    shown = os.path.relpath(playbooks, REPO) if playbooks.startswith(REPO + os.sep) else playbooks
    echo(f"$ ansible-playbook -i {os.path.join(shown, 'inventory', 'demo')} {os.path.join(shown, 'demo.yml')}")
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            echo(line.rstrip("\n"))
        return proc.wait(), "".join(lines)
    except BaseException:  # Ctrl-C, SIGTERM: the playbook must not outlive the demo
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        raise


def changed_count(output: str) -> int:
    try:
        return recap(output)["changed"]
    except AssertionError:  # recap's message holds the output, already on screen
        raise DemoFailed("the playbook printed no PLAY RECAP for localhost") from None


def demo(args: argparse.Namespace) -> None:
    with open(SEED_FILE, encoding="utf-8") as handle:
        token = yaml.safe_load(handle)["tokens"][0]
    total = 5
    heading(1, total, "Starting the local Aiven API emulator (real PgBouncer + PostgreSQL 15)")
    emulator = EmulatorProcess(seed=None, backend="pgbouncer")  # None: the default seed file
    started = time.monotonic()
    try:
        emulator.start()
        echo(f"Emulator ready at {emulator.url} after {time.monotonic() - started:.1f} s "
             "(project demo-project, service pg-demo, databases defaultdb and appdb, users avnadmin and app)")
        collections = args.collections_path or link_collection(COLLECTIONS)
        echo(f"Collection dbpools.aiven found through ANSIBLE_COLLECTIONS_PATH={collections}")
        env = playbook_env(emulator, token, collections)

        heading(2, total, "First run: the role creates the pools, then the playbook connects through app-pool")
        code, first = run_playbook(env, args.playbooks_dir, args.verbose)
        if code != 0:
            raise DemoFailed(f"the first run of the playbook failed (exit {code})")

        heading(3, total, "Second run: everything is in place already, so nothing changes")
        code, second = run_playbook(env, args.playbooks_dir, args.verbose)
        if code != 0:
            raise DemoFailed(f"the second run of the playbook failed (exit {code})")
        changed = changed_count(second)
        if changed != 0:
            raise DemoFailed(f"the second run reported changed={changed}, expected changed=0")
        echo("Second run: changed=0, as expected.")

        heading(4, total, "Checking the output for the API token and the seeded passwords")
        secrets = secrets_of(emulator.credentials, token)
        leaked = leaked_secrets(first + second, secrets)
        if leaked:
            raise DemoFailed(f"found in the playbook output: {', '.join(leaked)}")
        echo(f"None of the {len(secrets)} secrets (the API token, the seeded passwords) appears in the output.")
    finally:
        heading(5, total, "Stopping the emulator")
        emulator.stop()
        echo("Emulator, PgBouncer and PostgreSQL stopped.")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--collections-path", metavar="DIR",
                        help="use DIR as ANSIBLE_COLLECTIONS_PATH (it must hold ansible_collections/dbpools/aiven) "
                             "instead of the symlink under build/")
    parser.add_argument("--playbooks-dir", metavar="DIR", default=PLAYBOOKS, type=os.path.abspath,
                        help="take demo.yml and inventory/demo from DIR (for example the playbooks/ of an installed "
                             "collection) instead of this work tree's playbooks/")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="pass -v (repeatable) to ansible-playbook")
    args = parser.parse_args()
    # SIGTERM (e.g. from a CI timeout) unwinds like Ctrl-C, so the emulator is stopped.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        demo(args)
    except DemoFailed as exc:
        echo(f"\nDemo FAILED: {exc}")
        return 1
    except KeyboardInterrupt:
        echo("\nDemo interrupted.")
        return 130
    except (OSError, RuntimeError) as exc:
        echo(f"\nDemo FAILED: {exc}")
        return 1
    echo("\nDemo finished: the pools exist in PgBouncer, a second run changed nothing, no secret was printed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
