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
    # Since 2026 GET answers secrets as "<redacted>" unless include_secrets=true is asked
    # for by a token that may read secrets (contract, "Secrets").
    redact_secrets: bool = True
    # Whether the password inside each pool's connection_uri is redacted too when
    # redact_secrets applies. Unconfirmed: on by default, the harder case for clients.
    redact_pool_uris: bool = True
    # Pools vanish when a service goes POWEROFF and back on.
    poweroff_drops_pools: bool = True
    # Pool names the API accepts. No pattern is published, but Aiven's pools live in
    # PgBouncer, whose config file takes only these characters in a database name.
    pool_name_pattern: str = r"^[A-Za-z0-9_.-]+$"

    # Rate limit per user (the tokens of one user share it): at most rate_limit requests per
    # rate_limit_window seconds; 0 switches it off. On by default as in production, which
    # quotes 120 in its one published 429; the window is unpublished, 60 s gives that
    # 429's "try again in 28s"-sized waits. Suites that must not wait turn it off and say why.
    rate_limit: int = 120
    rate_limit_window: float = 60.0
    # "window": production's shape (a burst of rate_limit passes, then a wait until the window
    # that the first request opened ends); "bucket": a token bucket refilled continuously.
    rate_limit_shape: str = "window"
    # Whether a 429 carries a Retry-After header. Undocumented: off by default, so the
    # wait is only in the text ("try again in Ns"), the harder case.
    rate_limit_retry_after_header: bool = False
    # Seconds after a service is created or set RUNNING during which pool writes answer
    # 404 "Service X does not exist" (Aiven's Go client retries that case).
    service_lag: float = 0.0
    # Seconds between a pool change in the API and PgBouncer applying it: the API shows
    # the change at once, connections see it later (the backend only).
    backend_apply_delay: float = 0.0
    # Status of GET .../db on a powered-off service: 503 in production, 200 to switch it off.
    poweroff_db_status: int = 503
    # The route of the pgbouncer component whose host and port a pool's connection_uri carries.
    # Unconfirmed: "public" by default, not the dynamic component the document lists first, so a
    # client that takes the first component for the pool's address is caught.
    pool_uri_route: str = "public"
    # Seconds after a pool write before GET service and the service list show it. 0 by default:
    # the contract's "Connectivity lags the API" says a new or changed pool shows in the next GET
    # at once; Terraform's re-reads ("API may not immediately reflect new/updated resources")
    # suggest it may not, unconfirmed, so lag is opt-in.
    read_lag: float = 0.0
    # Who may read the project CA: "organization" (production's permission map: only a token whose
    # user holds organization:projects:write) or "members" (any member of the project).
    project_ca_access: str = "organization"

    _choices = {
        "missing_database_status": (400, 403, 404),
        "poweroff_status": (409, 503),
        "unpinned_uri_user": ("primary", "none"),
        "poweroff_db_status": (200, 503),
        "pool_uri_route": ("dynamic", "public"),
        "rate_limit_shape": ("window", "bucket"),
        "project_ca_access": ("organization", "members"),
    }
    # Inclusive bounds of the numeric options; NaN fails every comparison, so it is refused too.
    _ranges = {
        "rate_limit": (0, 1_000_000),
        "rate_limit_window": (0.001, 86400.0),
        "service_lag": (0.0, 3600.0),
        "backend_apply_delay": (0.0, 3600.0),
        "read_lag": (0.0, 3600.0),
    }

    def update(self, values: Dict[str, Any]) -> None:
        known = {f.name: f.type for f in fields(self)}
        values = dict(values)
        for key, value in values.items():
            if key not in known:
                raise bad_request(f"unknown emulator option {key!r}")
            current = getattr(self, key)
            if isinstance(current, float) and isinstance(value, int) and not isinstance(value, bool):
                values[key] = value = float(value)
            if type(value) is not type(current):
                raise bad_request(f"emulator option {key!r} must be of type {type(current).__name__}")
            if key == "pool_name_pattern":
                _check_pattern(value)
            allowed = self._choices.get(key)
            if allowed and value not in allowed:
                raise bad_request(f"emulator option {key!r} must be one of {list(allowed)}")
            bounds = self._ranges.get(key)
            if bounds and not bounds[0] <= value <= bounds[1]:
                raise bad_request(f"emulator option {key!r} must be from {bounds[0]} to {bounds[1]}")
        for key, value in values.items():
            setattr(self, key, value)

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)


def _check_pattern(value: str) -> None:
    try:
        re.compile(value)
    except re.error as exc:
        raise bad_request(f"emulator option 'pool_name_pattern' is not a regular expression: {exc}") from None
