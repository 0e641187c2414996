# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Aiven API's database routes of a PostgreSQL service, on top of AivenClient's request loop.

AivenClient makes each request (retries, pacing, the deadline, errors as AivenApiError);
this file knows the routes and their replies:

- ``GET …/db`` is paginated (``maxItems`` 1 to 250, ``after`` the previous page's ``next``;
  the last page has no ``next``, or null, or ""). The API is untrusted: a cursor seen
  before, or more than ``pages_max`` pages, stops the read with an error instead of
  looping, and a reply the contract does not allow is an error naming the route.
- ``POST …/db`` answers 409 "already exists" when the database exists, also when an
  earlier attempt of the same request created it and its reply was lost.
- ``DELETE …/db/NAME`` answers 404 for a database that is not there.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ansible_collections.dbpools.aiven.plugins.module_utils._api import AivenApiError, AivenClient
from ansible_collections.dbpools.aiven.plugins.module_utils._text import shown

# The most the list may be asked for per page (more was refused with 400 on 2026-06-25).
PAGE_SIZE_MAX = 250
# Pages read at most: 100,000 databases, far beyond any service, yet a bound on an API that never stops paging.
PAGES_MAX = 400


def _segments(project: str, service: str, *rest: str) -> list[str]:
    return ["project", project, "service", service, "db", *rest]


def _path(project: str, service: str, *rest: str) -> str:
    return "/v1/" + "/".join(quote(segment, safe="") for segment in _segments(project, service, *rest))


def _next_cursor(data: dict[str, Any], path: str, seen: set[str]) -> str | None:
    """The cursor of the next page, None after the last one; raises for one that is no string or was seen before."""
    cursor = data.get("next")
    if cursor is None or cursor == "":
        return None
    if not isinstance(cursor, str):
        raise AivenApiError(200, f"reply's 'next' must be a string, got {shown(cursor)}", method="GET", path=path)
    if cursor in seen:
        raise AivenApiError(200, f"the database list repeated its pagination cursor {shown(cursor)}; stopped reading it to avoid "
                                 "an endless loop", method="GET", path=path)
    seen.add(cursor)
    return cursor


def list_databases(client: AivenClient, project: str, service: str, page_size: int = PAGE_SIZE_MAX, pages_max: int = PAGES_MAX) -> list[Any]:
    """Every item of the service's database list, page after page, as the API sent them (see _databases_planning)."""
    page_size = min(max(page_size, 1), PAGE_SIZE_MAX)
    path = _path(project, service)
    items: list[Any] = []
    seen: set[str] = set()
    cursor: str | None = None
    for page in range(pages_max):
        query = f"maxItems={page_size}" + (f"&after={quote(cursor, safe='')}" if cursor is not None else "")
        data = client.request("GET", _segments(project, service), query=query)
        databases = data.get("databases")
        if not isinstance(databases, list):
            raise AivenApiError(200, f"reply of page {page + 1} has no 'databases' list", method="GET", path=path)
        items.extend(databases)
        cursor = _next_cursor(data, path, seen)
        if cursor is None:
            return items
    raise AivenApiError(200, f"the database list has more than {pages_max} pages of {page_size}; stopped reading it", method="GET", path=path)


def create_database(client: AivenClient, project: str, service: str, body: dict[str, str]) -> bool:
    """Create a database. True when this call created it; False when it existed before (409 "already exists" on a first try).

    A 409 after an attempt whose reply was lost (``maybe_applied``: a 5xx after the commit, a dropped connection) is that
    attempt's doing: True. On a first try it was there already, made by another writer or hidden by a lagging list.
    """
    try:
        client.request("POST", _segments(project, service), body)
    except AivenApiError as err:
        if err.already_exists:
            return err.maybe_applied
        raise
    return True


def delete_database(client: AivenClient, project: str, service: str, database: str) -> bool:
    """Delete a database. True when this call deleted it; False when it was already gone (a missing service raises).

    After an attempt whose reply was lost, a 404 is that attempt's doing: True.
    """
    return client.delete(_segments(project, service, database))
