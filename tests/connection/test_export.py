"""The project at a glance and its pools as role definitions (docs/connection-details.md), memory backend.

aiven_connection_pool_info without service_name reads a whole project in one request; the recipe
docs/examples/export-definitions.yml writes what exists as role definitions, which the role then
applies with no change and reports nothing missing, undeclared or differing.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Dict, Iterator, Tuple

import pytest
import yaml

from tests.connection.world import PLAYBOOKS, POOLS, PROJECT, SEED, TOKEN
from tests.support.ansible import ansible_env, run_playbook
from tests.support.emulator import EmulatorProcess

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "docs", "examples")
EXPORT_RECIPE = os.path.join(EXAMPLES, "export-definitions.yml")
PROJECT_INFO = os.path.join(PLAYBOOKS, "project_info.yml")
APPLY_DEFINITIONS = os.path.join(PLAYBOOKS, "apply_definitions.yml")


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


def test_exported_definitions_reapplied_change_nothing_and_report_nothing(export_world, tmp_path):
    emulator, env = export_world
    definitions_file = tmp_path / "group_vars" / "all" / "connection_pools.yml"
    definitions_file.parent.mkdir(parents=True)
    run(emulator, env, EXPORT_RECIPE, export_project=PROJECT, export_file=str(definitions_file))
    assert [entry["method"] for entry in emulator.requests_log()["log"]] == ["GET"]

    text = definitions_file.read_text(encoding="utf-8")
    for secret_or_detail in seeded_passwords(emulator) + ["postgres://", "host", "password"]:
        assert secret_or_detail not in text
    exported = yaml.safe_load(text)
    assert exported["connection_pools_project"] == PROJECT
    definitions = exported["connection_pools_definitions"]
    assert [(entry["service_name"], entry["pool_name"]) for entry in definitions] == sorted(POOLS)
    assert all("project" not in entry for entry in definitions)
    assert [entry.get("username") for entry in definitions] == ["app", None, "avnadmin"]

    for report_only in (False, True):
        result_file = tmp_path / f"result-{report_only}.json"
        run(emulator, env, APPLY_DEFINITIONS, definitions_file=str(definitions_file), result_file=str(result_file),
            connection_pools_report_only=report_only)
        result = json.loads(result_file.read_text(encoding="utf-8"))
        assert result["changes"] == []
        assert result["summary"] == {"services": 2, "pools": 3, "created": 0, "updated": 0, "deleted": 0}
        # Two services of one project: one read of the service list, and no write.
        assert [entry["method"] for entry in emulator.requests_log()["log"]] == ["GET"]
        if report_only:
            assert result["report"] == {"missing": [], "undeclared": [], "differing": []}
        else:
            assert "report" not in result
