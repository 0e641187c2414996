"""What the security tests' emulator is seeded with, and how to read its pools back."""

from __future__ import annotations

import secrets
from typing import Dict

from aiven_emulator.process import EmulatorProcess

PROJECT = "security-project"
SERVICE = "pg-sec"
FAULTY_SERVICE = "pg-faulty"   # fault rules match this service only
# Variables through which the developer's shell could decide which CAs are trusted.
CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR")
# Random per run, so that any occurrence in the output can only be a leak.
TOKEN = "sec-token-" + secrets.token_hex(12)
SEED = {
    "tokens": [TOKEN],
    "projects": [{
        "name": PROJECT,
        "services": [
            {"name": name, "state": "RUNNING", "plan": "startup-4", "databases": ["defaultdb", "appdb"],
             "users": ["avnadmin", "app", "app2"], "pools": []}
            for name in (SERVICE, FAULTY_SERVICE)
        ],
    }],
}


def pools_on(emulator: EmulatorProcess, ca_file: str, service: str = SERVICE) -> Dict[str, dict]:
    """The service's pools as the emulator has them, read over HTTPS trusting ``ca_file``."""
    response = emulator.session.get(f"{emulator.url}/v1/project/{PROJECT}/service/{service}",
                                    headers={"Authorization": f"aivenv1 {TOKEN}"}, verify=ca_file, timeout=30)
    response.raise_for_status()
    return {pool["pool_name"]: pool for pool in response.json()["service"]["connection_pools"]}
