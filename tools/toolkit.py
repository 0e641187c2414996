# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared pieces of the tools that run playbooks against the emulator."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The only places a password may legitimately appear in output: a pool's URI is a
# secret by nature, returned on purpose to whoever registers the result.
CONNECTION_URI = re.compile(r'"connection_uri":\s*"[^"]*"|connection_uri:[ \t]*[^\s,}]+')


def echo(text: str) -> None:
    """Write to the console; a closed console (``| head``) must not stop the run or the cleanup."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        pass


def copy_worktree(destination: str) -> None:
    """Copy the files git knows or would add (tracked + untracked, not ignored).

    ansible-test refuses a symlinked collection, so the tools work on copies.
    """
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, check=True, capture_output=True,
    ).stdout.decode().split("\0")
    if os.path.isdir(destination):
        shutil.rmtree(destination)
    for relative in filter(None, listing):
        source = os.path.join(REPO, relative)
        if not os.path.isfile(source):  # deleted in the work tree, or a submodule
            continue
        target = os.path.join(destination, relative)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(source, target)


def secrets_of(credentials: dict, token: str) -> dict:
    """The API token and every seeded password, by a name that says whose it is."""
    secrets = {"API token": token}
    for service in credentials.get("services", []):
        for user, password in service["users"].items():
            secrets[f"password of {service['project']}/{service['service']}/{user}"] = password
    return secrets


def leaked_secrets(text: str, secrets: dict, allow_connection_uris: bool = False) -> list:
    """Names of the secrets found in ``text`` (outside connection_uri values when allowed)."""
    if allow_connection_uris:
        text = CONNECTION_URI.sub("connection_uri: <stripped>", text)
    return [name for name, value in secrets.items() if value and value in text]


def run_logged(command: list, out, cwd: str, env: dict | None = None) -> int:
    """Run ``command``, streaming its output to the console and to ``out``."""
    out.write(f"\n$ {' '.join(command)}\n")
    out.flush()
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        echo(line)
        out.write(line)
    return proc.wait()
