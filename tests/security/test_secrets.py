"""No token and no password in diffs, errors or -vvvv output; connection URIs only in module results.

Playbooks run with ``--diff -vvvv`` against the HTTPS emulator; the whole output is scanned
with the secret scan of tools/run-integration.py for the API token and every seeded password.
"""

from __future__ import annotations

import json
import os
import secrets
import socket

import pytest

from tests.playbook import APPLY_POOLS, run_playbook
from tests.security.ansible_runs import marked_json, printed_var
from tests.security.secret_scan import diff_blocks, leaked_secrets
from tests.security.world import FAULTY_SERVICE, PROJECT, SERVICE, TOKEN, pools_on

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

    # The diff values the modules returned: per pool, before/after, no URI, no password.
    diffs = marked_json(run.output, "DIFFS")
    touched = [sorted(set(diff["before"]) | set(diff["after"])) for diff in diffs]
    assert touched == [["sec-a"], ["sec-a"], ["sec-b", "sec-c", "sec-d"], ["sec-a"], ["sec-a"], ["sec-a"],
                       ["sec-b", "sec-c"], ["sec-b", "sec-c"]]
    assert diffs[4]["before"]["sec-a"]["username"] == "app" and diffs[4]["after"]["sec-a"]["username"] == "app2"
    assert diffs[1]["after"]["sec-a"]["host"], "the diff shows the pool's host"
    serialised = json.dumps(diffs)
    assert "connection_uri" not in serialised and "postgres://" not in serialised
    assert leaked_secrets(serialised, seeded_secrets) == []

    # The diffs as Ansible printed them.
    blocks = diff_blocks(run.output)
    assert len(blocks) == 8
    assert all("sec-" in block for block in blocks)
    assert leaked_secrets("".join(blocks), seeded_secrets) == []

    # -vvvv prints the results, whose URIs hold the pinned users' passwords: by design, and only there.
    assert leaked_secrets(run.output, seeded_secrets, allow_connection_uris=True) == []
    assert f"password of {PROJECT}/{SERVICE}/app" in leaked_secrets(run.output, seeded_secrets), \
        "the scan must see the URIs in the results (or it proves nothing)"


def test_role_output_holds_no_secret_at_all(clean_service, pki, make_env, seeded_secrets):
    """The role's default (connection_pools_no_log: true) keeps even the URIs out of -vvvv output; its diff is shown."""
    emulator = clean_service
    pinned = [
        {"service_name": SERVICE, "pool_name": "role-a", "database_name": "appdb", "username": "app"},
        {"service_name": SERVICE, "pool_name": "role-b", "database_name": "defaultdb", "username": "app2"},
    ]
    base = {"connection_pools_project": PROJECT, "connection_pools_ca_path": pki.ca_file}
    steps = [
        ("check", ("--check",), dict(base, connection_pools_definitions=pinned), set()),
        ("apply", (), dict(base, connection_pools_definitions=pinned), {"role-a", "role-b"}),
        ("update and purge", (), dict(base, connection_pools_purge=[SERVICE],
                                      connection_pools_definitions=[dict(pinned[0], username="app2", pool_size=25)]), {"role-a"}),
    ]
    for step, args, variables, expected in steps:
        run = run_playbook(APPLY_POOLS, make_env(), extra_vars=variables, args=VERBOSE_DIFF + args)
        assert run.rc == 0, f"{step}: {run.output[-3000:]}"
        assert set(pools_on(emulator, pki.ca_file)) == expected, step
        # The modules' diffs are hidden with their results (no_log); the role prints them itself.
        (report,) = printed_var(run.output, "__connection_pools_chunk_diffs")
        assert [entry["service"] for entry in report] == [f"{PROJECT}/{SERVICE}"], step
        before, after = report[0]["before"], report[0]["after"]
        assert set(before) | set(after) == {"role-a", "role-b"}, step
        if step == "update and purge":
            assert (before["role-a"]["username"], after["role-a"]["username"], "role-b" in after) == ("app", "app2", False)
        assert "connection_uri" not in json.dumps(report), step
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
    assert statuses == [401, 403, 404, 503, 500, None, None]
    texts = [item["msg"] for item in failures]
    assert "Missing (expired) db token" in texts[0]
    assert "ghost" in texts[1] and "pg-missing" in texts[2]
    # The echoed token is scrubbed by the module itself (Ansible's own masking would print ********).
    assert "upstream rejected Authorization: aivenv1 <redacted>" in texts[3]
    assert "upstream rejected Authorization: aivenv1 <redacted>" in texts[4]
    assert failures[4]["failed_changes"] == [{"pool_name": pinned, "action": "update", "fields": ["pool_size", "username"],
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
