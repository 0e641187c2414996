"""What the emulator's tests share: the tokens and projects of the test seed, the seed, a raw API client."""

from __future__ import annotations

import requests

TOKEN = "test-token"
READONLY_TOKEN = "readonly-token"
# May read and write, but not read secrets (no service:secrets:read).
NO_SECRETS_TOKEN = "no-secrets-token"
# A member of OTHER_PROJECT only.
OUTSIDER_TOKEN = "outsider-token"
PROJECT = "test-project"
OTHER_PROJECT = "other-project"
# A second token of TOKEN's user: the two share one rate-limit allowance.
SAME_USER_TOKEN = "test-token-2"
# A project member with a project role (read, write, secrets) but not organization:projects:write.
PROJECT_ROLE_TOKEN = "project-role-token"
# With no rate limit in the module's emulator: the limit's own tests set it, and return it to this.
UNLIMITED = {"rate_limit": 0}

TEST_SEED = {
    "tokens": [TOKEN, {"token": READONLY_TOKEN, "read_only": True},
               {"token": NO_SECRETS_TOKEN, "permissions": ["read", "write"]},
               {"token": OUTSIDER_TOKEN, "projects": [OTHER_PROJECT]},
               {"token": SAME_USER_TOKEN, "user": TOKEN},
               {"token": PROJECT_ROLE_TOKEN, "user": "developer", "permissions": ["read", "write", "secrets"]}],
    "projects": [
        {
            "name": PROJECT,
            "services": [
                {"name": "pg-main", "databases": ["defaultdb", "appdb"], "users": ["avnadmin", "app"],
                 "pools": [{"pool_name": "seeded", "database": "appdb", "username": "app", "pool_size": 5}]},
                {"name": "pg-hobby", "plan": "hobbyist", "users": ["avnadmin"]},
                {"name": "pg-off", "state": "POWEROFF", "users": ["avnadmin"]},
                {"name": "pg-cycle", "databases": ["defaultdb"], "users": ["avnadmin"]},
                # Databases and users are created and deleted here (test_databases_users.py, test_contract.py).
                {"name": "pg-dbu", "databases": ["defaultdb"], "users": ["avnadmin"]},
            ],
        },
        {"name": OTHER_PROJECT, "services": [{"name": "pg-other", "users": ["avnadmin"]}]},
    ],
}


class Api:
    """A thin client with Aiven's auth header, for tests that check raw replies."""

    def __init__(self, url: str, token: str = TOKEN) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"aivenv1 {token}"

    def call(self, method: str, path: str, body=None, **kwargs) -> requests.Response:
        return self.session.request(method, self.url + "/v1" + path, json=body, timeout=30, **kwargs)

    def service(self, service: str = "pg-main", include_secrets: bool = False) -> dict:
        query = {"include_secrets": "true"} if include_secrets else None
        response = self.call("GET", f"/project/{PROJECT}/service/{service}", params=query)
        assert response.status_code == 200, response.text
        return response.json()["service"]
