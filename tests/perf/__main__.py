"""python -m tests.perf --pools N --services S --latency-ms L --json FILE [--scenarios a,b] [--limited-...]

Starts the emulator (memory backend, S services in project bench-project) and runs the
scenarios in --repeat rounds per workload, each round the baseline first and then every
scenario, so that each run has a baseline measured just before it; prints a table of the
median wall seconds, the median of the ratios to the same round's baseline, API requests
by method, 429s and the peak memory of the largest process, the targets (PASS / MISS), and
writes the numbers (every run) to FILE. The role_large_* scenarios run on a workload of
their own, many projects (default 10,000 pools on 100 services in 10 projects).
role_cold_limited runs on a workload of its own (500 pools on 10 services) under the emulator's
rate limit, by default its own default: production's, 120 requests per 60 s per user, window
shaped; the other scenarios run with the limit off.
Exits 1 only when a scenario failed to run.
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
from typing import Dict, Optional, Tuple

from tests.support.collection import link_collection

from . import report
from .module_spec import default_concurrency
from .scenarios import BASELINE_SCENARIO, BY_NAME, LARGE, LIMITED, MAIN, REPO, SCENARIOS, Bench, Measurement, Scenario, Workload
from .targets import Setting, targets, targets_text

COLLECTIONS = os.path.join(REPO, "build", "playbook-collections")


def parse_args(argv: list) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.perf", description=__doc__.split("\n\n")[1])
    parser.add_argument("--pools", type=int, default=500, help="pool definitions (default %(default)s)")
    parser.add_argument("--services", type=int, default=10, help="services they are spread over (default %(default)s)")
    parser.add_argument("--latency-ms", type=int, default=50, help="latency the emulator adds to each API request (default %(default)s)")
    parser.add_argument("--json", default=os.path.join("build", "bench.json"), help="result file (default %(default)s)")
    parser.add_argument("--scenarios", default=",".join(s.name for s in SCENARIOS),
                        help="comma-separated subset, run in the standard order (default: all: %(default)s)")
    parser.add_argument("--limited-pools", type=int, default=500,
                        help="role_cold_limited: pool definitions (default %(default)s)")
    parser.add_argument("--limited-services", type=int, default=10,
                        help="role_cold_limited: services they are spread over (default %(default)s)")
    # Unset, the emulator's own defaults apply: production's limit (120 requests per 60 s per user, window shape).
    parser.add_argument("--rate-limit", type=int,
                        help="role_cold_limited: requests per user per window (default: the emulator's, production's 120)")
    parser.add_argument("--rate-limit-window", type=float,
                        help="role_cold_limited: the window in seconds (default: the emulator's, 60)")
    parser.add_argument("--rate-limit-shape", choices=("window", "bucket"),
                        help="role_cold_limited: window (production's: a burst, then a wait until the window ends) or "
                             "bucket (refilled continuously) (default: the emulator's, window)")
    parser.add_argument("--repeat", type=int, default=5,
                        help="rounds per workload, each the baseline then every scenario; the slow scenarios (loop, avn) "
                             "and role_cold_limited run in the first round only (default %(default)s)")
    parser.add_argument("--large-pools", type=int, default=10000, help="role_large_*: pool definitions (default %(default)s)")
    parser.add_argument("--large-services", type=int, default=100, help="role_large_*: services (default %(default)s)")
    parser.add_argument("--large-projects", type=int, default=10, help="role_large_*: projects the services are in (default %(default)s)")
    parser.add_argument("--collections-path", metavar="DIR",
                        help="ANSIBLE_COLLECTIONS_PATH holding ansible_collections/dbpools/aiven "
                             "(default: a symlink to this work tree under build/playbook-collections)")
    args = parser.parse_args(argv)
    wanted = [name.strip() for name in args.scenarios.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in BY_NAME]
    if unknown or not wanted:
        parser.error(f"unknown scenario(s) {', '.join(unknown) or '(none given)'}; choose from {', '.join(BY_NAME)}")
    if min(args.pools, args.services, args.limited_pools, args.limited_services, args.repeat,
           args.large_pools, args.large_services, args.large_projects) < 1 or args.latency_ms < 0:
        parser.error("--pools, --services, --limited-*, --large-* and --repeat must be 1 or more, --latency-ms 0 or more")
    if args.large_projects > args.large_services:
        parser.error("--large-projects must be at most --large-services")
    if args.rate_limit is not None and args.rate_limit < 1:
        parser.error("--rate-limit must be 1 or more")
    if args.rate_limit_window is not None and not args.rate_limit_window > 0:
        parser.error("--rate-limit-window must be more than 0 seconds")
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


def module_concurrency() -> Tuple[Optional[int], str]:
    """The default the role_cold target is computed from, read afresh from the module each run; else why not."""
    try:
        return default_concurrency(), ""
    except (AttributeError, LookupError, OSError, SyntaxError, TypeError, ValueError) as exc:
        return None, str(exc)


def _measure(bench: Bench, scenario: Scenario, key: str, baseline: float | None, results: Dict[str, Measurement],
             workloads: Dict[str, Workload]) -> Measurement:
    print(f"  {scenario.name:<20} {scenario.what} ...", end=" ", flush=True)
    m = bench.run(scenario, key)
    results.setdefault(scenario.name, Measurement(workloads[key])).add(m, baseline)
    print(f"FAILED: {m.error}" if m.error else f"{m.seconds:.2f} s ({m.cpu_seconds:.2f} s CPU), {m.requests.get('total', 0)} requests, "
          f"peak {m.peak_rss_kb / 1024:.0f} MB", flush=True)
    return m


def run_rounds(bench: Bench, scenarios: list, repeat: int, workloads: Dict[str, Workload], results: Dict[str, Measurement]) -> None:
    """Per workload, ``repeat`` rounds of the baseline then each scenario: a ratio pairs each run with the baseline before it."""
    with_baseline = any(scenario.name == BASELINE_SCENARIO.name for scenario in scenarios)
    others = [scenario for scenario in scenarios if scenario.name != BASELINE_SCENARIO.name]
    for key in (MAIN, LIMITED, LARGE):
        members = [scenario for scenario in others if scenario.workload == key]
        # The baseline alone (no other scenario chosen) runs its rounds on the main workload.
        if not members and not (key == MAIN and with_baseline and not others):
            continue
        for number in range(repeat):
            todo = [scenario for scenario in members if number == 0 or not scenario.once]
            if number > 0 and members and not todo:
                break
            print(f"benchmark: {key} workload, round {number + 1} of {repeat}", flush=True)
            baseline = None
            if with_baseline:
                base = _measure(bench, BASELINE_SCENARIO, key, None, results, workloads)
                baseline = None if base.error else base.seconds
            for scenario in todo:
                _measure(bench, scenario, key, baseline, results, workloads)


def main(argv: list) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)  # unwind like Ctrl-C: the emulator is stopped
    collections = args.collections_path or link_collection(COLLECTIONS)
    logdir = os.path.join(REPO, "build", "perf-logs")
    os.makedirs(logdir, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="dbpools-perf-")
    workloads = {MAIN: Workload(args.pools, args.services), LIMITED: Workload(args.limited_pools, args.limited_services),
                 LARGE: Workload(args.large_pools, args.large_services, args.large_projects)}
    given = {"rate_limit": args.rate_limit, "rate_limit_window": args.rate_limit_window, "rate_limit_shape": args.rate_limit_shape}
    limit_options = {name: value for name, value in given.items() if value is not None}
    setting = Setting(args.latency_ms, *module_concurrency())
    meta = {"pools": args.pools, "services": args.services, "latency_ms": args.latency_ms, "repeat": args.repeat,
            "large": {"pools": args.large_pools, "services": args.large_services, "projects": args.large_projects},
            "load_average_before": os.getloadavg(),
            "limited": {"pools": args.limited_pools, "services": args.limited_services,
                        "emulator_options": limit_options or "the emulator's defaults"},
            "module_concurrency": setting.concurrency,
            "scenarios": [s.name for s in args.scenarios], "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "machine": machine()}
    print(f"benchmark: {args.pools} pools on {args.services} services, {args.latency_ms} ms API latency; "
          f"tool output in {os.path.relpath(logdir)}/", flush=True)
    if any(scenario.limited for scenario in args.scenarios):
        limit = ", ".join(f"{name} {value}" for name, value in limit_options.items()) or "the emulator's defaults (production's)"
        print(f"benchmark: role_cold_limited: {args.limited_pools} pools on {args.limited_services} services, "
              f"rate limit: {limit}", flush=True)
    results: Dict[str, Measurement] = {}
    bench = Bench(workloads, limit_options, args.latency_ms, workdir, logdir, collections)
    interrupted = False
    try:
        run_rounds(bench, args.scenarios, args.repeat, workloads, results)
    except KeyboardInterrupt:
        interrupted = True
        print("\nbenchmark: interrupted; reporting what ran", flush=True)
    finally:
        bench.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    meta["load_average_after"] = os.getloadavg()
    found = targets(results, setting)
    print()
    print(report.table(results))
    print()
    print(targets_text(found))
    report.write_json(args.json, results, found, meta, logdir=os.path.relpath(logdir, REPO))
    print(f"\nbenchmark: results in {args.json}")
    failed = [name for name, m in results.items() if m.error]
    if failed:
        print(f"benchmark: FAILED to run: {', '.join(failed)}")
    return 130 if interrupted else (1 if failed else 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
