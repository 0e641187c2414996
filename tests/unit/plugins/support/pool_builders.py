# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pools as the tests of the pure pool files build them: API pool objects, normalised pools, desired entries,
and hypothesis strategies of a service's pools."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from ansible_collections.dbpools.aiven.plugins.module_utils import _declaration_rules
from ansible_collections.dbpools.aiven.plugins.module_utils._service_document import SETTINGS, normalise_pool

PASSWORD = "s3cr3t-AVNS_pw"

HOST = "pg-demo-proj.aivencloud.com"


def uri(user: str = "avnadmin", name: str = "app", host: str = HOST, port: int = 12692, password: str = PASSWORD) -> str:
    return f"postgres://{user}:{password}@{host}:{port}/{name}?sslmode=require"


def api_entry(name: str = "app", database: str = "appdb", username: str | None = "appuser", mode: str = "transaction", size: int = 10) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "pool_name": name,
        "database": database,
        "pool_mode": mode,
        "pool_size": size,
        "connection_uri": uri(user=username or "avnadmin", name=name),
    }
    if username is not None:
        entry["username"] = username
    return entry


def pool(**kwargs: Any) -> dict[str, Any]:
    return normalise_pool(api_entry(**kwargs))


def want(name: str = "app", state: str = "present", **settings_: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"pool_name": name, "state": state}
    entry.update(dict.fromkeys(SETTINGS))
    entry.update(settings_)
    return entry


NAMES = ["a", "b", "c", "d", "e", "f"]

USERS = ["u1", "u2", "avnadmin"]

DATABASES = ["db1", "db2"]


api_entries = st.lists(
    st.builds(
        api_entry,
        name=st.sampled_from(NAMES),
        database=st.sampled_from(DATABASES),
        username=st.one_of(st.none(), st.sampled_from(USERS)),
        mode=st.sampled_from(_declaration_rules.POOL_MODES),
        size=st.integers(1, 10000),
    ),
    max_size=len(NAMES),
    unique_by=lambda e: e["pool_name"],
)

PROPERTY_SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
