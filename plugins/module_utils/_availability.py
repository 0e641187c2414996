# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Services that cannot take pool changes now (powered off, not running in time, gone), and what a run does about them.

The option ``unavailable`` says: ``fail`` stops the run before any write (the default),
``skip`` sets such a service aside and applies the others, ``skip_then_fail`` does the same
and then fails naming the set-aside services, so a scheduled job alerts without holding
back the services that could be changed. Only the service's state decides: a problem of
the declaration itself (a rule broken, a database it does not have) fails the run whatever
the option says. Pure: no I/O, no Ansible.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ansible_collections.dbpools.aiven.plugins.module_utils._declaration_rules import service_label

FAIL = "fail"
SKIP = "skip"
SKIP_THEN_FAIL = "skip_then_fail"
CHOICES = (FAIL, SKIP, SKIP_THEN_FAIL)

# Why a service was set aside: the result's ``reason``, a word a playbook can test.
POWERED_OFF = "powered_off"
NOT_RUNNING = "not_running"
NOT_FOUND = "not_found"

# Aiven's text for a service that does not exist (a 404 on a project that does not exist says "Project ...").
_SERVICE_MISSING = re.compile(r"Service \S+ does not exist")
# Set-aside services named in a failure message; the result's set_aside lists them all.
_NAMED_IN_MESSAGE = 10


@dataclass(frozen=True)
class SetAside:
    """A declared service left unchanged this run because it could not take pool changes."""

    project: str
    service_name: str
    reason: str
    message: str  # what is wrong and what to do, naming the service

    @property
    def label(self) -> str:
        return service_label(self.project, self.service_name)

    def entry(self) -> dict[str, str]:
        """The item of the result's ``set_aside``."""
        return {"project": self.project, "service_name": self.service_name, "reason": self.reason, "message": self.message}

    def warning(self) -> str:
        return f"{self.message}; service {self.label} was set aside (unavailable: {self.reason}): none of its pools were changed"


def sets_aside(unavailable: str) -> bool:
    """True when an unavailable service is set aside rather than failing the run before any write."""
    return unavailable in (SKIP, SKIP_THEN_FAIL)


def service_gone(failure: Mapping[str, Any]) -> bool:
    """True for a read answered 404 because the service does not exist (not the project: that is the declaration's)."""
    if failure.get("status") != 404:
        return False
    texts = [failure.get("message")] + [error.get("message") for error in failure.get("errors") or [] if isinstance(error, Mapping)]
    return any(isinstance(text, str) and _SERVICE_MISSING.search(text) for text in texts)


def fails_after(unavailable: str, set_aside: Sequence[SetAside]) -> bool:
    """True when the run, once the other services are applied, ends failed."""
    return unavailable == SKIP_THEN_FAIL and bool(set_aside)


def failure_message(set_aside: Sequence[SetAside], writes: int, check_mode: bool) -> str:
    """The message of a run that set services aside and fails for it (unavailable: skip_then_fail)."""
    named = "; ".join(f"{item.label} ({item.reason})" for item in set_aside[:_NAMED_IN_MESSAGE])
    if len(set_aside) > _NAMED_IN_MESSAGE:
        named += f"; and {len(set_aside) - _NAMED_IN_MESSAGE} more (see set_aside)"
    others = (f"{writes} write(s) would be made to the other services" if check_mode
              else f"the other services were applied ({writes} write(s), see changes)")
    return f"{len(set_aside)} unavailable service(s) set aside, none of their pools changed: {named}; {others}"


def failure_details(set_aside: Sequence[SetAside]) -> dict[str, Any]:
    """The machine-readable ``failure`` of such a run."""
    return {"set_aside": [item.entry() for item in set_aside]}
