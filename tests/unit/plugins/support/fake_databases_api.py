# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The database routes of the Aiven API in-process, on 127.0.0.1, for aiven_pg_database's tests.

As the contract (AIVEN_DATABASES_USERS.md sections 1 to 3 and 8) describes them, in memory:

- ``GET …/service/S``: the service document (``state``, ``databases`` as names, ``connection_pools``);
  a service added with ``add_service`` exists, any other answers 404 "Service S does not exist";
- ``GET …/service/S/db``: pages of ``page_size`` (or ``maxItems``, 1 to 250) in name order, ``next`` the
  last name of a page when more remain, ``after`` a name; 503 while the service is ``POWEROFF``;
  ``omit_locales`` leaves the locales out of the items, as some real replies do;
- ``POST …/service/S/db``: 409 "already exists" for a name the service has, 400 for one over 40
  characters; ``commit_then_fail`` creates the next database and answers 500, as a lost reply would;
- ``DELETE …/service/S/db/NAME``: 404 for a name the service does not have.

StubServer's ``script`` replies win over all of it, and every request is recorded.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import SplitResult, parse_qs, urlsplit

from ansible_collections.dbpools.aiven.tests.unit.plugins.support.service_routes import ServiceRoutedFake, error
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.stub_server import Recorded, Reply

DEFAULT_LOCALE = "en_US.UTF-8"


class FakeDatabasesApi(ServiceRoutedFake):
    def __init__(self) -> None:
        super().__init__()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._scripts.clear()
            self.services: dict[tuple[str, str], dict[str, Any]] = {}
            self.page_size = 250
            self.omit_locales = False
            self.commit_then_fail = False
            # List lag: the next lag_reads list reads after a create (delete) still leave out (show) that database;
            # ``hidden`` are the names lagging now.
            self.lag_reads = 0
            self.hidden: set[str] = set()
            self._lagging = 0

    def hide(self, name: str) -> None:
        """Leave ``name`` out of the next ``lag_reads`` list reads, as the API's list lags behind a create."""
        if self.lag_reads > 0:
            self.hidden.add(name)
            self._lagging = self.lag_reads

    def add_service(self, project: str, service: str, state: str = "RUNNING", pools: dict[str, str] | None = None,
                    databases: dict[str, dict[str, str]] | None = None) -> None:
        """A service with ``pools`` (pool name -> database) and ``databases`` (name -> locales; defaultdb when None)."""
        self.services[(project, service)] = {
            "state": state,
            "pools": dict(pools or {}),
            "databases": dict(databases if databases is not None else {"defaultdb": {"lc_collate": DEFAULT_LOCALE, "lc_ctype": DEFAULT_LOCALE}}),
        }

    def databases(self, project: str, service: str) -> dict[str, dict[str, str]]:
        return self.services[(project, service)]["databases"]

    def queries(self) -> list[dict[str, list[str]]]:
        """The query of every request to a database list, in order."""
        return [parse_qs(urlsplit(item.path).query) for item in self.requests if item.method == "GET" and urlsplit(item.path).path.endswith("/db")]

    def _route(self, service: dict[str, Any], rest: list[str], recorded: Recorded, target: SplitResult) -> Reply:
        if rest[:1] != ["db"] or len(rest) > 2:
            return error(404, "Not found")
        if len(rest) == 2:
            return self._delete(service, rest[1]) if recorded.method == "DELETE" else error(405, "Method Not Allowed")
        if recorded.method == "GET":
            return self._list(service, parse_qs(target.query))
        if recorded.method == "POST":
            return self._create(service, recorded.json() or {})
        return error(405, "Method Not Allowed")

    @staticmethod
    def _document(name: str, service: dict[str, Any]) -> dict[str, Any]:
        return {"service_name": name, "service_type": "pg", "state": service["state"], "databases": sorted(service["databases"]),
                "connection_pools": [{"pool_name": pool, "database": database, "pool_mode": "transaction", "pool_size": 10}
                                     for pool, database in service["pools"].items()]}

    def _list(self, service: dict[str, Any], query: dict[str, list[str]]) -> Reply:
        if service["state"] == "POWEROFF":
            return error(503, "An error occurred. Please try again later.")
        size = int(query.get("maxItems", [str(self.page_size)])[-1])
        if not 1 <= size <= 250:
            return error(400, "Invalid value for maxItems parameter: must be between 1 and 250")
        size = min(size, self.page_size)
        after = query.get("after", [""])[-1]
        if not after and self.hidden:
            # A read of the whole list (its first page) uses up one read of the lag.
            if self._lagging > 0:
                self._lagging -= 1
            else:
                self.hidden.clear()
        names = [name for name in sorted(service["databases"]) if name > after and name not in self.hidden]
        page = names[:size]
        items = []
        for name in page:
            item = {"database_name": name}
            if not self.omit_locales:
                item.update(service["databases"][name])
            items.append(item)
        body: dict[str, Any] = {"databases": items}
        if len(names) > size:
            body["next"] = page[-1]
        return (200, {}, body)

    def _create(self, service: dict[str, Any], body: dict[str, Any]) -> Reply:
        name = body.get("database")
        if not isinstance(name, str) or not 1 <= len(name) <= 40:
            return error(400, "Invalid input: database")
        if name in service["databases"]:
            return error(409, f"Database '{name}' already exists")
        service["databases"][name] = {key: body.get(key) or DEFAULT_LOCALE for key in ("lc_collate", "lc_ctype")}
        self.hide(name)
        if self.commit_then_fail:
            self.commit_then_fail = False
            return error(500, "Internal server error")
        return (200, {}, {"message": "created"})

    @staticmethod
    def _delete(service: dict[str, Any], name: str) -> Reply:
        if service["databases"].pop(name, None) is None:
            return error(404, f"Database '{name}' does not exist")
        return (200, {}, {"message": "deleted"})
