"""Behaviours of the real API that the contract marks unconfirmed, as switches.

Defaults follow the most likely reading of ../shared/contract/AIVEN_API.md; tests
and users flip them (CLI flags, the seed's ``options:`` or PUT /_emulator/options)
to check that clients cope with every plausible variant.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Dict, List

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

    # -- databases and service users (../shared/contract/AIVEN_DATABASES_USERS.md) --
    # Page size of GET .../db without maxItems. Unconfirmed: 10, so that a client that sends no
    # maxItems and ignores "next" misses databases on any service with more than ten.
    database_page_size: int = 10
    # "next" on the last page of GET .../db: "absent", "null" or "empty" (""). Unconfirmed:
    # "empty", the one that loops a client testing ``"next" in body`` or ``is not None``.
    database_last_page_next: str = "empty"
    # Whether /db items carry lc_collate/lc_ctype (the real API does for defaults; Terraform says
    # "not all database resources return lc_* values").
    database_list_locales: bool = True
    # 400 "Invalid value for limit parameter: maximum allowed value is 250" for limit > 250, the
    # 2026-06-25 incident (terraform-provider-aiven#2951); off: today's backend ignores limit=999.
    database_reject_large_limit: bool = False
    # Reads that list a service's databases (GET .../db, GET service, the service list) after a database create
    # (delete) that still do not list it (still list it). Confirmed to happen, frequency unknown: once by default.
    database_lag_reads: int = 1
    # Database names the API refuses to create or delete, by prefix: 403 "Service database 'X'
    # cannot be deleted, reserved name pattern" (aiven-operator#190, the current rule is unknown).
    reserved_database_prefixes: List[str] = field(default_factory=lambda: ["_aiven"])
    # Database names POST .../db accepts (the spec has only maxLength 40; "doesn't accept emojis").
    database_name_pattern: str = r"^[a-zA-Z0-9_][a-zA-Z0-9_-]{0,39}$"
    # Usernames POST .../user accepts (the spec has only maxLength 64): Terraform's former rule.
    username_pattern: str = r"^[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,63}$"
    # What deleting a database does to pools over it, and deleting a user to pools pinned to it:
    # "dangle" (the pool stays, broken), "cascade" (the pool goes too) or "refuse" (409).
    # Unconfirmed: "dangle", the silent breakage a client must warn about itself.
    delete_database_with_pools: str = "dangle"
    delete_user_with_pools: str = "dangle"
    # Status of database and user writes (POST/DELETE .../db, POST/PUT/DELETE .../user) on a
    # powered-off service. Unconfirmed: 503, which clients retry, like GET .../db.
    poweroff_db_user_write_status: int = 503
    # Status of DELETE of the primary user (the contract recommends 403; the real one is unknown).
    primary_user_delete_status: int = 403
    # GET .../user/{u} answers 404 this many times after the user was created (terraform#1982).
    user_create_404_reads: int = 1
    # GET .../user/{u} shows password "" this many times after a create or a reset (terraform 4.61.0).
    user_empty_password_reads: int = 1
    # GET .../user/{u} still answers a deleted user this many times (terraform's "delete did not propagate").
    user_delete_lag_reads: int = 1
    # The password POST .../user answers: "redacted" (write endpoints always redact, aiven-docs#1886),
    # "empty" or "clear". Unconfirmed for PG: "redacted", never a value to keep.
    user_create_password: str = "redacted"
    # A password changed inside PostgreSQL reads as JSON null (the spec) or "" (the operator).
    overridden_password: str = "null"
    # A PUT .../user with a field of another operation (access_control with reset-credentials,
    # new_password with set-access-control): "ignore" it silently (unconfirmed, the harder case) or "reject" (400).
    user_mismatched_fields: str = "ignore"
    # 400 for "authentication" (MySQL only) in a PG user create or modify; unconfirmed.
    reject_pg_authentication: bool = True
    # GET .../user/{u} by a read-only token: 403 (its permission list has no read_only; unconfirmed)
    # or a redacted 200.
    user_get_read_only_status: int = 403

    _choices = {
        "missing_database_status": (400, 403, 404),
        "poweroff_status": (409, 503),
        "unpinned_uri_user": ("primary", "none"),
        "poweroff_db_status": (200, 503),
        "pool_uri_route": ("dynamic", "public"),
        "rate_limit_shape": ("window", "bucket"),
        "project_ca_access": ("organization", "members"),
        "database_last_page_next": ("absent", "null", "empty"),
        "delete_database_with_pools": ("dangle", "cascade", "refuse"),
        "delete_user_with_pools": ("dangle", "cascade", "refuse"),
        "poweroff_db_user_write_status": (409, 503),
        "primary_user_delete_status": (400, 403, 409),
        "user_create_password": ("redacted", "empty", "clear"),
        "overridden_password": ("null", "empty"),
        "user_mismatched_fields": ("ignore", "reject"),
        "user_get_read_only_status": (200, 403),
    }
    # Inclusive bounds of the numeric options; NaN fails every comparison, so it is refused too.
    _ranges = {
        "rate_limit": (0, 1_000_000),
        "rate_limit_window": (0.001, 86400.0),
        "service_lag": (0.0, 3600.0),
        "backend_apply_delay": (0.0, 3600.0),
        "read_lag": (0.0, 3600.0),
        "database_page_size": (1, 250),
        "database_lag_reads": (0, 1000),
        "user_create_404_reads": (0, 1000),
        "user_empty_password_reads": (0, 1000),
        "user_delete_lag_reads": (0, 1000),
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
            if key in ("pool_name_pattern", "database_name_pattern", "username_pattern"):
                _check_pattern(key, value)
            if key == "reserved_database_prefixes" and not all(isinstance(item, str) and item for item in value):
                raise bad_request(f"emulator option {key!r} must be a list of non-empty strings")
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


def _check_pattern(key: str, value: str) -> None:
    try:
        re.compile(value)
    except re.error as exc:
        raise bad_request(f"emulator option {key!r} is not a regular expression: {exc}") from None
