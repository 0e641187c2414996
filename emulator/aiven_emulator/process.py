"""The emulator as a subprocess: start, stop, and its control routes (the emulator's tests, the e2e suites, the demo, the benchmark)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List, Optional

import requests
import yaml

# The folder that holds this package: `python -m aiven_emulator` run there finds it whatever the caller's sys.path.
PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class EmulatorProcess:
    """``with EmulatorProcess(seed) as emu:`` serves ``emu.url`` until the block ends."""

    def __init__(
        self,
        seed: Optional[Dict[str, Any]] = None,
        backend: str = "memory",
        latency_ms: int = 0,
        options: Optional[Dict[str, Any]] = None,
        start_timeout: float = 60.0,
        tls_cert: Optional[str] = None,
        tls_key: Optional[str] = None,
        ca_file: Optional[str] = None,
    ) -> None:
        """``tls_cert``/``tls_key`` serve HTTPS; the control session then trusts ``ca_file`` (the CA that signed the cert)."""
        if bool(tls_cert) != bool(tls_key):
            raise ValueError("tls_cert and tls_key go together")
        self.seed = seed
        self.backend = backend
        self.latency_ms = latency_ms
        self.options = options or {}
        self.start_timeout = start_timeout
        self.url = ""
        self.credentials: Dict[str, Any] = {}
        self._tmp = tempfile.mkdtemp(prefix="emulator-harness-")
        self._proc: Optional[subprocess.Popen] = None
        self.tls_cert = tls_cert
        self.tls_key = tls_key
        self.ca_file = ca_file
        self.session = requests.Session()

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> "EmulatorProcess":
        command = [sys.executable, "-m", "aiven_emulator", "--port", "0", "--backend", self.backend,
                   "--latency-ms", str(self.latency_ms), "--print-credentials", os.path.join(self._tmp, "credentials.json")]
        if self.seed is not None:
            seed_file = os.path.join(self._tmp, "seed.yml")
            with open(seed_file, "w", encoding="utf-8") as handle:
                yaml.safe_dump(self.seed, handle)
            command += ["--seed", seed_file]
        for name, value in self.options.items():
            command += ["--option", f"{name}={json.dumps(value)}"]
        if self.tls_cert and self.tls_key:
            command += ["--tls-cert", self.tls_cert, "--tls-key", self.tls_key]
        self._proc = subprocess.Popen(command, cwd=PACKAGE_PARENT, stdout=subprocess.PIPE, text=True)
        self.url = self._wait_ready()
        with open(os.path.join(self._tmp, "credentials.json"), encoding="utf-8") as handle:
            self.credentials = json.load(handle)
        return self

    def _wait_ready(self) -> str:
        assert self._proc is not None and self._proc.stdout is not None
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            line = self._proc.stdout.readline()
            if line.startswith("READY "):
                return line.split()[1]
            if not line and self._proc.poll() is not None:
                raise RuntimeError(f"emulator exited with {self._proc.returncode} before READY")
        self.stop()
        raise RuntimeError("emulator did not print READY in time")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self.session.close()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> "EmulatorProcess":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    # -- controls --------------------------------------------------------------

    def _control(self, method: str, path: str, body: Any = None) -> Any:
        # Given per request: a session-wide verify would lose to REQUESTS_CA_BUNDLE from the environment.
        response = self.session.request(method, f"{self.url}/_emulator/{path}", json=body, timeout=30, verify=self.ca_file or True)
        response.raise_for_status()
        return response.json()

    def requests_log(self) -> Dict[str, Any]:
        return self._control("GET", "requests")

    def reset_requests(self) -> None:
        self._control("DELETE", "requests")

    def add_faults(self, rules: List[Dict[str, Any]]) -> Any:
        return self._control("POST", "faults", {"rules": rules})

    def clear_faults(self) -> None:
        self._control("DELETE", "faults")

    def set_service(self, project: str, service: str, **changes: Any) -> Any:
        return self._control("PUT", f"projects/{project}/services/{service}", changes)

    def override_password(self, project: str, service: str, username: str, overridden: bool = True) -> Any:
        """As if the user's password was changed inside PostgreSQL: the API stops knowing it."""
        return self._control("PUT", f"projects/{project}/services/{service}/users/{username}", {"password_overridden": overridden})

    def set_options(self, **options: Any) -> Any:
        return self._control("PUT", "options", options)

    def reset_options(self) -> Any:
        """Every option back to the emulator's default (production's limiter included), whatever the start set."""
        return self._control("DELETE", "options")

    def set_latency(self, latency_ms: int) -> Any:
        return self._control("PUT", "latency", {"latency_ms": latency_ms})

    def password(self, project: str, service: str, username: str) -> str:
        for entry in self.credentials["services"]:
            if entry["project"] == project and entry["service"] == service:
                return entry["users"][username]
        raise KeyError(f"{project}/{service}")
