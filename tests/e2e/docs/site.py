"""Where the docs are built, the Sphinx site `antsibull-docs sphinx-init` writes made to build offline, and what the docs must cover."""

from __future__ import annotations

import glob
import os
import subprocess
import zlib
from dataclasses import dataclass
from typing import Dict, List, Tuple

from tests.support.collection import REPO_ROOT

COLLECTION = "dbpools.aiven"
# Where the README says `make docs` leaves the HTML.
DOCS = os.path.join(REPO_ROOT, "build", "docs")
SITE = os.path.join(DOCS, "sphinx")
HTML = os.path.join(DOCS, "html")

# Labels of the Ansible docsite that antsibull-docs' pages refer to, with their pages there.
# A label missing here shows up as "undefined label" and fails the build: add it then.
ANSIBLE_DOCSITE = "https://docs.ansible.com/projects/ansible/devel/"
ANSIBLE_LABELS = {
    "common_return_values": ("reference_appendices/common_return_values.html#common-return-values", "Return Values"),
    "ansible_configuration_settings": ("reference_appendices/config.html#ansible-configuration-settings", "Ansible Configuration Settings"),
    # A module with an action plugin of its name (aiven_connection_pool) is said to have one, linking there.
    "action_plugins": ("plugins/action.html#action-plugins", "Action plugins"),
}


@dataclass
class SphinxBuild:
    rc: int
    output: List[str]
    html: str


def run(command: List[str], cwd: str, env: Dict[str, str]) -> subprocess.CompletedProcess:
    """Run a docs tool; a failure shows its whole output."""
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, f"{os.path.basename(command[0])} {' '.join(command[1:])} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}"
    return proc


def write_offline_inventory(path: str) -> None:
    """A Sphinx objects.inv (format 2) holding ANSIBLE_LABELS, so intersphinx needs no network."""
    header = "# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n# The remainder of this file is compressed using zlib.\n"
    body = "".join(f"{name} std:label -1 {uri} {title}\n" for name, (uri, title) in sorted(ANSIBLE_LABELS.items()))
    with open(path, "wb") as handle:
        handle.write(header.encode() + zlib.compress(body.encode()))


def make_offline(site: str) -> None:
    """Point intersphinx at the local inventory only: the python and jinja2 inventories are not
    referred to, and fetching any of them would be a warning here."""
    inventory = os.path.join(site, "ansible_devel.inv")
    write_offline_inventory(inventory)
    with open(os.path.join(site, "conf.py"), "a", encoding="utf-8") as handle:
        handle.write("\n# Added by tests/e2e/docs: offline intersphinx (see ANSIBLE_LABELS in tests/e2e/docs/site.py).\n"
                     f"intersphinx_mapping = {{'ansible_devel': ({ANSIBLE_DOCSITE!r}, {inventory!r})}}\n")


def documented_content() -> List[Tuple[str, str]]:
    """(type, name) of every module, filter, lookup and role in the work tree: what the docs must cover."""
    found = [(kind, os.path.splitext(os.path.basename(path))[0])
             for kind, pattern in (("module", "modules/*.py"), ("filter", "filter/*.yml"), ("lookup", "lookup/*.py"))
             for path in glob.glob(os.path.join(REPO_ROOT, "plugins", pattern)) if not path.endswith("__init__.py")]
    found += [("role", os.path.basename(os.path.dirname(path))) for path in glob.glob(os.path.join(REPO_ROOT, "roles", "*", "meta"))]
    return sorted(found)
