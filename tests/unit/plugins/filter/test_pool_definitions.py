# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the filter dbpools.aiven.pool_definitions."""

from __future__ import annotations

import os

import pytest
from ansible.errors import AnsibleFilterError
from ansible.parsing.dataloader import DataLoader
from ansible.parsing.yaml.loader import AnsibleLoader
from ansible.template import Templar
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.dbpools.aiven.plugins.filter.pool_definitions import FilterModule, pool_definitions
from ansible_collections.dbpools.aiven.plugins.module_utils._flat_definitions import FlatDeclaration, grouped
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.json_like import NAMES, json_like, result_or_filter_error, shaped


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


def test_settings_only_sorted_and_every_setting_explicit():
    pools = [info_pool("prod", "pg-b", "z", pool_size=3), info_pool("prod", "pg-a", "b", "app", pool_mode="session"),
             info_pool("prod", "pg-a", "a")]
    assert pool_definitions(pools) == [
        {"project": "prod", "service_name": "pg-a", "pool_name": "a", "database_name": "appdb", "username": "",
         "pool_mode": "transaction", "pool_size": 10},
        {"project": "prod", "service_name": "pg-a", "pool_name": "b", "database_name": "appdb", "username": "app",
         "pool_mode": "session", "pool_size": 10},
        {"project": "prod", "service_name": "pg-b", "pool_name": "z", "database_name": "appdb", "username": "",
         "pool_mode": "transaction", "pool_size": 3},
    ]


def test_unpinned_pool_declares_username_empty_whether_the_api_said_null_or_nothing():
    without_key = {key: value for key, value in info_pool("prod", "pg-a", "b").items() if key != "username"}
    definitions = pool_definitions([info_pool("prod", "pg-a", "a"), without_key])
    assert [entry["username"] for entry in definitions] == ["", ""]


def test_no_secret_or_connection_detail_leaves_the_filter():
    text = repr(pool_definitions([info_pool("prod", "pg-a", "a", "app")]))
    for secret_or_detail in ("S3cret", "postgres://", "pg.example.com", "12692"):
        assert secret_or_detail not in text


def test_project_argument_leaves_out_that_project_only_and_sorts_by_full_identity():
    pools = [info_pool("staging", "pg-a", "a"), info_pool("prod", "pg-z", "a"), info_pool("prod", "pg-a", "a")]
    definitions = pool_definitions(pools, project="prod")
    assert [(entry.get("project"), entry["service_name"]) for entry in definitions] == [(None, "pg-a"), (None, "pg-z"), ("staging", "pg-a")]


def test_the_definitions_form_accepts_the_definitions_as_they_are():
    definitions = pool_definitions([info_pool("prod", "pg-a", "a"), info_pool("staging", "pg-a", "b", "app")], project="prod")
    services, problems = grouped(FlatDeclaration({"defs": definitions}, project="prod"))
    assert problems == []
    assert [(group["project"], group["service_name"], [pool["pool_name"] for pool in group["pools"]]) for group in services] == [
        ("prod", "pg-a", ["a"]), ("staging", "pg-a", ["b"])]
    assert services[1]["pools"][0]["username"] == "app"


def test_purge_list_names_each_service_with_a_pool_once_in_the_definitions_order():
    pools = [info_pool("staging", "pg-a", "a"), info_pool("prod", "pg-z", "a"), info_pool("prod", "pg-a", "b"),
             info_pool("prod", "pg-a", "a")]
    assert pool_definitions(pools, purge_list=True) == ["prod/pg-a", "prod/pg-z", "staging/pg-a"]
    assert pool_definitions(pools, project="prod", purge_list=True) == ["pg-a", "pg-z", "staging/pg-a"]
    assert pool_definitions([], purge_list=True) == []


def test_purge_list_is_accepted_by_the_definitions_form():
    pools = [info_pool("prod", "pg-a", "a"), info_pool("staging", "pg-b", "b")]
    services, problems = grouped(FlatDeclaration({"defs": pool_definitions(pools)}, purge_services=pool_definitions(pools, purge_list=True)))
    assert problems == []
    assert [(group["project"], group["service_name"], group["purge"]) for group in services] == [
        ("prod", "pg-a", True), ("staging", "pg-b", True)]


# Names an API could send (it publishes no pattern for pool, database or user names): each a template if rendered.
HOSTILE = {"pool_name": '{{ lookup("pipe", "touch PWNED") }}', "database_name": "{% for x in range(3) %}{{ x }}{% endfor %}",
           "username": "{# a comment #}it's"}


def loaded(text: str) -> dict:
    """``text`` read as Ansible reads a group_vars file."""
    return AnsibleLoader(text).get_single_data()


def rendered(variables: dict, expression: str):
    """``expression`` rendered with ``variables`` as a play's template would be."""
    try:  # ansible-core 2.19: a template must be trusted; data loaded !unsafe is not
        from ansible.template import trust_as_template
        expression = trust_as_template(expression)
    except ImportError:  # ansible-core 2.17 and 2.18
        pass
    return Templar(loader=DataLoader(), variables=variables).template(expression)


def test_yaml_tags_every_string_from_the_api_unsafe():
    text = pool_definitions([info_pool("prod", "pg-a", "a", **HOSTILE)], yaml_variable="connection_pools_definitions__prod")
    assert text.startswith("---\nconnection_pools_definitions__prod:\n- ")
    for key in ("project", "service_name", "pool_name", "database_name", "username", "pool_mode"):
        assert f"  {key}: !unsafe '" in text or f"- {key}: !unsafe '" in text, key
    assert "  pool_size: 10\n" in text
    assert "S3cret" not in text and "postgres://" not in text


def test_yaml_read_by_ansible_gives_the_definitions_and_renders_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    pools = [info_pool("prod", "pg-a", "a", **HOSTILE), info_pool("prod", "pg-a", "b", "{{ 7 * 7 }}")]
    variables = loaded(pool_definitions(pools, yaml_variable="defs"))
    assert variables["defs"] == pool_definitions(pools)
    # Rendered as the role renders its variables: the names come out as they are, nothing runs.
    assert rendered(variables, "{{ defs }}") == pool_definitions(pools)
    assert rendered(variables, "{{ defs | map(attribute='username') | sort }}") == ["{# a comment #}it's", "{{ 7 * 7 }}"]
    assert not os.path.exists(tmp_path / "PWNED")


@pytest.mark.parametrize("name", ["", "10", "0x1F", "1.5", "true", "yes", "off", "null", "~", "2026-12-07", "<<", "="])
def test_yaml_keeps_strings_that_read_as_another_type_strings(name):
    # ansible-core 2.19 reads !unsafe '10' as 10 and !unsafe '' as None: these are written plainly quoted.
    pool = info_pool("prod", "pg-a", name or "a", username=name, pool_mode=name)
    text = pool_definitions([pool], yaml_variable="defs")
    assert "!unsafe '" + name + "'" not in text
    assert loaded(text)["defs"] == pool_definitions([pool])
    assert all(isinstance(value, str) for key, value in loaded(text)["defs"][0].items() if key != "pool_size")


def test_yaml_of_the_purge_list():
    text = pool_definitions([info_pool("prod", "pg-a", "a"), info_pool("prod", "{{ x }}", "a")], purge_list=True,
                            yaml_variable="connection_pools_purge")
    assert text == "---\nconnection_pools_purge:\n- !unsafe 'prod/pg-a'\n- !unsafe 'prod/{{ x }}'\n"


def test_yaml_of_no_pool_is_an_empty_list():
    assert loaded(pool_definitions([], yaml_variable="defs")) == {"defs": []}


def test_yaml_escapes_control_characters_and_keeps_other_text():
    pool = info_pool("prod", "pg-a", "a\nb\x1b[2J\x85\u202e\U0001F600 'q' \"d\" #x: y")
    text = pool_definitions([pool], yaml_variable="defs")
    assert text.isascii()
    assert loaded(text)["defs"] == pool_definitions([pool])


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


@pytest.mark.parametrize("kwargs, expected", [
    ({"purge_list": "yes"}, "pool_definitions: purge_list must be true or false, got 'yes'"),
    ({"yaml_variable": "a-b"}, "pool_definitions: yaml_variable must be a variable name (letters, digits and '_', not first a digit), got 'a-b'"),
    ({"yaml_variable": "1a"}, "pool_definitions: yaml_variable must be a variable name"),
    ({"yaml_variable": "{{ x }}"}, "pool_definitions: yaml_variable must be a variable name"),
    ({"yaml_variable": 5}, "pool_definitions: yaml_variable must be a variable name"),
])
def test_options_are_checked(kwargs, expected):
    assert error_of([], **kwargs).startswith(expected)


def test_yaml_refuses_an_unpaired_surrogate_naming_the_pool():
    assert error_of([info_pool("prod", "pg-a", "a", database_name="d\ud800")], yaml_variable="defs") == (
        "pool_definitions: pools[0] (prod/pg-a/a): database_name holds an unpaired surrogate, which a YAML file cannot hold")


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


@given(pools=shaped(POOL_KEYS, WORDS))
def test_property_yaml_read_by_ansible_is_the_definitions(pools):
    text = result_or_filter_error("pool_definitions", lambda: pool_definitions(pools, yaml_variable="defs"))
    if text is not None:
        assert loaded(text)["defs"] == pool_definitions(pools)


class _Text(str):
    """A str subclass, as ansible-core hands filters (AnsibleUnsafeText in 2.17, tagged values in 2.19)."""


class _Number(int):
    pass


def test_yaml_of_values_ansible_wraps():
    pool = {key: _Text(value) if isinstance(value, str) else value for key, value in info_pool("prod", "pg-a", "{{ x }}", "app").items()}
    pool["pool_size"] = _Number(5)
    text = pool_definitions([pool], yaml_variable="defs")
    assert "pool_name: !unsafe '{{ x }}'" in text and "pool_size: 5\n" in text
    assert loaded(text)["defs"] == pool_definitions([info_pool("prod", "pg-a", "{{ x }}", "app", pool_size=5)])
