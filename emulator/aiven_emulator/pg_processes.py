"""Throwaway PostgreSQL clusters and PgBouncer daemons for the emulator.

Low-level helpers only: files, ports, users and processes. What to configure lives in
``backend_pgbouncer``. Every server process runs as a non-root user when we are root
(PostgreSQL refuses root, and so does PgBouncer); otherwise as ourselves.
"""

from __future__ import annotations

import asyncio
import ctypes
import functools
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from typing import Dict, List, Optional, Sequence

SERVER_USER_CANDIDATES = ("postgres", "nobody")


class ProcessError(RuntimeError):
    """A server program failed; the message carries its output or log tail."""


class RunAs:
    """Who server processes run as, and how to hand files over to them."""

    def __init__(self) -> None:
        self.uid: Optional[int] = None
        self.gid: Optional[int] = None
        self.home = os.environ.get("HOME", "/")
        if os.geteuid() != 0:
            return
        for name in SERVER_USER_CANDIDATES:
            try:
                entry = pwd.getpwnam(name)
            except KeyError:
                continue
            self.uid, self.gid, self.home = entry.pw_uid, entry.pw_gid, entry.pw_dir
            return
        raise ProcessError("running as root, but none of the users %s exists" % (SERVER_USER_CANDIDATES,))

    @property
    def switching(self) -> bool:
        return self.uid is not None

    def popen_kwargs(self, death_signal: Optional[int] = None) -> dict:
        """Keyword arguments for subprocess/asyncio process creation.

        ``death_signal``: signal the kernel sends the child when the thread that
        started it dies (PR_SET_PDEATHSIG), so even a killed emulator takes its
        servers along. Set in preexec_fn, which runs after the uid switch (a uid
        change would clear it).
        """
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C",
            "LC_ALL": "C",
            "HOME": self.home,
        }
        kwargs: dict = {"env": env, "stdin": subprocess.DEVNULL}
        if self.switching:
            # setgroups([]) drops root's supplementary groups; Popen does setgid, then setuid.
            kwargs.update(user=self.uid, group=self.gid, extra_groups=[])
        if death_signal is not None and _LIBC is not None:
            kwargs["preexec_fn"] = functools.partial(_set_death_signal, int(death_signal))
        return kwargs

    def check_reachable(self, directory: str) -> None:
        """Fail early, and clearly, when the server user cannot enter ``directory``."""
        if not self.switching:
            return
        path = os.path.abspath(directory)
        parts = [path]
        while parts[-1] != os.path.dirname(parts[-1]):
            parts.append(os.path.dirname(parts[-1]))
        for part in reversed(parts):
            st = os.stat(part)
            if st.st_uid == self.uid:
                bit = stat.S_IXUSR
            elif st.st_gid == self.gid:
                bit = stat.S_IXGRP
            else:
                bit = stat.S_IXOTH
            if not st.st_mode & bit:
                raise ProcessError(
                    "server processes run as uid %s, which cannot enter %s (mode %o): "
                    "pick a workdir_parent it can reach" % (self.uid, part, stat.S_IMODE(st.st_mode))
                )

    def give(self, path: str) -> None:
        """Hand a file or directory we created over to the server user."""
        if self.switching:
            os.chown(path, self.uid, self.gid)


def _load_libc():
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


_LIBC = _load_libc() if sys.platform.startswith("linux") else None
_PR_SET_PDEATHSIG = 1


def _set_death_signal(sig: int) -> None:
    _LIBC.prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)


def make_workdir(parent: Optional[str], run_as: RunAs) -> str:
    run_as.check_reachable(parent or tempfile.gettempdir())
    path = tempfile.mkdtemp(prefix="aiven-emu-pg-", dir=parent)
    run_as.give(path)
    return path


def make_subdir(path: str, run_as: RunAs) -> str:
    os.mkdir(path, 0o700)
    run_as.give(path)
    return path


def write_file_atomic(path: str, content: str, run_as: RunAs, mode: int = 0o600) -> None:
    """Write ``content`` to a temp file beside ``path``, then rename it over ``path``."""
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            if run_as.switching:
                os.fchown(handle.fileno(), run_as.uid, run_as.gid)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def free_loopback_ports(count: int) -> List[int]:
    """Distinct free TCP ports on 127.0.0.1 (free when asked; a small race remains)."""
    with ExitStack() as stack:
        ports = []
        for _index in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
        return ports


async def run(argv: Sequence[str], run_as: RunAs, cwd: str, timeout: float = 60) -> str:
    """Run a program to completion as the server user; raise ProcessError on failure."""
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=cwd,
        **run_as.popen_kwargs(),
    )
    try:
        out, _err = await asyncio.wait_for(proc.communicate(), timeout)
    except asyncio.TimeoutError:
        proc.kill()
        await proc.wait()
        raise ProcessError("%s timed out after %ss" % (argv[0], timeout)) from None
    text = out.decode("utf-8", "replace")
    if proc.returncode != 0:
        raise ProcessError("%s exited with %s:\n%s" % (" ".join(argv), proc.returncode, text[-4000:]))
    return text


def run_sync(argv: Sequence[str], run_as: RunAs, cwd: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(
        list(argv),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=cwd,
        timeout=timeout,
        check=False,
        **run_as.popen_kwargs(),
    )


def log_tail(path: str, limit: int = 3000) -> str:
    try:
        with open(path, "r", encoding="utf-8", errors="replace") as handle:
            return handle.read()[-limit:]
    except OSError as exc:
        return "(no log: %s)" % exc


def read_pid(path: str) -> Optional[int]:
    """First line of a pid file (PostgreSQL's postmaster.pid or PgBouncer's pidfile)."""
    try:
        with open(path, "r", encoding="ascii", errors="replace") as handle:
            first = handle.readline().strip()
    except OSError:
        return None
    return int(first) if first.isdigit() else None


def pid_alive(pid: Optional[int]) -> bool:
    """True while the process exists and is not a zombie (PID 1 here may not reap)."""
    if not pid:
        return False
    try:
        with open("/proc/%d/stat" % pid, "r", encoding="ascii", errors="replace") as handle:
            stat = handle.read()
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    # Format: "pid (comm) S ..."; comm may hold spaces or parentheses.
    state = stat[stat.rfind(")") + 2 :][:1]
    return state not in ("Z", "X", "")


def wait_gone(pid: Optional[int], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while pid_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def terminate(pid: Optional[int], timeout: float = 5.0) -> None:
    """SIGTERM, wait, then SIGKILL a daemon we started."""
    if not pid_alive(pid):
        return
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 2.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        if wait_gone(pid, wait):
            return


async def wait_for_port(port: int, is_alive, what: str, log_path: str, timeout: float = 15.0) -> None:
    """Wait until 127.0.0.1:port accepts TCP connections."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            pass
        else:
            writer.close()
            try:
                await writer.wait_closed()
            except OSError:
                pass
            return
        if not is_alive() or time.monotonic() > deadline:
            raise ProcessError("%s did not come up on port %s:\n%s" % (what, port, log_tail(log_path)))
        await asyncio.sleep(0.02)


def remove_tree(path: Optional[str]) -> None:
    if path and os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)


async def spawn(argv: Sequence[str], run_as: RunAs, cwd: str, logfile: str, death_signal: int) -> asyncio.subprocess.Process:
    """Start a long-running server as our direct child, its output appended to logfile.

    Direct children (no daemonising) are reaped by asyncio's child watcher, so no
    zombies are left behind, and they get a parent-death signal.
    """
    with open(logfile, "ab") as log:
        run_as.give(logfile)
        return await asyncio.create_subprocess_exec(
            *argv,
            stdout=log,
            stderr=log,
            cwd=cwd,
            start_new_session=True,  # keep terminal Ctrl-C away; we stop it ourselves
            **run_as.popen_kwargs(death_signal),
        )


def conf_quote(value: str) -> str:
    """A single-quoted postgresql.conf string."""
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


class PostgresCluster:
    """One throwaway PostgreSQL cluster: initdb, postmaster as our child, pg_ctl stop."""

    # Aiven keeps 3 connections for superusers (contract, "Capacity"); the emulator's own admin
    # connections log in as the bootstrap superuser, so they take these slots, not the users'.
    SUPERUSER_RESERVED = 3
    CONNECTIONS_FILE = "connections.conf"  # max_connections, included from postgresql.conf

    def __init__(self, pg_bin: str, directory: str, port: int, superuser: str, run_as: RunAs) -> None:
        self.pg_bin = pg_bin
        self.directory = directory  # holds data/, the log and the unix socket
        self.datadir = os.path.join(directory, "data")
        self.logfile = os.path.join(directory, "postgresql.log")
        self.port = port
        self.superuser = superuser  # bootstrap superuser, trusted on the unix socket only
        self.run_as = run_as
        self.process: Optional[asyncio.subprocess.Process] = None
        self.max_connections: Optional[int] = None  # as last written for the server

    def _tool(self, name: str) -> str:
        return os.path.join(self.pg_bin, name)

    async def init(self, tls: Dict[str, str], max_connections: int) -> None:
        await run(
            [
                self._tool("initdb"),
                "-D",
                self.datadir,
                "-U",
                self.superuser,
                "-E",
                "UTF8",
                "--locale=C",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--no-sync",
                "--no-instructions",
            ],
            self.run_as,
            cwd=self.directory,
        )
        settings = {
            "listen_addresses": conf_quote("127.0.0.1"),
            "port": str(self.port),
            "unix_socket_directories": conf_quote(self.directory),
            "unix_socket_permissions": "0700",
            "ssl": "on",
            "ssl_cert_file": conf_quote(tls["cert"]),
            "ssl_key_file": conf_quote(tls["key"]),
            "password_encryption": conf_quote("scram-sha-256"),
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "shared_buffers": conf_quote("16MB"),
            "superuser_reserved_connections": str(self.SUPERUSER_RESERVED),
            "logging_collector": "off",
            "include": conf_quote(self.CONNECTIONS_FILE),
        }
        conf = "".join("%s = %s\n" % item for item in settings.items())
        with open(os.path.join(self.datadir, "postgresql.conf"), "a", encoding="utf-8") as handle:
            handle.write("\n# aiven emulator\n" + conf)
        self.write_max_connections(max_connections)
        hba = ("local all %s trust\nhost all all 127.0.0.1/32 scram-sha-256\n") % self.superuser
        write_file_atomic(os.path.join(self.datadir, "pg_hba.conf"), hba, self.run_as)

    def write_max_connections(self, max_connections: int) -> None:
        """The max_connections the next start runs with (PostgreSQL reads it at start only)."""
        if max_connections <= self.SUPERUSER_RESERVED:
            raise ValueError("max_connections %d leaves no connection beside the %d reserved for superusers"
                             % (max_connections, self.SUPERUSER_RESERVED))
        path = os.path.join(self.datadir, self.CONNECTIONS_FILE)
        write_file_atomic(path, "max_connections = %d\n" % max_connections, self.run_as)
        self.max_connections = max_connections

    async def restart(self) -> None:
        """Stop (fast: sessions are ended) and start again, as Aiven restarts a service for a new max_connections."""
        await asyncio.to_thread(self.stop_sync)
        self.process = None
        await self.start()

    async def start(self) -> None:
        """Run the postmaster as our child; ready once postmaster.pid says "ready"."""
        self.process = await spawn(
            [self._tool("postgres"), "-D", self.datadir],
            self.run_as,
            cwd=self.directory,
            logfile=self.logfile,
            death_signal=signal.SIGINT,  # fast shutdown
        )
        deadline = time.monotonic() + 30
        while not self._ready():
            if self.process.returncode is not None or time.monotonic() > deadline:
                raise ProcessError("postgres did not start:\n%s" % log_tail(self.logfile))
            await asyncio.sleep(0.02)

    def _ready(self) -> bool:
        # Line 8 of postmaster.pid is the status pg_ctl -w waits for, too.
        try:
            with open(os.path.join(self.datadir, "postmaster.pid"), "r", encoding="ascii", errors="replace") as handle:
                lines = handle.read().splitlines()
        except OSError:
            return False
        return len(lines) >= 8 and lines[7].strip() == "ready"

    @property
    def pid(self) -> Optional[int]:
        if self.process is not None:
            return self.process.pid
        return read_pid(os.path.join(self.datadir, "postmaster.pid"))

    def conninfo(self, dbname: str = "postgres") -> dict:
        """Superuser connection over the unix socket (trust)."""
        return {"host": self.directory, "port": self.port, "user": self.superuser, "dbname": dbname}

    def stop_sync(self) -> None:
        pid = self.pid
        if not pid_alive(pid):
            return
        for mode in ("fast", "immediate"):
            try:
                run_sync(
                    [self._tool("pg_ctl"), "-D", self.datadir, "-m", mode, "-w", "-t", "10", "-s", "stop"],
                    self.run_as,
                    cwd=self.directory,
                    timeout=15,
                )
            except (OSError, subprocess.SubprocessError):
                pass
            if wait_gone(pid, 2.0):
                return
        terminate(pid, timeout=2.0)


class PgBouncerDaemon:
    """One PgBouncer process with its files in ``directory``."""

    def __init__(self, binary: str, directory: str, port: int, run_as: RunAs) -> None:
        self.binary = binary
        self.directory = directory
        self.port = port
        self.run_as = run_as
        self.ini = os.path.join(directory, "pgbouncer.ini")
        self.auth_file = os.path.join(directory, "userlist.txt")
        self.pidfile = os.path.join(directory, "pgbouncer.pid")
        self.logfile = os.path.join(directory, "pgbouncer.log")
        self.process: Optional[asyncio.subprocess.Process] = None

    @property
    def pid(self) -> Optional[int]:
        if self.process is not None:
            return self.process.pid
        return read_pid(self.pidfile)

    async def start(self) -> None:
        """Run PgBouncer in the foreground as our child; ready once it accepts TCP."""
        self.process = await spawn(
            [self.binary, self.ini],
            self.run_as,
            cwd=self.directory,
            logfile=os.path.join(self.directory, "pgbouncer.stderr"),
            death_signal=signal.SIGTERM,  # immediate shutdown
        )
        process = self.process
        await wait_for_port(self.port, lambda: process.returncode is None, "pgbouncer", self.logfile)

    def stop_sync(self) -> None:
        terminate(self.pid)
