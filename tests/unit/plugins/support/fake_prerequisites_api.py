# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""FakeAivenApi with the database and user routes aiven_connection_pool uses for ``database_definitions`` and ``user_definitions``.

A service added with ``add_listed_service`` lists its databases (names) and users (avnadmin, the primary user, and
the others with their replication flag) in its document, and has only those:

- ``GET …/service/S/db``: every database with its locales, in one page (no ``next``);
- ``POST …/service/S/db``: 409 "already exists" for a database the service has;
- ``POST …/service/S/user``: 409 "already exists" for a user the service has;
- ``PUT …/service/S/user/U``: ``set-access-control``.

Pools and every other route are FakeAivenApi's (any database and user a pool names is accepted there).
Every request is recorded; StubServer's ``script`` replies win over all of it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from aiven_emulator.documents import Renderer
from aiven_emulator.model import Service
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.fake_api import FakeAivenApi, error_reply
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.stub_server import Recorded, Reply

DEFAULT_LOCALE = "en_US.UTF-8"


class FakePrerequisitesApi(FakeAivenApi):
    def reset(self, pool_name_rule: bool = False) -> None:
        super().reset(pool_name_rule)
        self.listed: dict[tuple[str, str], dict[str, Any]] = {}

    def add_listed_service(self, project: str, name: str, databases: Any = ("defaultdb",), users: Any = (), **fields: Any) -> None:
        """A service whose document lists ``databases`` and avnadmin plus ``users`` (names, or name -> replication flag)."""
        self.add_service(project, name, **fields)
        flags = users if isinstance(users, dict) else {user: False for user in users}
        self.listed[(project, name)] = {
            "databases": {database: {"lc_collate": DEFAULT_LOCALE, "lc_ctype": DEFAULT_LOCALE} for database in databases},
            "users": {"avnadmin": ("primary", True), **{user: ("normal", flag) for user, flag in flags.items()}},
        }

    def writes(self) -> list[str]:
        return [call for call in self.calls() if not call.startswith("GET")]

    def _document(self, service: Service, renderer: Renderer) -> dict[str, Any]:
        document = super()._document(service, renderer)
        listed = self.listed.get((service.project, service.name))
        if listed is None:
            return document
        return dict(document, databases=list(listed["databases"]),
                    users=[{"username": user, "type": kind, "password": "<redacted>", "access_control": {"pg_allow_replication": flag}}
                           for user, (kind, flag) in listed["users"].items()])

    def _answer(self, recorded: Recorded) -> Reply:
        segments = [unquote(segment) for segment in urlsplit(recorded.path).path.split("/")[1:]]
        listed = self.listed.get((segments[2], segments[4])) if len(segments) > 5 and segments[:2] == ["v1", "project"] else None
        if listed is None or segments[5] not in ("db", "user"):
            return super()._answer(recorded)
        rest, body = segments[5:], recorded.json() or {}
        if rest == ["db"] and recorded.method == "GET":
            return (200, {}, {"databases": [{"database_name": name, **locales} for name, locales in sorted(listed["databases"].items())]})
        if rest == ["db"] and recorded.method == "POST":
            if body["database"] in listed["databases"]:
                return error_reply(409, f"Database '{body['database']}' already exists")
            listed["databases"][body["database"]] = {locale: body.get(locale) or DEFAULT_LOCALE for locale in ("lc_collate", "lc_ctype")}
            return (200, {}, {"message": "created"})
        if rest == ["user"] and recorded.method == "POST":
            if body["username"] in listed["users"]:
                return error_reply(409, f"Service user {body['username']} already exists")
            listed["users"][body["username"]] = ("normal", bool((body.get("access_control") or {}).get("pg_allow_replication")))
            return (200, {}, {"user": {"username": body["username"], "type": "normal", "password": "<redacted>"}})
        if len(rest) == 2 and rest[0] == "user" and recorded.method == "PUT" and rest[1] in listed["users"]:
            listed["users"][rest[1]] = (listed["users"][rest[1]][0], bool(body["access_control"]["pg_allow_replication"]))
            return (200, {}, {"message": "updated"})
        return error_reply(404, "Not found")
