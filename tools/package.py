#!/usr/bin/env python
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build the collection tarball, check what it holds, install it and run the demo from the install.

    .venv/bin/python tools/package.py [--keep]

1. copies the work tree (tracked and untracked-not-ignored files only, so local caches,
   venvs and test output cannot leak in) to a temp folder and runs
   ``ansible-galaxy collection build --output-path build/dist --force`` there;
2. lists the tarball: nothing of the development setup (tests/, tools/, venvs, caches,
   build/, extensions/molecule, Makefile, requirements-*.txt of development, ruff.toml,
   integration_config.yml),
   and everything a user needs (MANIFEST.json, FILES.json, plugins, the role, meta/,
   the execution environment files, playbooks/, docs/, LICENSE, README.md, the changelog);
   every file of plugins/, roles/, playbooks/, docs/ and meta/ in the work tree is in it;
3. checks that MANIFEST.json's version equals galaxy.yml's and plugins/module_utils/_version.py's;
4. installs the tarball offline into an empty temp folder, verifies the installed files
   against FILES.json, and checks that Ansible resolves dbpools.aiven to that folder only
   (ansible-galaxy collection list, ansible-doc --json);
5. runs tools/demo.py with the installed collection and the installed playbooks/
   (local emulator with real PgBouncer; the second run must change nothing).

Exits non-zero on the first step that fails. --keep leaves the temp folders in place.
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import glob
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from toolkit import copy_worktree, echo  # noqa: E402

DIST = os.path.join(REPO, "build", "dist")
BIN = os.path.dirname(sys.executable)
COLLECTION = ("dbpools", "aiven")

# Path components that mark development files, wherever they appear.
FORBIDDEN_DIRS = {"tests", "tools", "build", "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis", ".ansible", ".git", ".ci"}
FORBIDDEN_PREFIXES = ("extensions/molecule",)
FORBIDDEN_NAMES = ("Makefile", "requirements-dev.txt", "requirements-matrix-*.txt", "ruff.toml", "integration_config.yml", "*.pyc", ".venv*", "*.tar.gz")

# Files a user of the collection needs, named one by one so an empty folder cannot pass.
REQUIRED_FILES = (
    "MANIFEST.json", "FILES.json", "LICENSE", "README.md", "changelogs/changelog.yaml",
    "meta/runtime.yml", "meta/execution-environment.yml",
    "plugins/modules/aiven_connection_pool.py", "plugins/modules/aiven_connection_pool_info.py",
    "plugins/module_utils/_api.py", "plugins/module_utils/_pools.py", "plugins/module_utils/_version.py",
    "plugins/doc_fragments/aiven.py", "plugins/filter/pools_by_service.py", "plugins/filter/pools_by_service.yml",
    "roles/connection_pools/tasks/main.yml", "roles/connection_pools/meta/argument_specs.yml",
    "playbooks/demo.yml", "playbooks/apply_pools.yml", "playbooks/inventory/demo/hosts.yml",
    "docs/authentication.md", "extensions/awx/credential_type_aiven.yml",
)
# Folders whose every work-tree file must ship.
SHIPPED_FOLDERS = ("plugins", "roles", "playbooks", "docs", "meta")


class PackageFailed(Exception):
    """A step did not work; the message says which."""


def log(message: str) -> None:
    echo(f"package: {message}\n")


def run(command: list, cwd: str, env: dict | None = None) -> str:
    """Run a command quietly; its output becomes the failure message when it fails."""
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise PackageFailed(f"{' '.join(command)} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    return proc.stdout


def forbidden(path: str) -> str | None:
    """Why ``path`` (relative, in the tarball) must not ship, or None."""
    parts = path.split("/")
    for part in parts:
        if part in FORBIDDEN_DIRS:
            return f"development folder {part}/"
    if path.startswith(FORBIDDEN_PREFIXES):
        return "molecule scenarios"
    for part in parts:
        for pattern in FORBIDDEN_NAMES:
            if fnmatch.fnmatch(part, pattern):
                return f"development file {pattern}"
    return None


def content_problems(members: set, worktree: str) -> list:
    """Everything wrong with the tarball's file list, compared with the clean copy ``worktree``."""
    problems = [f"{path}: {why}" for path in sorted(members) if (why := forbidden(path))]
    problems += [f"missing {path}" for path in REQUIRED_FILES if path not in members]
    with open(os.path.join(worktree, "meta", "execution-environment.yml"), encoding="utf-8") as handle:
        ee = yaml.safe_load(handle)
    for kind, path in (ee.get("dependencies") or {}).items():
        if isinstance(path, str) and path.endswith((".txt", ".yml", ".yaml")) and path not in members:
            problems.append(f"missing {path} (execution environment {kind} dependencies)")
    for folder in SHIPPED_FOLDERS:
        for source in glob.glob(os.path.join(worktree, folder, "**", "*"), recursive=True):
            relative = os.path.relpath(source, worktree).replace(os.sep, "/")
            if os.path.isfile(source) and not forbidden(relative) and relative not in members:
                problems.append(f"missing {relative} (in the work tree)")
    return problems


def versions(tarball: str, worktree: str) -> dict:
    """The collection version as MANIFEST.json, galaxy.yml and _version.py state it."""
    with tarfile.open(tarball) as archive:
        manifest = json.load(archive.extractfile("MANIFEST.json"))
    with open(os.path.join(worktree, "galaxy.yml"), encoding="utf-8") as handle:
        galaxy = yaml.safe_load(handle)
    with open(os.path.join(worktree, "plugins", "module_utils", "_version.py"), encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    runtime = next((node.value.value for node in tree.body if isinstance(node, ast.Assign)
                    and any(getattr(target, "id", "") == "COLLECTION_VERSION" for target in node.targets)), None)
    return {"MANIFEST.json": manifest["collection_info"]["version"], "galaxy.yml": str(galaxy["version"]),
            "plugins/module_utils/_version.py": runtime}


def ansible_env(collections: str) -> dict:
    """The environment tools/demo.py gives ansible-playbook: no ANSIBLE_* of the caller, only ``collections``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AIVEN_", "ANSIBLE_"))}
    env.update({"PATH": BIN + os.pathsep + os.environ.get("PATH", ""), "ANSIBLE_COLLECTIONS_PATH": collections})
    return env


def check_resolution(collections: str) -> str:
    """Fail unless dbpools.aiven resolves to ``collections`` and nowhere else; returns its folder."""
    installed = os.path.join(collections, "ansible_collections", *COLLECTION)
    env = ansible_env(collections)
    listing = json.loads(run([os.path.join(BIN, "ansible-galaxy"), "collection", "list", ".".join(COLLECTION), "--format", "json"], REPO, env))
    found = [os.path.realpath(path) for path, entries in listing.items() if ".".join(COLLECTION) in entries]
    if found != [os.path.realpath(os.path.join(collections, "ansible_collections"))]:
        raise PackageFailed(f"ansible-galaxy collection list finds dbpools.aiven in {found}, expected only {collections}")
    docs = json.loads(run([os.path.join(BIN, "ansible-doc"), "--json", "dbpools.aiven.aiven_connection_pool"], REPO, env))
    filename = docs["dbpools.aiven.aiven_connection_pool"]["doc"]["filename"]
    if not os.path.realpath(filename).startswith(os.path.realpath(installed) + os.sep):
        raise PackageFailed(f"ansible-doc reads the module from {filename}, not from {installed}")
    return installed


def package(work: str) -> None:
    started = time.monotonic()
    source = os.path.join(work, "src", "ansible_collections", *COLLECTION)
    copy_worktree(source)
    os.makedirs(DIST, exist_ok=True)
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path", DIST, "--force"], source)
    with open(os.path.join(source, "galaxy.yml"), encoding="utf-8") as handle:
        galaxy = yaml.safe_load(handle)
    tarball = os.path.join(DIST, f"{galaxy['namespace']}-{galaxy['name']}-{galaxy['version']}.tar.gz")
    with tarfile.open(tarball) as archive:
        members = {member.name.removeprefix("./") for member in archive.getmembers() if member.isfile()}
    log(f"built {os.path.relpath(tarball, REPO)}: {os.path.getsize(tarball) / 1024:.1f} KiB, {len(members)} files "
        f"({time.monotonic() - started:.1f} s)")

    problems = content_problems(members, source)
    if problems:
        raise PackageFailed("the tarball's contents are wrong:\n  " + "\n  ".join(problems))
    log(f"contents: none of the development files, all {len(REQUIRED_FILES)} required files, "
        f"every work-tree file of {', '.join(SHIPPED_FOLDERS)}")

    stated = versions(tarball, source)
    if len(set(stated.values())) != 1:
        raise PackageFailed(f"the versions differ: {stated}")
    log(f"version {stated['MANIFEST.json']} in MANIFEST.json, galaxy.yml and _version.py")

    collections = os.path.join(work, "installed")
    os.makedirs(collections)
    env = ansible_env(collections)
    galaxy_bin = os.path.join(BIN, "ansible-galaxy")
    run([galaxy_bin, "collection", "install", tarball, "-p", collections, "--offline"], work, env)
    run([galaxy_bin, "collection", "verify", ".".join(COLLECTION), "-p", collections, "--offline"], work, env)
    installed = check_resolution(collections)
    log(f"installed offline to {installed}; its files match FILES.json; ansible resolves dbpools.aiven there only")

    log("running the demo from the installed collection")
    command = [sys.executable, os.path.join(REPO, "tools", "demo.py"), "--collections-path", collections,
               "--playbooks-dir", os.path.join(installed, "playbooks")]
    code = subprocess.run(command, cwd=REPO, env=env, check=False).returncode
    if code != 0:
        raise PackageFailed(f"the demo from the installed collection failed (exit {code})")
    log(f"tarball {os.path.relpath(tarball, REPO)}: {os.path.getsize(tarball)} bytes, {len(members)} files; "
        f"installed and demoed in {time.monotonic() - started:.1f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--keep", action="store_true", help="keep the temp folder with the clean copy and the install")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="dbpools-package-")
    try:
        package(work)
    except PackageFailed as exc:
        log(f"FAILED: {exc}")
        return 1
    finally:
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
