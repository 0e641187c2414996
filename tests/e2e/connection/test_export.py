"""The project at a glance and its pools as role definitions (docs/bulk-pools.md), memory backend.

aiven_connection_pool_info without service_name reads a whole project in one request; the playbook
dbpools.aiven.export_pools, run from an inventory directory, writes what exists as role definitions there, which the role then
applies with no change and reports nothing missing, undeclared or differing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, Tuple

import pytest
from ansible.parsing.yaml.loader import AnsibleLoader

from aiven_emulator.process import EmulatorProcess
from tests.e2e.connection.world import PLAYBOOKS, POOLS, PROJECT, SEED, TOKEN, TOKEN_WITHOUT_SECRETS
from tests.support.ansible import BIN, ansible_env, run_playbook
from tests.support.collection import REPO_ROOT

PROJECT_INFO = os.path.join(PLAYBOOKS, "project_info.yml")
EXPORT_APPLY = os.path.join(PLAYBOOKS, "export_apply.yml")


@pytest.fixture(scope="module")
def export_world(collections_root: str) -> Iterator[Tuple[EmulatorProcess, Dict[str, str]]]:
    """An emulator of its own (memory backend: nothing here connects), with the suite's seed."""
    with EmulatorProcess(SEED) as emulator:
        yield emulator, ansible_env(collections_root, {"AIVEN_TOKEN": TOKEN, "AIVEN_WEB_URL": emulator.url})


def seeded_passwords(emulator: EmulatorProcess) -> list[str]:
    return [emulator.password(PROJECT, service, user) for service in ("pg-one", "pg-two") for user in ("avnadmin", "app")]


def run(emulator: EmulatorProcess, env: Dict[str, str], playbook: str, **extra: Any):
    emulator.reset_requests()
    result = run_playbook(playbook, env, extra_vars={"ansible_python_interpreter": sys.executable, **extra})
    assert result.rc == 0, result.output[-3000:]
    for password in seeded_passwords(emulator):
        assert password not in result.output
    return result


def test_project_wide_info_is_one_request_for_every_pool(export_world, tmp_path):
    emulator, env = export_world
    info_file = tmp_path / "info.json"
    run(emulator, env, PROJECT_INFO, info_project=PROJECT, info_file=str(info_file))
    log = emulator.requests_log()
    assert [(entry["method"], entry["path"].split("?")[0]) for entry in log["log"]] == [("GET", f"/v1/project/{PROJECT}/service")]
    text = info_file.read_text(encoding="utf-8")
    # Without include_secrets: no password anywhere, nor the keys that hold one.
    assert not [password for password in seeded_passwords(emulator) if password in text]
    info = json.loads(text)
    pools = info["connection_pools"]
    assert not [pool for pool in pools if {"password", "connection_uri"} & set(pool)]
    assert sorted((pool["project"], pool["service_name"], pool["pool_name"]) for pool in pools) == sorted(
        (PROJECT, service, pool) for service, pool in POOLS)
    assert all(pool["dbname"] == pool["pool_name"] and isinstance(pool["port"], int) for pool in pools)
    unpinned = [pool for pool in pools if pool["username"] is None]
    assert [pool["pool_name"] for pool in unpinned] == ["shared"] and unpinned[0]["user"] == ""
    assert sorted((service["service_name"], service["state"]) for service in info["services"]) == [
        ("pg-one", "RUNNING"), ("pg-two", "RUNNING")]


def export(emulator: EmulatorProcess, env: Dict[str, str], cwd: str, playbook: str, **extra: Any):
    """ansible-playbook ``playbook`` run from ``cwd`` (not the repository), as a user runs it from an inventory."""
    emulator.reset_requests()
    command = [os.path.join(BIN, "ansible-playbook"), playbook, "-e", f"ansible_python_interpreter={sys.executable}",
               "-e", json.dumps(extra)]
    proc = subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
    for password in seeded_passwords(emulator):
        assert password not in proc.stdout
    return proc


def exported(path: Path) -> Dict[str, Any]:
    """A written file as Ansible reads group_vars (plain yaml.safe_load does not know !unsafe)."""
    return AnsibleLoader(path.read_text(encoding="utf-8")).get_single_data()


def reapplied(emulator: EmulatorProcess, env: Dict[str, str], inventory: Path, result_file: Path, report_only: bool) -> Dict[str, Any]:
    emulator.reset_requests()
    result = run_playbook(EXPORT_APPLY, env, inventory=str(inventory), extra_vars={
        "result_file": str(result_file), "connection_pools_report_only": report_only})
    assert result.rc == 0, result.output[-3000:]
    for password in seeded_passwords(emulator):
        assert password not in result.output
    return json.loads(result_file.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def exported_inventory(export_world, tmp_path_factory) -> Path:
    """The playbook dbpools.aiven.export_pools run from an inventory directory, with a token that may not read secrets."""
    emulator, env = export_world
    inventory = tmp_path_factory.mktemp("inventory")
    (inventory / "hosts.yml").write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n", encoding="utf-8")
    export(emulator, {**env, "AIVEN_TOKEN": TOKEN_WITHOUT_SECRETS}, str(inventory), "dbpools.aiven.export_pools",
           export_pools_projects=[PROJECT], export_pools_purge=True)
    # One read, without secrets: asked for them, this token gets 403 and the module reads a second time.
    assert [(entry["method"], entry["path"]) for entry in emulator.requests_log()["log"]] == [("GET", f"/v1/project/{PROJECT}/service")]
    return inventory


def test_export_playbook_writes_relative_to_where_it_runs(exported_inventory):
    folder = exported_inventory / "group_vars" / "all"
    assert sorted(path.name for path in folder.iterdir()) == ["connection_pools_definitions__conn_project.yml", "connection_pools_purge.yml"]
    # Not beside the playbook, inside the installed collection.
    assert not os.path.exists(os.path.join(REPO_ROOT, "playbooks", "group_vars"))


def test_export_playbook_writes_every_setting_unsafe_and_no_secret(export_world, exported_inventory):
    emulator, _env = export_world
    folder = exported_inventory / "group_vars" / "all"
    text = (folder / "connection_pools_definitions__conn_project.yml").read_text(encoding="utf-8")
    for secret_or_detail in seeded_passwords(emulator) + ["postgres://", "host", "password"]:
        assert secret_or_detail not in text
    assert f"- project: !unsafe '{PROJECT}'" in text and "pool_name: !unsafe 'shared'" in text
    definitions = exported(folder / "connection_pools_definitions__conn_project.yml")["connection_pools_definitions__conn_project"]
    assert [(entry["project"], entry["service_name"], entry["pool_name"]) for entry in definitions] == sorted(
        (PROJECT, service, pool) for service, pool in POOLS)
    assert [entry["username"] for entry in definitions] == ["app", "", "avnadmin"]
    assert all(set(entry) == {"project", "service_name", "pool_name", "database_name", "username", "pool_mode", "pool_size"}
               for entry in definitions)
    assert exported(folder / "connection_pools_purge.yml") == {"connection_pools_purge": [f"{PROJECT}/pg-one", f"{PROJECT}/pg-two"]}


def test_exported_definitions_reapplied_change_nothing_and_report_nothing(export_world, exported_inventory, tmp_path):
    emulator, env = export_world
    for report_only in (False, True):
        result = reapplied(emulator, env, exported_inventory / "hosts.yml", tmp_path / f"result-{report_only}.json", report_only)
        assert result["changes"] == []
        assert result["summary"] == {"services": 2, "pools": 3, "created": 0, "updated": 0, "deleted": 0}
        # Two services of one project: one read of the service list, and no write.
        assert [entry["method"] for entry in emulator.requests_log()["log"]] == ["GET"]
        if report_only:
            assert result["report"] == {"missing": [], "undeclared": [], "differing": []}
        else:
            assert "report" not in result
