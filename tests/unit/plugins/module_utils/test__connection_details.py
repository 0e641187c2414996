# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an application needs to connect through a pool (module_utils/_connection_details.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from ansible_collections.dbpools.aiven.plugins.module_utils._connection_details import DetailsError, address_problem, connection_details
from ansible_collections.dbpools.aiven.plugins.module_utils._service_document import normalise_pool

HOST = "pg-1.aivencloud.com"


def _pool(name: str = "app", username: str | None = "alice", password: str = "pw-alice", host: str = HOST) -> dict[str, Any]:
    user = f"{username}:{password}@" if username else ""
    entry = {"pool_name": name, "database": "appdb", "pool_mode": "transaction", "pool_size": 10,
             "connection_uri": f"postgres://{user}{host}:20000/{name}?sslmode=require"}
    if username:
        entry["username"] = username
    return normalise_pool(entry)


def _document(users: Any = None) -> dict[str, Any]:
    if users is None:
        users = [{"username": "avnadmin", "password": "admin-pw", "type": "primary"},
                 {"username": "alice", "password": "doc-alice", "type": "normal"},
                 {"username": "bob", "password": "b@b/:?pw", "type": "normal"}]
    return {"users": users, "components": [{"component": "pgbouncer", "host": "bouncer.example", "port": 21000}]}


def test_pinned_pool_gives_its_user_and_the_documents_password() -> None:
    details = connection_details(_pool(), _document())
    assert details == {"host": HOST, "port": 20000, "dbname": "app", "user": "alice", "password": "doc-alice",
                       "sslmode": "require", "uri": f"postgres://alice:doc-alice@{HOST}:20000/app?sslmode=require"}


def test_pinned_pool_password_falls_back_to_the_pool_uri_when_the_document_hides_it() -> None:
    document = _document([{"username": "alice", "password": "<redacted>"}])
    assert connection_details(_pool(), document)["password"] == "pw-alice"


def test_pinned_pool_without_any_readable_password_has_none_and_a_uri_without_one() -> None:
    details = connection_details(_pool(password="%3Credacted%3E"), _document([]))
    assert details["password"] is None
    assert details["uri"] == f"postgres://alice@{HOST}:20000/app?sslmode=require"


@pytest.mark.parametrize("username, unpinned_user, uri_user", [("alice", None, "alice@"), (None, "bob", "bob@"), (None, None, "")])
def test_without_secrets_no_password_key_and_none_in_the_uri(username: str | None, unpinned_user: str | None, uri_user: str) -> None:
    details = connection_details(_pool(username=username), _document(), unpinned_user, include_secrets=False)
    assert "password" not in details
    assert details["uri"] == f"postgres://{uri_user}{HOST}:20000/app?sslmode=require"
    assert not [secret for secret in ("pw-alice", "doc-alice", "b@b", "admin-pw") if secret in repr(details)]


def test_dbname_is_the_pool_name_not_the_database() -> None:
    assert connection_details(_pool(name="reports"), _document())["dbname"] == "reports"


def test_unpinned_pool_without_a_chosen_user_has_no_credentials() -> None:
    details = connection_details(_pool(username=None), _document())
    assert (details["user"], details["password"]) == ("", "")
    assert details["uri"] == f"postgres://{HOST}:20000/app?sslmode=require"
    assert "admin" not in details["uri"]


def test_unpinned_pool_with_a_chosen_user_gets_that_user_and_password_quoted_in_the_uri() -> None:
    details = connection_details(_pool(username=None), _document(), unpinned_user="bob")
    assert (details["user"], details["password"]) == ("bob", "b@b/:?pw")
    parts = urlsplit(details["uri"])
    assert (unquote(parts.username), unquote(parts.password), parts.hostname, parts.port) == ("bob", "b@b/:?pw", HOST, 20000)


def test_unpinned_user_that_is_not_a_service_user_is_an_error_listing_the_users() -> None:
    with pytest.raises(DetailsError, match=r"unpinned_user 'carol' is not a user of the service \(users: avnadmin, alice, bob\)"):
        connection_details(_pool(username=None), _document(), unpinned_user="carol")


def test_unpinned_user_cannot_be_checked_without_a_user_list() -> None:
    with pytest.raises(DetailsError, match="lists no users"):
        connection_details(_pool(username=None), {"users": None}, unpinned_user="bob")


def test_unpinned_user_does_not_change_a_pinned_pool() -> None:
    assert connection_details(_pool(), _document(), unpinned_user="bob")["user"] == "alice"


def test_host_and_port_come_from_the_pgbouncer_component_when_the_pool_has_no_uri() -> None:
    pool = normalise_pool({"pool_name": "app", "database": "appdb", "username": "alice"})
    details = connection_details(pool, _document())
    assert (details["host"], details["port"], details["sslmode"]) == ("bouncer.example", 21000, "require")


# As a service with a standby lists them: the pool's own address first, then the others (contract, components[]).
ROUTED = [
    {"component": "pg", "host": HOST, "port": 19999, "route": "dynamic", "usage": "primary"},
    {"component": "pgbouncer", "host": HOST, "port": 20000, "route": "dynamic", "usage": "primary"},
    {"component": "pgbouncer", "host": "public-pg-1.aivencloud.com", "port": 20001, "route": "public", "usage": "primary"},
    {"component": "pgbouncer", "host": "replica-pg-1.aivencloud.com", "port": "20000", "route": "dynamic", "usage": "replica"},
    {"component": "pgbouncer", "host": "replica-public-pg-1.aivencloud.com", "port": 20001, "route": "public", "usage": "replica"},
]


def _routed(pool_host: str = HOST) -> tuple[dict[str, Any], dict[str, Any]]:
    return _pool(host=pool_host), dict(_document(), components=ROUTED)


def test_without_route_and_usage_the_address_is_the_pools_own_even_when_another_component_comes_first() -> None:
    pool, document = _routed(pool_host="public-pg-1.aivencloud.com")
    details = connection_details(pool, document)
    assert (details["host"], details["port"]) == ("public-pg-1.aivencloud.com", 20000)


@pytest.mark.parametrize("route, usage, address", [
    ("public", None, ("public-pg-1.aivencloud.com", 20001)),
    (None, "replica", ("replica-pg-1.aivencloud.com", 20000)),
    ("public", "replica", ("replica-public-pg-1.aivencloud.com", 20001)),
    ("dynamic", "primary", (HOST, 20000)),
])
def test_route_and_usage_take_that_pgbouncer_component_the_other_one_dynamic_or_primary(
        route: str | None, usage: str | None, address: tuple[str, int]) -> None:
    pool, document = _routed()
    details = connection_details(pool, document, route=route, usage=usage)
    assert (details["host"], details["port"]) == address
    assert details["uri"] == f"postgres://alice:doc-alice@{address[0]}:{address[1]}/app?sslmode=require"


def test_a_route_the_service_lacks_fails_listing_the_addresses_it_has_printable() -> None:
    pool, document = _routed()
    document["components"] = [*ROUTED[:3], {"component": "pgbouncer", "host": "h", "port": 1, "route": "odd\x1b[31m", "usage": "primary"}]
    with pytest.raises(DetailsError) as caught:
        connection_details(pool, document, route="privatelink")
    message = str(caught.value)
    assert message.startswith("the service lists no PgBouncer address with route privatelink and usage primary (it has: ")
    assert "route dynamic usage primary, route public usage primary, route odd\\x1b[31m usage primary" in message
    assert "\x1b" not in message


def test_a_service_without_pgbouncer_components_fails_a_route_saying_it_has_none() -> None:
    pool, document = _routed()
    document["components"] = None
    with pytest.raises(DetailsError, match=r"\(it has: none\)$"):
        connection_details(pool, document, usage="replica")


@pytest.mark.parametrize("route, usage, problem", [
    ("dynamic", "primary", None), (None, None, None),
    ("Public", None, "route must be one of dynamic, public, private, privatelink, got 'Public'"),
    (None, "ha_replica", "usage must be one of primary, replica, got 'ha_replica'"),
])
def test_route_and_usage_values_are_checked(route: Any, usage: Any, problem: str | None) -> None:
    assert address_problem(route, usage) == problem
