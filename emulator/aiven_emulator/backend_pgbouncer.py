"""A backend with real servers: per service, a throwaway PostgreSQL 15 and a PgBouncer.

Each service gets its own cluster (scram-sha-256, TLS, loopback only) holding the
service's databases and users, and its own PgBouncer whose ``[databases]`` section is
rewritten from ``service.pools`` and applied with ``RELOAD;`` on the admin console,
which keeps the other pools' clients connected. Processes and files are handled by
``pg_processes``; this module decides what they are configured with.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from . import pg_roles, pgbouncer_settings, service_size
from .backends import Backend, Endpoint
from .model import Pool, Service, ServiceUser
from .pg_processes import (
    PgBouncerDaemon,
    PostgresCluster,
    RunAs,
    free_loopback_ports,
    log_tail,
    make_subdir,
    make_workdir,
    pid_alive,
    remove_tree,
    write_file_atomic,
)
from .pki import ProjectCas

SUPERUSER = "emulator_superuser"  # bootstrap superuser, unix socket only
ADMIN_USER = "emulator_admin"  # PgBouncer console user (admin_users)
PGBOUNCER_MAX_NAME_BYTES = 63  # PgBouncer keeps database names in 64-byte buffers
PGBOUNCER_RESERVED = ("pgbouncer",)  # the admin console's own database name
PLAIN_NAME = re.compile(r"^[A-Za-z0-9_]+$")  # needs no quoting in a connection string
INI_KEY = re.compile(r"^[A-Za-z0-9_.-]+$")  # what PgBouncer's ini parser reads as a key
# PgBouncer reads an auth-file password of these shapes as a hash, not as plain text.
HASHED_PASSWORD = re.compile(r"^(md5[0-9a-f]{32}|SCRAM-SHA-256\$.*)$")

# The most max_connections a service's PostgreSQL runs with here: the largest plan default (contract, "Capacity").
# Each connection slot costs shared memory at start (about 24 MB at 100, 65 MB at 1000, 2.8 GB at 60000 with
# PostgreSQL 15), so a user_config above it runs with the cap while the document keeps the configured value.
MAX_CONNECTIONS_CAP = 1000

ServiceKey = Tuple[str, str]


def _key(service: Service) -> ServiceKey:
    return (service.project, service.name)


def running_max_connections(service: Service) -> int:
    """The max_connections the service's PostgreSQL runs with: the document's figure, capped for a test machine."""
    return min(service_size.max_connections(service), MAX_CONNECTIONS_CAP)


def check_name(kind: str, value: str, max_bytes: int = PGBOUNCER_MAX_NAME_BYTES) -> str:
    """Reject what cannot be written into pgbouncer.ini or the auth file safely."""
    if not isinstance(value, str) or not value:
        raise ValueError("%s must be a non-empty string" % kind)
    for char in value:
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"):
            raise ValueError("%s %r contains a control or unassigned character" % (kind, value))
    if len(value.encode("utf-8")) > max_bytes:
        raise ValueError("%s %r is longer than %d bytes" % (kind, value, max_bytes))
    return value


def ini_name(name: str) -> str:
    """A ``[databases]`` key, written bare.

    PgBouncer's documentation says other names may be written in SQL double-quote
    identifier quoting, but its ini parser (libusual cfparser, in 1.18 and still
    upstream; pgbouncer issue #971) reads a key only as [A-Za-z0-9_.-*] characters and
    answers a quoted key with a syntax error. Any other name cannot be configured, so
    it is rejected here instead of breaking the whole file on RELOAD.
    """
    check_name("pool name", name)
    if name in PGBOUNCER_RESERVED:
        raise ValueError("pool name %r is reserved by PgBouncer" % name)
    if not INI_KEY.match(name):
        raise ValueError("pool name %r cannot be written into pgbouncer.ini: PgBouncer accepts only letters, digits, '_', '.' and '-' there" % name)
    return name


def connstr_value(value: str) -> str:
    """A value in a ``[databases]`` connection string: bare when plain, else '...'."""
    if PLAIN_NAME.match(value):
        return value
    return "'" + value.replace("'", "''") + "'"


def auth_file_line(username: str, password: str) -> str:
    check_name("user name", username, max_bytes=127)
    check_name("password of %s" % username, password, max_bytes=1023)
    if HASHED_PASSWORD.match(password):
        raise ValueError("password of %s looks like a hash; PgBouncer would not read it as plain text" % username)
    return '"%s" "%s"\n' % (username.replace('"', '""'), password.replace('"', '""'))


def pool_line(pool: Pool, pg_port: int) -> str:
    check_name("database", pool.database)
    parts = [
        "host=127.0.0.1",
        "port=%d" % pg_port,
        "dbname=%s" % connstr_value(pool.database),
        "pool_size=%d" % int(pool.pool_size),
        "pool_mode=%s" % connstr_value(pool.pool_mode),
    ]
    if pool.username is not None:
        check_name("user name", pool.username, max_bytes=127)
        parts.append("user=%s" % connstr_value(pool.username))
    return "%s = %s\n" % (ini_name(pool.pool_name), " ".join(parts))


@dataclass
class _Instance:
    """The servers of one service."""

    directory: str
    cluster: PostgresCluster
    bouncer: PgBouncerDaemon
    admin_password: str
    tls: Dict[str, str]
    # Passwords set inside PostgreSQL behind the API's back (a user's password_overridden), by user.
    overridden: Dict[str, str]

    def admin_conninfo(self) -> dict:
        return {
            "host": "127.0.0.1",
            "port": self.bouncer.port,
            "user": ADMIN_USER,
            "password": self.admin_password,
            "dbname": "pgbouncer",
            "sslmode": "disable",
            "connect_timeout": 5,
        }


class PgBouncerBackend(Backend):
    """Real PostgreSQL + PgBouncer per service, on loopback ports, in one temp dir."""

    name = "pgbouncer"

    def __init__(
        self,
        workdir_parent: Optional[str] = None,
        pg_bin: str = "/usr/lib/postgresql/15/bin",
        pgbouncer_bin: str = "pgbouncer",
    ) -> None:
        self.workdir_parent = workdir_parent
        self.pg_bin = pg_bin
        self.pgbouncer_bin = pgbouncer_bin
        self.workdir: Optional[str] = None
        self._instances: Dict[ServiceKey, _Instance] = {}
        self._run_as: Optional[RunAs] = None
        self._cas = ProjectCas()
        # Per project: paths of the key and certificate its servers present.
        self._tls: Dict[str, Dict[str, str]] = {}
        self._atexit_registered = False
        self._pgbouncer_version: Optional[pgbouncer_settings.Version] = None

    # ----------------------------------------------------------------- lifecycle

    async def start(self, services: List[Service]) -> None:
        """Start servers for every service not started yet (all concurrently)."""
        new = [svc for svc in services if _key(svc) not in self._instances]
        if len({_key(svc) for svc in new}) != len(new):
            raise ValueError("the same service is listed twice")
        if not new:
            return
        for svc in new:
            self._check_service(svc)
        if not self._atexit_registered:
            atexit.register(self.stop_sync)
            self._atexit_registered = True
        try:
            if self.workdir is None:
                self._pgbouncer_version = await asyncio.to_thread(pgbouncer_settings.installed_version, self.pgbouncer_bin)
                self._run_as = RunAs()
                self.workdir = make_workdir(self.workdir_parent, self._run_as)
            ports = free_loopback_ports(2 * len(new))
            first_index = len(self._instances)
            await asyncio.gather(*(self._start_service(svc, first_index + i, ports[2 * i], ports[2 * i + 1]) for i, svc in enumerate(new)))
        except BaseException:
            await asyncio.shield(asyncio.to_thread(self.stop_sync))
            raise

    def endpoint(self, service: Service) -> Endpoint:
        inst = self._instance(service)
        # The service certificate names both, so either route really connects (pki.SERVER_NAMES).
        return Endpoint("127.0.0.1", inst.cluster.port, inst.bouncer.port, "localhost")

    async def sync_pools(self, service: Service) -> None:
        """Make the service's PgBouncer serve exactly ``service.pools``.

        A pool whose forced user changes (pinned, unpinned or re-pinned) is first
        removed with one RELOAD, which closes that pool's clients, and added back with
        a second one. PgBouncer 1.18 cannot do it in place: it keeps a forced user on
        RELOAD ("losing forced user not supported"), and pinning a pool to a user who
        already has a per-user pool there aborts the whole process ("put_in_order:
        found existing elem"). A PgBouncer found dead is started again.
        """
        inst = self._instance(service)
        pools = list(service.pools.values())
        text = self._render_ini(inst, service, pools)  # validates before anything is touched
        if not pid_alive(inst.bouncer.pid):
            await asyncio.to_thread(write_file_atomic, inst.bouncer.ini, text, self._run_as)
            await inst.bouncer.start()
        else:
            current = {row["name"]: row for row in await self._show_databases(inst, service)}
            repinned = {p.pool_name for p in pools if p.pool_name in current and (current[p.pool_name]["force_user"] or None) != p.username}
            if repinned:
                kept = [p for p in pools if p.pool_name not in repinned]
                await self._apply(inst, self._render_ini(inst, service, kept))
            await self._apply(inst, text)
        await self._verify(inst, service, pools)

    async def resize(self, service: Service) -> None:
        """After a plan change: PostgreSQL restarts when its max_connections changes (as Aiven restarts the
        service), and PgBouncer reloads its client limit; its server connections to the old PostgreSQL are
        dropped (RECONNECT), so no client is handed a dead one."""
        inst = self._instance(service)
        wanted = running_max_connections(service)
        restarted = wanted != inst.cluster.max_connections
        if restarted:
            await asyncio.to_thread(inst.cluster.write_max_connections, wanted)
            await inst.cluster.restart()
        if not pid_alive(inst.bouncer.pid):
            await self.sync_pools(service)
            return
        await self._apply(inst, self._render_ini(inst, service, list(service.pools.values())))
        if restarted:
            async with await self._console(inst) as conn:
                await conn.execute("RECONNECT")

    async def stop(self) -> None:
        await asyncio.to_thread(self.stop_sync)

    def stop_sync(self) -> None:
        """Stop everything this backend started and remove its temp dir (idempotent)."""
        instances = list(self._instances.values())
        self._instances = {}
        for inst in instances:  # PgBouncers first: they hold server connections
            inst.bouncer.stop_sync()
        for inst in instances:
            inst.cluster.stop_sync()
        workdir, self.workdir = self.workdir, None
        self._tls = {}  # the files go with the workdir; the CAs stay
        remove_tree(workdir)
        if self._atexit_registered:
            atexit.unregister(self.stop_sync)
            self._atexit_registered = False

    # ------------------------------------------------- databases and users

    async def create_database(self, service: Service, name: str) -> None:
        """Owned by the primary user, usable by every user. The locales stay in the model: the
        cluster runs with locale C, as this machine may have no other."""
        check_name("database", name)
        await pg_roles.create_database(self._instance(service).cluster, name, service.primary_user.username, list(service.users))

    async def drop_database(self, service: Service, name: str) -> None:
        await pg_roles.drop_database(self._instance(service).cluster, name)

    async def create_user(self, service: Service, user: ServiceUser) -> None:
        """A role with the API's password; PgBouncer learns it from its auth file on RELOAD."""
        inst = self._instance(service)
        auth_file_line(user.username, user.password)  # refuses what PgBouncer could not read, before anything changes
        await pg_roles.create_role(inst.cluster, user.username, user.password, user.replication, list(service.databases))
        await self._reload_users(inst, service)

    async def alter_user(self, service: Service, user: ServiceUser) -> None:
        """The role's password (a random one while the user's password is overridden) and REPLICATION as the model says."""
        inst = self._instance(service)
        if user.password_overridden:
            inst.overridden.setdefault(user.username, secrets.token_urlsafe(18))
        else:
            inst.overridden.pop(user.username, None)
        password = inst.overridden.get(user.username, user.password)
        auth_file_line(user.username, password)
        await pg_roles.alter_role(inst.cluster, user.username, password, user.replication)
        await self._reload_users(inst, service)

    async def drop_user(self, service: Service, name: str) -> None:
        inst = self._instance(service)
        await pg_roles.drop_role(inst.cluster, name, service.primary_user.username, list(service.databases))
        inst.overridden.pop(name, None)
        await self._reload_users(inst, service)

    def _auth_file(self, inst: _Instance, service: Service) -> str:
        lines = "".join(auth_file_line(u.username, inst.overridden.get(u.username, u.password)) for u in service.users.values())
        return lines + auth_file_line(ADMIN_USER, inst.admin_password)

    async def _reload_users(self, inst: _Instance, service: Service) -> None:
        """PgBouncer re-reads its auth file on RELOAD (a dead one reads it when sync_pools starts it)."""
        await asyncio.to_thread(write_file_atomic, inst.bouncer.auth_file, self._auth_file(inst, service), self._run_as)
        if pid_alive(inst.bouncer.pid):
            async with await self._console(inst) as conn:
                await conn.execute("RELOAD")

    # ------------------------------------------------------------- test helpers

    def admin_console(self, service: Service) -> psycopg.Connection:
        """A psycopg connection to the service's PgBouncer admin console.

        The console speaks only the simple query protocol. ClientCursor always uses
        it (parameters are bound client-side); psycopg's default cursor happens to
        use it only for queries without parameters.
        """
        return psycopg.connect(
            **self._instance(service).admin_conninfo(),
            autocommit=True,
            cursor_factory=psycopg.ClientCursor,
            row_factory=dict_row,
        )

    def admin_conninfo(self, service: Service) -> Optional[dict]:
        return self._instance(service).admin_conninfo()

    def project_ca(self, project: str) -> str:
        return self._cas.get(project).pem

    def show_pools_config(self, service: Service) -> List[dict]:
        """``SHOW DATABASES`` rows (all columns, among them name, database, pool_size,
        pool_mode, force_user) of the pools, without the console's own database."""
        with self.admin_console(service) as conn:
            rows = conn.execute("SHOW DATABASES").fetchall()
        return [row for row in rows if row["name"] not in PGBOUNCER_RESERVED]

    def pids(self) -> List[int]:
        """Process ids of every server currently running for this backend."""
        found = []
        for inst in self._instances.values():
            for pid in (inst.cluster.pid, inst.bouncer.pid):
                if pid:
                    found.append(pid)
        return found

    # ---------------------------------------------------------------- internals

    def _instance(self, service: Service) -> _Instance:
        try:
            return self._instances[_key(service)]
        except KeyError:
            raise KeyError("service %s/%s was not started by this backend" % _key(service)) from None

    @staticmethod
    def _check_service(service: Service) -> None:
        if not service.users:
            raise ValueError("service %s has no users" % service.name)
        for name in list(service.users) + list(service.databases):
            check_name("name", name)
        if SUPERUSER in service.users or ADMIN_USER in service.users:
            raise ValueError("user names %s and %s are reserved by the emulator" % (SUPERUSER, ADMIN_USER))
        for user in service.users.values():
            auth_file_line(user.username, user.password)
        for pool in service.pools.values():
            pool_line(pool, 1)

    def _project_tls(self, project: str) -> Dict[str, str]:
        """Key and certificate files for the project's servers, signed by its CA (made once)."""
        assert self.workdir and self._run_as
        tls = self._tls.get(project)
        if tls is None:
            issued = self._cas.get(project).issue_server_certificate()
            directory = make_subdir(os.path.join(self.workdir, "tls%d" % len(self._tls)), self._run_as)
            tls = {"key": os.path.join(directory, "server.key"), "cert": os.path.join(directory, "server.crt")}
            # PostgreSQL refuses a key that group or others may read.
            write_file_atomic(tls["key"], issued.key_pem, self._run_as, mode=0o600)
            write_file_atomic(tls["cert"], issued.cert_pem, self._run_as, mode=0o644)
            self._tls[project] = tls
        return tls

    async def _start_service(self, service: Service, index: int, pg_port: int, bouncer_port: int) -> None:
        assert self.workdir and self._run_as
        directory = make_subdir(os.path.join(self.workdir, "s%d" % index), self._run_as)
        cluster = PostgresCluster(self.pg_bin, directory, pg_port, SUPERUSER, self._run_as)
        bouncer = PgBouncerDaemon(self.pgbouncer_bin, directory, bouncer_port, self._run_as)
        tls = self._project_tls(service.project)
        inst = _Instance(directory, cluster, bouncer, secrets.token_urlsafe(18), tls, {})
        # Registered before anything runs, so a failure part-way is cleaned up too.
        self._instances[_key(service)] = inst
        await cluster.init(tls, running_max_connections(service))
        await cluster.start()
        await self._create_roles_and_databases(cluster, service)
        write_file_atomic(bouncer.auth_file, self._auth_file(inst, service), self._run_as)
        write_file_atomic(bouncer.ini, self._render_ini(inst, service, list(service.pools.values())), self._run_as)
        await bouncer.start()

    @staticmethod
    async def _create_roles_and_databases(cluster: PostgresCluster, service: Service) -> None:
        primary = service.primary_user.username
        async with await psycopg.AsyncConnection.connect(**cluster.conninfo(), autocommit=True) as conn:
            for user in service.users.values():
                extra = " CREATEDB CREATEROLE REPLICATION" if user.username == primary else (" REPLICATION" if user.replication else "")
                await conn.execute(sql.SQL("CREATE ROLE {} LOGIN" + extra + " PASSWORD {}").format(sql.Identifier(user.username), sql.Literal(user.password)))
            cur = await conn.execute("SELECT datname FROM pg_database")
            existing = {row[0] for row in await cur.fetchall()}
            for db in service.databases:
                if db not in existing:
                    await conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(db), sql.Identifier(primary)))
                for user in service.users:
                    await conn.execute(sql.SQL("GRANT ALL ON DATABASE {} TO {}").format(sql.Identifier(db), sql.Identifier(user)))
        # PostgreSQL 15 no longer lets everyone create in schema public: let every user.
        grantees = sql.SQL(", ").join(sql.Identifier(u) for u in service.users)
        for db in service.databases:
            async with await psycopg.AsyncConnection.connect(**cluster.conninfo(db), autocommit=True) as conn:
                await conn.execute(sql.SQL("GRANT ALL ON SCHEMA public TO {}").format(grantees))

    def _render_ini(self, inst: _Instance, service: Service, pools: List[Pool]) -> str:
        databases = "".join(pool_line(pool, inst.cluster.port) for pool in pools)
        databases += pgbouncer_settings.autodb_line(service, inst.cluster.port)
        server_connections = inst.cluster.max_connections or running_max_connections(service)
        settings = {
            "listen_addr": "127.0.0.1",
            "listen_port": str(inst.bouncer.port),
            "unix_socket_dir": inst.directory,
            "auth_type": "scram-sha-256",
            "auth_file": inst.bouncer.auth_file,
            "admin_users": ADMIN_USER,
            "pidfile": inst.bouncer.pidfile,
            "logfile": inst.bouncer.logfile,
            "client_tls_sslmode": "allow",
            "client_tls_key_file": inst.tls["key"],
            "client_tls_cert_file": inst.tls["cert"],
            "server_tls_sslmode": "prefer",
        }
        settings.update(pgbouncer_settings.general(service, server_connections, self._pgbouncer_version, pgbouncer_settings.descriptor_limit()))
        general = "".join("%s = %s\n" % item for item in settings.items())
        return "; written by the Aiven emulator\n[databases]\n%s\n[pgbouncer]\n%s" % (databases, general)

    async def _console(self, inst: _Instance) -> psycopg.AsyncConnection:
        return await psycopg.AsyncConnection.connect(
            **inst.admin_conninfo(),
            autocommit=True,
            cursor_factory=psycopg.AsyncClientCursor,
            row_factory=dict_row,
        )

    async def _show_databases(self, inst: _Instance, service: Service) -> List[dict]:
        """The pools PgBouncer serves: without its console and the automatic pools clients made (autodb)."""
        declared = set(service.pools)
        async with await self._console(inst) as conn:
            cur = await conn.execute("SHOW DATABASES")
            return [row for row in await cur.fetchall()
                    if row["name"] not in PGBOUNCER_RESERVED and not pgbouncer_settings.is_automatic(row, service, declared)]

    async def _apply(self, inst: _Instance, text: str) -> None:
        await asyncio.to_thread(write_file_atomic, inst.bouncer.ini, text, self._run_as)
        async with await self._console(inst) as conn:
            await conn.execute("RELOAD")

    async def _verify(self, inst: _Instance, service: Service, pools: List[Pool]) -> None:
        """RELOAD answers OK even when it rejected lines: compare what PgBouncer serves."""
        served = {row["name"]: row for row in await self._show_databases(inst, service)}
        wanted = {p.pool_name: p for p in pools}
        problems = []
        if set(served) != set(wanted):
            problems.append("pools served %s, wanted %s" % (sorted(served), sorted(wanted)))
        for name, pool in wanted.items():
            row = served.get(name)
            if row is None:
                continue
            actual = (row["database"], row["pool_mode"], row["pool_size"], row["force_user"] or None)
            expected = (pool.database, pool.pool_mode, int(pool.pool_size), pool.username)
            if actual != expected:
                problems.append("pool %r is %r, wanted %r" % (name, actual, expected))
        if problems:
            raise RuntimeError("PgBouncer did not take the new pools: %s\n%s" % ("; ".join(problems), log_tail(inst.bouncer.logfile)))
