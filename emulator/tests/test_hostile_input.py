"""Whatever clients send, the emulator answers in Aiven's error shape, never with a 500."""

from __future__ import annotations

import json

from harness import PROJECT, Api
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=80),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
POOL_KEYS = st.sampled_from(["pool_name", "database", "pool_mode", "pool_size", "username", "extra"])
POOL_BODIES = st.dictionaries(POOL_KEYS, JSON_VALUES, max_size=6) | JSON_VALUES
PATH_TEXT = st.text(min_size=1, max_size=70)

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _assert_aiven_shape(reply):
    assert reply.status_code < 500, reply.text
    if reply.status_code >= 400:
        body = reply.json()
        assert isinstance(body["message"], str) and body["errors"][0]["status"] == reply.status_code


@FUZZ
@given(body=POOL_BODIES)
def test_create_with_any_json_body(api: Api, body):
    reply = api.call("POST", f"/project/{PROJECT}/service/pg-cycle/connection_pool", body)
    _assert_aiven_shape(reply)
    if reply.status_code == 200:
        api.call("DELETE", f"/project/{PROJECT}/service/pg-cycle/connection_pool/{body['pool_name']}")


@FUZZ
@given(body=POOL_BODIES)
def test_update_with_any_json_body(api: Api, body):
    _assert_aiven_shape(api.call("PUT", f"/project/{PROJECT}/service/pg-main/connection_pool/seeded", body))
    api.call("PUT", f"/project/{PROJECT}/service/pg-main/connection_pool/seeded",
             {"database": "appdb", "username": "app", "pool_size": 5, "pool_mode": "transaction"})


@FUZZ
@given(project=PATH_TEXT, service=PATH_TEXT, pool=PATH_TEXT)
def test_any_path_segments(api: Api, project, service, pool):
    from urllib.parse import quote

    path = f"/project/{quote(project, safe='')}/service/{quote(service, safe='')}/connection_pool/{quote(pool, safe='')}"
    _assert_aiven_shape(api.call("DELETE", path))
    _assert_aiven_shape(api.call("GET", f"/project/{quote(project, safe='')}/service/{quote(service, safe='')}"))


@FUZZ
@given(raw=st.binary(max_size=200))
def test_any_bytes_as_body(api: Api, raw):
    reply = api.call("POST", f"/project/{PROJECT}/service/pg-main/connection_pool", data=raw, headers={"Content-Type": "application/json"})
    _assert_aiven_shape(reply)
    if reply.status_code == 200:
        api.call("DELETE", f"/project/{PROJECT}/service/pg-main/connection_pool/{json.loads(raw)['pool_name']}")


def test_oversized_body_is_refused_in_shape(api: Api):
    reply = api.call("POST", f"/project/{PROJECT}/service/pg-main/connection_pool", data=b"{" + b" " * (3 * 1024 * 1024) + b"}",
                     headers={"Content-Type": "application/json"})
    assert reply.status_code == 413
    _assert_aiven_shape(reply)
