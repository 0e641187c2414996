# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/_selection.py: the services select keeps, its entries' problems and the entries that match nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.dbpools.aiven.plugins.module_utils._selection import Entry, Selection, applied, parsed


@dataclass
class Declared:
    project: str
    service_name: str


DECLARED = [Declared("prod", "pg-a"), Declared("prod", "pg-b"), Declared("dev", "pg-a"), Declared("dev", "pg/odd")]


def selection(*entries: str, option: str = "select") -> Selection:
    chosen, problems = parsed(list(entries), option)
    assert problems == [] and chosen is not None
    return chosen


def kept(*entries: str) -> list[tuple[str, str]]:
    services, problems = applied(selection(*entries), DECLARED)
    assert problems == []
    return [(item.project, item.service_name) for item in services]


def test_a_project_keeps_its_services_and_a_service_entry_that_service_in_the_order_declared() -> None:
    assert kept("dev") == [("dev", "pg-a"), ("dev", "pg/odd")]
    assert kept("dev/pg-a", "prod/pg-b") == [("prod", "pg-b"), ("dev", "pg-a")]
    assert kept("prod", "prod/pg-a") == [("prod", "pg-a"), ("prod", "pg-b")]


def test_the_first_slash_ends_the_project_the_rest_is_the_service_name() -> None:
    assert parsed(["dev/pg/odd"])[0] == Selection((Entry("dev/pg/odd", "dev", "pg/odd"),))
    assert kept("dev/pg/odd") == [("dev", "pg/odd")]


@pytest.mark.parametrize("value", [None, []])
def test_left_out_or_empty_keeps_every_service(value: Any) -> None:
    assert parsed(value) == (None, [])
    assert applied(None, DECLARED) == (DECLARED, [])


@pytest.mark.parametrize(("value", "message"), [
    ("prod", "connection_pools_select must be a list of project or project/service_name entries, got 'prod'"),
    ({"prod": 1}, "connection_pools_select must be a list"),
    ([""], "connection_pools_select[0] must be a non-empty string (project or project/service_name), got ''"),
    ([3], "connection_pools_select[0] must be a non-empty string (project or project/service_name), got 3"),
    (["prod/"], "connection_pools_select[0]: service_name must be a string of 1 to 64 characters, got ''"),
    (["/pg-a"], "connection_pools_select[0]: project must be 1 to 63 characters of a-z, A-Z, 0-9, '_' and '-', got ''"),
    (["pr od"], "connection_pools_select[0]: project must be 1 to 63 characters"),
    (["prod/pg\n"], "connection_pools_select[0]: service_name must not contain control characters"),
])
def test_unusable_entries_are_named_as_the_caller_names_the_option(value: Any, message: str) -> None:
    chosen, problems = parsed(value, "connection_pools_select")
    assert chosen is None and len(problems) == 1 and problems[0].startswith(message), problems


def test_every_unusable_entry_at_once() -> None:
    assert [problem.split(" ", maxsplit=1)[0] for problem in parsed(["ok", "", "bad project", 4])[1]] == ["select[1]", "select[2]:", "select[3]"]


def test_an_entry_that_matches_no_declared_service_is_a_problem_naming_what_is_declared() -> None:
    services, problems = applied(selection("prod/pg-c", "prod", "staging", "pg-a", option="connection_pools_select"), DECLARED)
    assert [(item.project, item.service_name) for item in services] == [("prod", "pg-a"), ("prod", "pg-b")]
    declared = "(declared: prod/pg-a, prod/pg-b, dev/pg-a, dev/pg/odd)"
    assert problems == [
        f"connection_pools_select[0] (prod/pg-c) matches no declared service {declared}; an entry is project or project/service_name",
        f"connection_pools_select[2] (staging) matches no declared service {declared}; an entry without / is a whole project: "
        "write project/service_name for one service",
        f"connection_pools_select[3] (pg-a) matches no declared service {declared}; an entry without / is a whole project: "
        "write project/service_name for one service",
    ]


def test_the_declared_services_a_problem_names_are_bounded_and_printable() -> None:
    declared = [Declared("prod", f"pg-{index}\x1b[2J") for index in range(40)]
    (problem,) = applied(selection("prod/pg-x"), declared)[1]
    assert "\x1b" not in problem and "pg-0\\x1b[2J" in problem and "and 30 more)" in problem
    assert applied(selection("prod"), [])[1][0].startswith("select[0] (prod) matches no declared service (declared: none)")


NAMES = st.sampled_from(["prod", "dev", "pg-a", "pg-b", "pg/odd"])


@given(declared=st.lists(st.builds(Declared, st.sampled_from(["prod", "dev"]), NAMES), max_size=6),
       entries=st.lists(st.sampled_from(["prod", "dev", "prod/pg-a", "dev/pg/odd", "dev/pg-b"]), min_size=1, max_size=4))
def test_what_is_kept_is_what_some_entry_matches_and_each_entry_matches_or_is_named(declared: list, entries: list) -> None:
    chosen = selection(*entries)
    services, problems = applied(chosen, declared)
    assert services == [item for item in declared if any(entry.matches(item) for entry in chosen.entries)]
    assert len(problems) == sum(1 for entry in chosen.entries if not any(entry.matches(item) for item in declared))
