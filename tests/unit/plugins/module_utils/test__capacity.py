# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The capacity arithmetic: every input of the issue (pinned, unpinned fan-out, automatic pools, the idle floor, the budget
and where it comes from, the reserve, PgBouncer's client limit, the advisories), absent fields and odd values."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.dbpools.aiven.plugins.module_utils import _capacity
from ansible_collections.dbpools.aiven.plugins.module_utils._capacity import capacity

LABEL = "acme-prod/pg-orders"
ADMIN = {"username": "avnadmin", "type": "primary"}


def document(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"plan": "startup-16", "metadata": {"max_connections": 400}, "users": [ADMIN], "databases": ["defaultdb"],
                            "node_cpu_count": 4, "node_memory_mb": 16384}
    base.update(fields)
    return base


def pool(name: str, size: int, username: str | None = "app", mode: str = "session", database: str = "defaultdb") -> dict[str, Any]:
    return {"pool_name": name, "pool_size": size, "username": username, "pool_mode": mode, "database_name": database}


def test_the_issue_s_example_line_over_budget() -> None:
    figures = capacity(LABEL, document(), [pool("a", 300), pool("b", 120)])
    assert (figures.total, figures.usable, figures.over) == (420, 397, True)
    assert figures.line() == "acme-prod/pg-orders: pools may open 420 server connections of 397 usable (max_connections 400, 3 reserved)"


def test_within_budget_is_not_over_and_says_so_the_same_way() -> None:
    figures = capacity(LABEL, document(), [pool("a", 300), pool("b", 97)])
    assert (figures.total, figures.over) == (397, False)
    assert figures.line().startswith("acme-prod/pg-orders: pools may open 397 server connections of 397 usable")


def test_the_reserve_for_direct_connections_comes_off_the_budget() -> None:
    figures = capacity(LABEL, document(), [pool("a", 390)], reserve=20)
    assert (figures.usable, figures.over) == (377, True)
    assert "(max_connections 400, 3 reserved, 20 kept for direct connections)" in figures.line()


def test_unpinned_pools_count_once_per_non_admin_user_by_default() -> None:
    users = [ADMIN, {"username": "a", "type": "normal"}, {"username": "b", "type": "normal"}, {"username": "c", "type": "normal"}]
    figures = capacity(LABEL, document(users=users), [pool("shared", 50, username=None), pool("pinned", 10)])
    assert (figures.fan_out, figures.unpinned, figures.pinned, figures.total) == (3, 150, 10, 160)
    assert figures.line().endswith("; unpinned pools counted for 3 users each")


def test_unpinned_fan_out_given_by_the_caller_and_at_least_one_user() -> None:
    assert capacity(LABEL, document(), [pool("shared", 50, username=None)], fan_out=12).unpinned == 600
    alone = capacity(LABEL, document(), [pool("shared", 50, username=None)])
    assert (alone.fan_out, alone.unpinned) == (1, 50)
    assert alone.line().endswith("counted for 1 user each")


@pytest.mark.parametrize(("fields", "expected"), [
    ({"metadata": {"max_connections": 250}, "user_config": {"pg": {"max_connections": 150}}}, (250, "metadata")),
    ({"metadata": {}, "user_config": {"pg": {"max_connections": 150}}}, (150, "user_config")),
    ({"metadata": {}, "plan": "business-8"}, (200, "plan")),
    ({"metadata": None, "plan": "premium-64"}, (1000, "plan")),
    ({"metadata": {}, "plan": "startup-120"}, (1000, "plan")),
    ({"metadata": {}, "plan": "startup-4"}, (100, "plan")),
    ({"metadata": {}, "plan": "hobbyist"}, (25, "plan")),
    ({"metadata": {}, "plan": "free-1"}, (20, "plan")),
    ({"metadata": {}, "plan": "developer-1"}, (15, "plan")),
    ({"metadata": {}, "plan": "custom-2"}, (None, "unknown")),
    ({"metadata": {"max_connections": "400"}, "plan": None}, (None, "unknown")),
    ({"metadata": {"max_connections": True}, "plan": 7}, (None, "unknown")),
    ({"metadata": {"max_connections": -5}, "plan": "startup-4"}, (100, "plan")),
])
def test_the_budget_comes_from_the_document_then_the_override_then_the_plan(fields: dict[str, Any], expected: tuple) -> None:
    figures = capacity(LABEL, document(**fields), [pool("a", 10)])
    assert (figures.max_connections, figures.max_connections_from) == expected


def test_an_unknown_budget_is_said_never_guessed_nor_over() -> None:
    figures = capacity(LABEL, document(metadata={}, plan="custom-2"), [pool("a", 5000)])
    assert figures.usable is None and figures.over is False
    assert "max_connections is not known" in figures.line() and "usable" not in figures.line()
    assert figures.entry()["usable"] is None


def test_automatic_pools_count_for_each_database_without_a_pool_and_each_user() -> None:
    users = [ADMIN, {"username": "a", "type": "normal"}]
    fields = {"users": users, "databases": ["defaultdb", "orders", "reports"], "user_config": {"pgbouncer": {"autodb_pool_size": 5}}}
    figures = capacity(LABEL, document(**fields), [pool("o", 10, database="orders")])
    # defaultdb and reports have no pool: 2 databases x 2 users (avnadmin, a) x 5.
    assert figures.automatic == 20 and figures.total == 30


def test_automatic_pools_are_capped_per_database_and_off_at_zero() -> None:
    fields = {"databases": ["defaultdb", "x"], "users": [ADMIN, {"username": "a", "type": "normal"}],
              "user_config": {"pgbouncer": {"autodb_pool_size": 50, "autodb_max_db_connections": 60}}}
    assert capacity(LABEL, document(**fields), []).automatic == 120
    fields["user_config"] = {"pgbouncer": {"autodb_pool_size": 0}}
    assert capacity(LABEL, document(**fields), []).automatic == 0


def test_the_idle_floor_is_min_pool_size_per_pool_capped_by_its_size() -> None:
    figures = capacity(LABEL, document(user_config={"pgbouncer": {"min_pool_size": 5}}), [pool("a", 3), pool("b", 20)])
    assert figures.idle_floor == 8


@pytest.mark.parametrize(("memory_mb", "limit"), [(4096, 5000), (16384, 8000), (65536, 32000), (262144, 50000), (None, None), ("8", None)])
def test_pgbouncer_client_limit_by_memory(memory_mb: Any, limit: int | None) -> None:
    assert capacity(LABEL, document(node_memory_mb=memory_mb), []).client_limit == limit


def test_expected_clients_above_pgbouncer_s_limit_are_over_budget() -> None:
    figures = capacity(LABEL, document(node_memory_mb=4096), [pool("a", 10)], expected_clients=6000)
    assert figures.over is True
    assert figures.line().endswith("; 6000 expected clients of PgBouncer's 5000")
    assert capacity(LABEL, document(node_memory_mb=4096), [pool("a", 10)], expected_clients=5000).over is False


def test_advisories_prepared_statements_large_pools_and_transaction_pools_per_cpu() -> None:
    fields = {"user_config": {"pgbouncer": {"max_prepared_statements": 0}}, "node_cpu_count": 1}
    figures = capacity(LABEL, document(**fields), [pool("tx", 20, mode="transaction"), pool("big", 1001), pool("st", 31, mode="statement")])
    assert figures.advisories == [
        "acme-prod/pg-orders: transaction or statement pools (tx, st) while max_prepared_statements is 0: clients that prepare "
        "statements fail through them",
        "acme-prod/pg-orders/big: pool_size 1001 is above 1000, the most the Aiven operator allows",
        "acme-prod/pg-orders: transaction and statement pools may open 51 server connections on 1 CPU; such pools rarely gain "
        "from more than a few per CPU",
    ]


def test_no_advisory_for_the_defaults_even_two_pools_on_one_cpu() -> None:
    assert capacity(LABEL, document(node_cpu_count=1), [pool("tx", 10, mode="transaction"), pool("tx2", 10, mode="transaction")]).advisories == []


@pytest.mark.parametrize("odd", [{"users": "x", "databases": 5, "user_config": [], "metadata": "y"},
                                 {"users": [None, 3], "node_cpu_count": -1, "node_memory_mb": True}, {}])
def test_odd_documents_give_figures_not_tracebacks(odd: dict[str, Any]) -> None:
    figures = capacity(LABEL, odd, [pool("a", 10), {"pool_name": "b", "pool_size": "x"}, pool("c", 5, username=None)])
    assert figures.total == 15
    assert isinstance(figures.line(), str) and isinstance(figures.entry(), dict)


def test_names_from_the_api_are_printed_printable() -> None:
    fields = {"user_config": {"pgbouncer": {"max_prepared_statements": 0}}}
    figures = capacity(LABEL, document(**fields), [pool("evil\x1b[2J", 10, mode="transaction")])
    assert "\x1b" not in figures.advisories[0]


def test_the_entry_holds_every_figure_and_what_is_not_counted() -> None:
    entry = capacity(LABEL, document(), [pool("a", 10)]).entry()
    assert entry["total"] == 10 and entry["usable"] == 397 and entry["superuser_reserved"] == _capacity.SUPERUSER_RESERVED
    assert "several PgBouncer processes" in entry["not_counted"]


def test_the_report_shows_services_over_budget_or_changed_and_counts_the_rest() -> None:
    over = capacity("p/over", document(), [pool("a", 300), pool("b", 120)])
    changed = capacity("p/changed", document(), [pool("a", 10)])
    quiet = [capacity(f"p/quiet-{index}", document(), [pool("a", 10)]) for index in range(3)]
    lines = _capacity.report_lines([over, *quiet, changed], {"p/changed"})
    assert lines == [over.line() + ": over budget", changed.line(),
                     "capacity: 3 other services with unchanged pools within their connection budget "
                     "(every service's figures are in the result's capacity)"]


def test_a_converged_estate_is_one_line_and_an_empty_one_none() -> None:
    quiet = capacity("p/quiet", document(), [pool("a", 10)])
    assert _capacity.report_lines([quiet], set()) == [
        "capacity: 1 service with unchanged pools within its connection budget (every service's figures are in the result's capacity)"]
    assert _capacity.report_lines([quiet], {"p/quiet"}) == [quiet.line()]
    assert _capacity.report_lines([], {"p/quiet"}) == []
