"""The execution environment: the collection's EE metadata as ansible-builder reads it, and the documented EE definition."""

from __future__ import annotations

import os
import shutil
from typing import Any, Dict, Tuple

import pytest
import yaml

from tests.e2e.awx.builder import create_context, introspect, requirement_lines
from tests.support.collection import REPO_ROOT

EE_EXAMPLE = os.path.join(REPO_ROOT, "docs", "examples", "execution-environment.yml")
FROM_COLLECTION = "  # from collection dbpools.aiven"


def read_yaml(path: str) -> Any:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.fixture(scope="module")
def introspected(installed_root: str) -> Dict[str, Any]:
    return introspect(installed_root)


@pytest.fixture(scope="module")
def example() -> Dict[str, Any]:
    return read_yaml(EE_EXAMPLE)


@pytest.fixture(scope="module")
def example_context(tmp_path_factory: pytest.TempPathFactory) -> Tuple[str, Dict[str, Any]]:
    """``ansible-builder create`` of the documented definition: its Containerfile and _build/requirements.yml."""
    folder = tmp_path_factory.mktemp("ee-example")
    shutil.copy2(EE_EXAMPLE, folder)
    containerfile = create_context(str(folder / "execution-environment.yml"), str(folder / "context"))
    return containerfile, read_yaml(str(folder / "context" / "_build" / "requirements.yml"))


def test_ee_metadata_names_its_two_files_relative_to_the_collection_root() -> None:
    metadata = read_yaml(os.path.join(REPO_ROOT, "meta", "execution-environment.yml"))
    assert metadata.get("dependencies") == {"python": "meta/ee-requirements.txt", "system": "meta/ee-bindep.txt"}


def test_the_python_requirements_are_exactly_requests() -> None:
    assert requirement_lines(os.path.join(REPO_ROOT, "meta", "ee-requirements.txt")) == ["requests"]


def test_introspect_lists_the_python_requirements_of_the_collection(introspected: Dict[str, Any]) -> None:
    declared = requirement_lines(os.path.join(REPO_ROOT, "meta", "ee-requirements.txt"))
    assert introspected["python"] == [line + FROM_COLLECTION for line in declared]


def test_introspect_lists_the_system_requirements_of_the_collection(introspected: Dict[str, Any]) -> None:
    declared = requirement_lines(os.path.join(REPO_ROOT, "meta", "ee-bindep.txt"))
    assert introspected["system"] == [line + FROM_COLLECTION for line in declared]


def test_the_example_is_version_3_names_the_collection_and_pins_ansible_core(example: Dict[str, Any]) -> None:
    dependencies = example.get("dependencies", {})
    assert example.get("version") == 3
    assert [item.get("name") for item in dependencies.get("galaxy", {}).get("collections", [])] == ["dbpools.aiven"]
    assert dependencies.get("ansible_core", {}).get("package_pip", "").startswith("ansible-core==")


def test_the_containerfile_installs_the_collection_on_the_pinned_core_and_base_image(
        example: Dict[str, Any], example_context: Tuple[str, Dict[str, Any]]) -> None:
    containerfile, _requirements = example_context
    assert "ansible-galaxy collection install" in containerfile
    assert f'ANSIBLE_INSTALL_REFS="{example["dependencies"]["ansible_core"]["package_pip"]}' in containerfile
    assert f'EE_BASE_IMAGE="{example["images"]["base_image"]["name"]}"' in containerfile


def test_the_build_context_requires_the_collection(example_context: Tuple[str, Dict[str, Any]]) -> None:
    _containerfile, requirements = example_context
    assert [item.get("name") for item in requirements.get("collections", [])] == ["dbpools.aiven"]


def test_ansible_builder_refuses_a_misspelt_key(example: Dict[str, Any], tmp_path: Any) -> None:
    """The schema check the example passes can fail: the same definition with an unknown key is refused."""
    definition = tmp_path / "execution-environment.yml"
    definition.write_text(yaml.safe_dump(dict(example, dependenceis=example["dependencies"])), encoding="utf-8")
    with pytest.raises(RuntimeError):
        create_context(str(definition), str(tmp_path / "context"))
