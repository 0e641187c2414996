"""Serve the emulator around one command and scan that command's output for secrets.

    python -m tests.support.serve_emulator --seed FILE [--integration-config PATH [--config-vars FILE]]
        --scan-log LOG -- COMMAND...

Starts the emulator (memory backend) with the seed; writes PATH (mode 0600) with
``aiven_api_url`` and ``aiven_api_token`` added to the variables of ``--config-vars``;
runs COMMAND with its output on the console and in LOG; stops the emulator; then fails
when LOG shows a seeded token or password. Exits with COMMAND's status, or 1 for a leak.
COMMAND sees no AIVEN_* variable of the caller: it talks to this emulator only.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from typing import Any, Dict, List

import yaml

from aiven_emulator.process import EmulatorProcess
from tests.support.secrets import leaked_secrets, secrets_of


def parse_args(argv: List[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.support.serve_emulator", description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--seed", required=True, help="seed YAML file of the emulator")
    parser.add_argument("--integration-config", metavar="PATH", help="YAML vars file to write for COMMAND")
    parser.add_argument("--config-vars", metavar="FILE", help="YAML variables to write into PATH besides the URL and token")
    parser.add_argument("--scan-log", metavar="LOG", required=True, help="where COMMAND's output goes, then is scanned")
    parser.add_argument("command", nargs="+", help="the command to run while the emulator serves (after --)")
    return parser.parse_args(argv)


def tokens_of(seed: Dict[str, Any]) -> List[str]:
    # A seed token is a string or a mapping with 'token' (and its permissions).
    return [item if isinstance(item, str) else item["token"] for item in seed["tokens"]]


def write_config(path: str, variables: Dict[str, Any]) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    # 0600 and written for one run only: it holds the token.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("# Written by tests.support.serve_emulator for one run; do not commit.\n")
        yaml.safe_dump(variables, handle, default_flow_style=False)


def run_teed(command: List[str], log_file: str) -> int:
    """Run ``command`` with stdout and stderr both on the console and in ``log_file``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIVEN_")}
    os.makedirs(os.path.dirname(os.path.abspath(log_file)), exist_ok=True)
    with open(log_file, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, text=True, errors="replace")
        assert proc.stdout is not None
        for line in proc.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            log.write(line)
        return proc.wait()


def main(argv: List[str]) -> int:
    args = parse_args(argv)
    with open(args.seed, encoding="utf-8") as handle:
        seed = yaml.safe_load(handle)
    tokens = tokens_of(seed)
    with EmulatorProcess(seed) as emulator:
        if args.integration_config:
            variables: Dict[str, Any] = {}
            if args.config_vars:
                with open(args.config_vars, encoding="utf-8") as handle:
                    variables = yaml.safe_load(handle) or {}
            variables.update(aiven_api_url=emulator.url, aiven_api_token=tokens[0])
            write_config(args.integration_config, variables)
        status = run_teed(args.command, args.scan_log)
        secrets = secrets_of(emulator.credentials, tokens[0])
    secrets.update({f"API token {index}": token for index, token in enumerate(tokens[1:], start=2)})
    with open(args.scan_log, encoding="utf-8") as handle:
        leaked = leaked_secrets(handle.read(), secrets)
    if leaked:
        print(f"serve_emulator: secrets in {args.scan_log}: {', '.join(leaked)}", file=sys.stderr)
        return 1
    print(f"serve_emulator: no token or seeded password in {args.scan_log}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
