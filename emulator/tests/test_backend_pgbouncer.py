"""PgBouncerBackend against real PostgreSQL 15 and PgBouncer processes."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from types import SimpleNamespace

import psycopg
import pytest

from aiven_emulator.backend_pgbouncer import PgBouncerBackend, pool_line
from aiven_emulator.model import Pool, Service, ServiceUser, generate_password
from aiven_emulator.pg_processes import pid_alive

PG_BIN = "/usr/lib/postgresql/15/bin"
_MISSING = [
    what
    for what, present in (
        ("pgbouncer", shutil.which("pgbouncer")),
        ("openssl", shutil.which("openssl")),
        (PG_BIN + "/initdb", os.access(PG_BIN + "/initdb", os.X_OK)),
        (PG_BIN + "/pg_ctl", os.access(PG_BIN + "/pg_ctl", os.X_OK)),
    )
    if not present
]
pytestmark = pytest.mark.skipif(bool(_MISSING), reason="real-server backend needs %s (apt-get install pgbouncer postgresql-15)" % _MISSING)


def make_service(name: str = "pg-test") -> Service:
    svc = Service(project="test-project", name=name, databases=["defaultdb", "appdb"])
    svc.users = {
        "avnadmin": ServiceUser("avnadmin", generate_password(), "primary"),
        "app": ServiceUser("app", generate_password()),
    }
    return svc


@pytest.fixture
def parent_dir():
    """A directory the server user can enter (pytest's tmp_path is private to root)."""
    path = tempfile.mkdtemp(prefix="pgb-backend-test-")
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def env():
    loop = asyncio.new_event_loop()
    svc = make_service()
    backend = PgBouncerBackend()
    loop.run_until_complete(backend.start([svc]))
    try:
        yield SimpleNamespace(loop=loop, svc=svc, backend=backend)
    finally:
        loop.run_until_complete(backend.stop())
        loop.close()


def set_pools(env, *pools: Pool) -> None:
    """Replace the service's pools and sync, holding the lock as the HTTP layer does."""

    async def apply():
        async with env.svc.lock:
            env.svc.pools = {p.pool_name: p for p in pools}
            await env.backend.sync_pools(env.svc)

    env.loop.run_until_complete(apply())


def connect(env, pool_name: str, user: str = "app", password: str | None = None) -> psycopg.Connection:
    ep = env.backend.endpoint(env.svc)
    if password is None:
        password = env.svc.users[user].password
    return psycopg.connect(
        host=ep.host,
        port=ep.pgbouncer_port,
        user=user,
        password=password,
        dbname=pool_name,
        sslmode="require",
        connect_timeout=5,
        autocommit=True,  # statement pooling refuses transaction blocks
    )


def who(conn: psycopg.Connection) -> tuple:
    return conn.execute("select current_database(), current_user").fetchone()


def pools_by_name(env) -> dict:
    return {row["name"]: row for row in env.backend.show_pools_config(env.svc)}


def test_endpoint_is_loopback_with_two_ports(env):
    ep = env.backend.endpoint(env.svc)
    assert ep.host == "127.0.0.1"
    assert ep.pg_port != ep.pgbouncer_port


def test_postgres_directly_with_tls_and_scram(env):
    ep = env.backend.endpoint(env.svc)
    primary = env.svc.users["avnadmin"]
    with psycopg.connect(
        host=ep.host,
        port=ep.pg_port,
        user="avnadmin",
        password=primary.password,
        dbname="defaultdb",
        sslmode="require",
        connect_timeout=5,
    ) as conn:
        assert conn.info.pgconn.ssl_in_use
        assert conn.execute("select rolcreatedb, rolcreaterole from pg_roles where rolname = current_user").fetchone() == (True, True)
        assert sorted(r[0] for r in conn.execute("select datname from pg_database where not datistemplate")) == [
            "appdb",
            "defaultdb",
            "postgres",
        ]
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(host=ep.host, port=ep.pg_port, user="avnadmin", password="wrong", dbname="defaultdb", connect_timeout=5)


def test_unpinned_pool_uses_its_database_and_the_client_user(env):
    set_pools(env, Pool("apppool", "appdb", "session", 5))
    with connect(env, "apppool") as conn:
        assert conn.info.pgconn.ssl_in_use
        assert who(conn) == ("appdb", "app")
        conn.execute("create table if not exists t_app (x int)")  # any user may use any database
    with connect(env, "apppool", user="avnadmin") as conn:
        assert who(conn) == ("appdb", "avnadmin")
    with pytest.raises(psycopg.OperationalError, match="SASL authentication failed"):
        connect(env, "apppool", password="not-the-password")


def test_pinned_pool_forces_the_server_user(env):
    set_pools(env, Pool("pinned", "defaultdb", "session", 2, username="app"))
    # PgBouncer checks the client's own credentials, then runs the session as the pinned user.
    with connect(env, "pinned", user="avnadmin") as conn:
        assert who(conn) == ("defaultdb", "app")
        assert conn.execute("select session_user").fetchone() == ("app",)
    with connect(env, "pinned", user="app") as conn:
        assert who(conn) == ("defaultdb", "app")
    # The pinned user's password does not let another client name in.
    with pytest.raises(psycopg.OperationalError):
        connect(env, "pinned", user="avnadmin", password=env.svc.users["app"].password)
    assert pools_by_name(env)["pinned"]["force_user"] == "app"


def test_unpinning_a_pool_takes_effect(env):
    set_pools(env, Pool("pinswitch", "defaultdb", "session", 2, username="app"))
    with connect(env, "pinswitch", user="avnadmin") as conn:
        assert who(conn)[1] == "app"
    # PgBouncer 1.18 keeps a forced user across a plain RELOAD; the backend works around it.
    set_pools(env, Pool("pinswitch", "defaultdb", "session", 2, username=None))
    assert pools_by_name(env)["pinswitch"]["force_user"] is None
    with connect(env, "pinswitch", user="avnadmin") as conn:
        assert who(conn)[1] == "avnadmin"
    # Re-pinning to another user works with a plain RELOAD.
    set_pools(env, Pool("pinswitch", "defaultdb", "session", 2, username="avnadmin"))
    with connect(env, "pinswitch", user="app") as conn:
        assert who(conn)[1] == "avnadmin"


def test_show_databases_follows_mode_and_size_updates(env):
    set_pools(env, Pool("tuned", "defaultdb", "transaction", 7))
    row = pools_by_name(env)["tuned"]
    assert (row["database"], row["pool_mode"], row["pool_size"], row["force_user"]) == ("defaultdb", "transaction", 7, None)
    set_pools(env, Pool("tuned", "appdb", "statement", 42))
    row = pools_by_name(env)["tuned"]
    assert (row["database"], row["pool_mode"], row["pool_size"]) == ("appdb", "statement", 42)
    with connect(env, "tuned") as conn:
        assert who(conn) == ("appdb", "app")


def test_deleting_a_pool_keeps_other_pools_clients(env):
    pool_a = Pool("keep_a", "appdb", "session", 3)
    pool_b = Pool("drop_b", "defaultdb", "session", 3)
    set_pools(env, pool_a, pool_b)
    with connect(env, "drop_b") as conn_b:
        assert who(conn_b) == ("defaultdb", "app")
    with connect(env, "keep_a") as conn_a:
        conn_a.execute("create temporary table session_marker (x int)")  # session state
        backend_pid = conn_a.execute("select pg_backend_pid()").fetchone()[0]
        set_pools(env, pool_a)
        # Same client connection, same server session: RELOAD did not touch pool A.
        assert who(conn_a) == ("appdb", "app")
        assert conn_a.execute("select pg_backend_pid()").fetchone()[0] == backend_pid
        assert conn_a.execute("select count(*) from session_marker").fetchone() == (0,)
    assert set(pools_by_name(env)) == {"keep_a"}
    with pytest.raises(psycopg.OperationalError, match="no such database"):
        connect(env, "drop_b")


def test_odd_but_valid_pool_names(env):
    set_pools(env, Pool("My-Pool.1", "appdb", "transaction", 2), Pool("-._", "defaultdb", "session", 1))
    with connect(env, "My-Pool.1") as conn:
        assert who(conn) == ("appdb", "app")
    with connect(env, "-._", user="avnadmin") as conn:
        assert who(conn) == ("defaultdb", "avnadmin")
    assert {"My-Pool.1", "-._"} <= set(pools_by_name(env))


@pytest.mark.parametrize("bad", ["a b", 'q"x', "it's", "pgbouncer", "*", "tab\there", "nl\nx", "\x00", "é", "x" * 64])
def test_unservable_pool_names_are_rejected_without_touching_pgbouncer(env, bad):
    set_pools(env, Pool("survivor", "defaultdb", "session", 1))
    before = open(env.backend._instance(env.svc).bouncer.ini, encoding="utf-8").read()
    with pytest.raises(ValueError):
        set_pools(env, Pool("survivor", "defaultdb", "session", 1), Pool(bad, "defaultdb"))
    assert open(env.backend._instance(env.svc).bouncer.ini, encoding="utf-8").read() == before
    assert set(pools_by_name(env)) == {"survivor"}


def test_pool_lines_quote_connection_string_values():
    # Values (dbname, user) take single quotes with '' inside; bare when plain.
    assert pool_line(Pool("quoted", "appdb", "session", 1, username="app"), 5432) == (
        "quoted = host=127.0.0.1 port=5432 dbname=appdb pool_size=1 pool_mode=session user=app\n"
    )
    assert pool_line(Pool("My-Pool.1", "my db", "statement", 3, username="o'k user"), 1) == (
        "My-Pool.1 = host=127.0.0.1 port=1 dbname='my db' pool_size=3 pool_mode=statement user='o''k user'\n"
    )
    with pytest.raises(ValueError):
        pool_line(Pool("p", "bad\ndb"), 1)


def test_admin_console_takes_simple_protocol_commands(env):
    with env.backend.admin_console(env.svc) as conn:
        conn.execute("RELOAD")
        assert conn.execute("SHOW VERSION").fetchone()
        rows = conn.execute("SHOW DATABASES").fetchall()
    assert any(row["name"] == "pgbouncer" for row in rows)


def test_servers_do_not_run_as_root(env):
    pids = env.backend.pids()
    assert len(pids) == 2
    for pid in pids:
        with open("/proc/%d/status" % pid, encoding="ascii") as handle:
            uid_line = next(line for line in handle if line.startswith("Uid:"))
        real_uid = int(uid_line.split()[1])
        if os.geteuid() == 0:
            assert real_uid != 0
        else:
            assert real_uid == os.geteuid()


def test_start_failure_cleans_up(parent_dir):
    started = []
    backend = PgBouncerBackend(workdir_parent=parent_dir, pgbouncer_bin=os.path.join(parent_dir, "no-such-pgbouncer"))
    original = backend._create_roles_and_databases

    async def spy(cluster, service):  # PostgreSQL is up by now: note its pid
        started.append(cluster.pid)
        await original(cluster, service)

    backend._create_roles_and_databases = spy
    with pytest.raises(OSError):
        asyncio.run(backend.start([make_service("broken")]))
    assert started and started[0] and not pid_alive(started[0])
    assert backend.pids() == [] and backend.workdir is None
    assert os.listdir(parent_dir) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="only root switches to a server user")
def test_unreachable_workdir_parent_is_reported(tmp_path):
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    backend = PgBouncerBackend(workdir_parent=str(private))
    with pytest.raises(RuntimeError, match="cannot enter"):
        asyncio.run(backend.start([make_service("unreachable")]))
    assert list(private.iterdir()) == []


def test_reserved_user_names_are_rejected_before_anything_starts(parent_dir):
    svc = make_service("reserved")
    svc.users["emulator_admin"] = ServiceUser("emulator_admin", generate_password())
    backend = PgBouncerBackend(workdir_parent=parent_dir)
    with pytest.raises(ValueError):
        asyncio.run(backend.start([svc]))
    assert os.listdir(parent_dir) == []


def test_two_services_start_concurrently_and_stop_leaves_nothing(parent_dir):
    first, second = make_service("svc-one"), make_service("svc-two")
    second.pools["preset"] = Pool("preset", "appdb", "session", 4, username="avnadmin")
    backend = PgBouncerBackend(workdir_parent=parent_dir)

    async def scenario():
        await backend.start([first, second])
        try:
            ends = [backend.endpoint(first), backend.endpoint(second)]
            assert len({port for ep in ends for port in (ep.pg_port, ep.pgbouncer_port)}) == 4
            # Pools already in the model are served right after start.
            rows = backend.show_pools_config(second)
            assert [(r["name"], r["database"], r["pool_size"], r["force_user"]) for r in rows] == [
                ("preset", "appdb", 4, "avnadmin"),
            ]
            assert backend.show_pools_config(first) == []
            pids = backend.pids()
            assert len(pids) == 4 and all(pid_alive(pid) for pid in pids)
            workdir = backend.workdir
            assert workdir and os.path.isdir(workdir)
        finally:
            await backend.stop()
        return pids, workdir

    pids, workdir = asyncio.run(scenario())
    assert not any(pid_alive(pid) for pid in pids)
    assert not os.path.exists(workdir)
    assert backend.pids() == [] and backend.workdir is None
    backend.stop_sync()  # idempotent
    asyncio.run(backend.stop())


_CHILD_SCRIPT = """
import asyncio, json, os, signal, sys
from aiven_emulator.backend_pgbouncer import PgBouncerBackend, pool_line
from test_backend_pgbouncer import make_service

backend = PgBouncerBackend(workdir_parent=sys.argv[1])
asyncio.get_event_loop_policy().set_event_loop(loop := asyncio.new_event_loop())
loop.run_until_complete(backend.start([make_service("orphan")]))
print(json.dumps({"pids": backend.pids(), "workdir": backend.workdir}), flush=True)
if sys.argv[2] == "kill":
    os.kill(os.getpid(), signal.SIGKILL)
# "exit": leave without stop(); the atexit hook must clean up.
"""


@pytest.mark.parametrize("how", ["exit", "kill"])
def test_emulator_exit_or_crash_takes_servers_along(parent_dir, how):
    import json
    import subprocess
    import sys
    import time

    here = os.path.dirname(os.path.abspath(__file__))
    # The child imports aiven_emulator (from emulator/) and make_service (from this folder, its cwd).
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.dirname(here), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD_SCRIPT, parent_dir, how],
        cwd=here,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(info["pids"]) == 2
    deadline = time.monotonic() + 15
    while any(pid_alive(pid) for pid in info["pids"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(pid_alive(pid) for pid in info["pids"]), proc.stderr
    if how == "exit":
        assert proc.returncode == 0, proc.stderr
        assert not os.path.exists(info["workdir"])
    # After SIGKILL nothing in the emulator runs: the directory stays (parent_dir removes it).
