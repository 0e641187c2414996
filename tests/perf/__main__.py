"""python -m tests.perf --pools N --services S --latency-ms L --json FILE [--scenarios a,b]

Starts the emulator (memory backend, S services in project bench-project), runs each
scenario once, prints a table of wall seconds and API requests by method, the targets
(PASS / MISS) and writes the numbers to FILE. Exits 1 only when a scenario failed to run.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import shutil
import signal
import sys
import tempfile
import time
from typing import Dict

from tests.emulator.harness import link_collection

from . import report
from .scenarios import BY_NAME, REPO, SCENARIOS, Bench, Measurement

COLLECTIONS = os.path.join(REPO, "build", "playbook-collections")


def parse_args(argv: list) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.perf", description=__doc__.split("\n\n")[1])
    parser.add_argument("--pools", type=int, default=500, help="pool definitions (default %(default)s)")
    parser.add_argument("--services", type=int, default=10, help="services they are spread over (default %(default)s)")
    parser.add_argument("--latency-ms", type=int, default=50, help="latency the emulator adds to each API request (default %(default)s)")
    parser.add_argument("--json", default=os.path.join("build", "bench.json"), help="result file (default %(default)s)")
    parser.add_argument("--scenarios", default=",".join(s.name for s in SCENARIOS),
                        help="comma-separated subset, run in the standard order (default: all: %(default)s)")
    parser.add_argument("--collections-path", metavar="DIR",
                        help="ANSIBLE_COLLECTIONS_PATH holding ansible_collections/dbpools/aiven "
                             "(default: a symlink to this work tree under build/playbook-collections)")
    args = parser.parse_args(argv)
    wanted = [name.strip() for name in args.scenarios.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in BY_NAME]
    if unknown or not wanted:
        parser.error(f"unknown scenario(s) {', '.join(unknown) or '(none given)'}; choose from {', '.join(BY_NAME)}")
    if args.pools < 1 or args.services < 1 or args.latency_ms < 0:
        parser.error("--pools and --services must be 1 or more, --latency-ms 0 or more")
    args.scenarios = [s for s in SCENARIOS if s.name in wanted]
    return args


def machine() -> Dict[str, object]:
    def version(package: str) -> str:
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"
    return {"nproc": os.cpu_count(), "python": platform.python_version(), "ansible_core": version("ansible-core"),
            "aiven_client": version("aiven-client"), "platform": platform.platform()}


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)  # unwind like Ctrl-C: the emulator is stopped
    collections = args.collections_path or link_collection(COLLECTIONS)
    logdir = os.path.join(REPO, "build", "perf-logs")
    os.makedirs(logdir, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="dbpools-perf-")
    meta = {"pools": args.pools, "services": args.services, "latency_ms": args.latency_ms,
            "scenarios": [s.name for s in args.scenarios], "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "machine": machine()}
    print(f"benchmark: {args.pools} pools on {args.services} services, {args.latency_ms} ms API latency; "
          f"tool output in {os.path.relpath(logdir)}/", flush=True)
    results: Dict[str, Measurement] = {}
    bench = Bench(args.pools, args.services, args.latency_ms, workdir, logdir, collections)
    interrupted = False
    try:
        for scenario in args.scenarios:
            print(f"  {scenario.name:<15} {scenario.what} ...", end=" ", flush=True)
            m = bench.run(scenario)
            results[scenario.name] = m
            print(f"FAILED: {m.error}" if m.error else f"{m.seconds:.1f} s, {m.requests.get('total', 0)} requests", flush=True)
    except KeyboardInterrupt:
        interrupted = True
        print("\nbenchmark: interrupted; reporting what ran", flush=True)
    finally:
        bench.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    found = report.targets(results, args.services)
    print()
    print(report.table(results))
    print()
    print(report.targets_text(found))
    report.write_json(args.json, results, found, meta, logdir=os.path.relpath(logdir, REPO))
    print(f"\nbenchmark: results in {args.json}")
    failed = [name for name, m in results.items() if m.error]
    if failed:
        print(f"benchmark: FAILED to run: {', '.join(failed)}")
    return 130 if interrupted else (1 if failed else 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
