"""What the PgBouncer backend configures from a service's size and user_config, without starting servers."""

from __future__ import annotations

import pytest

from aiven_emulator import pgbouncer_settings, service_size
from aiven_emulator.backend_pgbouncer import MAX_CONNECTIONS_CAP, running_max_connections
from aiven_emulator.model import Service


def _service(plan: str = "startup-4", memory_mb=None, **user_config) -> Service:
    return Service(project="p", name="pg", plan=plan, node_memory_mb=memory_mb, user_config=user_config)


@pytest.mark.parametrize(("plan", "memory_mb", "clients"), [
    ("startup-4", None, 5000),       # 500 x 4 below the floor
    ("startup-16", None, 8000),      # 500 x 16
    ("startup-64", None, 32000),
    ("business-120", None, 50000),   # 500 x 120 above the ceiling
    ("startup-4", 30000, 14648),     # a seed's node_memory_mb: 500 x 30000 / 1024
])
def test_the_client_limit_follows_the_memory(plan, memory_mb, clients):
    assert service_size.client_limit(_service(plan, memory_mb)) == clients
    settings = pgbouncer_settings.general(_service(plan, memory_mb), server_connections=100, version=(1, 18), fd_limit=None)
    assert settings["max_client_conn"] == str(clients)


def test_the_client_limit_is_capped_by_the_open_files_limit():
    # Clients, every server connection PostgreSQL allows and PgBouncer's own descriptors must fit.
    assert pgbouncer_settings.max_client_conn(_service("business-120"), server_connections=1000, fd_limit=20000) == 18990
    assert pgbouncer_settings.max_client_conn(_service("startup-4"), server_connections=100, fd_limit=20000) == 5000


def test_max_prepared_statements_only_for_a_pgbouncer_that_knows_it():
    tuned = _service(pgbouncer={"max_prepared_statements": 0})
    assert "max_prepared_statements" not in pgbouncer_settings.general(tuned, 100, (1, 18), None)
    assert "max_prepared_statements" not in pgbouncer_settings.general(tuned, 100, None, None)
    assert pgbouncer_settings.general(tuned, 100, (1, 21), None)["max_prepared_statements"] == "0"
    assert pgbouncer_settings.general(_service(), 100, (1, 22), None)["max_prepared_statements"] == "100"  # Aiven's default


def test_without_user_config_the_settings_stay_as_before():
    settings = pgbouncer_settings.general(_service(), 100, (1, 18), None)
    assert settings == dict(pgbouncer_settings.BASE, max_client_conn="5000")
    assert pgbouncer_settings.autodb_line(_service(), 5432) == ""


def test_autodb_line():
    assert pgbouncer_settings.autodb_line(_service(pgbouncer={"autodb_pool_size": 0}), 5432) == ""
    assert pgbouncer_settings.autodb_line(_service(pgbouncer={"autodb_pool_size": 4}), 5432) == (
        "* = host=127.0.0.1 port=5432 pool_size=4 pool_mode=transaction\n")
    config = {"autodb_pool_size": 4, "autodb_pool_mode": "statement", "autodb_max_db_connections": 9}
    assert pgbouncer_settings.autodb_line(_service(pgbouncer=config), 5432) == (
        "* = host=127.0.0.1 port=5432 pool_size=4 pool_mode=statement max_db_connections=9\n")


def test_an_automatic_pool_is_told_from_a_declared_one():
    service = _service(pgbouncer={"autodb_pool_size": 2, "autodb_pool_mode": "session"})
    auto = {"name": "appdb", "database": "appdb", "force_user": None, "pool_size": 2, "pool_mode": "session"}
    assert pgbouncer_settings.is_automatic(auto, service, declared=set())
    assert not pgbouncer_settings.is_automatic(auto, service, declared={"appdb"})
    assert not pgbouncer_settings.is_automatic(dict(auto, pool_size=3), service, declared=set())
    assert not pgbouncer_settings.is_automatic(dict(auto, force_user="app"), service, declared=set())
    assert not pgbouncer_settings.is_automatic(auto, _service(), declared=set())


def test_postgresql_runs_with_the_effective_max_connections_up_to_the_cap():
    assert running_max_connections(_service("hobbyist")) == 25
    assert running_max_connections(_service("startup-4", pg={"max_connections": 30})) == 30
    assert running_max_connections(_service("startup-64")) == MAX_CONNECTIONS_CAP == 1000
    # Above the cap the server runs with the cap; the document keeps the configured figure.
    big = _service("startup-64", pg={"max_connections": 5000})
    assert (running_max_connections(big), service_size.max_connections(big)) == (1000, 5000)
