"""Defaults read from a module's argument spec in the source, so a target follows the module's code.

The source is parsed, not imported: importing a module of the collection needs Ansible's
collection loader, and calling its ``argument_spec()`` reads module arguments from stdin.
"""

from __future__ import annotations

import ast
import os
from typing import Any, Optional

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
POOL_MODULE = os.path.join(REPO, "plugins", "modules", "aiven_connection_pool.py")


def _default_in(spec: ast.AST) -> Any:
    if not isinstance(spec, ast.Dict):
        raise LookupError("its spec is not a dict literal")
    for key, value in zip(spec.keys, spec.values):
        if isinstance(key, ast.Constant) and key.value == "default":
            return ast.literal_eval(value)
    raise LookupError("its spec has no default")


def _option_spec(function: ast.FunctionDef, option: str) -> Optional[ast.AST]:
    # The spec is written either as spec.update(option={...}) or as {"option": {...}}.
    for node in ast.walk(function):
        if isinstance(node, ast.keyword) and node.arg == option:
            return node.value
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values):
                if isinstance(key, ast.Constant) and key.value == option:
                    return value
    return None


def option_default(option: str, path: str = POOL_MODULE, function_name: str = "argument_spec") -> Any:
    """The default of ``option`` in the function ``function_name`` of the module at ``path``.

    Raises LookupError (saying why) when the source does not show it as a literal.
    """
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), filename=path)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == function_name:
            spec = _option_spec(node, option)
            if spec is None:
                raise LookupError(f"no option {option!r} in {function_name}() of {os.path.relpath(path, REPO)}")
            try:
                return _default_in(spec)
            except (LookupError, ValueError) as exc:
                raise LookupError(f"option {option!r} of {os.path.relpath(path, REPO)}: {exc}") from None
    raise LookupError(f"no function {function_name}() in {os.path.relpath(path, REPO)}")
