# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the filter dbpools.aiven.pool_report."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.dbpools.aiven.plugins.filter.pool_report import FilterModule, pool_report
from ansible_collections.dbpools.aiven.tests.unit.plugins.filter.json_like import NAMES, json_like, result_or_filter_error, shaped
from ansible_collections.dbpools.aiven.tests.unit.plugins.text_checks import has_control


def change(service: str, pool: str, action: str) -> dict:
    return {"project": "prod", "service_name": service, "pool_name": pool, "action": action, "before": None, "after": None}


def service(name: str, pools: list[str], purge: bool = False) -> dict:
    return {"project": "prod", "service_name": name, "purge": purge, "allow_empty": False, "pools": [{"pool_name": pool} for pool in pools]}


def test_registered_under_its_name():
    assert FilterModule().filters() == {"pool_report": pool_report}


def test_sorts_changes_into_the_report():
    changes = [change("pg-a", "new", "create"), change("pg-a", "resized", "update"), change("pg-a", "zombie", "delete"),
               change("pg-a", "legacy", "delete"), change("pg-b", "extra", "delete")]
    result = pool_report(changes, [service("pg-a", ["new", "resized", "zombie"]), service("pg-b", [], purge=True)])
    assert result["report"] == {"missing": ["prod/pg-a/new"], "undeclared": ["prod/pg-a/legacy", "prod/pg-b/extra"],
                                "differing": ["prod/pg-a/resized", "prod/pg-a/zombie"]}
    # pg-a is not purged by the declaration: its undeclared pool stays out of what a real run would change.
    assert [item["pool_name"] for item in result["changes"]] == ["new", "resized", "zombie", "extra"]


def test_nothing_to_report():
    assert pool_report([], [service("pg-a", ["app"])]) == {"report": {"missing": [], "undeclared": [], "differing": []}, "changes": []}


ACTIONS = ("create", "update", "delete")
OK_CHANGE = change("pg-a", "app", "update")
OK_SERVICE = service("pg-a", ["app"])


@pytest.mark.parametrize("changes, services, expected", [
    ("x", [], "pool_report: changes must be a list (the changes of aiven_connection_pool), got str"),
    ([], "x", "pool_report: services must be a list (the output of pools_by_service), got str"),
    ([], ["x"], "pool_report: services[0] must be a dictionary (a service of pools_by_service), got str"),
    (["x"], [], "pool_report: changes[0] must be a dictionary (a change of aiven_connection_pool), got str"),
    ([OK_CHANGE, OK_CHANGE, OK_CHANGE, dict(OK_CHANGE, pool_name=3)], [OK_SERVICE], "pool_report: changes[3].pool_name must be a string, got int"),
    ([dict(OK_CHANGE, project=None)], [OK_SERVICE], "pool_report: changes[0].project must be a string, got NoneType"),
    ([dict(OK_CHANGE, action="drop")], [OK_SERVICE], "pool_report: changes[0].action must be one of create, update, delete, got 'drop'"),
    ([OK_CHANGE], [OK_SERVICE, dict(OK_SERVICE, pools=["app"])],
     "pool_report: services[1].pools[0] must be a dictionary (a pool definition), got str"),
    ([OK_CHANGE], [dict(OK_SERVICE, pools={"pool_name": "app"})], "pool_report: services[0].pools must be a list (of pool definitions), got dict"),
    ([OK_CHANGE], [dict(OK_SERVICE, pools=[{"pool_name": ["app"]}])], "pool_report: services[0].pools[0].pool_name must be a string, got list"),
    ([OK_CHANGE], [dict(OK_SERVICE, service_name=5)], "pool_report: services[0].service_name must be a string, got int"),
    ([OK_CHANGE], [dict(OK_SERVICE, purge="yes")], "pool_report: services[0].purge must be a boolean, got 'yes'"),
])
def test_wrong_inputs_fail_naming_the_place(changes, services, expected):
    with pytest.raises(AnsibleFilterError) as caught:
        pool_report(changes, services)
    assert str(caught.value) == expected


def test_a_service_without_pools_declares_none():
    assert pool_report([change("pg-a", "x", "delete")], [dict(service("pg-a", []), pools=None)])["report"]["undeclared"] == ["prod/pg-a/x"]


def test_names_from_the_api_are_reported_without_control_characters():
    # Undeclared pools are named by the API; the role prints the report.
    result = pool_report([change("pg-a", "\x1b[2Jx\ny", "delete")], [service("pg-a", [], purge=True)])
    assert result["report"]["undeclared"] == ["prod/pg-a/\\x1b[2Jx\\ny"]
    # The changes are data, handed on as they came.
    assert result["changes"][0]["pool_name"] == "\x1b[2Jx\ny"


WORDS = ("project", "service_name", "pool_name", "action", "purge", "pools", "allow_empty") + ACTIONS + ("prod", "pg-a", "app")
CHANGE_KEYS = {"project": NAMES, "service_name": NAMES, "pool_name": NAMES, "action": st.sampled_from(ACTIONS)}
SERVICE_KEYS = {"project": NAMES, "service_name": NAMES, "purge": st.booleans(),
                "pools": st.lists(st.fixed_dictionaries({"pool_name": NAMES}), max_size=3)}


@given(changes=json_like(WORDS) | shaped(CHANGE_KEYS, WORDS), services=json_like(WORDS) | shaped(SERVICE_KEYS, WORDS))
def test_property_any_input_gives_a_report_or_a_filter_error(changes, services):
    result = result_or_filter_error("pool_report", lambda: pool_report(changes, services))
    if result is not None:
        assert set(result) == {"report", "changes"}
        labels = [label for labels in result["report"].values() for label in labels]
        assert all(isinstance(label, str) and not has_control(label) for label in labels)
        assert all(item in changes for item in result["changes"])
