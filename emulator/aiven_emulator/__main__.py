"""python -m aiven_emulator --port PORT --seed FILE [--backend memory|pgbouncer] [--latency-ms N] [--tls-cert FILE --tls-key FILE]"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys

from .errors import ApiError
from .seed import SeedError, load_seed_file
from .server import serve_forever, start, tls_context

DEFAULT_SEED_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seed.yml")


def parse_args(argv: list) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m aiven_emulator", description="Local emulator of Aiven's connection pool API.")
    parser.add_argument("--port", type=int, default=0, help="loopback port to listen on (0: any free port)")
    parser.add_argument("--seed", default=DEFAULT_SEED_FILE, help="seed YAML file (default: %(default)s)")
    parser.add_argument("--backend", choices=("memory", "pgbouncer"), default="memory")
    parser.add_argument("--latency-ms", type=int, default=0, help="delay added to every API request")
    parser.add_argument("--option", action="append", default=[], metavar="NAME=JSON",
                        help="set an unconfirmed-behaviour option, e.g. missing_database_status=403 (repeatable)")
    parser.add_argument("--print-credentials", metavar="FILE",
                        help="write the seeded users' passwords and the endpoints as JSON to FILE (mode 0600)")
    parser.add_argument("--tls-cert", metavar="FILE", help="serve HTTPS with this PEM certificate (chain); needs --tls-key")
    parser.add_argument("--tls-key", metavar="FILE", help="PEM private key of --tls-cert")
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    return args


def _options(pairs: list) -> dict:
    options = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep:
            raise SystemExit(f"--option needs NAME=VALUE, got {pair!r}")
        try:
            options[name] = json.loads(raw)
        except ValueError:
            options[name] = raw
    return options


def _write_credentials(path: str, running) -> None:
    emulator = running.emulator
    services = []
    for service in emulator.world.services():
        endpoint = emulator.backend.endpoint(service)
        services.append({
            "project": service.project,
            "service": service.name,
            "host": endpoint.host,
            "pg_port": endpoint.pg_port,
            "pgbouncer_port": endpoint.pgbouncer_port,
            "users": {user.username: user.password for user in service.users.values()},
            "pgbouncer_admin": emulator.backend.admin_conninfo(service),
        })
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"url": running.url, "pid": os.getpid(), "backend_workdir": getattr(emulator.backend, "workdir", None),
                   "services": services}, handle, indent=2)


async def main(argv: list) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="emulator: %(message)s", stream=sys.stderr)
    try:
        seed = load_seed_file(args.seed)
        context = tls_context(args.tls_cert, args.tls_key) if args.tls_cert else None
        running = await start(seed, backend=args.backend, port=args.port, latency_ms=args.latency_ms, options=_options(args.option),
                              ssl_context=context)
    except (OSError, SeedError, ValueError, ApiError) as exc:
        print(f"emulator: cannot start: {exc}", file=sys.stderr)
        return 2
    stop_event = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop_event.set)
    if args.print_credentials:
        _write_credentials(args.print_credentials, running)
    print(f"READY {running.url}", flush=True)
    await serve_forever(running, stop_event)
    print("emulator: stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
