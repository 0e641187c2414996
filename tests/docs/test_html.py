"""The HTML docs: built offline without a warning, a page for every plugin and role, and antsibull-docs' linter clean."""

from __future__ import annotations

import os
from typing import Dict

from tests.docs.site import SphinxBuild, documented_content, run, unmet_requirements
from tests.support.ansible import BIN, without_dependency_warnings
from tests.support.collection import REPO_ROOT


def test_this_venv_has_what_the_generated_site_requires(sphinx_site: str) -> None:
    assert unmet_requirements(os.path.join(sphinx_site, "requirements.txt")) == []


def test_sphinx_build_succeeds_without_a_warning(html_build: SphinxBuild) -> None:
    warnings = [line for line in html_build.output if "WARNING:" in line or "ERROR:" in line]
    assert (html_build.rc, warnings) == (0, []), "\n".join(html_build.output[-60:])


def test_every_plugin_and_role_has_a_page(html_build: SphinxBuild) -> None:
    content = documented_content()
    pages = {(kind, name): os.path.join(html_build.html, "collections", "dbpools", "aiven", f"{name}_{kind}.html") for kind, name in content}
    assert content and sorted(key for key, page in pages.items() if not os.path.isfile(page)) == []


def test_lint_collection_docs_reports_nothing(docs_env: Dict[str, str], tmp_path: object) -> None:
    """Lints the work tree itself: antsibull-docs copies it by `git ls-files`. Only that copy may be
    found, hence an empty collections path."""
    env = dict(docs_env, ANSIBLE_COLLECTIONS_PATH=str(tmp_path))
    proc = run([os.path.join(BIN, "antsibull-docs"), "lint-collection-docs", "--plugin-docs", "--validate-collection-refs=all",
                "--disallow-unknown-collection-refs", REPO_ROOT], REPO_ROOT, env)
    assert without_dependency_warnings(proc.stdout + proc.stderr).strip() == ""
