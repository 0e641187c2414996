"""What the tarball holds: nothing of the development setup, everything a user needs, the work tree's files as they are."""

from __future__ import annotations

import fnmatch
import glob
import os
import tarfile
from typing import Optional, Set

import pytest
import yaml

# Path components that mark development files, wherever they appear.
FORBIDDEN_DIRS = {"tests", "tools", "build", "requirements", "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis", ".ansible", ".git", ".ci", ".nox"}
FORBIDDEN_PREFIXES = {"extensions/molecule": "molecule scenarios", "emulator/": "the emulator, a package of its own"}
FORBIDDEN_NAMES = ("Makefile", "noxfile.py", "antsibull-nox.toml", "ruff.toml", "mypy.ini", "pytest.ini", "integration_config.yml",
                   "*.pyc", ".venv*", "*.tar.gz")

# Files a user of the collection needs, named one by one so that an empty folder cannot pass.
REQUIRED_FILES = (
    "MANIFEST.json", "FILES.json", "LICENSE", "README.md", "changelogs/changelog.yaml",
    "meta/runtime.yml", "meta/execution-environment.yml",
    "plugins/modules/aiven_connection_pool.py", "plugins/modules/aiven_connection_pool_info.py",
    "plugins/module_utils/_api.py", "plugins/module_utils/_pools_planning.py", "plugins/module_utils/_version.py",
    "plugins/doc_fragments/aiven.py", "plugins/filter/pool_definitions.py", "plugins/filter/pool_definitions.yml",
    "roles/connection_pools/tasks/main.yml", "roles/connection_pools/meta/argument_specs.yml",
    "playbooks/demo.yml", "playbooks/apply_pools.yml", "playbooks/export_pools.yml", "playbooks/inventory/demo/hosts.yml",
    "docs/authentication.md", "extensions/awx/credential_type_aiven.yml",
)
# Folders whose every work-tree file must ship.
SHIPPED_FOLDERS = ("plugins", "roles", "playbooks", "docs", "meta")
# Written by ansible-galaxy, so not in the work tree.
GENERATED = {"MANIFEST.json", "FILES.json"}


def forbidden(path: str) -> Optional[str]:
    """Why ``path`` (relative, in the tarball) must not ship, or None."""
    parts = path.split("/")
    for part in parts:
        if part in FORBIDDEN_DIRS:
            return f"development folder {part}/"
    for prefix, what in FORBIDDEN_PREFIXES.items():
        if path.startswith(prefix):
            return what
    for part in parts:
        for pattern in FORBIDDEN_NAMES:
            if fnmatch.fnmatch(part, pattern):
                return f"development file {pattern}"
    return None


@pytest.mark.parametrize("path", [
    "tests/unit/plugins/modules/test_pool.py", "plugins/modules/__pycache__/x.cpython-311.pyc", "tools/demo.py",
    "extensions/molecule/default/molecule.yml", "Makefile", "requirements/dev.txt", ".venv-2.17/bin/python", "noxfile.py", ".nox/docs-check/bin/python",
    "build/dist/dbpools-aiven-1.0.0.tar.gz", ".ci/run", "emulator/aiven_emulator/seed.yml", "emulator/README.md", "pytest.ini",
])
def test_development_paths_are_recognised(path: str) -> None:
    assert forbidden(path)


@pytest.mark.parametrize("path", ["plugins/modules/aiven_connection_pool.py", "docs/examples/connection-k8s-secret.yml",
                                  "extensions/awx/credential_type_aiven.yml", "roles/connection_pools/meta/main.yml"])
def test_product_paths_are_not_taken_for_development_files(path: str) -> None:
    assert forbidden(path) is None


def test_no_development_file_ships(members: Set[str]) -> None:
    assert {path: why for path in sorted(members) if (why := forbidden(path))} == {}


@pytest.mark.parametrize("path", REQUIRED_FILES)
def test_required_file_ships(members: Set[str], path: str) -> None:
    assert path in members


def test_execution_environment_dependency_files_ship(members: Set[str], clean_copy: str) -> None:
    with open(os.path.join(clean_copy, "meta", "execution-environment.yml"), encoding="utf-8") as handle:
        dependencies = yaml.safe_load(handle).get("dependencies") or {}
    files = {kind: path for kind, path in dependencies.items() if isinstance(path, str) and path.endswith((".txt", ".yml", ".yaml"))}
    assert files, "meta/execution-environment.yml names no dependency file"
    assert {kind: path for kind, path in files.items() if path not in members} == {}


@pytest.mark.parametrize("folder", SHIPPED_FOLDERS)
def test_every_work_tree_file_of_a_shipped_folder_ships(members: Set[str], clean_copy: str, folder: str) -> None:
    work_tree = [os.path.relpath(path, clean_copy).replace(os.sep, "/")
                 for path in glob.glob(os.path.join(clean_copy, folder, "**", "*"), recursive=True) if os.path.isfile(path)]
    assert work_tree, f"{folder}/ has no file in the work tree"
    assert sorted(path for path in work_tree if not forbidden(path) and path not in members) == []


def test_shipped_files_equal_the_work_tree(tarball: str, clean_copy: str) -> None:
    differing = []
    with tarfile.open(tarball) as archive:
        for member in archive.getmembers():
            path = member.name.removeprefix("./")
            if not member.isfile() or path in GENERATED:
                continue
            with archive.extractfile(member) as shipped, open(os.path.join(clean_copy, path), "rb") as source:  # type: ignore[union-attr]
                if shipped.read() != source.read():
                    differing.append(path)
    assert differing == []
