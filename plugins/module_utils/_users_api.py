# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Aiven API's service-user routes of a PostgreSQL service, on top of AivenClient's request loop.

AivenClient makes each request (retries, pacing, the deadline, errors as AivenApiError);
this file knows the routes, their replies and their windows:

- ``POST …/user`` takes ``username`` and ``access_control`` only (no password: a chosen one is
  set afterwards with ``PUT … reset-credentials``); it answers 409 "already exists" for a user
  that exists, also when an earlier attempt of the same request created it and its reply was lost.
- ``GET …/user/U`` may answer 404 for a short while after the user was created, and an empty
  password for a while after a create or a reset; both are "not yet", so they are read again on
  a bounded backoff. ``<redacted>`` means the token may not read secrets: reading again cannot help.
- ``PUT …/user/U`` takes one operation: ``reset-credentials`` (with ``new_password``, or Aiven
  generates one) or ``set-access-control``. Its reply (the whole service, redacted) is not read.
- ``DELETE …/user/U`` answers 404 for a user that is not there; a deleted user may still be read
  for a while, so the delete is confirmed by reading until 404.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

from ansible_collections.dbpools.aiven.plugins.module_utils._api import AivenApiError, AivenClient
from ansible_collections.dbpools.aiven.plugins.module_utils._read_lag import READ_LAG_DELAYS, READ_LAG_TOTAL
from ansible_collections.dbpools.aiven.plugins.module_utils._users_planning import REDACTED, readable_password

# Seconds to wait before each read again of a password after a create or reset: about 3 minutes in all,
# the allowance of Terraform's provider for a reset to propagate.
PASSWORD_DELAYS = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 30.0, 30.0, 30.0, 30.0)


def _segments(project: str, service: str, *rest: str) -> list[str]:
    return ["project", project, "service", service, "user", *rest]


def _path(project: str, service: str, *rest: str) -> str:
    return "/v1/" + "/".join(quote(segment, safe="") for segment in _segments(project, service, *rest))


def get_user(client: AivenClient, project: str, service: str, username: str, include_secrets: bool = False) -> dict[str, Any]:
    """The user object of ``GET …/user/U`` (404 raises); with ``include_secrets`` its password, when the token may read it."""
    data = client.request("GET", _segments(project, service, username), query="include_secrets=true" if include_secrets else "")
    user = data.get("user")
    if not isinstance(user, dict):
        raise AivenApiError(200, "reply has no 'user' object", method="GET", path=_path(project, service, username))
    return user


def create_user(client: AivenClient, project: str, service: str, username: str, replication: bool | None) -> bool:
    """Create a user (``access_control`` sent only when declared). True when this call created it; False when it existed before.

    As for databases, a 409 "already exists" after an attempt whose reply was lost (``maybe_applied``) is that attempt's
    doing: True. On a first try it was there already.
    """
    body: dict[str, Any] = {"username": username}
    if replication is not None:
        body["access_control"] = {"pg_allow_replication": replication}
    try:
        client.request("POST", _segments(project, service), body)
    except AivenApiError as err:
        if err.already_exists:
            return err.maybe_applied
        raise
    return True


def reset_password(client: AivenClient, project: str, service: str, username: str, new_password: str | None) -> None:
    """``reset-credentials``: the given password, or (None) one that Aiven generates."""
    body: dict[str, Any] = {"operation": "reset-credentials"}
    if new_password is not None:
        body["new_password"] = new_password
    client.request("PUT", _segments(project, service, username), body)


def set_replication(client: AivenClient, project: str, service: str, username: str, value: bool) -> None:
    client.request("PUT", _segments(project, service, username), {"operation": "set-access-control", "access_control": {"pg_allow_replication": value}})


def delete_user(client: AivenClient, project: str, service: str, username: str) -> bool:
    """Delete a user. True when this call deleted it; False when it was already gone (a missing service raises).

    After an attempt whose reply was lost, a 404 is that attempt's doing: True.
    """
    return client.delete(_segments(project, service, username))


class Unreadable(Exception):
    """The user, or its password, did not show within the bounded wait; the message says which and why."""

    def __init__(self, message: str, last: Any = None) -> None:
        super().__init__(message)
        self.last = last


def read_settled(client: AivenClient, project: str, service: str, username: str, need_password: bool,
                 sleep: Callable[[float], None], delays: Sequence[float] = PASSWORD_DELAYS, redacted_ok: bool = False) -> dict[str, Any]:
    """Read a user just created or changed until it shows (404 is "not yet") and, with ``need_password``, until its password
    can be read ("" or null is "not yet"). ``<redacted>`` ends the wait: returned with ``redacted_ok`` (a reset that only
    needs confirming, by a token that may not read secrets), else raised. Raises Unreadable when the wait runs out."""
    waits = list(delays) if need_password else list(READ_LAG_DELAYS)
    last: Any = None
    while True:
        try:
            user = get_user(client, project, service, username, include_secrets=need_password)
        except AivenApiError as err:
            if not err.not_found or err.service_missing:
                raise
            if not waits:
                raise Unreadable(f"the user was created but the API still answers 404 for it after {sum(READ_LAG_DELAYS):.0f} s") from None
        else:
            last = user.get("password")
            if not need_password or readable_password(last) is not None:
                return user
            if last == REDACTED and redacted_ok:
                return user
            if last == REDACTED:
                raise Unreadable("its password cannot be read: the API answered it <redacted> (the token may not read secrets: "
                                 "it needs service:secrets:read or service:users:write)", last)
            if not waits:
                raise Unreadable(f"its password was still empty after {sum(delays):.0f} s of reading it again", last)
        sleep(waits.pop(0))


def read_listed(client: AivenClient, project: str, service: str, username: str, sleep: Callable[[float], None]) -> dict[str, Any]:
    """A user the service document lists, read with include_secrets=true, to compare or return its password.

    A user created or reset shortly before (by an earlier run that did not read it) may still answer 404 or an empty
    password: read again, bounded (READ_LAG_TOTAL). The last reply is returned even when its password is still empty
    (changed inside PostgreSQL, it stays so): the caller judges. Raises Unreadable when the user never showed.
    """
    last: dict[str, Any] | None = None
    for delay in (*READ_LAG_DELAYS, None):
        try:
            last = get_user(client, project, service, username, include_secrets=True)
        except AivenApiError as err:
            if not err.not_found or err.service_missing:
                raise
        else:
            password = last.get("password")
            if readable_password(password) is not None or password == REDACTED:
                return last
        if delay is None:
            break
        sleep(delay)
    if last is None:
        raise Unreadable(f"the service lists the user, but the API still answers 404 for it after {READ_LAG_TOTAL:.0f} s")
    return last


def read_gone(client: AivenClient, project: str, service: str, username: str, sleep: Callable[[float], None]) -> bool:
    """After a delete: read until 404, bounded (a deleted user may still be read for up to about 30 s); whether it went."""
    for delay in (0.0, *READ_LAG_DELAYS):
        if delay:
            sleep(delay)
        try:
            get_user(client, project, service, username)
        except AivenApiError as err:
            if err.not_found and not err.service_missing:
                return True
            raise
    return False
