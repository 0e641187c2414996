"""Limits of the collection read from their one home, plugins/module_utils/_rules.py.

_rules.py imports nothing from Ansible, so it is loaded from its file: importing it as
part of the collection would need Ansible's collection loader.
"""

from __future__ import annotations

import importlib.util
import os
from types import ModuleType

from tests.support.collection import REPO_ROOT

REPO = REPO_ROOT
RULES = os.path.join(REPO, "plugins", "module_utils", "_rules.py")


def rules() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dbpools_aiven_rules", RULES)
    if spec is None or spec.loader is None:
        raise LookupError(f"cannot load {os.path.relpath(RULES, REPO)}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def default_concurrency() -> int:
    """The default of aiven_connection_pool's (and the role's) concurrency option."""
    return int(rules().CONCURRENCY_DEFAULT)
