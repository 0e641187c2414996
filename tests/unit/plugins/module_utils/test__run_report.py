# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/_run_report.py: undeclared pools, the check-mode report, the change lines and counts; and the engine's undeclared pools."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.dbpools.aiven.plugins.module_utils import _run_report
from ansible_collections.dbpools.aiven.plugins.module_utils._engine import PoolEngine, ServiceDeclaration


def change(action: str, pool: str, service: str = "svc", **extra: Any) -> dict[str, Any]:
    return {"project": "proj", "service_name": service, "pool_name": pool, "action": action, **extra}


def api_pool(name: str, database: str = "appdb", size: int = 10) -> dict[str, Any]:
    return {"pool_name": name, "database": database, "username": None, "pool_mode": "transaction", "pool_size": size}


class ReadOnlyClient:
    """The reads of AivenClient over fixed service documents; any write fails the test."""

    def __init__(self, pools_by_service: dict[str, list[dict[str, Any]]]) -> None:
        self.documents = {name: {"service_name": name, "service_type": "pg", "state": "RUNNING", "plan": "startup-4",
                                 "connection_pools": pools} for name, pools in pools_by_service.items()}
        self.reads = 0

    def get_service(self, project: str, service_name: str, include_secrets: bool = False) -> dict[str, Any]:
        self.reads += 1
        return self.documents[service_name]

    def list_services(self, project: str, include_secrets: bool = False) -> list[dict[str, Any]]:
        self.reads += 1
        return list(self.documents.values())

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"check mode called {name}")


def test_undeclared_pools_are_names_only() -> None:
    assert _run_report.undeclared_pools("proj", "svc", ["a", "b"]) == [
        {"project": "proj", "service_name": "svc", "pool_name": "a"}, {"project": "proj", "service_name": "svc", "pool_name": "b"}]
    assert _run_report.undeclared_pools("proj", "svc", []) == []


def test_report_sorts_creates_updates_and_deletes_of_declared_and_undeclared_pools() -> None:
    changes = [change("create", "new"), change("update", "resized", fields=["pool_size"]), change("delete", "declared-absent"),
               change("delete", "stray")]
    undeclared = [{"project": "proj", "service_name": "svc", "pool_name": "stray"},
                  {"project": "proj", "service_name": "other", "pool_name": "kept"}]
    assert _run_report.report(changes, undeclared) == {
        "missing": ["proj/svc/new"],
        "undeclared": ["proj/other/kept", "proj/svc/stray"],
        "differing": ["proj/svc/declared-absent", "proj/svc/resized"],
    }


def test_report_labels_show_api_names_printable() -> None:
    undeclared = [{"project": "proj", "service_name": "svc", "pool_name": "evil\x1b[31m\nname"}]
    labels = _run_report.report([], undeclared)["undeclared"]
    assert labels == ["proj/svc/evil\\x1b[31m\\nname"]
    assert not any(character in labels[0] for character in "\x1b\n")


def test_summary_counts_each_action() -> None:
    changes = [change("create", "a"), change("create", "b"), change("delete", "c")]
    assert _run_report.summary(2, 5, changes) == {"services": 2, "pools": 5, "created": 2, "updated": 0, "deleted": 1}


def test_change_lines_name_every_pool_per_service_then_a_total() -> None:
    changes = [
        change("create", "app"),
        change("update", "resize", fields=["pool_size", "username"], before={"pool_size": 10, "username": "x"},
               after={"pool_size": 20, "username": None}),
        change("delete", "old\x07", service="other"),
    ]
    assert _run_report.change_lines(changes, 3, check_mode=False) == [
        "proj/svc: create 1 (app), update 1 (resize: pool_size 10 -> 20, username x -> null)",
        "proj/other: delete 1 (old\\x07)",
        "total: 3 services, create 1, update 1, delete 1",
    ]


@pytest.mark.parametrize(("services", "check_mode", "total"), [
    (1, False, "total: 1 service, no change"), (0, True, "total: 0 services, no change"),
])
def test_change_lines_without_changes(services: int, check_mode: bool, total: str) -> None:
    assert _run_report.change_lines([], services, check_mode) == [total]


def test_change_lines_in_check_mode_say_would() -> None:
    assert _run_report.change_lines([change("delete", "old")], 1, check_mode=True) == [
        "proj/svc: would delete 1 (old)", "total: 1 service, would create 0, update 0, delete 1"]


@pytest.mark.parametrize("purge", [False, True])
def test_engine_returns_the_undeclared_pools_of_every_service_with_or_without_purge(purge: bool) -> None:
    client = ReadOnlyClient({"svc": [api_pool("app"), api_pool("stray"), api_pool("gone")], "other": [api_pool("kept")]})
    declared = [
        ServiceDeclaration("proj", "svc", [{"pool_name": "app", "database_name": "appdb"}, {"pool_name": "gone", "state": "absent"}],
                           purge=purge),
        ServiceDeclaration("proj", "other", [{"pool_name": "kept"}]),
    ]
    result = PoolEngine(client).run(declared, check_mode=True)  # type: ignore[arg-type]
    assert result.undeclared_pools == [{"project": "proj", "service_name": "svc", "pool_name": "stray"}]
    deletes = sorted(entry["pool_name"] for entry in result.changes if entry["action"] == "delete")
    assert deletes == (["gone", "stray"] if purge else ["gone"])
    # The declared-absent pool differs; the purged one is undeclared, whether purge is on or not.
    assert _run_report.report(result.changes, result.undeclared_pools) == {
        "missing": [], "undeclared": ["proj/svc/stray"], "differing": ["proj/svc/gone"]}
    assert client.reads == 1


def pool(project: str, service: str, name: str) -> dict[str, Any]:
    return {"project": project, "service_name": service, "pool_name": name, "pool_size": 10}


def test_role_result_holds_the_pools_by_name_and_the_report_only_when_given() -> None:
    pools = [pool("proj", "svc", "a"), pool("other", "svc", "a")]
    counts = {"services": 2, "pools": 2, "created": 0, "updated": 0, "deleted": 0}
    shaped = _run_report.role_result(pools, [], counts, None)
    assert shaped == {"pools": pools, "changes": [], "summary": counts,
                      "by_name": {"proj/svc/a": pools[0], "other/svc/a": pools[1]}, "set_aside": [],
                      "database_changes": [], "user_changes": []}
    aside = [{"project": "proj", "service_name": "off", "reason": "powered_off", "message": "proj/off is powered off"}]
    assert _run_report.role_result(pools, [], counts, None, aside)["set_aside"] == aside
    checked = _run_report.role_result(pools, [], counts, {"missing": [], "undeclared": [], "differing": []})
    assert checked["report"] == {"missing": [], "undeclared": [], "differing": []}


def test_drift_message_is_none_when_nothing_differs() -> None:
    assert _run_report.drift_message({"missing": [], "undeclared": [], "differing": []}) is None


def test_drift_message_names_every_difference_once_by_kind() -> None:
    found = {"missing": ["p/s/new"], "undeclared": ["p/s/old", "p/t/stray"], "differing": ["p/s/grown"]}
    message = _run_report.drift_message(found)
    assert message == ("drift: 4 differences from the declaration; missing (declared, do not exist): p/s/new; "
                       "undeclared (exist, not declared): p/s/old, p/t/stray; differing (exist with other settings): p/s/grown")
    for name in ("p/s/new", "p/s/old", "p/t/stray", "p/s/grown"):
        assert message.count(name) == 1


def test_drift_message_leaves_out_kinds_without_differences() -> None:
    assert _run_report.drift_message({"missing": [], "undeclared": [], "differing": ["p/s/x"]}) == (
        "drift: 1 difference from the declaration; differing (exist with other settings): p/s/x")
