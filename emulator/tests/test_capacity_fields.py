"""The capacity facts of a service document (contract, "Capacity"): node size, max_connections, user_config.

The per-plan figures come from the plan (plans.py), a seed may override them per service, and the
service list shows what GET service shows. A seed with a value outside the contract's ranges does not start.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import requests
import yaml
from harness import TOKEN, Api

from aiven_emulator.backends import Endpoint
from aiven_emulator.documents import Renderer
from aiven_emulator.options import Options
from aiven_emulator.process import PACKAGE_PARENT, EmulatorProcess
from aiven_emulator.seed import SeedError, build_world

PROJECT = "capacity-project"
PGBOUNCER_SETTINGS = {"autodb_pool_mode": "session", "autodb_pool_size": 5, "autodb_max_db_connections": 40,
                      "min_pool_size": 2, "max_prepared_statements": 0, "server_reset_query_always": True,
                      "ignore_startup_parameters": ["search_path"]}
TUNED = {"name": "pg-tuned", "plan": "business-8", "users": ["avnadmin"], "node_cpu_count": 3, "node_memory_mb": 6000,
         "user_config": {"pg": {"max_connections": 150}, "pgbouncer": PGBOUNCER_SETTINGS}}
SEED = {"tokens": [TOKEN], "projects": [{"name": PROJECT, "services": [
    {"name": "pg-plain", "plan": "startup-16", "users": ["avnadmin"]}, TUNED]}]}


def _document(service: dict) -> dict:
    """The GET service document the seeded service renders to, without a server."""
    world = build_world({"tokens": [TOKEN], "projects": [{"name": PROJECT, "services": [service]}]})
    model = world.projects[PROJECT].services[service["name"]]
    return Renderer(Options(), show_secrets=False).service(model, Endpoint("127.0.0.1", 5432, 6432))


@pytest.mark.parametrize(("plan", "cpus", "memory_mb", "max_connections", "nodes"), [
    ("startup-4", 1, 4096, 100, 1),
    ("startup-8", 2, 8192, 200, 1),
    ("business-16", 4, 16384, 400, 2),
    ("premium-32", 8, 32768, 800, 3),
    ("startup-64", 16, 65536, 1000, 1),
    ("business-120", 30, 122880, 1000, 2),
    ("hobbyist", 1, 2048, 25, 1),
    ("free-1-5gb", 1, 1024, 20, 1),
    ("developer-1", 1, 1024, 15, 1),
])
def test_a_plan_gives_its_size_and_default_max_connections(plan, cpus, memory_mb, max_connections, nodes):
    document = _document({"name": "pg-a", "plan": plan, "users": ["avnadmin"]})
    assert (document["node_cpu_count"], document["node_memory_mb"], document["node_count"]) == (cpus, memory_mb, nodes)
    assert document["metadata"] == {"max_connections": max_connections, "pg_version": "15"}
    # Production's user_config holds only what the user set: no pg or pgbouncer section unless the seed sets one.
    assert document["user_config"] == {"pg_version": "15"}


def test_a_seed_overrides_the_node_size_and_sets_user_config():
    document = _document(TUNED)
    assert (document["node_cpu_count"], document["node_memory_mb"], document["node_count"]) == (3, 6000, 2)
    # The user's max_connections is the effective one, in metadata as in production.
    assert document["metadata"]["max_connections"] == 150
    assert document["user_config"] == {"pg_version": "15", "pg": {"max_connections": 150}, "pgbouncer": PGBOUNCER_SETTINGS}


def test_pgbouncer_settings_alone_leave_the_plans_max_connections():
    document = _document({"name": "pg-a", "plan": "startup-8", "users": ["avnadmin"],
                          "user_config": {"pgbouncer": {"autodb_pool_size": 10}}})
    assert document["metadata"]["max_connections"] == 200
    assert document["user_config"] == {"pg_version": "15", "pgbouncer": {"autodb_pool_size": 10}}


@pytest.mark.parametrize(("change", "named"), [
    ({"user_config": {"pg": {"max_connections": 24}}}, "user_config.pg.max_connections"),
    ({"user_config": {"pg": {"max_connections": 60001}}}, "user_config.pg.max_connections"),
    ({"user_config": {"pg": {"max_connections": "150"}}}, "user_config.pg.max_connections"),
    ({"user_config": {"pg": {"max_connections": True}}}, "user_config.pg.max_connections"),
    ({"user_config": {"pg": {"shared_buffers": 100}}}, "user_config.pg.shared_buffers"),
    ({"user_config": {"pgbouncer": {"autodb_pool_mode": "fast"}}}, "user_config.pgbouncer.autodb_pool_mode"),
    ({"user_config": {"pgbouncer": {"autodb_pool_size": -1}}}, "user_config.pgbouncer.autodb_pool_size"),
    ({"user_config": {"pgbouncer": {"ignore_startup_parameters": ["work_mem"]}}}, "user_config.pgbouncer.ignore_startup_parameters"),
    ({"user_config": {"pgbouncer": {"server_reset_query_always": "yes"}}}, "user_config.pgbouncer.server_reset_query_always"),
    ({"user_config": {"kafka": {}}}, "user_config.kafka"),
    ({"user_config": ["pg"]}, "user_config"),
    ({"node_cpu_count": 0}, "node_cpu_count"),
    ({"node_memory_mb": "4GB"}, "node_memory_mb"),
    ({"plan": "startup-5"}, "plan 'startup-5'"),
    ({"plan": "custom-4"}, "plan 'custom-4'"),
])
def test_a_bad_capacity_setting_refuses_the_seed_naming_the_service_and_key(change, named):
    with pytest.raises(SeedError) as raised:
        _document(dict({"name": "pg-a", "users": ["avnadmin"]}, **change))
    message = str(raised.value)
    assert message.startswith("projects[0].services[0]") and named in message


def test_the_emulator_does_not_start_with_a_bad_seed(tmp_path):
    services = [{"name": "pg-plain", "users": ["avnadmin"]}, dict(TUNED, user_config={"pg": {"max_connections": 10}})]
    seed = dict(SEED, projects=[{"name": PROJECT, "services": services}])
    seed_file = tmp_path / "seed.yml"
    seed_file.write_text(yaml.safe_dump(seed), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "aiven_emulator", "--port", "0", "--seed", str(seed_file)],
                         cwd=PACKAGE_PARENT, capture_output=True, text=True, timeout=60, check=False,
                         env=dict(os.environ, PYTHONPATH=PACKAGE_PARENT))
    assert run.returncode == 2 and "READY" not in run.stdout
    assert "services[1].user_config.pg.max_connections: 10 is not an integer 25 to 60000" in run.stderr


@pytest.fixture(scope="module")
def capacity_emulator():
    with EmulatorProcess(SEED, options={"rate_limit": 0}) as emu:
        yield emu


def test_the_service_list_and_get_service_agree(capacity_emulator):
    api = Api(capacity_emulator.url)
    reply = api.call("GET", f"/project/{PROJECT}/service")
    assert reply.status_code == 200
    listed = {item["service_name"]: item for item in reply.json()["services"]}
    keys = ("node_count", "node_cpu_count", "node_memory_mb", "metadata", "user_config")
    for name in ("pg-plain", "pg-tuned"):
        single = api.call("GET", f"/project/{PROJECT}/service/{name}").json()["service"]
        assert {key: listed[name][key] for key in keys} == {key: single[key] for key in keys}
    assert listed["pg-plain"]["metadata"]["max_connections"] == 400
    assert listed["pg-tuned"]["user_config"]["pgbouncer"] == PGBOUNCER_SETTINGS


def test_a_plan_change_changes_the_plans_figures_and_an_unknown_plan_is_refused(capacity_emulator):
    api = Api(capacity_emulator.url)
    capacity_emulator.set_service(PROJECT, "pg-plain", plan="startup-32")
    try:
        document = api.call("GET", f"/project/{PROJECT}/service/pg-plain").json()["service"]
        assert (document["metadata"]["max_connections"], document["node_cpu_count"]) == (800, 8)
        with pytest.raises(requests.HTTPError) as raised:
            capacity_emulator.set_service(PROJECT, "pg-plain", plan="startup-3")
        assert raised.value.response.status_code == 400 and "'startup-3' has no known size" in raised.value.response.text
    finally:
        capacity_emulator.set_service(PROJECT, "pg-plain", plan="startup-16")
