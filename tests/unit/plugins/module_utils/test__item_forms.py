# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The forms shared by aiven_pg_database and aiven_pg_user: one item, a list for a service, or services."""

from __future__ import annotations

from typing import Any

from ansible_collections.dbpools.aiven.plugins.module_utils import _item_forms

BASE = {"project": "proj", "service_name": None, "services": None, "things": None, "allow_in_use": False}


def no_problems(items: Any, where: str | None, label: str) -> list[str]:
    return []


def named_problems(items: Any, where: str | None, label: str) -> list[str]:
    return [f"{label}: {where or 'single'} has {len(items)}"]


def test_a_dict_or_a_string_ansible_reads_as_one() -> None:
    assert _item_forms.is_dict({"a": 1}) and _item_forms.is_dict("a=1")
    assert not _item_forms.is_dict(5) and not _item_forms.is_dict(["a"])
    assert _item_forms.all_dicts([{"a": 1}, "b=2"]) and not _item_forms.all_dicts("a=1") and not _item_forms.all_dicts([{}, 3])


def test_lists_with_an_item_that_is_no_dict_are_taken_as_given() -> None:
    spec = {"things": {"type": "list"}, "services": {"type": "list"}}
    assert _item_forms.lists_taken_as_given(dict(spec), {"things": [{"a": 1}]}, "things") == spec
    assert _item_forms.lists_taken_as_given(dict(spec), {"things": [3]}, "things")["things"] == {"type": "raw"}
    taken = _item_forms.lists_taken_as_given(dict(spec), {"services": [{"service_name": "s", "things": ["x"]}]}, "things")
    assert taken["services"] == {"type": "raw"} and taken["things"] == {"type": "list"}


def test_the_shape_of_services_is_named_without_showing_values() -> None:
    assert _item_forms.services_shape_problem("secret-ish", "things") == "services must be a list, got a str"
    assert _item_forms.services_shape_problem([{"things": "p4ss"}], "things") == "services[0].things must be a list, got a str"
    assert _item_forms.services_shape_problem([{"things": None}, {}], "things") is None


def test_the_three_forms_give_one_declaration_per_service() -> None:
    single, problems = _item_forms.declarations(dict(BASE, service_name="pg"), "things", [], {"name": "a"}, named_problems)
    assert [(item.label, item.items, item.where, item.option) for item in single] == [("proj/pg", [{"name": "a"}], None, "allow_in_use")]
    assert problems == ["proj/pg: single has 1"]
    listed, _problems = _item_forms.declarations(dict(BASE, service_name="pg", things=[{}, {}]), "things", [], {}, no_problems)
    assert listed[0].where == "things" and len(listed[0].items) == 2
    services = [{"service_name": "a", "things": [{}]}, {"project": "other", "service_name": "b", "allow_in_use": True}]
    many, problems = _item_forms.declarations(dict(BASE, services=services), "things", [], {}, no_problems)
    assert [(item.label, item.allow_in_use, item.option) for item in many] == [
        ("proj/a", False, "services[0].allow_in_use"), ("other/b", True, "services[1].allow_in_use")]
    assert problems == []


def test_a_service_declared_twice_and_form_problems_are_named() -> None:
    services = [{"service_name": "a"}, {"service_name": "a"}]
    _declared, problems = _item_forms.declarations(dict(BASE, services=services), "things", [], {}, no_problems)
    assert problems == ["proj/a: declared more than once (services[0] and services[1]); declare each service once with all its things"]
    declared, problems = _item_forms.declarations(BASE, "things", ["service_name required"], {}, no_problems)
    assert (declared, problems) == ([], ["service_name required"])
