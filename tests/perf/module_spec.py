"""Limits of the collection read from their one home, plugins/module_utils/_declaration_rules.py.

Read from the file's syntax tree, not imported: importing it would need Ansible's
collection loader (it imports its siblings as ``ansible_collections...``).
"""

from __future__ import annotations

import ast
import os

from tests.support.collection import REPO_ROOT

RULES = os.path.join(REPO_ROOT, "plugins", "module_utils", "_declaration_rules.py")


def constant(name: str) -> object:
    """The value of a module-level ``NAME = literal`` in the rules file."""
    with open(RULES, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), RULES)
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(target, ast.Name) and target.id == name for target in node.targets):
            return ast.literal_eval(node.value)
    raise LookupError(f"{name} is not a constant of {os.path.relpath(RULES, REPO_ROOT)}")


def default_concurrency() -> int:
    """The default of aiven_connection_pool's (and the role's) concurrency option."""
    return int(constant("CONCURRENCY_DEFAULT"))  # type: ignore[call-overload]
