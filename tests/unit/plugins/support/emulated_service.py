# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A service's pools as the API keeps them, without HTTP: the emulator's model, rules, texts and documents.

The fakes of the Aiven API apply writes and render reads here, so the defaults a create
leaves to the API, its 404 and 409 answers, redaction and the connection URIs are the
emulator's (emulator/aiven_emulator/rules.py, errors.py, documents.py): FakeClient
(engine_fakes.py) and fake_api_apply in test__pools_planning.py below the HTTP layer,
FakeAivenApi (fake_api.py) above it. They share one world: a service has
every database and user a pool names, each user's password ``PASSWORD``.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from aiven_emulator import rules
from aiven_emulator.backends import Endpoint
from aiven_emulator.documents import Renderer
from aiven_emulator.model import Pool, Service, ServiceUser, Token
from aiven_emulator.options import Options

__all__ = [
    "DOCUMENT_KEYS",
    "ENDPOINT",
    "PASSWORD",
    "TOKEN_WITHOUT_SECRETS",
    "AnyDatabase",
    "AnyUser",
    "document",
    "new_service",
    "renderer",
    "store",
    "write",
]

PASSWORD = "fake-P00L-secret"
ENDPOINT = Endpoint(host="pg.example.com", pg_port=12691, pgbouncer_port=12692)
# What a service's document carries, besides the fields a test gives it.
DOCUMENT_KEYS = ("service_name", "service_type", "state", "plan", "connection_pools")
TOKEN_WITHOUT_SECRETS = Token(permissions=frozenset({"read", "write"}))

# The fields of an API pool object that the model stores (connection_uri is rendered).
STORED_FIELDS = ("database", "username", "pool_mode", "pool_size")


class AnyDatabase(list):
    """The databases of a fake service: whatever a pool names is one of them; none is listed."""

    def __contains__(self, name: object) -> bool:
        return True


class AnyUser(dict):
    """The users of a fake service: whatever a pool names is one of them, with ``PASSWORD``."""

    def __init__(self) -> None:
        super().__init__(avnadmin=ServiceUser("avnadmin", PASSWORD, "primary"))

    def __contains__(self, name: object) -> bool:
        return True

    def __missing__(self, name: str) -> ServiceUser:
        user = self[name] = ServiceUser(name, PASSWORD)
        return user


def new_service(project: str, name: str, entries: Iterable[Mapping[str, Any]] = (), **model_fields: Any) -> Service:
    """A service holding ``entries`` (API pool objects); ``model_fields`` such as state and plan are the model's."""
    service = Service(project, name, databases=AnyDatabase(), users=AnyUser(), **model_fields)
    for entry in entries:
        store(service, entry)
    return service


def store(service: Service, entry: Mapping[str, Any]) -> None:
    """Put a pool in as another writer left it, past the rules; fields it leaves out take the model's defaults."""
    settings = {key: entry[key] for key in STORED_FIELDS if entry.get(key) is not None}
    service.pools[entry["pool_name"]] = Pool(pool_name=entry["pool_name"], **settings)


def write(service: Service, method: str, pool_name: str, body: Mapping[str, Any], options: Options | None = None) -> None:
    """POST, PUT or DELETE of one pool, as the emulator's rules apply it; an ApiError is the API's refusal."""
    options = options or Options()
    if method == "POST":
        rules.add_pool(service, rules.create_checked(service, dict(body), options))
    elif method == "PUT":
        rules.change_pool(service, pool_name, rules.update_checked(service, dict(body), options))
    elif method == "DELETE":
        rules.writable(service, options)
        rules.remove_pool(service, pool_name)
    else:
        raise ValueError(f"no pool write is a {method}")


def renderer(include_secrets: bool | str, secrets: str = "readable") -> Renderer:
    """How a read is rendered; ``secrets`` plays the token and the API as FakeAivenApi's knob of that name does.

    ``include_secrets`` is whether the read asks for secrets, or the raw value of its
    query parameter, which the emulator's rules read as the API does.

    "forbidden": the token may not read secrets (403 on include_secrets, the emulator's
    ApiError); "redacted": the API redacts anyway; "unredacted": it never redacts pool URIs.
    """
    token = TOKEN_WITHOUT_SECRETS if secrets == "forbidden" else Token()
    asked = include_secrets if isinstance(include_secrets, str) else ("true" if include_secrets else "")
    show = rules.show_secrets(asked, token) and secrets != "redacted"
    return Renderer(Options(redact_pool_uris=secrets != "unredacted"), show_secrets=show)


def document(service: Service, rendering: Renderer, fields: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The service's document as the fake API gives it: its DOCUMENT_KEYS, then ``fields`` over them."""
    full = rendering.service(service, ENDPOINT)
    result = {key: full[key] for key in DOCUMENT_KEYS}
    result.update(fields or {})
    return result
