# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the filter dbpools.aiven.pool_definitions."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.dbpools.aiven.plugins.filter.pool_definitions import FilterModule, pool_definitions
from ansible_collections.dbpools.aiven.plugins.filter.pools_by_service import pools_by_service
from ansible_collections.dbpools.aiven.tests.unit.plugins.filter.json_like import NAMES, json_like, result_or_filter_error, shaped


def info_pool(project: str, service: str, name: str, username: str | None = None, **settings) -> dict:
    """A pool as aiven_connection_pool_info returns it, secrets included."""
    pool = {"project": project, "service_name": service, "pool_name": name, "database_name": "appdb", "username": username,
            "pool_mode": "transaction", "pool_size": 10, "host": "pg.example.com", "port": 12692, "dbname": name,
            "user": username or "", "password": "S3cret", "sslmode": "require",
            "uri": f"postgres://x:S3cret@pg.example.com:12692/{name}", "connection_uri": "postgres://x:S3cret@pg.example.com/x"}
    pool.update(settings)
    return pool


def test_registered_under_its_name():
    assert FilterModule().filters() == {"pool_definitions": pool_definitions}


def test_settings_only_sorted_and_unpinned_pools_without_username():
    pools = [info_pool("prod", "pg-b", "z", pool_size=3), info_pool("prod", "pg-a", "b", "app", pool_mode="session"),
             info_pool("prod", "pg-a", "a")]
    assert pool_definitions(pools) == [
        {"project": "prod", "service_name": "pg-a", "pool_name": "a", "database_name": "appdb", "pool_mode": "transaction", "pool_size": 10},
        {"project": "prod", "service_name": "pg-a", "pool_name": "b", "database_name": "appdb", "username": "app",
         "pool_mode": "session", "pool_size": 10},
        {"project": "prod", "service_name": "pg-b", "pool_name": "z", "database_name": "appdb", "pool_mode": "transaction", "pool_size": 3},
    ]


def test_no_secret_or_connection_detail_leaves_the_filter():
    text = repr(pool_definitions([info_pool("prod", "pg-a", "a", "app")]))
    for secret_or_detail in ("S3cret", "postgres://", "pg.example.com", "12692"):
        assert secret_or_detail not in text


def test_project_argument_leaves_out_that_project_only_and_sorts_by_full_identity():
    pools = [info_pool("staging", "pg-a", "a"), info_pool("prod", "pg-z", "a"), info_pool("prod", "pg-a", "a")]
    definitions = pool_definitions(pools, project="prod")
    assert [(entry.get("project"), entry["service_name"]) for entry in definitions] == [(None, "pg-a"), (None, "pg-z"), ("staging", "pg-a")]


def test_the_role_grouping_accepts_the_definitions_as_they_are():
    definitions = pool_definitions([info_pool("prod", "pg-a", "a"), info_pool("staging", "pg-a", "b", "app")], project="prod")
    grouped = pools_by_service(definitions, project="prod")
    assert [(group["project"], group["service_name"], [pool["pool_name"] for pool in group["pools"]]) for group in grouped] == [
        ("prod", "pg-a", ["a"]), ("staging", "pg-a", ["b"])]
    assert grouped[1]["pools"][0]["username"] == "app"


def error_of(pools, **kwargs) -> str:
    with pytest.raises(AnsibleFilterError) as caught:
        pool_definitions(pools, **kwargs)
    return str(caught.value)


@pytest.mark.parametrize("pools, expected", [
    ("not a list", "pool_definitions: pools must be a list (the connection_pools of aiven_connection_pool_info), got str"),
    ([["a"]], "pool_definitions: pools[0] must be a dictionary (a pool of the info module), got list"),
    ([{"project": "prod", "service_name": "pg-a", "pool_name": "a"}], "pool_definitions: pools[0] (prod/pg-a/a) has no usable database_name"),
    ([{"pool_name": "a", "database_name": "db"}], "pool_definitions: pools[0] (a) has no usable project, service_name"),
    ([info_pool("prod", "pg-a", "a"), info_pool("prod", "pg-a", 5)], "pool_definitions: pools[1] (prod/pg-a) has no usable pool_name"),
    ([info_pool("prod", "pg-a", "a", pool_size="10")], "pool_definitions: pools[0] (prod/pg-a/a): pool_size must be an integer or null, got '10'"),
    ([info_pool("prod", "pg-a", "a", pool_size=True)], "pool_definitions: pools[0] (prod/pg-a/a): pool_size must be an integer or null, got True"),
    ([info_pool("prod", "pg-a", "a", username=["app"])], "pool_definitions: pools[0] (prod/pg-a/a): username must be a string or null, got ['app']"),
    ([info_pool("prod", "pg-a", "a", pool_mode=1)], "pool_definitions: pools[0] (prod/pg-a/a): pool_mode must be a string or null, got 1"),
])
def test_items_that_are_not_pools_fail_naming_the_item(pools, expected):
    assert error_of(pools).startswith(expected)


def test_a_pool_listed_twice_fails_naming_both():
    assert error_of([info_pool("prod", "pg-a", "a"), info_pool("prod", "pg-b", "a"), info_pool("prod", "pg-a", "a")]) == (
        "pool_definitions: pools[2] (prod/pg-a/a) is listed twice, also as pools[0]")


def test_project_must_be_a_string():
    assert error_of([], project=["prod"]) == "pool_definitions: project must be a string, got list"


def test_names_from_the_api_are_shown_printable_in_messages():
    message = error_of([info_pool("prod", "pg\x1b[2J", "a\nb", database_name=None)])
    assert message.startswith("pool_definitions: pools[0] (prod/pg\\x1b[2J/a\\nb) has no usable database_name")


WORDS = ("project", "service_name", "pool_name", "database_name", "username", "pool_mode", "pool_size", "prod", "pg-a", "app")
POOL_KEYS = {"project": NAMES, "service_name": NAMES, "pool_name": NAMES, "database_name": NAMES, "username": NAMES | st.none(),
             "pool_mode": NAMES | st.none(), "pool_size": st.integers() | st.none()}


@given(pools=json_like(WORDS) | shaped(POOL_KEYS, WORDS), project=json_like(WORDS))
def test_property_any_input_gives_definitions_or_a_filter_error(pools, project):
    definitions = result_or_filter_error("pool_definitions", lambda: pool_definitions(pools, project=project))
    if definitions is not None:
        assert len(definitions) == len(pools)
        assert all(isinstance(entry["pool_name"], str) for entry in definitions)
