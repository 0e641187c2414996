# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""FakeClient with the requests of databases and users (``_prerequisites.PrerequisitesApi``), for the engine's runs
that create the databases and users their pools need.

FakeClient's services have every database and user a pool names and list neither; the services
``add_listed_service`` adds list theirs in their document (``databases`` as names, ``users`` with type and
replication flag) and have only those: creates and replication changes go to them. Knobs:

- ``unlisted``: (project, service, database) the document leaves out though ``/db`` lists it (a large service);
- ``refuse``: database or user name -> AivenApiError its write raises;
- ``prerequisite_lag_reads``: reads after the first database or user write whose documents still list the
  databases and users as before it (read lag).

Every database or user request is recorded in ``requests`` and ``calls`` beside the pools' ones, as
("GET /db", project, service, None), ("POST /db", project, service, name), ("POST /user", …), ("PUT /user", …).
"""

from __future__ import annotations

import copy
from typing import Any

from ansible_collections.dbpools.aiven.plugins.module_utils._api import AivenApiError
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.engine_fakes import FakeClient

DEFAULT_LOCALE = "en_US.UTF-8"
DATABASE_WRITES = ("POST /db", "POST /user", "PUT /user")
POOL_WRITES = ("POST", "PUT", "DELETE")


class PrerequisiteClient(FakeClient):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.listed: dict[tuple[str, str], dict[str, Any]] = {}   # (project, service) -> {"databases": {name: locales}, "users": {name: (type, flag)}}
        self.unlisted: set[tuple[str, str, str]] = set()
        self.refuse: dict[str, AivenApiError] = {}
        self.prerequisite_lag_reads = 0
        self._listed_before: dict[tuple[str, str], dict[str, Any]] | None = None

    def add_listed_service(self, project: str, service: str, pools: Any = None, state: str = "RUNNING",
                           databases: Any = ("defaultdb",), users: Any = ()) -> None:
        """A service whose document lists ``databases`` (names, or name -> locales) and avnadmin plus ``users`` (names, or name -> flag)."""
        if (project, service) == ("proj", "svc"):
            self.pools.clear()
            for entry in pools or []:
                self.store(entry)
            self._service(project, service).state = state
        else:
            self.add_service(project, service, pools, state=state)
        found = databases if isinstance(databases, dict) else {name: {} for name in databases}
        flags = users if isinstance(users, dict) else {name: False for name in users}
        self.listed[(project, service)] = {
            "databases": {name: {"lc_collate": DEFAULT_LOCALE, "lc_ctype": DEFAULT_LOCALE, **locales} for name, locales in found.items()},
            "users": {"avnadmin": ("primary", True), **{name: ("normal", flag) for name, flag in flags.items()}},
        }

    def _shown(self, project: str, service: str) -> dict[str, Any]:
        if self._listed_before is not None and self.prerequisite_lag_reads > 0:
            return self._listed_before[(project, service)]
        return self.listed[(project, service)]

    def _document(self, project: str, service: str, rendering: Any) -> dict[str, Any]:
        document = super()._document(project, service, rendering)
        if (project, service) not in self.listed:
            return document
        shown = self._shown(project, service)
        return dict(document, databases=[name for name in shown["databases"] if (project, service, name) not in self.unlisted],
                    users=[{"username": name, "type": kind, "access_control": {"pg_allow_replication": flag}}
                           for name, (kind, flag) in shown["users"].items()])

    def _read_done(self) -> None:
        super()._read_done()
        if self._listed_before is not None and self.prerequisite_lag_reads > 0:
            self.prerequisite_lag_reads -= 1

    def _record(self, method: str, project: str, service: str, name: str | None) -> None:
        with self.lock:
            self.calls.append((method, name))
            self.requests.append((method, project, service, name))
            if method != "GET /db" and self._listed_before is None:
                self._listed_before = copy.deepcopy(self.listed)
        if name in self.refuse:
            raise self.refuse[name]

    def _state(self, project: str, service: str) -> dict[str, Any]:
        return self.listed[(project, service)]

    def list_databases(self, project: str, service: str) -> list[Any]:
        self._record("GET /db", project, service, None)
        if self._service(project, service).state == "POWEROFF":
            raise AivenApiError(503, "An error occurred. Please try again later.", method="GET", path=f"/v1/project/{project}/service/{service}/db")
        return [{"database_name": name, **locales} for name, locales in sorted(self._state(project, service)["databases"].items())]

    def create_database(self, project: str, service: str, body: dict[str, str]) -> bool:
        name = body["database"]
        self._record("POST /db", project, service, name)
        databases = self._state(project, service)["databases"]
        if name in databases:
            return False   # as _databases_api: answered "already exists" on its first try
        databases[name] = {locale: body.get(locale) or DEFAULT_LOCALE for locale in ("lc_collate", "lc_ctype")}
        return True

    def create_user(self, project: str, service: str, username: str, replication: bool | None) -> bool:
        self._record("POST /user", project, service, username)
        users = self._state(project, service)["users"]
        if username in users:
            return False
        users[username] = ("normal", bool(replication))
        return True

    def set_replication(self, project: str, service: str, username: str, value: bool) -> None:
        self._record("PUT /user", project, service, username)
        users = self._state(project, service)["users"]
        users[username] = (users[username][0], value)

    def kinds(self) -> list[str]:
        """Each write in order: "prerequisite" (a database or user) or "pool"."""
        return ["prerequisite" if method in DATABASE_WRITES else "pool" for method, *_rest in self.requests
                if method in DATABASE_WRITES or method in POOL_WRITES]

    def writes(self) -> list[tuple[str, str | None]]:
        return [(method, name) for method, _project, _service, name in self.requests if method != "GET" and method != "LIST" and method != "GET /db"]
