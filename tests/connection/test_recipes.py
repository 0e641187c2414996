"""The recipes of docs/connection-details.md, run as users run them, against the emulator with real PgBouncer.

The env-file recipe (docs/examples/connection-env-file.yml) runs as it is and psycopg connects with
what it wrote (PG* variables, DATABASE_URL, .pgpass), TLS verify-full against the project's CA.
The Kubernetes recipe needs kubernetes.core and a cluster, which the tests do not have: its
Secret is rendered through the recipe's own template with the lookup's answer and checked.
"""

from __future__ import annotations

import os
import stat
import sys
from typing import Any, Dict, Tuple

import psycopg
import pytest
import yaml

from tests.connection.world import PLAYBOOKS, POOLS, PROJECT, TOKEN, term
from tests.support.ansible import ansible_env, run_playbook
from tests.support.emulator import EmulatorProcess

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "docs", "examples")
ENV_FILE_RECIPE = os.path.join(EXAMPLES, "connection-env-file.yml")
K8S_RECIPE = os.path.join(EXAMPLES, "connection-k8s-secret.yml")
RENDER_K8S = os.path.join(PLAYBOOKS, "render_k8s_secret.yml")
# (service, pool, unpinned_user): a pinned pool, and an unpinned one with the user the caller names.
CASES = [("pg-one", "pinned", None), ("pg-one", "shared", "app")]


@pytest.fixture
def recipe_world(emulator: EmulatorProcess, collections_root: str) -> Tuple[EmulatorProcess, Dict[str, str]]:
    """The suite's emulator (PgBouncer behind every service), and the environment a user's shell would have."""
    return emulator, ansible_env(collections_root, {"AIVEN_TOKEN": TOKEN, "AIVEN_WEB_URL": emulator.url})


def read_env_file(path: str) -> Dict[str, str]:
    """KEY=value lines, as docker --env-file reads them (no quotes, # comments)."""
    values = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.rstrip("\n")
            if line and not line.startswith("#"):
                key, value = line.split("=", 1)
                values[key] = value
    return values


def whoami(**params: Any) -> Tuple[str, str]:
    with psycopg.connect(connect_timeout=20, **params) as connection:
        row = connection.execute("SELECT current_database(), current_user").fetchone()
    assert row is not None
    return row[0], row[1]


@pytest.mark.parametrize("service, pool, unpinned_user", CASES)
def test_env_file_recipe_renders_and_connects_with_verify_full(recipe_world, tmp_path, service, pool, unpinned_user):
    emulator, env = recipe_world
    config_dir = tmp_path / "myapp"
    config_dir.mkdir()
    run = run_playbook(ENV_FILE_RECIPE, env, extra_vars={
        "app_pool": term(service, pool), "app_unpinned_user": unpinned_user, "app_config_dir": str(config_dir),
        "ansible_python_interpreter": sys.executable})
    assert run.rc == 0, run.output[-3000:]
    database, user = POOLS[(service, pool)]
    password = emulator.password(PROJECT, service, user)
    assert password not in run.output

    values = read_env_file(str(config_dir / "db.env"))
    assert stat.S_IMODE(os.stat(config_dir / "db.env").st_mode) == 0o600
    assert set(values) == {"DATABASE_URL", "PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD", "PGSSLMODE", "PGSSLROOTCERT"}
    assert (values["PGDATABASE"], values["PGUSER"], values["PGPASSWORD"]) == (pool, user, password)
    assert values["PGSSLMODE"] == "verify-full"
    with open(values["PGSSLROOTCERT"], encoding="utf-8") as handle:
        assert "BEGIN CERTIFICATE" in handle.read()

    # What libpq makes of the PG* variables, given as they are; the pool leads to its database and user.
    assert whoami(host=values["PGHOST"], port=values["PGPORT"], dbname=values["PGDATABASE"], user=values["PGUSER"],
                  password=values["PGPASSWORD"], sslmode=values["PGSSLMODE"], sslrootcert=values["PGSSLROOTCERT"]) == (database, user)
    assert whoami(conninfo=values["DATABASE_URL"]) == (database, user)


def test_pgpass_recipe_line_lets_libpq_connect_without_a_password(recipe_world, tmp_path):
    emulator, env = recipe_world
    config_dir = tmp_path / "myapp"
    config_dir.mkdir()
    run = run_playbook(ENV_FILE_RECIPE, env, extra_vars={
        "app_pool": term("pg-one", "pinned"), "app_config_dir": str(config_dir), "ansible_python_interpreter": sys.executable})
    assert run.rc == 0, run.output[-3000:]
    passfile = config_dir / ".pgpass"
    assert stat.S_IMODE(os.stat(passfile).st_mode) == 0o600
    values = read_env_file(str(config_dir / "db.env"))
    host, port, dbname, user = passfile.read_text(encoding="utf-8").strip().split(":", 4)[:4]
    assert (host, port, dbname, user) == (values["PGHOST"], values["PGPORT"], "pinned", "app")
    assert whoami(host=host, port=port, dbname=dbname, user=user, passfile=str(passfile), sslmode="verify-full",
                  sslrootcert=values["PGSSLROOTCERT"]) == ("appdb", "app")


def recipe_k8s_task() -> Dict[str, Any]:
    with open(K8S_RECIPE, encoding="utf-8") as handle:
        play = yaml.safe_load(handle)[0]
    (task,) = [task for task in play["tasks"] if "kubernetes.core.k8s" in task]
    return {"vars": play["vars"], "k8s": task["kubernetes.core.k8s"]}


def test_k8s_recipe_applies_its_template_as_the_definition():
    # The test below renders this template: the recipe must be what gives it to kubernetes.core.k8s.
    k8s = recipe_k8s_task()["k8s"]
    assert k8s["state"] == "present"
    assert k8s["definition"] == "{{ lookup('ansible.builtin.template', 'templates/pool-secret.yml.j2') | from_yaml }}"


@pytest.mark.parametrize("target", [None, {"name": "custom-name", "prefix": "DB_", "labels": {"team": "a"}, "annotations": {"note": "x"}}])
def test_k8s_recipe_renders_a_secret_in_the_operators_shape(recipe_world, tmp_path, target):
    emulator, env = recipe_world
    recipe_vars = recipe_k8s_task()["vars"]
    secret_target = recipe_vars["secret_target"] if target is None else target
    rendered = tmp_path / "secret.json"
    run = run_playbook(RENDER_K8S, env, extra_vars={
        "app_pool": term("pg-one", "pinned"), "app_unpinned_user": None, "recipe_dir": EXAMPLES, "rendered_file": str(rendered),
        "secret_target": secret_target, "k8s_namespace": recipe_vars["k8s_namespace"]})
    assert run.rc == 0, run.output[-3000:]
    password = emulator.password(PROJECT, "pg-one", "app")
    assert password not in run.output
    secret = yaml.safe_load(rendered.read_text(encoding="utf-8"))

    prefix = secret_target["prefix"]
    assert (secret["apiVersion"], secret["kind"], secret["type"]) == ("v1", "Secret", "Opaque")
    assert secret["metadata"] == {"name": secret_target["name"], "namespace": recipe_vars["k8s_namespace"],
                                  "labels": secret_target["labels"], "annotations": secret_target["annotations"]}
    data = secret["stringData"]
    assert sorted(data) == sorted(prefix + key for key in ("NAME", "HOST", "PORT", "DATABASE", "USER", "PASSWORD", "SSLMODE",
                                                           "DATABASE_URI", "CA_CERT"))
    assert all(isinstance(value, str) for value in data.values())  # a Secret's stringData holds strings only
    assert (data[prefix + "NAME"], data[prefix + "DATABASE"], data[prefix + "USER"], data[prefix + "PASSWORD"]) == (
        "pinned", "pinned", "app", password)
    assert data[prefix + "CA_CERT"].startswith("-----BEGIN CERTIFICATE-----")
    # The values connect: the URI through PgBouncer with the CA of the Secret.
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text(data[prefix + "CA_CERT"], encoding="utf-8")
    assert whoami(host=data[prefix + "HOST"], port=data[prefix + "PORT"], dbname=data[prefix + "DATABASE"], user=data[prefix + "USER"],
                  password=data[prefix + "PASSWORD"], sslmode="verify-full", sslrootcert=str(ca_file)) == ("appdb", "app")


def test_k8s_secret_name_defaults_to_the_pool_and_prefix_to_the_operators(recipe_world, tmp_path):
    env = recipe_world[1]
    rendered = tmp_path / "secret.json"
    run = run_playbook(RENDER_K8S, env, extra_vars={
        "app_pool": term("pg-two", "reports"), "app_unpinned_user": None, "recipe_dir": EXAMPLES, "rendered_file": str(rendered),
        "secret_target": {}, "k8s_namespace": "ns"})
    assert run.rc == 0, run.output[-3000:]
    secret = yaml.safe_load(rendered.read_text(encoding="utf-8"))
    assert secret["metadata"]["name"] == "reports"
    assert secret["stringData"]["CONNECTIONPOOL_DATABASE"] == "reports"
