# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Property tests: arbitrary arguments through the real modules.

Whatever the arguments, a module ends in exit_json or fail_json with one JSON object,
never a traceback. The test holds its own statement of the rules (the API contract's
confirmed limits plus the collection's documented ones, written out again here so a
change in the product cannot silently move both sides): input that breaks one is
refused before any request with a message; input that keeps them all is sent, and every
path segment is the URL-quoted project, service or pool name.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any
from urllib.parse import quote

from ansible.module_utils.common.validation import check_type_int
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.dbpools.aiven.plugins.modules import aiven_connection_pool, aiven_connection_pool_info
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.module_runner import run_module

TOKEN = "fuzz-T0KEN-0123456789abcdef"
URL = "{url}"  # replaced by the fake API's address
EXISTING_FILE = os.path.abspath(__file__)
# The number of examples comes from the hypothesis profile (tests/conftest.py).
FUZZ = settings(deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# --- the rules, stated again ------------------------------------------------------------
PROJECT = re.compile(r"[a-zA-Z0-9_-]{1,63}")
MODES = ("session", "transaction", "statement")
ITEM_KEYS = ("pool_name", "database_name", "username", "pool_mode", "pool_size", "state")
SETTINGS = ("database_name", "username", "pool_mode", "pool_size")
VALID_URLS = (URL, URL + "/", URL + "/v1")
INVALID_URLS = ("ftp://127.0.0.1", "https://", "http://[::1", URL + "?token=x", "http://user:pw@127.0.0.1:1", "127.0.0.1")


def _integral_floats_are_ints() -> bool:
    """ansible-core 2.19 turns 7.0 into 7 for an int option; 2.17 refuses any float."""
    try:
        return check_type_int(7.0) == 7
    except TypeError:
        return False


INTEGRAL_FLOATS = _integral_floats_are_ints()


def unusable(text: str) -> bool:
    return any(0xD800 <= ord(char) <= 0xDFFF or ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F for char in text)


def name_ok(value: Any, low: int, high: int) -> bool:
    return isinstance(value, str) and low <= len(value) <= high and not unusable(value)


def as_text(value: Any) -> Any:
    """Ansible's conversion of an argument of type str (only str and int are generated)."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def as_int(value: Any) -> Any:
    """Ansible's conversion to int for the values generated; None when it refuses."""
    if isinstance(value, bool):
        return value  # Ansible lets booleans through; the rules refuse them below
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if INTEGRAL_FLOATS and value.is_integer() else None
    if isinstance(value, str) and value.isdecimal():
        return int(value)
    return None


def size_ok(value: Any) -> bool:
    number = as_int(value)
    return number is not None and not isinstance(number, bool) and 1 <= number <= 10000


def entry_ok(entry: dict) -> bool:
    """One pool, in either form, after Ansible's conversions."""
    checks = [
        name_ok(as_text(entry.get("pool_name")), 1, 63),
        entry.get("database_name") is None or name_ok(as_text(entry["database_name"]), 1, 63),
        entry.get("username") is None or name_ok(as_text(entry["username"]), 0, 64),
        entry.get("pool_size") is None or size_ok(entry["pool_size"]),
        # An explicit null is "not given" only for options without choices (Ansible's rule).
        "pool_mode" not in entry or entry["pool_mode"] in MODES,
        "state" not in entry or entry["state"] in ("present", "absent"),
    ]
    return all(checks)


def common_ok(args: dict) -> bool:
    timeout = args.get("timeout", 30)
    if isinstance(timeout, str):
        return False  # only words, "nan" and "inf" are generated as strings
    return (
        args.get("api_token") == TOKEN
        and args.get("api_url", URL) in VALID_URLS
        and 0 < timeout <= 3600
        and 0 <= as_int(args.get("api_retries", 6)) <= 20
        and args.get("ca_path") in (None, EXISTING_FILE)
        and isinstance(args.get("validate_certs", True), bool)
        and "bogus" not in args
        and PROJECT.fullmatch(as_text(args.get("project")) or "") is not None
    )


def service_ok(args: dict) -> bool:
    return name_ok(as_text(args.get("service_name")), 1, 64)


def pool_args_ok(args: dict) -> bool:
    if not (common_ok(args) and service_ok(args)):
        return False
    concurrency = as_int(args.get("concurrency", 4))
    if concurrency is None or not 1 <= concurrency <= 32 or args.get("wait_timeout", 600) < 0:
        return False
    pools, single = args.get("pools"), args.get("pool_name")
    if (pools is None) == (single is None) or args.get("state", "present") not in ("present", "absent"):
        return False
    if pools is None:
        return not args.get("purge", False) and entry_ok(args)
    if any(args.get(key) is not None for key in SETTINGS) or ("pool_mode" in args and args["pool_mode"] not in MODES):
        return False
    if not isinstance(pools, list):
        return False
    if not all(isinstance(item, dict) and set(item) <= set(ITEM_KEYS) and item.get("pool_name") is not None for item in pools):
        return False
    names = [as_text(item["pool_name"]) for item in pools]
    return all(entry_ok(item) for item in pools) and len(set(names)) == len(names)


def info_names(value: Any) -> list | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.split(",")
    return [as_text(item) for item in value] if isinstance(value, list) else [as_text(value)]


def info_args_ok(args: dict) -> bool:
    """Without service_name the info module reads every PostgreSQL service of the project."""
    names = info_names(args.get("pool_name"))
    return (common_ok(args) and ("service_name" not in args or service_ok(args))
            and (names is None or all(name_ok(name, 1, 63) for name in names)))


def segment(value: str) -> str:
    """How a name must appear in the path: URL-quoted, with dot segments escaped so no URL normalisation can resolve them."""
    return "%2E" * len(value) if value in (".", "..") else quote(value, safe="")


# --- generators: valid arguments (names as odd as the rules allow), then up to 3 hostile changes ---
DROP = object()
ALLOWED_TEXT = st.characters(exclude_categories=("Cc", "Cs"))
ODD_ALLOWED = st.sampled_from(["a/b", "..", ".", "%2F", "../x", "пул", "🐘", " ", "a b", "?#&=;", "p" * 63, "é" * 63])
POOL_NAMES = st.one_of(ODD_ALLOWED, st.text(ALLOWED_TEXT, min_size=1, max_size=63), st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True))
ODD_BAD = st.sampled_from(["", "p" * 64, "é" * 64, "a\x00b", "x\n", "\x1b[0m", "x\x85", "p" * 300])
WILD_TEXT = st.one_of(ODD_BAD, st.text(max_size=70), st.integers(-10, 10**6), POOL_NAMES)
PROJECTS = st.from_regex(r"[a-zA-Z0-9_-]{1,63}", fullmatch=True)
SERVICES = st.one_of(st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True), st.text(ALLOWED_TEXT, min_size=1, max_size=64), ODD_ALLOWED)
VALID_SIZES = st.one_of(st.integers(1, 10000), st.sampled_from([1, 10000, "10", 7.0]))
WILD_SIZES = st.one_of(st.integers(-5, 10005), st.sampled_from([0, 10001, -1, True, False, "x", "10.5", 10.5, 10**20, None]))
WILD_MODES = st.one_of(st.sampled_from(list(MODES) + ["Session", "fast", "", None]), st.text(max_size=6))
SETTING_VALUES = {
    "database_name": POOL_NAMES,
    "username": st.one_of(st.just(""), st.text(ALLOWED_TEXT, min_size=1, max_size=64)),
    "pool_mode": st.sampled_from(MODES),
    "pool_size": VALID_SIZES,
}
WILD_SETTINGS = {"database_name": WILD_TEXT, "username": WILD_TEXT, "pool_mode": WILD_MODES, "pool_size": WILD_SIZES,
                 "state": st.sampled_from(["gone", None, "", "Present"]), "pool_name": WILD_TEXT,
                 "bogus": st.integers()}
VALID_ITEM = st.fixed_dictionaries({"pool_name": POOL_NAMES}, optional=dict(SETTING_VALUES, state=st.sampled_from(["present", "absent"])))
VALID_COMMON = {"project": PROJECTS, "service_name": SERVICES, "api_token": st.just(TOKEN)}
VALID_COMMON_OPTIONAL = {
    "api_url": st.sampled_from(VALID_URLS),
    "timeout": st.sampled_from([5, 5.5, 3600]),
    "api_retries": st.sampled_from([0, 1]),
    "validate_certs": st.booleans(),
    "ca_path": st.just(EXISTING_FILE),
}
WILD_COMMON = {
    "project": st.one_of(WILD_TEXT, st.sampled_from(["../x", "a%2Fb", "a/b", ".", "prøject", " p", "p" * 64, DROP])),
    "service_name": st.one_of(WILD_TEXT, st.sampled_from(["s" * 65, "", "pg\x00", DROP])),
    "api_url": st.sampled_from(INVALID_URLS),
    "api_token": st.sampled_from(["", "tok en", DROP]),
    "timeout": st.sampled_from([0, -1, "nan", "inf", "soon", 1e12]),
    "api_retries": st.sampled_from([-1, 21]),
    "validate_certs": st.just("maybe"),
    "ca_path": st.just("/nonexistent/ca.pem"),
    "bogus": st.integers(),
}
SINGLE = st.fixed_dictionaries(dict(VALID_COMMON, pool_name=POOL_NAMES),
                               optional={**VALID_COMMON_OPTIONAL, **SETTING_VALUES, "state": st.sampled_from(["present", "absent"])})
BATCH = st.fixed_dictionaries(dict(VALID_COMMON, pools=st.lists(VALID_ITEM, max_size=5, unique_by=lambda item: item["pool_name"])),
                              optional=dict(VALID_COMMON_OPTIONAL, purge=st.booleans()))
LOOP = {"concurrency": st.integers(1, 32), "wait": st.booleans(), "wait_timeout": st.integers(0, 3)}
WILD_POOL = {**WILD_COMMON, **WILD_SETTINGS, "pools": st.sampled_from([5, "a,b", [], DROP]), "purge": st.booleans(),
             "concurrency": st.one_of(st.integers(-2, 40), st.just("many")), "wait_timeout": st.integers(-3, -1),
             "pool_name": st.one_of(WILD_TEXT, st.just(DROP))}
# Names are what this file is about: they are picked more often than the other options.
WILD_POOL_KEYS = st.sampled_from(sorted(WILD_POOL) + ["project", "service_name", "pool_name"] * 3)
WILD_ITEMS = st.sampled_from([5, None, "app", ["x"], "a,b"])
WILD_INFO = dict(WILD_COMMON, pool_name=st.one_of(st.lists(WILD_TEXT, max_size=3), WILD_TEXT))


def _apply(args: dict, key: str, value: Any) -> None:
    if value is DROP:
        args.pop(key, None)
    else:
        args[key] = value


@st.composite
def pool_arguments(draw: Any) -> dict:
    args = draw(st.one_of(SINGLE, BATCH))
    args.update(draw(st.fixed_dictionaries({}, optional=LOOP)))
    for _change in range(draw(st.integers(0, 3))):
        items = args.get("pools")
        where = draw(st.sampled_from(["option", "item", "item", "duplicate"] if isinstance(items, list) and items else ["option"]))
        if where == "option":
            key = draw(WILD_POOL_KEYS)
            _apply(args, key, draw(WILD_POOL[key]))
        elif where == "item":
            index = draw(st.integers(0, len(items) - 1))
            if draw(st.booleans()) or not isinstance(items[index], dict):
                items[index] = draw(WILD_ITEMS)
            else:
                key = draw(st.sampled_from(sorted(WILD_SETTINGS)))
                items[index] = dict(items[index], **{key: draw(WILD_SETTINGS[key])})
        else:
            items.append(items[draw(st.integers(0, len(items) - 1))])
    return args


@st.composite
def info_arguments(draw: Any) -> dict:
    required = {key: VALID_COMMON[key] for key in ("project", "api_token")}
    optional = dict(VALID_COMMON_OPTIONAL, service_name=VALID_COMMON["service_name"], pool_name=st.lists(POOL_NAMES, max_size=4))
    args = draw(st.fixed_dictionaries(required, optional=optional))
    for _change in range(draw(st.integers(0, 2))):
        key = draw(st.sampled_from(sorted(WILD_INFO)))
        _apply(args, key, draw(WILD_INFO[key]))
    return args


def with_url(args: dict, url: str) -> dict:
    """The arguments to run with: the fake API's address in api_url (the rules see the template)."""
    args = dict(args)
    args["api_url"] = args.get("api_url", URL).replace(URL, url)
    args.setdefault("api_retries", 0)  # nothing here is retried; keep every run short
    return args


def check_result(result: dict, fake_api: Any) -> None:
    text = json.dumps(result)
    assert "exception" not in result and "Traceback" not in text
    assert TOKEN not in text
    if result.get("failed"):
        assert isinstance(result.get("msg"), str) and result["msg"].strip()


def project_path(project: str) -> str:
    return f"/v1/project/{segment(project)}/service"


def check_paths(fake_api: Any, project: str, service: str, pool_names: set) -> None:
    service_path = f"{project_path(project)}/{segment(service)}"
    allowed = {f"GET {service_path}", f"POST {service_path}/connection_pool"}
    allowed.update(f"{method} {service_path}/connection_pool/{segment(name)}" for name in pool_names for method in ("PUT", "DELETE"))
    calls = fake_api.calls()
    assert calls[0] == f"GET {service_path}"
    assert set(calls) <= allowed, sorted(set(calls) - allowed)
    for item in fake_api.requests:
        if item.method == "POST":
            assert item.json()["pool_name"] in pool_names


def check_converged(pools: dict, items: list, purge: bool) -> None:
    """After a successful run the fake API holds what was asked for, whatever the names."""
    fields = {"database_name": "database", "username": "username", "pool_mode": "pool_mode", "pool_size": "pool_size"}
    present = set()
    for item in items:
        name = as_text(item["pool_name"])
        if item.get("state") == "absent":
            assert name not in pools
            continue
        present.add(name)
        for option, field in fields.items():
            wanted = item.get(option)
            if wanted is not None:
                wanted = as_int(wanted) if option == "pool_size" else (as_text(wanted) or None)
                assert pools[name].get(field) == wanted, (name, option)
    if purge:
        assert set(pools) == present


@FUZZ
@given(args=pool_arguments(), seeded=st.lists(POOL_NAMES, max_size=3), seed_desired=st.booleans())
def test_pool_module_with_any_arguments(fake_api, capsys, args, seeded, seed_desired) -> None:
    fake_api.reset()
    items = args.get("pools") if isinstance(args.get("pools"), list) else [args]
    desired = {as_text(item.get("pool_name")) for item in items if isinstance(item, dict)}
    existing = {name for name in seeded if name_ok(name, 1, 63)}
    if seed_desired:
        existing.update(name for name in desired if name_ok(name, 1, 63))
    for name in existing:
        fake_api.add_pool(as_text(args.get("project")), as_text(args.get("service_name")), name)

    result = run_module(aiven_connection_pool.main, with_url(args, fake_api.url), capsys)

    check_result(result, fake_api)
    valid = pool_args_ok(args)
    if not valid:
        assert result["failed"] and fake_api.requests == [], (result.get("msg"), fake_api.calls())
    else:
        assert fake_api.requests, result.get("msg")
        check_paths(fake_api, as_text(args["project"]), as_text(args["service_name"]), desired | existing)
        if not result.get("failed"):
            check_converged(fake_api.stored_pools(as_text(args["project"]), as_text(args["service_name"])), items, args.get("purge", False))


@FUZZ
@given(args=info_arguments(), seeded=st.lists(POOL_NAMES, max_size=3))
def test_info_module_with_any_arguments(fake_api, capsys, args, seeded) -> None:
    fake_api.reset()
    project = as_text(args.get("project"))
    # Without service_name the pools are seeded in a service of the project, which the module reads from the list.
    service = as_text(args.get("service_name", "pg-fuzz"))
    existing = [name for name in dict.fromkeys(seeded) if name_ok(name, 1, 63)]
    for name in existing:
        fake_api.add_pool(project, service, name)

    result = run_module(aiven_connection_pool_info.main, with_url(args, fake_api.url), capsys)

    check_result(result, fake_api)
    if not info_args_ok(args):
        assert result["failed"] and fake_api.requests == [], (result.get("msg"), fake_api.calls())
        return
    if "service_name" in args:
        check_paths(fake_api, project, service, set())
    else:
        assert fake_api.calls() == [f"GET {project_path(project)}"]
    assert len(fake_api.requests) == 1 and not result.get("failed"), result.get("msg")
    wanted = info_names(args.get("pool_name"))
    expected = existing if wanted is None else [name for name in dict.fromkeys(wanted) if name in existing]
    assert [(pool["service_name"], pool["pool_name"]) for pool in result["connection_pools"]] == [(service, name) for name in expected]
