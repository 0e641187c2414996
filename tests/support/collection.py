"""Putting this checkout where Ansible looks for dbpools.aiven: linked, copied, or built and installed as a tarball."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from typing import List

import yaml

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


def build_tarball(source: str, dest: str) -> str:
    """``ansible-galaxy collection build`` of ``source`` (a clean copy: ``copy_worktree``) into ``dest``; returns the tarball.

    --force: a rebuild of the same version replaces the older tarball.
    """
    os.makedirs(dest, exist_ok=True)
    _galaxy(["collection", "build", "--force", "--output-path", dest], cwd=source)
    with open(os.path.join(source, "galaxy.yml"), encoding="utf-8") as handle:
        galaxy = yaml.safe_load(handle)
    return os.path.join(dest, f"{galaxy['namespace']}-{galaxy['name']}-{galaxy['version']}.tar.gz")


def install_tarball(tarball: str, collections_root: str) -> str:
    """Install ``tarball`` offline under ``collections_root``; returns the installed collection's folder."""
    _galaxy(["collection", "install", "--offline", "-p", collections_root, tarball], cwd=os.path.dirname(tarball))
    return os.path.join(collections_root, "ansible_collections", "dbpools", "aiven")


def _galaxy(arguments: List[str], cwd: str) -> None:
    """Run this venv's ansible-galaxy; its output becomes the error when it fails."""
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-galaxy"), *arguments]
    proc = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"ansible-galaxy {' '.join(arguments)} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
