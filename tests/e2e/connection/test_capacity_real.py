"""The capacity check's verdict against real PostgreSQL: over budget really runs out of connections, within does not.

The emulator's PgBouncer backend runs each service's PostgreSQL with the max_connections its document reports
(here user_config.pg.max_connections 25) and superuser_reserved_connections 3, as Aiven does. So PgBouncer, which
logs in as the pools' user ``app`` (no superuser), gets at most 25 - 3 = 22 server connections: the "usable" of
the check. The emulator's own admin connections log in as a superuser, into the 3 reserved slots, and only while
it handles a database or user write: none is open while the clients below hold their connections, which is why
the within-budget declaration can take exactly 22; with those 22 held, the test shows a further non-superuser
login refused and a database write (the emulator's superuser connection) still served.

Each service gets two pinned session pools: pg-over 22 + 1 (23 > 22, one over), pg-within 21 + 1 (22, exactly the
budget). The module declares
them (capacity: fail refuses, capacity: warn applies and reports), then every pool is filled to its size with real
clients through PgBouncer, the larger pool first, each client holding its server connection (session mode).
PgBouncer 1.18 hands PostgreSQL's refusal to a client waiting for a pool's first server connection; a client of a
pool that has had one waits instead while PgBouncer retries (server_login_retry, 15 s), and a second client waiting
for the same first login may be left waiting for the retry too. Filling the larger pool first and giving the second
pool one connection makes the one login over the budget that of the second pool's only client, which sees
PostgreSQL's own message at once.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, Iterator, List, Optional

import psycopg
import pytest

from aiven_emulator.process import EmulatorProcess
from tests.e2e.connection.world import PLAYBOOKS
from tests.support.ansible import ansible_env, run_playbook

PLAYBOOK = os.path.join(PLAYBOOKS, "capacity_declare.yml")
PROJECT = "cap-project"
TOKEN = "cap-token"
MAX_CONNECTIONS = 25
USABLE = MAX_CONNECTIONS - 3
# service -> [(pool, size)], in the order the clients fill them.
DECLARED = {"pg-over": [("big", USABLE), ("extra", 1)], "pg-within": [("big", USABLE - 1), ("extra", 1)]}
# What PostgreSQL 15 answers a login beyond its slots: into the superusers' reserve, or when none is left at all.
TOO_MANY = ("remaining connection slots are reserved", "too many clients already")
CLIENT_WAIT = 10  # seconds a client may take to log in and run its query


def _service(name: str) -> Dict[str, Any]:
    return {"name": name, "state": "RUNNING", "plan": "startup-4", "databases": ["defaultdb"], "users": ["avnadmin", "app"],
            "user_config": {"pg": {"max_connections": MAX_CONNECTIONS}}}


SEED = {"tokens": [TOKEN], "projects": [{"name": PROJECT, "services": [_service(name) for name in DECLARED]}]}


@pytest.fixture(scope="module")
def capacity_emulator() -> Iterator[EmulatorProcess]:
    """An emulator of its own: the test fills its services' PostgreSQL to the last slot."""
    with EmulatorProcess(SEED, backend="pgbouncer", start_timeout=120) as emulator:
        yield emulator


def _declared_services() -> List[Dict[str, Any]]:
    def pool(name: str, size: int) -> Dict[str, Any]:
        return {"pool_name": name, "database_name": "defaultdb", "username": "app", "pool_mode": "session", "pool_size": size}

    return [{"service_name": name, "pools": [pool(pool_name, size) for pool_name, size in pools]} for name, pools in DECLARED.items()]


def _client(port: int, password: str, pool: str) -> Any:
    """One client of ``pool`` that logs in and runs a query: its open connection (it holds a server connection
    in session mode), or the error it got."""
    try:
        conn = psycopg.connect(host="127.0.0.1", port=port, user="app", password=password, dbname=pool, sslmode="require",
                               connect_timeout=CLIENT_WAIT, autocommit=True)
    except psycopg.Error as exc:
        return exc
    try:
        conn.execute("select 1")
    except psycopg.Error as exc:
        conn.close()
        return exc
    return conn


def _credentials(emulator: EmulatorProcess, service: str) -> Dict[str, Any]:
    [entry] = [item for item in emulator.credentials["services"] if item["service"] == service]
    return entry


def _fill(emulator: EmulatorProcess, service: str) -> Dict[str, List[Any]]:
    """Every pool of ``service`` filled to its size (its clients at once), pool after pool; the results by pool."""
    entry = _credentials(emulator, service)
    results: Dict[str, List[Any]] = {}
    for pool, size in DECLARED[service]:
        with ThreadPoolExecutor(max_workers=size) as threads:
            results[pool] = list(threads.map(lambda _index, pool=pool: _client(entry["pgbouncer_port"], entry["users"]["app"], pool),
                                             range(size)))
    return results


def _close(results: Dict[str, List[Any]]) -> None:
    for outcomes in results.values():
        for outcome in outcomes:
            if isinstance(outcome, psycopg.Connection):
                outcome.close()


def _errors(results: Dict[str, List[Any]]) -> List[str]:
    return [str(outcome).strip() for outcomes in results.values() for outcome in outcomes if not isinstance(outcome, psycopg.Connection)]


def _connected(results: Dict[str, List[Any]]) -> int:
    return sum(isinstance(outcome, psycopg.Connection) for outcomes in results.values() for outcome in outcomes)


def test_over_budget_runs_out_of_connections_and_within_budget_does_not(capacity_emulator, collections_root, tmp_path):
    env = ansible_env(collections_root, {"AIVEN_TOKEN": TOKEN, "AIVEN_WEB_URL": capacity_emulator.url})
    run = run_playbook(PLAYBOOK, env, extra_vars={"cap_project": PROJECT, "cap_services": _declared_services(),
                                                  "cap_files": str(tmp_path)})
    assert run.rc == 0, run.output[-3000:]
    said = json.loads((tmp_path / "capacity.json").read_text(encoding="utf-8"))
    print("capacity: fail said:", said["refused"]["msg"])
    assert said["refused"]["failed"] and "pg-over" in said["refused"]["msg"], said["refused"]
    applied = said["applied"]
    assert applied["changed"], "capacity: warn created the pools, so capacity: fail had written none"
    figures = {entry["service_name"]: entry for entry in applied["capacity"]}
    print("capacity_lines:", *applied["capacity_lines"], sep="\n  ")
    assert {name: (entry["max_connections"], entry["usable"], entry["total"], entry["over"]) for name, entry in figures.items()} == {
        "pg-over": (MAX_CONNECTIONS, USABLE, USABLE + 1, True), "pg-within": (MAX_CONNECTIONS, USABLE, USABLE, False)}

    over: Optional[Dict[str, List[Any]]] = None
    within: Optional[Dict[str, List[Any]]] = None
    try:
        over = _fill(capacity_emulator, "pg-over")
        errors = _errors(over)
        print("over budget, the clients' errors:", *errors, sep="\n  ")
        assert _connected(over) == USABLE, errors
        assert errors and all(any(text in error for text in TOO_MANY) for error in errors), errors
        within = _fill(capacity_emulator, "pg-within")
        assert _errors(within) == [] and _connected(within) == USABLE
        # Full for non-superusers: the service's admin user (not a superuser on Aiven either) is refused straight
        # at PostgreSQL, while the emulator's own superuser connection for a database write takes a reserved slot.
        entry = _credentials(capacity_emulator, "pg-within")
        with pytest.raises(psycopg.OperationalError, match=TOO_MANY[0]):
            psycopg.connect(host="127.0.0.1", port=entry["pg_port"], user="avnadmin", password=entry["users"]["avnadmin"],
                            dbname="defaultdb", sslmode="require", connect_timeout=CLIENT_WAIT).close()
        created = capacity_emulator.session.post(f"{capacity_emulator.url}/v1/project/{PROJECT}/service/pg-within/db",
                                                 json={"database": "made-while-full"}, timeout=60,
                                                 headers={"Authorization": f"aivenv1 {TOKEN}"})
        assert created.status_code == 200, created.text
    finally:
        for results in (over, within):
            if results:
                _close(results)
