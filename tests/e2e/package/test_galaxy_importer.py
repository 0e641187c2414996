"""galaxy-importer, the checks Galaxy runs on an upload, on the release tarball: no warning, no error.

It runs ansible-doc and ansible-lint from PATH and silently skips a missing one, so the
venv's bin/ goes first on PATH and the log must show both ran.
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any, Dict, List

import pytest
import yaml

from tests.support.ansible import ansible_env
from tests.support.collection import REPO_ROOT

# The importer's own defaults plus the checks a stricter Galaxy (Automation Hub) turns on.
CONFIG = """[galaxy-importer]
run_ansible_doc = True
run_ansible_lint = True
offline_ansible_lint = True
check_changelog = True
check_required_tags = True
require_v1_or_greater = True
ansible_local_tmp = {tmp}
tmp_root_dir = {tmp}
"""
# What the importer prints for each log record above INFO; INFO lines have no prefix.
PROBLEM_PREFIXES = ("WARNING:", "ERROR:", "CRITICAL:")
DOCUMENTED_TYPES = ("module", "filter", "lookup")


@dataclass
class ImportRun:
    rc: int
    log: List[str]
    result: Dict[str, Any]


@pytest.fixture(scope="module")
def import_run(tarball: str, tmp_path_factory: pytest.TempPathFactory) -> ImportRun:
    workdir = tmp_path_factory.mktemp("galaxy-importer")
    config = workdir / "galaxy-importer.cfg"
    config.write_text(CONFIG.format(tmp=workdir / "tmp"), encoding="utf-8")
    (workdir / "tmp").mkdir()
    # Its own config file only (not /etc/galaxy-importer's); it sets ANSIBLE_COLLECTIONS_PATH for its ansible-doc and ansible-lint.
    env = dict(ansible_env(str(workdir / "tmp")), GALAXY_IMPORTER_CONFIG=str(config))
    proc = subprocess.run([sys.executable, "-m", "galaxy_importer.main", tarball], cwd=workdir, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600, check=False)
    result_file = workdir / "importer_result.json"
    result = json.loads(result_file.read_text(encoding="utf-8")) if result_file.exists() else {}
    return ImportRun(proc.returncode, proc.stdout.splitlines(), result)


def test_import_succeeds(import_run: ImportRun) -> None:
    assert import_run.rc == 0 and "Importer processing completed successfully" in import_run.log, "\n".join(import_run.log[-40:])


def test_import_logs_no_warning_or_error(import_run: ImportRun) -> None:
    assert [line for line in import_run.log if line.startswith(PROBLEM_PREFIXES)] == []


def test_ansible_doc_and_ansible_lint_ran(import_run: ImportRun) -> None:
    assert "Getting doc strings via ansible-doc" in import_run.log
    assert "...ansible-lint run complete" in import_run.log


def test_result_names_the_release(import_run: ImportRun, clean_copy: str) -> None:
    with open(os.path.join(clean_copy, "galaxy.yml"), encoding="utf-8") as handle:
        galaxy = yaml.safe_load(handle)
    metadata = import_run.result.get("metadata", {})
    assert [metadata.get(key) for key in ("namespace", "name", "version")] == [galaxy["namespace"], galaxy["name"], str(galaxy["version"])]


def test_every_plugin_has_doc_strings(import_run: ImportRun) -> None:
    """Galaxy renders a plugin's page from these: a plugin ansible-doc cannot read would have none."""
    plugins = {(folder, os.path.splitext(os.path.basename(path))[0])
               for folder in DOCUMENTED_TYPES
               for path in glob.glob(os.path.join(REPO_ROOT, "plugins", folder, "*.py")) if not path.endswith("__init__.py")}
    documented = {(entry["content_type"], entry["content_name"])
                  for entry in import_run.result.get("docs_blob", {}).get("contents", []) if entry.get("doc_strings")}
    assert plugins and sorted(plugins - documented) == []
