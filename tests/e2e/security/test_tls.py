"""TLS is checked by default; ca_path trusts a private CA; validate_certs=false works and warns.

The emulator serves HTTPS with a certificate of a CA made for the session (conftest.py).
"""

from __future__ import annotations

import os
import time

import pytest

from ansible_collections.dbpools.aiven.plugins.module_utils._api import AivenApiError, AivenClient
from tests.e2e.security.world import CA_VARIABLES, PROJECT, SERVICE, TOKEN, pools_on
from tests.support.ansible import marked_json, run_module, run_playbook
from tests.support.secrets import leaked_secrets

PLAYBOOK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "playbooks", "tls_pool.yml")
WARNING = "validate_certs is false: the Aiven API's TLS certificate is not checked"
ARGS = f"project={PROJECT} service_name={SERVICE} database_name=appdb username=app"
SERVICE_PATH = f"/v1/project/{PROJECT}/service/{SERVICE}"
# With the default api_retries (6) the backoff alone between attempts adds up to over 40 s: a retried TLS failure cannot be faster.
NOT_RETRIED_WITHIN = 20.0


def tls_result(output: str) -> dict:
    return marked_json(output, "TLS-RESULT")


@pytest.mark.parametrize(
    ("case", "validate_certs", "ca", "warns"),
    [
        ("ca-path", True, "ca_file", False),
        ("no-validation", False, None, True),
        # validate_certs=false wins over ca_path, as its warning says (an unrelated CA would fail otherwise).
        ("no-validation-wins", False, "other_ca_file", True),
    ],
)
def test_pool_created_over_https(emulator, pki, make_env, case, validate_certs, ca, warns):
    pool_name = f"tls-{case}"
    extra = {"project": PROJECT, "service_name": SERVICE, "pool_name": pool_name, "validate_certs": validate_certs}
    if ca:
        extra["ca_path"] = getattr(pki, ca)
    run = run_playbook(PLAYBOOK, make_env(), extra_vars=extra)
    assert run.rc == 0, run.output[-3000:]
    assert run.recap()["changed"] == 1
    assert tls_result(run.output)["changed"] is True
    assert emulator.requests_log()["by_method"] == {"GET": 2, "POST": 1}
    pool = pools_on(emulator, pki.ca_file)[pool_name]
    assert (pool["database"], pool["username"]) == ("appdb", "app")
    if warns:
        assert tls_result(run.output)["warnings"] == [WARNING]
        assert f"[WARNING]: {WARNING}" in run.output
    else:
        assert tls_result(run.output)["warnings"] == []
        assert WARNING not in run.output


def test_private_ca_is_refused_by_default(emulator, pki, make_env, seeded_secrets):
    run = run_module(f"{ARGS} pool_name=tls-default", make_env())
    assert (run.rc, run.status) == (2, "FAILED")
    message = run.result["msg"]
    assert message.startswith(f"cannot read service {PROJECT}/{SERVICE}: GET {SERVICE_PATH}: TLS connection to {emulator.url} failed: ")
    assert "certificate verify failed" in message
    assert "give the CA that signed it with ca_path" in message
    assert run.result["failure"] == {"status": None, "method": "GET", "path": SERVICE_PATH, "errors": [], "error_code": None,
                                     "attempts": 1, "message": message.split(f"GET {SERVICE_PATH}: ", 1)[1]}
    assert "exception" not in run.result and "Traceback" not in run.output
    # The handshake failed before HTTP, and was not retried.
    assert emulator.requests_log()["total"] == 0
    assert run.seconds < NOT_RETRIED_WITHIN
    assert "tls-default" not in pools_on(emulator, pki.ca_file)
    assert leaked_secrets(run.output, seeded_secrets) == []


def test_tls_failure_is_not_retried(emulator, monkeypatch):
    for name in CA_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    client = AivenClient(TOKEN, api_url=emulator.url, max_retries=6)
    started = time.monotonic()
    with pytest.raises(AivenApiError) as info:
        client.get_service(PROJECT, SERVICE)
    assert info.value.attempts == 1
    assert info.value.status is None and "CERTIFICATE_VERIFY_FAILED" in info.value.message
    assert "gave up after" not in info.value.message
    assert time.monotonic() - started < 5.0


@pytest.mark.parametrize(
    ("case", "variables", "ca", "trusted"),
    [
        # requests reads these two when ca_path is unset: an EE can mount its CA bundle that way.
        ("requests-ca-bundle", {"REQUESTS_CA_BUNDLE": "ca_file"}, None, True),
        ("curl-ca-bundle", {"CURL_CA_BUNDLE": "ca_file"}, None, True),
        # OpenSSL's variable is not read: requests passes its own bundle (certifi) explicitly.
        ("ssl-cert-file", {"SSL_CERT_FILE": "ca_file"}, None, False),
        # An explicit ca_path wins over the environment, both ways.
        ("ca-path-over-env", {"REQUESTS_CA_BUNDLE": "other_ca_file"}, "ca_file", True),
        ("env-not-over-ca-path", {"REQUESTS_CA_BUNDLE": "ca_file"}, "other_ca_file", False),
    ],
)
def test_ca_bundle_from_the_environment(emulator, pki, make_env, case, variables, ca, trusted):
    env = make_env({name: getattr(pki, attribute) for name, attribute in variables.items()})
    args = f"{ARGS} pool_name=env-{case}" + (f" ca_path={getattr(pki, ca)}" if ca else "")
    run = run_module(args, env)
    if trusted:
        assert (run.rc, run.status) == (0, "CHANGED")
        assert f"env-{case}" in pools_on(emulator, pki.ca_file)
    else:
        assert (run.rc, run.status) == (2, "FAILED")
        assert "certificate verify failed" in run.result["msg"]
        assert emulator.requests_log()["total"] == 0


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("not-pem", "the CA file (ca_path or REQUESTS_CA_BUNDLE) holds no usable PEM certificate"),
        ("missing-ca-path", "does not exist"),
        ("missing-env-bundle", "Could not find a suitable TLS CA certificate bundle, invalid path"),
    ],
)
def test_unusable_ca_file_fails_cleanly(emulator, pki, make_env, seeded_secrets, tmp_path, case, expected):
    not_pem = tmp_path / "not-a-ca.pem"
    not_pem.write_text("not a certificate\n", encoding="utf-8")
    extra = {"REQUESTS_CA_BUNDLE": str(tmp_path / "gone.pem")} if case == "missing-env-bundle" else {}
    ca_path = {"not-pem": str(not_pem), "missing-ca-path": str(tmp_path / "gone.pem")}.get(case)
    run = run_module(f"{ARGS} pool_name=bad-ca" + (f" ca_path={ca_path}" if ca_path else ""), make_env(extra))
    assert (run.rc, run.status) == (2, "FAILED")
    assert expected in run.result["msg"]
    assert "exception" not in run.result and "Traceback" not in run.output
    assert run.result["failure"]["status"] is None
    # The option check refuses a missing ca_path before any attempt.
    assert run.result["failure"]["attempts"] == (0 if case == "missing-ca-path" else 1)
    assert emulator.requests_log()["total"] == 0
    assert leaked_secrets(run.output, seeded_secrets) == []
