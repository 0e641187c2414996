#!/usr/bin/env python
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the integration tests against the local Aiven API emulator.

    .venv/bin/python tools/run-integration.py [TARGET ...] [-v N] [--keep-going] [--build-dir DIR]

1. starts the emulator (memory backend) with tests/integration/emulator-seed.yml;
2. writes tests/integration/integration_config.yml (gitignored: it holds the token);
3. copies the work tree to build/ansible_collections/dbpools/aiven (ansible-test
   needs a real path of that shape, a symlink does not do);
4. runs ``ansible-test integration --local`` there with this venv's Python, for all
   targets or the ones named (without any AIVEN_* variable of the caller), and an ad-hoc
   ``ansible localhost -m ...`` check of the environment fallbacks (AIVEN_TOKEN,
   AIVEN_AUTH_TOKEN, AIVEN_WEB_URL, and the error when there is no token);
5. stops the emulator and scans the whole output (build/integration-output.log) for
   the API token and every seeded password: none may appear anywhere (results hold
   secrets only with include_secrets, and such tasks, like those of the info module,
   are no_log).

With ``--build-dir DIR`` (tools/run-matrix.py runs another ansible-core that way) the
copy, the log and the config live under DIR only: the config is written into the copy,
never into the work tree, so such a run and a default one can go at the same time.
ansible-test and the modules run with the Python that runs this script.

Exits non-zero when a test fails, the ad-hoc check fails or a secret leaks.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from toolkit import copy_worktree, echo, leaked_secrets, run_logged, secrets_of  # noqa: E402

from tests.support.ansible import ansible_env  # noqa: E402
from tests.support.emulator import EmulatorProcess  # noqa: E402  (needs REPO on sys.path)

SEED_FILE = os.path.join(REPO, "tests", "integration", "emulator-seed.yml")
CONFIG_RELATIVE = os.path.join("tests", "integration", "integration_config.yml")
PYTHON = sys.executable
BIN = os.path.dirname(PYTHON)
PROJECT = "integration-project"
PROJECT_2 = "integration-project-2"


class Paths:
    """Where one run keeps its copy, config and log: build/ by default, or a folder of its own."""

    def __init__(self, build_dir: str | None) -> None:
        self.build = os.path.abspath(build_dir) if build_dir else os.path.join(REPO, "build")
        self.collection_copy = os.path.join(self.build, "ansible_collections", "dbpools", "aiven")
        self.log_file = os.path.join(self.build, "integration-output.log")
        # The default run keeps writing the work tree's config (as before); a run with a
        # build folder writes it into its copy only, so concurrent runs keep their own.
        self.config_file = os.path.join(self.collection_copy if build_dir else REPO, CONFIG_RELATIVE)
        self.config_in_copy = bool(build_dir)


def log(message: str) -> None:
    echo(f"run-integration: {message}\n")


def copy_tree(paths: Paths) -> None:
    """The work tree plus the gitignored integration config, as a git repository of its own."""
    copy_worktree(paths.collection_copy)
    if not paths.config_in_copy:
        # Gitignored on purpose (it holds the token); ansible-test reads it from disk all the same.
        target = os.path.join(paths.collection_copy, CONFIG_RELATIVE)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(paths.config_file, target)
    # build/ is ignored by the repository, and ansible-test lists content with git from
    # the nearest .git upwards: a repository of the copy's own makes it list the copy
    # (tracked or untracked-not-ignored, the same rule as tools/ansible-test-env.sh).
    subprocess.run(["git", "init", "--quiet", paths.collection_copy], check=True)


def write_config(emulator: EmulatorProcess, token: str, config_file: str) -> None:
    config = {
        "aiven_api_url": emulator.url,
        "aiven_api_token": token,
        "aiven_project": PROJECT,
        "aiven_project_2": PROJECT_2,
        "aiven_service": "pg-int",
        "aiven_service_hobbyist": "pg-hobby",
        "aiven_service_poweroff": "pg-off",
        "aiven_emulator_url": emulator.url,
    }
    os.makedirs(os.path.dirname(config_file), exist_ok=True)
    fd = os.open(config_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("# Written by tools/run-integration.py for one run; do not commit.\n")
        yaml.safe_dump(config, handle, default_flow_style=False)


def ansible_test(targets: list, verbosity: int, keep_going: bool, out, cwd: str) -> int:
    command = [os.path.join(BIN, "ansible-test"), "integration", "--local", "--python", "3.11",
               "--python-interpreter", PYTHON, "--color", "no"]
    if verbosity:
        command.append("-" + "v" * verbosity)
    if keep_going:
        command.append("--continue-on-error")
    command += targets
    # No AIVEN_* of the developer's shell: the targets decide where the token comes from
    # (aiven_connection_pool_services checks the error when there is none at all).
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIVEN_")}
    env.update(PATH=BIN + os.pathsep + os.environ.get("PATH", ""), ANSIBLE_FORCE_COLOR="0")
    return run_logged(command, out, cwd, env)


# --- ad-hoc check: the module from the command line, auth from the environment -----

def adhoc(emulator: EmulatorProcess, token: str, out, env_token: str | None, args: str, build: str) -> dict:
    """Run the module ad hoc with auth from the environment only (none when ``env_token`` is None); return its parsed result."""
    env = ansible_env(build, {"AIVEN_WEB_URL": emulator.url, **({env_token: token} if env_token else {})})
    command = [os.path.join(BIN, "ansible"), "localhost", "-e", f"ansible_python_interpreter={PYTHON}",
               "-m", "dbpools.aiven.aiven_connection_pool", "-a", args]
    out.write(f"\n$ {env_token or 'no token'}{'=...' if env_token else ''} AIVEN_WEB_URL={emulator.url} {' '.join(command)}\n")
    proc = subprocess.run(command, cwd=build, env=env, capture_output=True, text=True, check=False)
    out.write(proc.stdout + proc.stderr)
    out.flush()
    echo(proc.stdout + proc.stderr)
    # minimal callback: "localhost | CHANGED => {json}" / "localhost | SUCCESS => {...}"
    match = re.search(r"^localhost \| ([A-Z]+!?)(?: \| rc=\d+)? => (\{.*?^\})", proc.stdout, re.S | re.M)
    if not match:
        raise AssertionError(f"ad-hoc run printed no result (exit {proc.returncode})")
    result = json.loads(match.group(2))
    result["_status"] = match.group(1).rstrip("!")
    result["_rc"] = proc.returncode
    return result


# The keys of a pool in a result without include_secrets: connection details, no URI, no password.
POOL_KEYS = {"project", "service_name", "pool_name", "database_name", "username", "pool_mode", "pool_size",
             "host", "port", "dbname", "user", "sslmode"}
NO_TOKEN_MESSAGE = "no API token: set api_token, or the environment variable AIVEN_TOKEN or AIVEN_AUTH_TOKEN"


def adhoc_checks(emulator: EmulatorProcess, token: str, out, build: str) -> list:
    """The env fallbacks, end to end; returns the failed checks."""
    failures = []

    def check(name: str, condition: bool) -> None:
        line = f"ad-hoc: {'ok' if condition else 'FAILED'}: {name}"
        out.write(line + "\n")
        echo(line + "\n")
        if not condition:
            failures.append(name)

    base = f"project={PROJECT} service_name=pg-int pool_name=adhoc-pool"
    passwords = [password for secret, password in secrets_of(emulator.credentials, token).items() if secret != "API token"]
    emulator.reset_requests()
    created = adhoc(emulator, token, out, "AIVEN_TOKEN", f"{base} database_name=appdb username=app pool_size=7", build)
    requests_made = emulator.requests_log()["by_method"]
    check("create with AIVEN_TOKEN + AIVEN_WEB_URL exits 0", created["_rc"] == 0)
    check("create reports CHANGED", created["_status"] == "CHANGED" and created.get("changed") is True)
    pool = created.get("connection_pool", {})
    check("created pool has the settings asked for",
          (pool.get("pool_name"), pool.get("database_name"), pool.get("username"), pool.get("pool_size"), pool.get("pool_mode"))
          == ("adhoc-pool", "appdb", "app", 7, "transaction"))
    check("created pool has its connection details (dbname, user, host, port, sslmode) and no URI or password",
          set(pool) == POOL_KEYS and (pool.get("dbname"), pool.get("user"), pool.get("sslmode")) == ("adhoc-pool", "app", "require")
          and bool(pool.get("host")) and isinstance(pool.get("port"), int))
    check("no seeded password anywhere in the result", not any(password in json.dumps(created) for password in passwords))
    check("the change names the pool with its settings after",
          [(c.get("project"), c.get("service_name"), c.get("pool_name"), c.get("action"), c.get("before"), (c.get("after") or {}).get("pool_size"))
           for c in created.get("changes", [])] == [(PROJECT, "pg-int", "adhoc-pool", "create", None, 7)])
    check("create made 2 GET + 1 POST", requests_made == {"GET": 2, "POST": 1})

    emulator.reset_requests()
    again = adhoc(emulator, token, out, "AIVEN_AUTH_TOKEN", f"{base} database_name=appdb username=app pool_size=7", build)
    check("again with AIVEN_AUTH_TOKEN reports SUCCESS, not changed",
          again["_rc"] == 0 and again["_status"] == "SUCCESS" and again.get("changed") is False)
    check("again made exactly 1 GET", emulator.requests_log()["by_method"] == {"GET": 1})

    emulator.reset_requests()
    deleted = adhoc(emulator, token, out, "AIVEN_TOKEN", f"{base} state=absent", build)
    check("delete reports CHANGED with no pool left",
          deleted["_rc"] == 0 and deleted.get("changed") is True and deleted.get("connection_pool") == {})
    check("delete made 1 GET + 1 DELETE", emulator.requests_log()["by_method"] == {"GET": 1, "DELETE": 1})

    emulator.reset_requests()
    bad = adhoc(emulator, "not-a-token", out, "AIVEN_TOKEN", f"{base} state=absent", build)
    check("a wrong AIVEN_TOKEN fails with 401 and Aiven's message",
          bad["_rc"] != 0 and bad["_status"] == "FAILED" and bad.get("failure", {}).get("status") == 401
          and "Missing (expired) db token" in bad.get("msg", ""))
    check("the 401 was not retried", emulator.requests_log()["total"] == 1)

    emulator.reset_requests()
    missing = adhoc(emulator, token, out, None, f"{base} state=absent", build)
    check("no token at all fails naming AIVEN_TOKEN and AIVEN_AUTH_TOKEN",
          missing["_rc"] != 0 and missing["_status"] == "FAILED" and missing.get("msg") == NO_TOKEN_MESSAGE)
    check("no token at all made no request", emulator.requests_log()["total"] == 0)
    return failures


# --- secret scan -------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("targets", nargs="*", help="integration targets to run (default: all)")
    parser.add_argument("-v", "--verbosity", type=int, default=4,
                        help="ansible-test verbosity, 0 to 4 (default 4: the most output for the secret scan)")
    parser.add_argument("--keep-going", action="store_true", help="continue with the other targets after a failure")
    parser.add_argument("--skip-adhoc", action="store_true", help="skip the ad-hoc environment check")
    parser.add_argument("--build-dir", help="keep the copy, config and log in this folder (default: build/, config in the work tree)")
    args = parser.parse_args()
    paths = Paths(args.build_dir)

    started = time.monotonic()
    with open(SEED_FILE, encoding="utf-8") as handle:
        seed = yaml.safe_load(handle)
    token = seed["tokens"][0]
    os.makedirs(paths.build, exist_ok=True)
    failures = []
    emulator = EmulatorProcess(seed, backend="memory")
    with open(paths.log_file, "w", encoding="utf-8") as out:
        emulator.start()
        try:
            log(f"emulator at {emulator.url}")
            if not paths.config_in_copy:
                write_config(emulator, token, paths.config_file)
            copy_tree(paths)
            if paths.config_in_copy:
                write_config(emulator, token, paths.config_file)
            log(f"collection copied to {os.path.relpath(paths.collection_copy, REPO)}")
            if ansible_test(args.targets, args.verbosity, args.keep_going, out, paths.collection_copy) != 0:
                failures.append("ansible-test integration")
            if not args.skip_adhoc:
                try:
                    failures += [f"ad-hoc: {name}" for name in adhoc_checks(emulator, token, out, paths.build)]
                except (AssertionError, ValueError) as exc:
                    failures.append(f"ad-hoc: {exc}")
        finally:
            emulator.stop()

    with open(paths.log_file, encoding="utf-8") as handle:
        # No exception for connection_uri values: results carry them only with include_secrets,
        # and every task that asks for secrets (or runs the info module) is no_log.
        leaked = leaked_secrets(handle.read(), secrets_of(emulator.credentials, token))
    if leaked:
        failures.append(f"secret scan: found in {os.path.relpath(paths.log_file, REPO)}: {', '.join(leaked)}")
    else:
        log(f"secret scan: no token or password in {os.path.relpath(paths.log_file, REPO)}")

    elapsed = time.monotonic() - started
    for failure in failures:
        log(f"FAILED: {failure}")
    log(f"{'FAILED' if failures else 'passed'} in {elapsed:.1f} s; full output in {os.path.relpath(paths.log_file, REPO)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
