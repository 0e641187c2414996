"""The module run ad hoc (``ansible localhost -m ...``) with its connection from the environment only.

AIVEN_TOKEN or AIVEN_AUTH_TOKEN and AIVEN_WEB_URL stand in for api_token and api_url; a
wrong token fails at once with Aiven's 401 (not retried); no token at all fails before
any request, naming both variables.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from aiven_emulator.process import EmulatorProcess
from tests.e2e.system.drive import PROJECT, TOKEN, seed, service
from tests.support.ansible import AdhocRun, ansible_env, run_module
from tests.support.secrets import leaked_secrets, secrets_of

SERVICE = "pg-int"
POOL = "adhoc-pool"
POOL_ARGS = f"project={PROJECT} service_name={SERVICE} pool_name={POOL}"
CREATE_ARGS = f"{POOL_ARGS} database_name=appdb username=app pool_size=7"
# The pool CREATE_ARGS asks for, as a seed pool: the service is then converged with it.
EXISTING = {"pool_name": POOL, "database_name": "appdb", "username": "app", "pool_size": 7, "pool_mode": "transaction"}
# The keys of a pool in a result without include_secrets: connection details, no URI, no password.
POOL_KEYS = {"project", "service_name", "pool_name", "database_name", "username", "pool_mode", "pool_size",
             "host", "port", "dbname", "user", "sslmode"}
NO_TOKEN_MESSAGE = "no API token: set api_token, or the environment variable AIVEN_TOKEN or AIVEN_AUTH_TOKEN"


def run_adhoc(emulator: EmulatorProcess, collections_root: str, args: str,
              token_variable: Optional[str] = "AIVEN_TOKEN", token: str = TOKEN) -> AdhocRun:
    """The module with auth from the environment only (no token at all when ``token_variable`` is None)."""
    connection: Dict[str, Any] = {"AIVEN_WEB_URL": emulator.url}
    if token_variable:
        connection[token_variable] = token
    run = run_module(args, ansible_env(collections_root, connection))
    assert leaked_secrets(run.output, secrets_of(emulator.credentials, TOKEN)) == []
    return run


def test_create_with_aiven_token_and_web_url(start_emulator, collections_root):
    emulator = start_emulator(seed(service(SERVICE)))

    run = run_adhoc(emulator, collections_root, CREATE_ARGS)

    assert run.rc == 0, run.output[-3000:]
    assert run.status == "CHANGED" and run.result["changed"] is True
    pool = run.result["connection_pool"]
    assert {key: pool[key] for key in ("pool_name", "database_name", "username", "pool_size", "pool_mode")} == EXISTING
    assert set(pool) == POOL_KEYS, "connection details, and no URI or password"
    assert (pool["dbname"], pool["user"], pool["sslmode"]) == (POOL, "app", "require")
    assert pool["host"] and isinstance(pool["port"], int)
    changes = [(change["project"], change["service_name"], change["pool_name"], change["action"], change["before"],
                change["after"]["pool_size"]) for change in run.result["changes"]]
    assert changes == [(PROJECT, SERVICE, POOL, "create", None, 7)]
    assert emulator.requests_log()["by_method"] == {"GET": 2, "POST": 1}


def test_converged_with_aiven_auth_token_changes_nothing(start_emulator, collections_root):
    emulator = start_emulator(seed(service(SERVICE, pools=[EXISTING])))

    run = run_adhoc(emulator, collections_root, CREATE_ARGS, token_variable="AIVEN_AUTH_TOKEN")

    assert run.rc == 0, run.output[-3000:]
    assert run.status == "SUCCESS" and run.result["changed"] is False
    assert emulator.requests_log()["by_method"] == {"GET": 1}


def test_delete_with_aiven_token(start_emulator, collections_root):
    emulator = start_emulator(seed(service(SERVICE, pools=[EXISTING])))

    run = run_adhoc(emulator, collections_root, f"{POOL_ARGS} state=absent")

    assert run.rc == 0, run.output[-3000:]
    assert run.status == "CHANGED" and run.result["changed"] is True
    assert run.result["connection_pool"] == {}
    assert emulator.requests_log()["by_method"] == {"GET": 1, "DELETE": 1}


def test_wrong_token_fails_with_401_and_is_not_retried(start_emulator, collections_root):
    emulator = start_emulator(seed(service(SERVICE, pools=[EXISTING])))

    run = run_adhoc(emulator, collections_root, f"{POOL_ARGS} state=absent", token="not-a-token")

    assert run.rc != 0 and run.status == "FAILED"
    assert run.result["failure"]["status"] == 401
    assert "Missing (expired) db token" in run.result["msg"]
    assert emulator.requests_log()["total"] == 1, "a 401 is final: no retry"


def test_no_token_at_all_fails_naming_both_variables_before_any_request(start_emulator, collections_root):
    emulator = start_emulator(seed(service(SERVICE, pools=[EXISTING])))

    run = run_adhoc(emulator, collections_root, f"{POOL_ARGS} state=absent", token_variable=None)

    assert run.rc != 0 and run.status == "FAILED"
    assert run.result["msg"] == NO_TOKEN_MESSAGE
    assert emulator.requests_log()["total"] == 0
