"""The seed of the connection tests and how to run their playbooks: one project, two services, real PgBouncer."""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Mapping, Sequence

from tests.support.ansible import PlaybookRun, ansible_env, run_playbook

PROJECT = "conn-project"
TOKEN = "conn-token"
USERS = ["avnadmin", "app"]
PLAYBOOKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "playbooks")
# The lookup's details of the terms, written as JSON to a 0600 file (no_log); nothing printed but the non-secret fields.
LOOKUP_DETAILS = os.path.join(PLAYBOOKS, "lookup_details.yml")
# What each pool connects to: (service, pool) -> (database, user PgBouncer logs in as for the lookup's details).
POOLS = {
    ("pg-one", "pinned"): ("appdb", "app"),
    ("pg-one", "shared"): ("defaultdb", "app"),  # unpinned: the user the caller names (unpinned_user)
    ("pg-two", "reports"): ("appdb", "avnadmin"),
}


def _service(name: str) -> Dict[str, Any]:
    pools = []
    for (service, pool), (database, user) in POOLS.items():
        if service == name:
            entry = {"pool_name": pool, "database": database, "pool_mode": "transaction", "pool_size": 2}
            if pool != "shared":
                entry["username"] = user
            pools.append(entry)
    return {"name": name, "state": "RUNNING", "plan": "startup-4", "databases": ["defaultdb", "appdb"], "users": list(USERS),
            "pools": pools}


# A token of a project member that may read services but not their secrets (no service:secrets:read).
TOKEN_WITHOUT_SECRETS = "conn-token-no-secrets"
# A token of a member with a project role: services and secrets, but not organization:projects:write, so not the project CA.
TOKEN_PROJECT_ROLE = "conn-token-project-role"
SEED = {"tokens": [TOKEN, {"token": TOKEN_WITHOUT_SECRETS, "permissions": ["read"]},
                   {"token": TOKEN_PROJECT_ROLE, "permissions": ["read", "write", "secrets"]}],
        "projects": [{"name": PROJECT, "services": [_service("pg-one"), _service("pg-two")]}]}


def term(service: str, pool: str) -> str:
    return f"{PROJECT}/{service}/{pool}"


class LookupRuns:
    """ansible-playbook runs of the lookup against one emulator; auth from the environment, as users set it."""

    def __init__(self, collections_root: str, api_url: str, workdir: str) -> None:
        self.env = ansible_env(collections_root, {"AIVEN_TOKEN": TOKEN, "AIVEN_WEB_URL": api_url})
        self.workdir = workdir
        self._runs = 0

    def details(self, terms: Sequence[str], **options: Any) -> tuple[PlaybookRun, List[Dict[str, Any]]]:
        """Run the lookup on ``terms`` with ``options`` (-vvv); the run and the details it wrote ([] when it failed)."""
        self._runs += 1
        details_file = os.path.join(self.workdir, f"details-{self._runs}.json")
        extra: Mapping[str, Any] = {"connection_terms": list(terms), "connection_options": options,
                                    "connection_details_file": details_file}
        run = run_playbook(LOOKUP_DETAILS, self.env, extra_vars=extra, args=["-vvv"])
        if not os.path.exists(details_file):
            return run, []
        with open(details_file, encoding="utf-8") as handle:
            return run, json.load(handle)
