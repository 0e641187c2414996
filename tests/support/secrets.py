"""The secret scan: which seeded secret, if any, shows in a piece of output."""

from __future__ import annotations

import re
from typing import Dict, List

# The only places a password may legitimately appear in output: a pool's URI is a
# secret by nature, returned on purpose to whoever asked for it with include_secrets.
CONNECTION_URI = re.compile(r'"connection_uri":\s*"[^"]*"|connection_uri:[ \t]*[^\s,}]+')
# The default callback prints a diff as "--- before..." / "+++ after..." / "@@ ..." lines, then the task's result line.
_DIFF_BLOCK = re.compile(r"^--- before.*?(?=^(?:ok|changed|fatal|skipping|failed): |^TASK |^PLAY |\Z)", re.S | re.M)


def secrets_of(credentials: dict, token: str) -> Dict[str, str]:
    """The API token and every seeded password, by a name that says whose it is."""
    secrets = {"API token": token}
    for service in credentials.get("services", []):
        for user, password in service["users"].items():
            secrets[f"password of {service['project']}/{service['service']}/{user}"] = password
    return secrets


def leaked_secrets(text: str, secrets: Dict[str, str], allow_connection_uris: bool = False) -> List[str]:
    """Names of the secrets found in ``text`` (outside connection_uri values when allowed)."""
    if allow_connection_uris:
        text = CONNECTION_URI.sub("connection_uri: <stripped>", text)
    return [name for name, value in secrets.items() if value and value in text]


def diff_blocks(output: str) -> List[str]:
    """Every diff Ansible printed (with ``--diff``), each up to the result line of its task."""
    return _DIFF_BLOCK.findall(output)
