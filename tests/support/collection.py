"""Putting this checkout where Ansible looks for dbpools.aiven."""

from __future__ import annotations

import os
import shutil
import subprocess

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def link_collection(root: str) -> str:
    """Make ``root``/ansible_collections/dbpools/aiven a symlink to this checkout; returns ``root``.

    ansible-playbook, ansible-doc and ansible-runner accept a symlinked collection;
    ansible-test and ansible-galaxy need a copy (``copy_worktree``).
    """
    link = os.path.join(root, "ansible_collections", "dbpools", "aiven")
    os.makedirs(os.path.dirname(link), exist_ok=True)
    if os.path.islink(link) and os.path.realpath(link) == REPO_ROOT:
        return root
    if os.path.islink(link):
        os.unlink(link)
    elif os.path.exists(link):
        raise RuntimeError(f"{link} exists and is not a symlink: remove it")
    os.symlink(REPO_ROOT, link)
    return root


def copy_worktree(destination: str) -> None:
    """Copy the files git knows or would add (tracked + untracked, not ignored): no venvs, caches or build output."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT, check=True, capture_output=True,
    ).stdout.decode().split("\0")
    if os.path.isdir(destination):
        shutil.rmtree(destination)
    for relative in filter(None, listing):
        source = os.path.join(REPO_ROOT, relative)
        if not os.path.isfile(source):  # deleted in the work tree, or a submodule
            continue
        target = os.path.join(destination, relative)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(source, target)
