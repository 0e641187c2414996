# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The service users of a service: the rules of a declaration, the users read from the service document, and the plan.

Pure: no I/O, no Ansible. A *declared* user is a mapping with ``username``,
``pg_allow_replication``, ``password``, ``update_password``, ``rotate_password`` and
``state``; a *current* one is read from the ``users`` of the service document
(untrusted: a shape the contract does not allow raises ReplyError). Every problem is
collected, each naming ``project/service/username``, so that the caller can report them
all before its first write. A password never appears in a problem, a change entry or a diff.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.dbpools.aiven.plugins.module_utils._declaration_rules import STATES, USERNAME_MAX, list_problems, text_problem
from ansible_collections.dbpools.aiven.plugins.module_utils._service_document import ReplyError
from ansible_collections.dbpools.aiven.plugins.module_utils._text import listed, printable, shown, unusable_character

# ServiceUserCredentialsModify: new_password minLength 8, maxLength 256.
PASSWORD_MIN = 8
PASSWORD_MAX = 256
UPDATE_PASSWORD = ("on_create", "always")
# What the API answers where it has no password to give: null or "" (overridden inside PostgreSQL, or not yet
# set after a create or reset) and the redaction literal. None of them is ever a password.
REDACTED = "<redacted>"
PRIMARY = "primary"
# How a change reports a password it sets, never the password itself.
PASSWORD_SET = "set"
PASSWORD_GENERATED = "generated"


def readable_password(value: Any) -> str | None:
    """The password a reply carries, or None when it carries none (null, "", ``<redacted>``, anything but a string)."""
    if not isinstance(value, str) or value in ("", REDACTED):
        return None
    return value


def why_unreadable(value: Any) -> str:
    """Why a password read from the API is no password, for a message (never the value: it is no password, yet say only its kind)."""
    if value == REDACTED:
        return "the API answered it <redacted>: the token may not read secrets (it needs service:secrets:read or service:users:write)"
    if value is None or value == "":
        return ("the API answered it empty, also when read again: the password was changed inside PostgreSQL (Aiven no "
                "longer knows it), or it is still being set")
    return f"the API answered a {type(value).__name__}, not a string"


@dataclass
class CurrentUser:
    """A user of the service document: its type (``primary`` for the admin user) and its replication flag."""

    username: str
    type: str
    pg_allow_replication: bool

    @property
    def primary(self) -> bool:
        return self.type == PRIMARY

    def state(self) -> dict[str, Any]:
        return {"type": self.type, "pg_allow_replication": self.pg_allow_replication}


@dataclass
class UserChange:
    """One user's writes: ``create``, ``update`` (replication, password) or ``delete``.

    ``before``/``after`` hold the type and replication flag, None where the user does not exist.
    ``replication`` is the flag to send (None: not sent); ``password_change`` is PASSWORD_SET (``password``,
    the given one, is sent), PASSWORD_GENERATED (Aiven makes one) or None.
    """

    project: str
    service_name: str
    username: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    replication: bool | None = None
    password_change: str | None = None
    password: str | None = field(default=None, repr=False)
    # After the writes: the password read back (the given one when set), for include_secrets.
    password_read: str | None = field(default=None, repr=False)

    @property
    def renews_password(self) -> bool:
        """Whether the user ends this change with a password it did not have: created, set or generated."""
        return self.action == "create" or self.password_change is not None

    @property
    def label(self) -> str:
        return f"{self.project}/{self.service_name}/{self.username}"

    def entry(self) -> dict[str, Any]:
        """The change as the module returns it: no password, only whether one is set or generated."""
        return {"project": self.project, "service_name": self.service_name, "username": self.username, "action": self.action,
                "before": self.before, "after": self.after, "password_change": self.password_change}


def user_state(entry: Mapping[str, Any]) -> Any:
    """A missing or null state means present, as in the argument spec."""
    state = entry.get("state")
    return "present" if state is None else state


def _update_password(entry: Mapping[str, Any]) -> Any:
    value = entry.get("update_password")
    return "on_create" if value is None else value


def password_problem(value: Any) -> str | None:
    """Why ``value`` cannot be a password, without showing it, or None when it can."""
    if not isinstance(value, str):
        return f"password must be a string, got a {type(value).__name__}"
    if not PASSWORD_MIN <= len(value) <= PASSWORD_MAX:
        return f"password must be {PASSWORD_MIN} to {PASSWORD_MAX} characters (the API's limits), got {len(value)}"
    position = unusable_character(value)
    if position is not None:
        return f"password must not contain control characters (one at position {position})"
    if value == REDACTED:
        return f"password must not be {REDACTED!r}: that is what the API answers for a hidden password, not a password"
    return None


def _entry_label(entry: Mapping[str, Any], index: int, where: str | None, service: str) -> str:
    name = entry.get("username")
    if text_problem("username", name, USERNAME_MAX) is None:
        return f"{service}/{name}"
    return f"{service}: {where}[{index}]" if where else service


def _present_problems(entry: Mapping[str, Any]) -> list[str | None]:
    problems: list[str | None] = []
    if entry.get("password") is not None:
        problems.append(password_problem(entry["password"]))
    update = _update_password(entry)
    if update not in UPDATE_PASSWORD:
        problems.append(f"update_password must be one of {', '.join(UPDATE_PASSWORD)}, got {shown(update)}")
    rotate = entry.get("rotate_password")
    if rotate is not None and not isinstance(rotate, bool):
        problems.append(f"rotate_password must be a boolean, got {shown(rotate)}")
    if rotate and entry.get("password") is not None:
        problems.append("rotate_password asks Aiven for a new password and password gives one: give one of them")
    return problems


def entry_problems(entry: Any, index: int, where: str | None, service: str) -> list[str]:
    """Every rule one declared user breaks, each message naming it within ``service`` (``project/service``)."""
    if not isinstance(entry, Mapping):
        # Not shown: an item that is no dictionary may hold a password.
        return [f"{service}: {where or 'users'}[{index}] must be a dictionary, got a {type(entry).__name__}"]
    label = _entry_label(entry, index, where, service)
    problems: list[str | None] = [text_problem("username", entry.get("username"), USERNAME_MAX)]
    state = user_state(entry)
    if state not in STATES:
        problems.append(f"state must be one of {', '.join(STATES)}, got {shown(state)}")
    replication = entry.get("pg_allow_replication")
    if replication is not None and not isinstance(replication, bool):
        problems.append(f"pg_allow_replication must be a boolean, got {shown(replication)}")
    if state == "absent":
        given = [key for key in ("password", "pg_allow_replication") if entry.get(key) is not None]
        given += ["rotate_password"] if entry.get("rotate_password") else []
        if given:
            problems.append(f"{', '.join(given)} cannot be declared for a user with state absent")
    else:
        problems.extend(_present_problems(entry))
    return [f"{label}: {problem}" for problem in problems if problem]


def declared_problems(entries: Any, where: str | None, service: str) -> list[str]:
    """Every rule a service's declared users break: each entry's, then names declared twice."""
    return list_problems(entries, where, service, "users", "username", entry_problems)


def current_users(document: Mapping[str, Any]) -> dict[str, CurrentUser]:
    """The users of a service document by name. A PostgreSQL service always lists its primary user, so no list is an error."""
    users = document.get("users")
    if not isinstance(users, list):
        raise ReplyError(f"the service document has no 'users' list (got {shown(users)}); a PostgreSQL service always lists its admin user")
    found: dict[str, CurrentUser] = {}
    for index, item in enumerate(users):
        if not isinstance(item, Mapping):
            raise ReplyError(f"users[{index}] must be an object, got {shown(type(item).__name__)}")
        name = item.get("username")
        if not isinstance(name, str) or not name:
            raise ReplyError(f"users[{index}]: username must be a non-empty string, got {shown(name)}")
        found[name] = user_of(item, f"users[{index}]")
    return found


def user_of(item: Mapping[str, Any], where: str = "user") -> CurrentUser:
    """One user object (of the service document or of GET …/user/U); a missing access_control or flag is false."""
    kind = item.get("type")
    if not isinstance(kind, str):
        raise ReplyError(f"{where}: type must be a string, got {shown(kind)}")
    control = item.get("access_control")
    flag = control.get("pg_allow_replication") if isinstance(control, Mapping) else None
    if flag is not None and not isinstance(flag, bool):
        raise ReplyError(f"{where}: access_control.pg_allow_replication must be a boolean, got {shown(flag)}")
    return CurrentUser(str(item.get("username")), kind, bool(flag))


def pools_by_user(document: Mapping[str, Any]) -> dict[str, list[str]]:
    """The pools of a service document by the user they are pinned to; only read to guard a delete, so odd items are passed over."""
    pools = document.get("connection_pools")
    pinned: dict[str, list[str]] = {}
    for pool in pools if isinstance(pools, list) else []:
        if isinstance(pool, Mapping) and isinstance(pool.get("username"), str) and isinstance(pool.get("pool_name"), str):
            pinned.setdefault(pool["username"], []).append(pool["pool_name"])
    return pinned


def needs_password_read(entry: Mapping[str, Any], include_secrets: bool) -> bool:
    """Whether the plan of an existing user needs its current password: to compare (update_password always) or to return it."""
    if user_state(entry) != "present" or entry.get("rotate_password"):
        return False
    return include_secrets or (entry.get("password") is not None and _update_password(entry) == "always")


@dataclass
class ServicePlan:
    """What one service needs: the writes, and the problems that forbid any write of the run."""

    changes: list[UserChange] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class ServiceUsers:
    """One service as read: its users, the pools pinned to each, and the passwords read (None: unreadable) by name."""

    current: Mapping[str, CurrentUser]
    pools_pinned: Mapping[str, Sequence[str]] = field(default_factory=dict)
    passwords: Mapping[str, str | None] = field(default_factory=dict)


def _delete(label: str, has: CurrentUser, pools: Sequence[str], allow_in_use: bool, option: str) -> str | None:
    """Why ``has`` may not be deleted, or None."""
    if has.primary:
        return (f"{label}: the user is the service's admin user (type primary), which is never deleted; "
                "remove state: absent for it")
    if pools and not allow_in_use:
        return (f"{label}: connection pools of the service are pinned to the user ({listed([printable(p) for p in pools])}); "
                f"delete those pools or move them to another user first, or set {option}: true to delete it anyway")
    return None


def _update(project: str, service_name: str, has: CurrentUser, entry: Mapping[str, Any], known: str | None) -> UserChange | None:
    """The update an existing user needs, or None."""
    wanted = entry.get("pg_allow_replication")
    replication = wanted if wanted is not None and wanted != has.pg_allow_replication else None
    password_change = None
    password = None
    if entry.get("rotate_password"):
        password_change = PASSWORD_GENERATED
    elif entry.get("password") is not None and _update_password(entry) == "always" and known != entry["password"]:
        # Set again unless the password read is the one given; one that cannot be read is never taken as equal.
        password_change, password = PASSWORD_SET, entry["password"]
    if replication is None and password_change is None:
        return None
    after = dict(has.state(), pg_allow_replication=has.pg_allow_replication if replication is None else replication)
    return UserChange(project, service_name, has.username, "update", has.state(), after, replication, password_change, password)


def plan_service(project: str, service_name: str, read: ServiceUsers, declared: Sequence[Mapping[str, Any]],
                 allow_in_use: bool, allow_in_use_option: str = "allow_in_use") -> ServicePlan:
    """The writes that make the users ``read`` what ``declared`` says, in declared order, and every problem found."""
    plan = ServicePlan()
    for entry in declared:
        name = entry["username"]
        label = f"{project}/{service_name}/{printable(name)}"
        has = read.current.get(name)
        if user_state(entry) == "absent":
            if has is None:
                continue
            problem = _delete(label, has, list(read.pools_pinned.get(name, [])), allow_in_use, allow_in_use_option)
            if problem:
                plan.problems.append(problem)
            else:
                plan.changes.append(UserChange(project, service_name, name, "delete", has.state(), None))
            continue
        if has is None:
            password = entry.get("password")
            plan.changes.append(UserChange(project, service_name, name, "create", None,
                                           {"type": "normal", "pg_allow_replication": bool(entry.get("pg_allow_replication"))},
                                           entry.get("pg_allow_replication"), PASSWORD_SET if password is not None else None, password))
            continue
        if has.primary and entry.get("pg_allow_replication") is False:
            plan.problems.append(f"{label}: the admin user (type primary) always has replication; "
                                 "remove pg_allow_replication: false for it")
            continue
        change = _update(project, service_name, has, entry, read.passwords.get(name))
        if change is not None:
            plan.changes.append(change)
    return plan


def diff_text(state: Mapping[str, Any] | None, password_change: str | None = None) -> str:
    """One side of a user's diff: a line per field, the empty string when the user does not exist. Never the password."""
    if state is None:
        return ""
    lines = f"type: {printable(str(state['type']))}\npg_allow_replication: {str(state['pg_allow_replication']).lower()}\n"
    if password_change == PASSWORD_SET:
        lines += "password: (set to the given one, not shown)\n"
    elif password_change == PASSWORD_GENERATED:
        lines += "password: (a new one generated by Aiven, not shown)\n"
    return lines


def diff_of(change: UserChange) -> dict[str, str]:
    """The diff of one change, headed ``project/service/username`` (printable: names may come from the API)."""
    header = printable(change.label)
    return {"before_header": header, "after_header": header, "before": diff_text(change.before),
            "after": diff_text(change.after, change.password_change)}
