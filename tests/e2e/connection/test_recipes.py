"""The recipes of docs/connection-details.md, run as users run them, against the emulator with real PgBouncer.

The env-file recipe (docs/examples/connection-env-file.yml) runs as it is; its env file reads the same
for docker --env-file, systemd and sh (tests/e2e/connection/env_readers.py), and psycopg connects with what
it wrote (PG* variables, DATABASE_URL, .pgpass), TLS verify-full against the project's CA. No recipe
writes an empty or missing credential: without one to give, the lookup fails and nothing is written.
The Kubernetes recipe needs kubernetes.core and a cluster, which the tests do not have: its
Secret is rendered through the recipe's own template with the lookup's answer and checked.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from typing import Any, Dict, Iterator, Tuple

import psycopg
import pytest
import yaml

from aiven_emulator.process import EmulatorProcess
from tests.e2e.connection.env_readers import SYSTEMD_ENVIRONMENT_D_GENERATOR, docker_env_file, sh_env_file, systemd_env_file
from tests.e2e.connection.world import PLAYBOOKS, POOLS, PROJECT, TOKEN, TOKEN_WITHOUT_SECRETS, term
from tests.support.ansible import ansible_env, run_playbook
from tests.support.collection import REPO_ROOT

EXAMPLES = os.path.join(REPO_ROOT, "docs", "examples")
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
    """The env file as docker, systemd and sh read it, which must be alike."""
    values = docker_env_file(path)
    assert systemd_env_file(path) == values, "systemd reads the env file differently from docker"
    assert sh_env_file(path, sys.executable) == values, "sh (set -a; . file) reads the env file differently from docker"
    return values


# Connects with nothing but the environment sh exported from the env file: libpq's PG* variables, then
# DATABASE_URL (whose root certificate comes from PGSSLROOTCERT).
CONNECT_FROM_ENV = (
    "import json, os, psycopg\n"
    "def who(conninfo):\n"
    "    with psycopg.connect(conninfo, connect_timeout=20) as connection:\n"
    "        return list(connection.execute('SELECT current_database(), current_user').fetchone())\n"
    "print(json.dumps([who(''), who(os.environ['DATABASE_URL'])]))\n")


def connect_as_sh_reads(path: str) -> list:
    directory, name = os.path.split(path)
    script = os.path.join(directory, "connect.py")
    with open(script, "w", encoding="utf-8") as handle:
        handle.write(CONNECT_FROM_ENV)
    result = subprocess.run(["/bin/sh", "-c", f"set -a; . ./{name}; exec {sys.executable} connect.py"], cwd=directory,
                            env={"PATH": "/usr/bin:/bin", "HOME": directory}, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


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
    assert "&" not in values["DATABASE_URL"]
    assert values["PGSSLMODE"] == "verify-full"
    with open(values["PGSSLROOTCERT"], encoding="utf-8") as handle:
        assert "BEGIN CERTIFICATE" in handle.read()

    # What libpq makes of the PG* variables, given as they are; the pool leads to its database and user.
    assert whoami(host=values["PGHOST"], port=values["PGPORT"], dbname=values["PGDATABASE"], user=values["PGUSER"],
                  password=values["PGPASSWORD"], sslmode=values["PGSSLMODE"], sslrootcert=values["PGSSLROOTCERT"]) == (database, user)
    assert whoami(conninfo=values["DATABASE_URL"], sslrootcert=values["PGSSLROOTCERT"]) == (database, user)
    # A process started from "set -a; . db.env" connects with its environment alone, both ways.
    assert connect_as_sh_reads(str(config_dir / "db.env")) == [[database, user], [database, user]]


def test_systemd_reader_is_available():
    # The systemd reading above runs systemd's own parser; say so loudly where it is missing rather than skip.
    assert os.access(SYSTEMD_ENVIRONMENT_D_GENERATOR, os.X_OK), "systemd's environment.d generator is needed to test the env file"


@pytest.fixture(scope="module")
def odd_world(collections_root: str) -> Iterator[Tuple[EmulatorProcess, Dict[str, str]]]:
    """A pool whose user's password no unquoted env file can hold the same way for docker, systemd and sh."""
    seed = {"tokens": [TOKEN], "projects": [{"name": PROJECT, "services": [{
        "name": "pg-odd", "state": "RUNNING", "plan": "startup-4", "databases": ["appdb"],
        "users": ["avnadmin", {"username": "odd", "password": "p&ss w$rd~'x\"y"}],
        "pools": [{"pool_name": "odd-pool", "database": "appdb", "username": "odd"}]}]}]}
    with EmulatorProcess(seed) as emulator:
        yield emulator, ansible_env(collections_root, {"AIVEN_TOKEN": TOKEN, "AIVEN_WEB_URL": emulator.url})


def test_env_file_recipe_refuses_a_value_the_three_readers_would_read_differently(odd_world, tmp_path):
    emulator, env = odd_world
    run = run_playbook(ENV_FILE_RECIPE, env, extra_vars={
        "app_pool": f"{PROJECT}/pg-odd/odd-pool", "app_config_dir": str(tmp_path), "ansible_python_interpreter": sys.executable})
    assert run.rc != 0
    # The URI quotes the password, so only PGPASSWORD is named; never the value itself.
    assert f"PGPASSWORD for {PROJECT}/pg-odd/odd-pool: empty or holding characters other than" in run.output
    assert "DATABASE_URL for" not in run.output
    assert "w$rd" not in run.output
    assert sorted(os.listdir(tmp_path)) == []


@pytest.mark.parametrize("token, app_pool, message", [
    (TOKEN_WITHOUT_SECRETS, term("pg-one", "pinned"), "grant the token the permission service:secrets:read"),
    (TOKEN, term("pg-one", "shared"), f"pool(s) {term('pg-one', 'shared')} are not pinned to a user"),
])
def test_recipes_fail_and_write_nothing_without_a_credential_to_write(recipe_world, tmp_path, token, app_pool, message):
    emulator, env = recipe_world
    env = {**env, "AIVEN_TOKEN": token}
    config_dir = tmp_path / "myapp"
    config_dir.mkdir()
    run = run_playbook(ENV_FILE_RECIPE, env, extra_vars={
        "app_pool": app_pool, "app_config_dir": str(config_dir), "ansible_python_interpreter": sys.executable})
    assert run.rc != 0
    assert message in run.output
    assert sorted(os.listdir(config_dir)) == []  # no db.env with PGPASSWORD=, no .pgpass ending in :None
    rendered = tmp_path / "secret.json"
    run = run_playbook(RENDER_K8S, env, extra_vars={
        "app_pool": app_pool, "app_unpinned_user": None, "recipe_dir": EXAMPLES, "rendered_file": str(rendered),
        "secret_target": {}, "k8s_namespace": "ns"})
    assert run.rc != 0
    assert message in run.output
    assert not rendered.exists()  # no Secret with PASSWORD: null


def test_pgpass_recipe_line_lets_libpq_connect_without_a_password(recipe_world, tmp_path):
    emulator, env = recipe_world
    config_dir = tmp_path / "myapp"
    config_dir.mkdir()
    run = run_playbook(ENV_FILE_RECIPE, env, extra_vars={
        "app_pool": term("pg-one", "pinned"), "app_config_dir": str(config_dir), "ansible_python_interpreter": sys.executable})
    assert run.rc == 0, run.output[-3000:]
    passfile = config_dir / ".pgpass"
    assert stat.S_IMODE(os.stat(passfile).st_mode) == 0o600
    values = docker_env_file(str(config_dir / "db.env"))
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
