"""The emulator serves HTTPS with a given certificate: what the TLS tests of the modules stand on."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from aiven_emulator.process import PACKAGE_PARENT
from tests.e2e.security.world import PROJECT, SERVICE, TOKEN, pools_on


def test_serves_https_with_the_private_ca(emulator, pki):
    assert emulator.url.startswith("https://127.0.0.1:")
    # The control session trusts the CA given to the harness.
    assert emulator.requests_log()["total"] == 0
    assert pools_on(emulator, pki.ca_file) == {}
    log = emulator.requests_log()
    assert (log["total"], log["log"][0]["path"], log["log"][0]["status"]) == (1, f"/v1/project/{PROJECT}/service/{SERVICE}", 200)


@pytest.mark.parametrize("trust", ["system store", "unrelated CA"])
def test_client_without_the_ca_fails_before_http(emulator, pki, trust):
    verify = True if trust == "system store" else pki.other_ca_file
    with pytest.raises(requests.exceptions.SSLError, match="CERTIFICATE_VERIFY_FAILED"):
        requests.get(f"{emulator.url}/v1/project/{PROJECT}/service/{SERVICE}", headers={"Authorization": f"aivenv1 {TOKEN}"},
                     verify=verify, timeout=10)
    # The handshake failed: no HTTP request reached the API.
    assert emulator.requests_log()["total"] == 0


def test_plain_http_to_the_https_port_gets_no_api_reply(emulator):
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(emulator.url.replace("https://", "http://") + f"/v1/project/{PROJECT}/service/{SERVICE}", timeout=10)
    assert emulator.requests_log()["total"] == 0


@pytest.mark.parametrize("given", [["--tls-cert", "x.pem"], ["--tls-key", "x.key"]])
def test_cert_and_key_go_together(given):
    proc = subprocess.run([sys.executable, "-m", "aiven_emulator", "--port", "0", *given], cwd=PACKAGE_PARENT,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert "--tls-cert and --tls-key go together" in proc.stderr
    assert "READY" not in proc.stdout


def test_unreadable_key_is_a_clear_start_failure(pki, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "aiven_emulator", "--port", "0", "--tls-cert", pki.cert_file,
                           "--tls-key", str(tmp_path / "missing.key")], cwd=PACKAGE_PARENT, capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 2
    assert "emulator: cannot start:" in proc.stderr
    assert "Traceback" not in proc.stderr
