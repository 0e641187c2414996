# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the filter dbpools.aiven.pool_definitions."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.dbpools.aiven.plugins.filter.pool_definitions import FilterModule, pool_definitions
from ansible_collections.dbpools.aiven.plugins.filter.pools_by_service import pools_by_service


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


@pytest.mark.parametrize("pools, expected", [
    ("not a list", "expects a list of pools, got str"),
    ([["a"]], "item 0 must be a dictionary"),
    ([{"project": "prod", "service_name": "pg-a", "pool_name": "a"}], "item 0 (prod/pg-a/a) has no usable database_name"),
    ([{"pool_name": "a", "database_name": "db"}], "item 0 (a) has no usable project, service_name"),
])
def test_items_that_are_not_pools_fail_naming_the_item(pools, expected):
    with pytest.raises(AnsibleFilterError) as caught:
        pool_definitions(pools)
    assert expected in str(caught.value)


def test_a_pool_listed_twice_fails():
    with pytest.raises(AnsibleFilterError, match="pool prod/pg-a/a is listed twice"):
        pool_definitions([info_pool("prod", "pg-a", "a"), info_pool("prod", "pg-a", "a")])


def test_project_must_be_a_string():
    with pytest.raises(AnsibleFilterError, match="project must be a string"):
        pool_definitions([], project=["prod"])
