# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A pool's ``postgres://`` URI: read (host, port, sslmode, password), built from its parts, stripped of credentials.

Pure: no I/O, no Ansible. The API's URI may carry a password, so nothing here puts
one into a message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit, urlunsplit

# What the API writes in place of a secret it does not give out.
REDACTED = "<redacted>"
# Aiven's TLS mode for pools: what a pool's URI that names none means.
DEFAULT_SSLMODE = "require"


def _netloc_end(rest: str) -> int:
    """Where the authority of ``rest`` (a URI after ``scheme://``) ends: at the last ``@``'s host, not at a ``/`` of the password.

    urlsplit ends the authority at the first ``/``, ``?`` or ``#``; a password the API did not
    quote may hold those, and then the host read would be part of the password.
    """
    at = rest.rfind("@")
    start = at + 1 if at >= 0 else 0
    ends = [position for position in (rest.find(char, start) for char in "/?#") if position >= 0]
    return min(ends) if ends else len(rest)


def _split(uri: str) -> Any:
    """urlsplit's parts of ``uri``, the authority taken up to the host after its last ``@``."""
    scheme, _sep, rest = uri.partition("://")
    end = _netloc_end(rest)
    parts = urlsplit(f"{scheme}://{rest[end:]}")
    return parts._replace(netloc=rest[:end])


def parse_connection_uri(uri: str | None) -> dict[str, Any]:
    """Return host, port and sslmode of a pool URI; None for any part that cannot be read.

    Never raises: the URI may be missing, "<redacted>" (secrets hidden by the API)
    or otherwise odd, and none of that should fail a read-only module.
    """
    result: dict[str, Any] = {"host": None, "port": None, "sslmode": None}
    if not isinstance(uri, str) or "://" not in uri:
        return result
    try:
        parts = _split(uri)
        result["host"] = parts.hostname or None
        result["port"] = parts.port
        values = parse_qs(parts.query).get("sslmode")
        result["sslmode"] = values[0] if values else None
    except ValueError:
        # urlsplit/port raise ValueError for bad brackets or a non-numeric port;
        # keep whatever was read before the failure.
        pass
    return result


def password_redacted(pool: Mapping[str, Any]) -> bool:
    """True when the pool's URI holds the API's placeholder where the password goes."""
    uri = pool.get("connection_uri")
    return isinstance(uri, str) and REDACTED in unquote(uri)


def pool_password(pool: Mapping[str, Any]) -> str | None:
    """The password inside the pool's URI; None when there is none or the API hid it."""
    uri = pool.get("connection_uri")
    if not isinstance(uri, str) or password_redacted(pool):
        return None
    try:
        password = _split(uri).password
    except ValueError:
        return None
    return unquote(password) if password else None


def connection_uri(host: str | None, port: int | None, dbname: str, user: str, password: str | None,
                   sslmode: str | None) -> str:
    """A ``postgres://`` URI built from its parts, each URL-quoted; no credentials for an empty user."""
    credentials = ""
    if user:
        credentials = quote(user, safe="")
        if password:
            credentials += ":" + quote(password, safe="")
        credentials += "@"
    # An IPv6 address must be bracketed, or its colons read as the port.
    where = f"[{host}]" if host and ":" in host else (host or "")
    if port is not None:
        where += f":{port}"
    query = f"?sslmode={quote(sslmode, safe='')}" if sslmode else ""
    return f"postgres://{credentials}{where}/{quote(dbname, safe='')}{query}"


def without_credentials(uri: str | None) -> str | None:
    """``uri`` without its ``user:password@``: an unpinned pool's URI from the API holds the admin's.

    None when it is not a string, cannot be read, or still holds an ``@`` once the
    credentials urlsplit finds are gone (an unquoted ``/`` in a password hides the rest
    of them from it): no URI rather than one that may carry a password.
    """
    if not isinstance(uri, str):
        return None
    try:
        parts = urlsplit(uri)
    except ValueError:
        return None
    stripped = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    return None if "@" in stripped else stripped
