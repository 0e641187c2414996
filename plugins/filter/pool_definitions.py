# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter dbpools.aiven.pool_definitions: pools as read by the modules, turned into the role's definitions.

Documentation: pool_definitions.yml beside this file (ansible-doc -t filter).
Only settings leave this filter (no URI, no password), so its output may be written to a
group_vars file or printed. Names come from the API and are untrusted: as YAML
(yaml_variable), every string is tagged !unsafe, so that Ansible never renders one as a template.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.dbpools.aiven.plugins.module_utils._text import printable, shown

IDENTITY_KEYS = ("project", "service_name", "pool_name")
# The settings a definition may give, in the order a person reads them.
SETTING_KEYS = ("database_name", "username", "pool_mode", "pool_size")
_TEXT_SETTINGS = ("username", "pool_mode")


def _fail(problem: str) -> AnsibleFilterError:
    return AnsibleFilterError(f"pool_definitions: {problem}")


def _label(index: int, pool: Mapping[str, Any]) -> str:
    # The pools come from the API: their names are shown printable.
    names = [printable(pool[key]) for key in IDENTITY_KEYS if isinstance(pool.get(key), str) and pool.get(key)]
    return f"pools[{index}]" + (f" ({'/'.join(names)})" if names else "")


def _settings_problem(pool: Mapping[str, Any]) -> str | None:
    """Why a setting of the pool could not be declared as it is, or None."""
    for key in _TEXT_SETTINGS:
        if pool.get(key) is not None and not isinstance(pool[key], str):
            return f"{key} must be a string or null, got {shown(pool[key])}"
    size = pool.get("pool_size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int)):
        return f"pool_size must be an integer or null, got {shown(size)}"
    return None


def _definition(index: int, pool: Any, project: str) -> dict[str, Any]:
    if not isinstance(pool, Mapping):
        raise _fail(f"pools[{index}] must be a dictionary (a pool of the info module), got {type(pool).__name__}")
    missing = [key for key in IDENTITY_KEYS + ("database_name",) if not isinstance(pool.get(key), str) or not pool.get(key)]
    if missing:
        raise _fail(f"{_label(index, pool)} has no usable {', '.join(missing)} (each must be a non-empty string); "
                    "pass the connection_pools of aiven_connection_pool_info (or connection_pools_result.pools)")
    problem = _settings_problem(pool)
    if problem:
        raise _fail(f"{_label(index, pool)}: {problem}")
    entry: dict[str, Any] = {} if pool["project"] == project else {"project": pool["project"]}
    entry.update(service_name=pool["service_name"], pool_name=pool["pool_name"])
    for key in SETTING_KEYS:
        if pool.get(key) is not None:
            entry[key] = pool[key]
    # Every setting explicit: an unpinned pool says so (""), so that a pin made later is a change to undo.
    entry["username"] = pool.get("username") or ""
    return {key: entry[key] for key in IDENTITY_KEYS + SETTING_KEYS if key in entry}


def _check_encodable(pools: list[Any] | tuple[Any, ...]) -> None:
    """Fail on a name with an unpaired surrogate: a UTF-8 file cannot hold it, and YAML readers refuse its escape."""
    for index, pool in enumerate(pools):
        for key in IDENTITY_KEYS + SETTING_KEYS:
            value = pool.get(key)
            if isinstance(value, str) and any(0xD800 <= ord(char) <= 0xDFFF for char in value):
                raise _fail(f"{_label(index, pool)}: {key} holds an unpaired surrogate, which a YAML file cannot hold")


def _purge_items(definitions: list[dict[str, Any]]) -> list[str]:
    """The services of the definitions as connection_pools_purge items (project/service_name, or service_name), each once."""
    items = (f"{entry['project']}/{entry['service_name']}" if "project" in entry else entry["service_name"] for entry in definitions)
    return list(dict.fromkeys(items))


_STR_TAG = "tag:yaml.org,2002:str"


class _UnsafeDumper(yaml.SafeDumper):
    """Writes every string value as ``!unsafe``: Ansible's loader then keeps it as data, never a template."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _unsafe_string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if dumper.resolve(yaml.ScalarNode, value, (True, False)) != _STR_TAG:
        # '', '10', 'true', 'null': ansible-core 2.19 reads them under !unsafe as null, a number, a boolean.
        # Plain quoted, they stay strings; the patterns of those types hold no '{', so no template either.
        return dumper.represent_scalar(_STR_TAG, value, style="'")
    # Single quotes where they can hold the text; the emitter switches to double quotes with escapes where not.
    return dumper.represent_scalar("!unsafe", value, style="'")


def _mapping(dumper: yaml.SafeDumper, value: Mapping[str, Any]) -> yaml.MappingNode:
    # Keys are the collection's own words (or the variable name): plain, as a person writes them.
    pairs = [(yaml.SafeDumper.represent_str(dumper, key), dumper.represent_data(item)) for key, item in value.items()]
    return yaml.MappingNode("tag:yaml.org,2002:map", pairs, flow_style=False)


# By exact type, which SafeDumper's own would otherwise win, and by kind: ansible-core hands filters str,
# int, dict and list subclasses (unsafe or tagged values).
_UnsafeDumper.add_representer(str, _unsafe_string)
_UnsafeDumper.add_representer(dict, _mapping)
_UnsafeDumper.add_multi_representer(str, _unsafe_string)
_UnsafeDumper.add_multi_representer(dict, _mapping)
_UnsafeDumper.add_multi_representer(list, yaml.SafeDumper.represent_list)
_UnsafeDumper.add_multi_representer(int, yaml.SafeDumper.represent_int)
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _unsafe_yaml(variable: str, value: Any) -> str:
    """A YAML document that sets ``variable`` to ``value``, every string in ``value`` tagged ``!unsafe``."""
    # ASCII only: a bidi override or a terminal control in a name is escaped, not shown to whoever reads the file.
    return yaml.dump({variable: value}, Dumper=_UnsafeDumper, default_flow_style=False, allow_unicode=False,
                     sort_keys=False, width=1_000_000, explicit_start=True)


def pool_definitions(pools: Any, project: Any = None, purge_list: Any = False, yaml_variable: Any = None) -> list[Any] | str:
    """Definitions for connection_pools_definitions, sorted by project, service and pool; see pool_definitions.yml."""
    if not isinstance(pools, (list, tuple)):
        raise _fail(f"pools must be a list (the connection_pools of aiven_connection_pool_info), got {type(pools).__name__}")
    if project is not None and not isinstance(project, str):
        raise _fail(f"project must be a string, got {type(project).__name__}")
    if not isinstance(purge_list, bool):
        raise _fail(f"purge_list must be true or false, got {shown(purge_list)}")
    if yaml_variable is not None and not (isinstance(yaml_variable, str) and _VARIABLE_NAME.fullmatch(yaml_variable)):
        raise _fail(f"yaml_variable must be a variable name (letters, digits and '_', not first a digit), got {shown(yaml_variable)}")
    definitions = _sorted_definitions(pools, project or "")
    if yaml_variable is not None:
        _check_encodable(pools)
    value: list[Any] = _purge_items(definitions) if purge_list else definitions
    return value if yaml_variable is None else _unsafe_yaml(yaml_variable, value)


def _sorted_definitions(pools: list[Any] | tuple[Any, ...], project: str) -> list[dict[str, Any]]:
    definitions = [_definition(index, pool, project) for index, pool in enumerate(pools)]
    # Sorted on the full identity, also for entries whose project was left out.
    order = sorted(range(len(definitions)), key=lambda i: tuple(pools[i][key] for key in IDENTITY_KEYS))
    seen: dict[tuple[str, ...], int] = {}
    result = []
    for i in order:
        identity = tuple(pools[i][key] for key in IDENTITY_KEYS)
        if identity in seen:
            raise _fail(f"{_label(i, pools[i])} is listed twice, also as pools[{seen[identity]}]")
        seen[identity] = i
        result.append(definitions[i])
    return result


class FilterModule:
    """dbpools.aiven filters."""

    def filters(self) -> dict:
        return {"pool_definitions": pool_definitions}
