# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the filter dbpools.aiven.pool_report."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.dbpools.aiven.plugins.filter.pool_report import FilterModule, pool_report


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


@pytest.mark.parametrize("changes, services, expected", [
    ("x", [], "changes must be a list"),
    ([], "x", "services must be the list"),
    ([], ["x"], "each service must be a dictionary"),
    (["x"], [], "each change must be a dictionary"),
])
def test_wrong_inputs_fail(changes, services, expected):
    with pytest.raises(AnsibleFilterError, match=expected):
        pool_report(changes, services)
