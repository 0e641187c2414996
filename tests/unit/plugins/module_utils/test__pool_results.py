# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The modules' results (module_utils/_pool_results.py): changes, diff and pools, without secrets unless asked for."""

from __future__ import annotations

from ansible_collections.dbpools.aiven.plugins.module_utils import _pool_results, _pools_planning
from ansible_collections.dbpools.aiven.plugins.module_utils._pool_results import diff_entry
from ansible_collections.dbpools.aiven.plugins.module_utils._pools_planning import plan
from ansible_collections.dbpools.aiven.plugins.module_utils._text import TEXT_MAX
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.pool_builders import (
    HOST,
    PASSWORD,
    pool,
    uri,
    want,
)

SETTING_LINES = "database_name: appdb\nusername: appuser\npool_mode: transaction\npool_size: {size}\n"


def test_diff_entry_of_an_update_has_headers_and_setting_lines_in_a_fixed_order() -> None:
    (change,) = plan([pool(name="upd")], [want("upd", pool_size=50)])
    entry = diff_entry("proj/svc/upd", change.before, change.after)
    assert entry == {"before_header": "proj/svc/upd", "after_header": "proj/svc/upd",
                     "before": SETTING_LINES.format(size=10), "after": SETTING_LINES.format(size=50)}


def test_diff_entry_sides_of_a_create_and_a_delete_are_empty() -> None:
    create, delete = plan([pool(name="del")], [want("new", database_name="appdb", username="app"), want("del", state="absent")])
    assert diff_entry("p/s/new", create.before, create.after)["before"] == ""
    assert diff_entry("p/s/new", create.before, create.after)["after"].splitlines() == [
        "database_name: appdb", "username: app", "pool_mode: transaction", "pool_size: 10"]
    assert diff_entry("p/s/del", delete.before, delete.after)["after"] == ""
    assert diff_entry("p/s/del", delete.before, delete.after)["before"] == SETTING_LINES.format(size=10)


def test_diff_entry_strips_uri_host_and_password_from_hand_built_views() -> None:
    text = repr(diff_entry("p/s/app", pool(), dict(pool(), pool_size=1)))
    assert PASSWORD not in text and "connection_uri" not in text and HOST not in text


def test_change_entry_names_the_pool_and_holds_settings_only() -> None:
    update, create, delete = plan([pool(name="upd"), pool(name="del")],
                                  [want("upd", pool_size=50, username=""), want("new", database_name="d"), want("del", state="absent")])
    assert _pool_results.change_entry("proj", "svc", update) == {
        "project": "proj", "service_name": "svc", "pool_name": "upd", "action": "update", "fields": ["pool_size", "username"],
        "before": {"database_name": "appdb", "username": "appuser", "pool_mode": "transaction", "pool_size": 10},
        "after": {"database_name": "appdb", "username": None, "pool_mode": "transaction", "pool_size": 50}}
    assert _pool_results.change_entry("proj", "svc", create)["before"] is None and "fields" not in _pool_results.change_entry("proj", "svc", create)
    assert _pool_results.change_entry("proj", "svc", delete)["after"] is None
    assert PASSWORD not in repr([_pool_results.change_entry("proj", "svc", c) for c in (update, create, delete)])


def test_public_pool_has_connection_details_and_no_secret_by_default() -> None:
    public = _pool_results.public_pool("proj", "svc", pool(name="app", username="app"))
    assert public == {"project": "proj", "service_name": "svc", "pool_name": "app", "database_name": "appdb", "username": "app",
                      "pool_mode": "transaction", "pool_size": 10, "host": HOST, "port": 12692, "dbname": "app", "user": "app",
                      "sslmode": "require"}


def test_public_pool_with_secrets_adds_the_uri_and_its_password() -> None:
    public = _pool_results.public_pool("proj", "svc", pool(name="app"), include_secrets=True)
    assert public["connection_uri"] == uri(user="appuser", name="app") and public["password"] == PASSWORD
    hidden_pool = dict(pool(name="app"), connection_uri=uri(password="<redacted>"))
    hidden = _pool_results.public_pool("proj", "svc", hidden_pool, include_secrets=True)
    assert hidden["password"] is None and "<redacted>" in hidden["connection_uri"]


def test_public_pool_of_an_unpinned_pool_has_an_empty_user_and_never_the_admins_credentials() -> None:
    # The API's URI of an unpinned pool names the admin with the admin's password.
    unpinned = pool(name="shared", username=None)
    assert unpinned["username"] is None and PASSWORD in unpinned["connection_uri"]
    public = _pool_results.public_pool("proj", "svc", unpinned)
    assert (public["username"], public["user"], public["sslmode"]) == (None, "", "require")
    secret = _pool_results.public_pool("proj", "svc", unpinned, include_secrets=True)
    assert secret["connection_uri"] == f"postgres://{HOST}:12692/shared?sslmode=require" and secret["password"] == ""
    assert PASSWORD not in repr(secret) and "avnadmin" not in repr(secret)
    # Credentials that cannot be told apart from the rest: no URI rather than one that may hold a password.
    odd = dict(unpinned, connection_uri=f"postgres://avnadmin:pa/ss@{HOST}:12692/shared")
    assert _pool_results.public_pool("proj", "svc", odd, include_secrets=True)["connection_uri"] is None


def test_public_pool_of_a_pool_not_created_yet_has_no_connection_details() -> None:
    (create,) = plan([], [want("new", database_name="appdb")])
    (predicted,) = _pools_planning.predict([], [create])
    public = _pool_results.public_pool("proj", "svc", predicted, include_secrets=True)
    assert {key: public[key] for key in ("host", "port", "sslmode", "connection_uri")} == dict.fromkeys(("host", "port", "sslmode", "connection_uri"))
    assert (public["user"], public["password"]) == ("", "")


def test_diff_entry_shows_api_names_and_values_printable() -> None:
    hostile = pool(name="x\x1b[2J", database="db\nforged: line", username="u\r")
    entry = diff_entry("p/s/x\x1b[2J", hostile, None)
    assert entry["before_header"] == entry["after_header"] == "p/s/x\\x1b[2J"
    assert entry["before"].splitlines() == ["database_name: db\\nforged: line", "username: u\\r", "pool_mode: transaction", "pool_size: 10"]
    long_name = diff_entry("p/s/" + "n" * 100_000, None, None)["before_header"]
    assert len(long_name) <= TEXT_MAX and long_name.endswith("...")
