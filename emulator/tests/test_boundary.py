"""The emulator is a package of its own: it imports neither the collection nor the collection's tests."""

from __future__ import annotations

import ast
import os

import aiven_emulator

PACKAGE = os.path.dirname(aiven_emulator.__file__)
# The collection (as Ansible loads it), Ansible itself, and the collection's test tree.
FORBIDDEN = ("ansible_collections", "ansible", "tests")


def imported_names(path: str) -> list:
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), path)
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def test_no_module_of_the_emulator_imports_the_collection_or_its_tests():
    sources = [os.path.join(PACKAGE, name) for name in sorted(os.listdir(PACKAGE)) if name.endswith(".py")]
    assert len(sources) > 10
    crossing = {os.path.basename(path): name for path in sources for name in imported_names(path) if name.split(".")[0] in FORBIDDEN}
    assert crossing == {}
