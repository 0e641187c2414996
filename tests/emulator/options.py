"""Behaviours of the real API that the contract marks unconfirmed, as switches.

Defaults follow the most likely reading of ../shared/contract/AIVEN_API.md; tests
and users flip them (CLI flags, the seed's ``options:`` or PUT /_emulator/options)
to check that clients cope with every plausible variant.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from typing import Any, Dict

from .errors import bad_request


@dataclass
class Options:
    # Status for a pool whose database does not exist on the service (403, 404 or 400).
    missing_database_status: int = 404
    # Status for writes to a powered-off service: 409 not_powered, or a generic 503.
    poweroff_status: int = 409
    # Credentials in an unpinned pool's URI: "primary" (the service's admin user, as
    # the operator fills in) or "none" (no user info in the URI).
    unpinned_uri_user: str = "primary"
    # Since 2026 GET may redact secrets unless include_secrets=true is asked for.
    redact_secrets: bool = False
    # Whether pool URIs are redacted too when redact_secrets applies.
    redact_pool_uris: bool = False
    # Pools vanish when a service goes POWEROFF and back on.
    poweroff_drops_pools: bool = True
    # Pool names the API accepts. No pattern is published, but Aiven's pools live in
    # PgBouncer, whose config file takes only these characters in a database name.
    pool_name_pattern: str = r"^[A-Za-z0-9_.-]+$"

    _choices = {
        "missing_database_status": (400, 403, 404),
        "poweroff_status": (409, 503),
        "unpinned_uri_user": ("primary", "none"),
    }

    def update(self, values: Dict[str, Any]) -> None:
        known = {f.name: f.type for f in fields(self)}
        for key, value in values.items():
            if key not in known:
                raise bad_request(f"unknown emulator option {key!r}")
            current = getattr(self, key)
            if type(value) is not type(current):
                raise bad_request(f"emulator option {key!r} must be of type {type(current).__name__}")
            if key == "pool_name_pattern":
                _check_pattern(value)
            allowed = self._choices.get(key)
            if allowed and value not in allowed:
                raise bad_request(f"emulator option {key!r} must be one of {list(allowed)}")
        for key, value in values.items():
            setattr(self, key, value)

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)


def _check_pattern(value: str) -> None:
    try:
        re.compile(value)
    except re.error as exc:
        raise bad_request(f"emulator option 'pool_name_pattern' is not a regular expression: {exc}") from None
