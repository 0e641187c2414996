# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for running the lookup connection_info in-process against the unit fake Aiven API."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
import yaml
from ansible import constants as C

from ansible_collections.dbpools.aiven.plugins.lookup import connection_info

LOAD_NAME = "dbpools.aiven.connection_info"


class Warnings:
    """Stands in for the lookup's Display: keeps the warnings it would print."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def warning(self, message: str) -> None:
        self.messages.append(message)


@pytest.fixture
def warnings(monkeypatch) -> Warnings:
    shown = Warnings()
    monkeypatch.setattr(connection_info, "display", shown)
    return shown


@pytest.fixture
def lookup():
    """Run the lookup as Ansible would after loading it: its options registered from DOCUMENTATION."""
    # The plugin loader does this when it loads a plugin, doc fragments merged; these tests import the file directly.
    doc = yaml.safe_load(connection_info.DOCUMENTATION)
    options = dict(doc["options"])
    for fragment in doc.get("extends_documentation_fragment", []):
        source = importlib.import_module(f"ansible_collections.dbpools.aiven.plugins.doc_fragments.{fragment.rsplit('.', 1)[1]}")
        options.update(yaml.safe_load(source.ModuleDocFragment.DOCUMENTATION)["options"])
    C.config.initialize_plugin_configuration_definitions("lookup", LOAD_NAME, options)

    def run(*terms: Any, **options: Any) -> list[dict[str, Any]]:
        plugin = connection_info.LookupModule()
        plugin._load_name = LOAD_NAME
        return plugin.run(list(terms), variables={}, **options)

    return run
