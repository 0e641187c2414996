# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A pool's postgres:// URI (module_utils/_pool_uri.py): read, built, stripped of credentials, its password."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.dbpools.aiven.plugins.module_utils import _pool_uri
from ansible_collections.dbpools.aiven.plugins.module_utils._pool_uri import connection_uri, parse_connection_uri, without_credentials
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.pool_builders import (
    HOST,
    pool,
    uri,
)


def test_parse_uri_full() -> None:
    assert parse_connection_uri(uri()) == {"host": HOST, "port": 12692, "sslmode": "require"}


@pytest.mark.parametrize(
    "value",
    [None, "", "<redacted>", "not a uri", 42, "postgres://[::1/app", "postgres://u:p@host:notaport/app", "postgres://u:p@host:99999/app"],
)
def test_parse_uri_never_raises(value: Any) -> None:
    result = parse_connection_uri(value)
    assert set(result) == {"host", "port", "sslmode"}
    assert result["port"] is None or isinstance(result["port"], int)


def test_parse_uri_bad_port_keeps_host() -> None:
    assert parse_connection_uri("postgres://u:p@host:notaport/app?sslmode=require")["host"] == "host"


def test_parse_uri_without_sslmode_or_port() -> None:
    assert parse_connection_uri("postgres://u:p@host/app") == {"host": "host", "port": None, "sslmode": None}


def test_parse_uri_ipv6() -> None:
    assert parse_connection_uri("postgres://u:p@[2001:db8::1]:6543/app?sslmode=verify-full") == {
        "host": "2001:db8::1",
        "port": 6543,
        "sslmode": "verify-full",
    }


def test_parse_uri_redacted_password_still_gives_host() -> None:
    assert parse_connection_uri("postgres://u:<redacted>@h.example:1234/app?sslmode=require") == {
        "host": "h.example",
        "port": 1234,
        "sslmode": "require",
    }


def test_password_is_unquoted_from_the_uri() -> None:
    assert _pool_uri.pool_password({"connection_uri": "postgres://u:p%2Fw%40rd@h:1/x"}) == "p/w@rd"
    assert _pool_uri.pool_password({"connection_uri": "postgres://u@h:1/x"}) is None
    assert _pool_uri.pool_password({"connection_uri": None}) is None


def test_password_redacted() -> None:
    assert _pool_uri.password_redacted(pool(name="a") | {"connection_uri": uri(password="<redacted>")})
    assert _pool_uri.password_redacted({"connection_uri": uri(password="%3Credacted%3E")})
    assert not _pool_uri.password_redacted(pool())
    assert not _pool_uri.password_redacted({"connection_uri": None})


def test_ipv6_host_is_bracketed() -> None:
    assert connection_uri("::1", 5432, "p", "", None, "require") == "postgres://[::1]:5432/p?sslmode=require"


@given(user=st.text(min_size=1, max_size=20), password=st.text(min_size=1, max_size=20), dbname=st.text(min_size=1, max_size=20))
def test_uri_parts_read_back_as_given(user: str, password: str, dbname: str) -> None:
    parts = urlsplit(connection_uri("db.example", 6543, dbname, user, password, "verify-full"))
    assert unquote(parts.username) == user
    assert unquote(parts.password) == password
    assert unquote(parts.path[1:]) == dbname
    assert (parts.hostname, parts.port, parts.query) == ("db.example", 6543, "sslmode=verify-full")


@pytest.mark.parametrize("uri, expected", [
    ("postgres://avnadmin:pw@db.example:5432/app?sslmode=require", "postgres://db.example:5432/app?sslmode=require"),
    ("postgres://avnadmin:<redacted>@db.example:5432/app?sslmode=require", "postgres://db.example:5432/app?sslmode=require"),
    ("postgres://a%40b:p%40w@[::1]:5432/app", "postgres://[::1]:5432/app"),
    ("postgres://db.example:5432/app?sslmode=require", "postgres://db.example:5432/app?sslmode=require"),
    # An unquoted "/" in the password: urlsplit reads part of it as the path. No URI rather than a piece of the password.
    ("postgres://avnadmin:pa/ss@db.example:5432/app", None),
    ("postgres://u:p@[::1/app", None),
    (None, None),
    (42, None),
])
def test_without_credentials(uri: Any, expected: str | None) -> None:
    assert without_credentials(uri) == expected


@given(user=st.text(min_size=1, max_size=20), password=st.text(max_size=20))
def test_without_credentials_leaves_no_part_of_them(user: str, password: str) -> None:
    stripped = without_credentials(connection_uri("db.example", 6543, "app", user, password, "require"))
    assert stripped == "postgres://db.example:6543/app?sslmode=require"


@pytest.mark.parametrize("password", ["pa/ss", "p/a?s#s", "p@ss/", "/"])
def test_parse_uri_host_is_the_one_after_a_password_the_api_did_not_quote(password: str) -> None:
    """urlsplit ends the host part at the first "/": the host read would be the user, the port part of the password."""
    parsed = parse_connection_uri(f"postgres://avnadmin:{password}@{HOST}:12692/app?sslmode=verify-full")
    assert parsed == {"host": HOST, "port": 12692, "sslmode": "verify-full"}


def test_password_with_an_unquoted_slash_is_read_whole() -> None:
    assert _pool_uri.pool_password({"connection_uri": f"postgres://avnadmin:pa/ss@{HOST}:12692/app"}) == "pa/ss"
