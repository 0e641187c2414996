"""No token and no password in results, diffs, errors or -vvvv output unless include_secrets asks for them.

Playbooks run with ``--diff -vvvv`` against the HTTPS emulator; the whole output is scanned
with the secret scan of tests/support/secrets.py for the API token and every seeded password.
"""

from __future__ import annotations

import json
import os
import secrets
import socket

import pytest

from tests.e2e.security.world import FAULTY_SERVICE, PROJECT, SERVICE, TOKEN, pools_on
from tests.support.ansible import APPLY_POOLS, marked_json, run_module, run_playbook
from tests.support.secrets import diff_blocks, leaked_secrets

PLAYBOOKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "playbooks")
VERBOSE_DIFF = ("--diff", "-vvvv")


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _delete_all_pools(emulator, ca_file: str) -> None:
    for name in pools_on(emulator, ca_file):
        response = emulator.session.delete(f"{emulator.url}/v1/project/{PROJECT}/service/{SERVICE}/connection_pool/{name}",
                                           headers={"Authorization": f"aivenv1 {TOKEN}"}, verify=ca_file, timeout=30)
        response.raise_for_status()


@pytest.fixture
def clean_service(emulator, pki):
    _delete_all_pools(emulator, pki.ca_file)
    emulator.reset_requests()
    yield emulator
    _delete_all_pools(emulator, pki.ca_file)


def test_module_diffs_hold_no_secret(clean_service, pki, make_env, seeded_secrets):
    emulator = clean_service
    run = run_playbook(os.path.join(PLAYBOOKS, "secrets_diff.yml"), make_env(), args=VERBOSE_DIFF,
                       extra_vars={"ca_path": pki.ca_file, "project": PROJECT, "service_name": SERVICE})
    assert run.rc == 0, run.output[-3000:]
    assert run.recap()["changed"] == 8
    assert set(pools_on(emulator, pki.ca_file)) == {"sec-d"}

    # The diff values the modules returned: a list per task, one entry per touched pool, settings only.
    diffs = marked_json(run.output, "DIFFS")
    assert all(isinstance(diff, list) for diff in diffs), diffs
    touched = [sorted(entry["before_header"].rsplit("/", 1)[1] for entry in diff) for diff in diffs]
    assert touched == [["sec-a"], ["sec-a"], ["sec-b", "sec-c", "sec-d"], ["sec-a"], ["sec-a"], ["sec-a"],
                       ["sec-b", "sec-c"], ["sec-b", "sec-c"]]
    assert all(entry["before_header"] == entry["after_header"] and entry["before_header"].startswith(f"{PROJECT}/{SERVICE}/")
               for diff in diffs for entry in diff)
    (updated,) = diffs[4]
    assert "username: app\n" in updated["before"] and "username: app2\n" in updated["after"], updated
    assert diffs[1][0]["before"] == "" and diffs[5][0]["after"] == "", "a created pool has no before, a deleted one no after"
    serialised = json.dumps(diffs)
    assert "connection_uri" not in serialised and "postgres://" not in serialised and "password" not in serialised
    assert leaked_secrets(serialised, seeded_secrets) == []

    # The diffs as Ansible printed them.
    blocks = diff_blocks(run.output)
    assert len(blocks) == 8
    assert all(f"{PROJECT}/{SERVICE}/sec-" in block for block in blocks)
    assert leaked_secrets("".join(blocks), seeded_secrets) == []

    # -vvvv prints every result: without include_secrets none holds a URI or a password.
    assert "postgres://" not in run.output
    assert leaked_secrets(run.output, seeded_secrets) == []


def test_include_secrets_returns_the_real_password(clean_service, pki, make_env, seeded_secrets):
    """The one way to get secrets from aiven_connection_pool; also the scan's positive control."""
    created = run_module(f"project={PROJECT} service_name={SERVICE} pool_name=sec-uri database_name=appdb username=app "
                         f"ca_path={pki.ca_file}", make_env())
    assert (created.rc, created.status) == (0, "CHANGED"), created.output[-3000:]
    assert "connection_uri" not in created.result["connection_pool"] and "password" not in created.result["connection_pool"]
    assert leaked_secrets(created.output, seeded_secrets) == []

    shown = run_module(f"project={PROJECT} service_name={SERVICE} pool_name=sec-uri include_secrets=true "
                       f"ca_path={pki.ca_file}", make_env())
    assert (shown.rc, shown.status) == (0, "SUCCESS"), shown.output[-3000:]
    pool = shown.result["connection_pool"]
    app_password = seeded_secrets[f"password of {PROJECT}/{SERVICE}/app"]
    assert pool["password"] == app_password
    assert pool["connection_uri"] == f"postgres://app:{app_password}@{pool['host']}:{pool['port']}/sec-uri?sslmode=require"
    # The scan sees a password where there is one (or its silence elsewhere would prove nothing).
    assert leaked_secrets(shown.output, seeded_secrets) == [f"password of {PROJECT}/{SERVICE}/app"]


def test_role_output_holds_no_secret_at_all(clean_service, pki, make_env, seeded_secrets):
    """The role prints its change lines and, under --diff, the module's per-pool diffs: never a secret."""
    emulator = clean_service
    pinned = [
        {"service_name": SERVICE, "pool_name": "role-a", "database_name": "appdb", "username": "app"},
        {"service_name": SERVICE, "pool_name": "role-b", "database_name": "defaultdb", "username": "app2"},
    ]
    base = {"connection_pools_project": PROJECT, "connection_pools_ca_path": pki.ca_file}
    label = f"{PROJECT}/{SERVICE}"
    steps = [
        ("check", ("--check",), dict(base, connection_pools_definitions=pinned), set(),
         [f"{label}: would create 2 (role-a, role-b)"]),
        ("apply", (), dict(base, connection_pools_definitions=pinned), {"role-a", "role-b"},
         [f"{label}: create 2 (role-a, role-b)"]),
        ("update and purge", (), dict(base, connection_pools_purge=[SERVICE],
                                      connection_pools_definitions=[dict(pinned[0], username="app2", pool_size=25)]), {"role-a"},
         [f"{label}: update 1 (role-a: ", "username app -> app2", "pool_size 10 -> 25", "delete 1 (role-b)"]),
        # include_secrets makes the role no_log by default: the pools carry URIs, the output none.
        ("include_secrets", (), dict(base, connection_pools_include_secrets=True,
                                     connection_pools_definitions=[dict(pinned[0], username="app2", pool_size=25)]), {"role-a"},
         ["total: 1 service, no change"]),
    ]
    for step, args, variables, expected, lines in steps:
        run = run_playbook(APPLY_POOLS, make_env(), extra_vars=variables, args=VERBOSE_DIFF + args)
        assert run.rc == 0, f"{step}: {run.output[-3000:]}"
        assert set(pools_on(emulator, pki.ca_file)) == expected, step
        for line in lines:
            assert line in run.output, f"{step}: no {line!r} in the output:\n{run.output[-3000:]}"
        if step != "include_secrets":
            # --diff shows the module's own diff, one block per touched pool (the module task has no no_log).
            blocks = diff_blocks(run.output)
            assert blocks and all(f"{label}/role-" in block for block in blocks), f"{step}: {blocks}"
        assert "postgres://" not in run.output, step
        assert leaked_secrets(run.output, seeded_secrets) == [], step


def test_errors_hold_no_secret(emulator, pki, make_env, seeded_secrets, tmp_path):
    wrong_token = "wrong-token-" + secrets.token_hex(12)
    not_pem = tmp_path / "not-a-ca.pem"
    not_pem.write_text("not a certificate\n", encoding="utf-8")
    # An existing pinned pool whose update fails: its URI (with the password) must not reach the error.
    pinned = "err-pinned"
    if pinned not in pools_on(emulator, pki.ca_file, FAULTY_SERVICE):
        response = emulator.session.post(f"{emulator.url}/v1/project/{PROJECT}/service/{FAULTY_SERVICE}/connection_pool",
                                         json={"pool_name": pinned, "database": "appdb", "username": "app"},
                                         headers={"Authorization": f"aivenv1 {TOKEN}"}, verify=pki.ca_file, timeout=30)
        response.raise_for_status()
    # A proxy or backend that echoes the Authorization header in its error message.
    echo = f"upstream rejected Authorization: aivenv1 {TOKEN}"
    emulator.add_faults([
        # Both attempts of the read (api_retries: 1), then the service reads fine for the update below.
        {"method": "GET", "path": f"/service/{FAULTY_SERVICE}$", "status": 503, "message": echo, "times": 2},
        {"method": "PUT", "path": f"/service/{FAULTY_SERVICE}/connection_pool/{pinned}$", "status": 500, "message": echo},
    ])
    run = run_playbook(os.path.join(PLAYBOOKS, "secrets_errors.yml"), make_env(), args=VERBOSE_DIFF, extra_vars={
        "ca_path": pki.ca_file, "project": PROJECT, "service_name": SERVICE, "faulty_service": FAULTY_SERVICE,
        "wrong_token": wrong_token, "pinned_pool": pinned, "closed_url": f"https://127.0.0.1:{_closed_port()}",
        "not_pem": str(not_pem),
    })
    assert run.rc == 0, run.output[-3000:]
    assert run.recap()["failed"] == 0 and run.output.count("...ignoring") == 7
    failures = marked_json(run.output, "ERRORS")
    assert all(item["failed"] for item in failures)
    statuses = [item.get("failure", {}).get("status") for item in failures]
    # The missing user is refused by the module after its read, before any write: no HTTP status.
    assert statuses == [401, None, 404, 503, 500, None, None]
    texts = [item["msg"] for item in failures]
    assert "Missing (expired) db token" in texts[0]
    assert failures[1]["failure"]["problems"] == [
        f"{PROJECT}/{SERVICE}/err-403: username 'ghost' is not a user of the service (users: avnadmin, app, app2)"]
    assert "pg-missing" in texts[2]
    # The echoed token is scrubbed by the module itself (Ansible's own masking would print ********).
    assert "upstream rejected Authorization: aivenv1 <redacted>" in texts[3]
    assert "upstream rejected Authorization: aivenv1 <redacted>" in texts[4]
    assert [{key: change.get(key) for key in ("project", "service_name", "pool_name", "action", "fields", "status", "message")}
            for change in failures[4]["failed_changes"]] == [
        {"project": PROJECT, "service_name": FAULTY_SERVICE, "pool_name": pinned, "action": "update", "fields": ["pool_size", "username"],
         "status": 500, "message": "upstream rejected Authorization: aivenv1 <redacted>"}]
    assert "refused" in texts[5].lower() and "gave up after 2 attempts" in texts[5]
    assert "holds no usable PEM certificate" in texts[6]
    # Both GET attempts of the 503 and both PUT attempts of the 500 reached the emulator: the faults were hit.
    log = emulator.requests_log()["log"]
    assert [e["status"] for e in log if e["path"].endswith(f"/connection_pool/{pinned}")] == [500, 500]
    assert sum(1 for e in log if e["status"] == 503) == 2
    assert "Traceback" not in run.output
    leaked = leaked_secrets(run.output, dict(seeded_secrets, **{"wrong API token": wrong_token}))
    assert leaked == []
