"""One version: what Galaxy shows (MANIFEST.json), what is released (galaxy.yml), what the modules report (_version.py)."""

from __future__ import annotations

import ast
import json
import os
import tarfile

import yaml


def runtime_version(path: str) -> object:
    """COLLECTION_VERSION as _version.py assigns it, read without importing the collection."""
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(target, "id", "") == "COLLECTION_VERSION" for target in node.targets):
            return ast.literal_eval(node.value)
    return None


def test_manifest_galaxy_yml_and_runtime_state_one_version(tarball: str, clean_copy: str) -> None:
    with tarfile.open(tarball) as archive, archive.extractfile("MANIFEST.json") as manifest:  # type: ignore[union-attr]
        shipped = json.load(manifest)["collection_info"]["version"]
    with open(os.path.join(clean_copy, "galaxy.yml"), encoding="utf-8") as handle:
        released = str(yaml.safe_load(handle)["version"])
    reported = runtime_version(os.path.join(clean_copy, "plugins", "module_utils", "_version.py"))
    assert {"MANIFEST.json": shipped, "_version.py": reported} == {"MANIFEST.json": released, "_version.py": released}
