# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The three forms of the modules that manage what a service holds besides its pools (aiven_pg_database, aiven_pg_user).

One item (its options at the top level), a list for one service (``databases``, ``users``), or ``services``, each
with its list: parsed into one declaration per service, with every rule the forms break found before any request.
What differs between the modules (the list's name, the single item, the checks of an item) is passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from ansible.module_utils.common.validation import check_type_dict

from ansible_collections.dbpools.aiven.plugins.module_utils._ansible_module import AivenModule
from ansible_collections.dbpools.aiven.plugins.module_utils._declaration_rules import (
    identity_problems,
    item_project,
    service_label,
    services_project_problem,
)
from ansible_collections.dbpools.aiven.plugins.module_utils._text import MESSAGE_MAX, printable


def is_dict(item: object) -> bool:
    """A dict, or a string Ansible turns into one."""
    if isinstance(item, str):
        try:
            item = check_type_dict(item)
        except (TypeError, ValueError):
            return False
    return isinstance(item, Mapping)


def all_dicts(items: object) -> bool:
    return isinstance(items, list) and all(is_dict(item) for item in items)


def lists_taken_as_given(spec: dict, raw: Mapping[str, Any], list_key: str) -> dict:
    """``spec`` with ``list_key`` or ``services`` taken as they are (type raw) when an item of them is no dict.

    ansible-core gives up collecting the no_log values when an item of a list of sub-options is no dict, and its
    failure would then show api_token in the result's invocation. Taken as they are, such values reach the module's
    own checks, which name the item.
    """
    if raw.get(list_key) is not None and not all_dicts(raw[list_key]):
        spec[list_key] = {"type": "raw"}
    services = raw.get("services")
    if services is not None and not (all_dicts(services) and all(
            not isinstance(item, Mapping) or item.get(list_key) is None or all_dicts(item[list_key]) for item in services)):
        spec["services"] = {"type": "raw"}
    return spec


class Declared:
    """One service's declaration: its identity, its items and whether pools may lose what they use."""

    def __init__(self, project: Any, service_name: Any, items: Any, allow_in_use: bool, where: str | None, option: str) -> None:
        self.project = project
        self.service_name = service_name
        self.items = items
        self.allow_in_use = allow_in_use
        # How messages name the list (None: the single form, whose options are named alone) and allow_in_use.
        self.where = where
        self.option = option

    @property
    def label(self) -> str:
        return service_label(self.project, self.service_name)


def services_shape_problem(services: object, list_key: str) -> str | None:
    """Why services taken as it is is no list of dicts with lists of dicts; values are never shown (they may be secrets)."""
    if not isinstance(services, list):
        return f"services must be a list, got a {type(services).__name__}"
    for index, item in enumerate(services):
        if not isinstance(item, Mapping):
            return f"services[{index}] must be a dictionary, got a {type(item).__name__}"
        if not isinstance(item.get(list_key, []), (list, type(None))):
            return f"services[{index}].{list_key} must be a list, got a {type(item[list_key]).__name__}"
    return None


def declarations(params: dict, list_key: str, form_problems: list[str], single_item: dict[str, Any],
                 item_problems: Callable[[Any, str | None, str], list[str]]) -> tuple[list[Declared], list[str]]:
    """The three forms as one declaration per service, and every rule they break (checked before any request).

    ``form_problems`` are the module's own (options given beside the form that does not take them); ``single_item``
    the item of the single form; ``item_problems(items, where, service_label)`` checks a service's items.
    """
    if form_problems:
        return [], list(form_problems)
    if params["services"] is not None:
        problem = services_shape_problem(params["services"], list_key) or services_project_problem(params["services"], params["project"])
        if problem:
            return [], [problem]
        declared = [Declared(item_project(item, params["project"]), item.get("service_name"), item.get(list_key) or [],
                             bool(item.get("allow_in_use")), list_key, f"services[{index}].allow_in_use")
                    for index, item in enumerate(params["services"])]
    elif params[list_key] is not None:
        declared = [Declared(params["project"], params["service_name"], params[list_key], params["allow_in_use"], list_key, "allow_in_use")]
    else:
        declared = [Declared(params["project"], params["service_name"], [single_item], params["allow_in_use"], None, "allow_in_use")]
    problems: list[str] = []
    seen: dict[tuple[Any, Any], int] = {}
    for index, item in enumerate(declared):
        identity = identity_problems(item.project, item.service_name)
        where = f"services[{index}]: " if params["services"] is not None else ""
        if identity:
            problems.extend(f"{where}{problem}" for problem in identity)
            continue
        key = (item.project, item.service_name)
        if key in seen:
            problems.append(f"{item.label}: declared more than once (services[{seen[key]}] and services[{index}]); "
                            f"declare each service once with all its {list_key}")
            continue
        seen[key] = index
        problems.extend(item_problems(item.items, item.where, item.label))
    return declared, problems


def fail_with_problems(module: AivenModule, problems: list[str], what: str = "nothing was changed") -> NoReturn:
    module.fail_json(msg=printable("; ".join(problems) + f"; {what}", MESSAGE_MAX), failure={"problems": problems})
