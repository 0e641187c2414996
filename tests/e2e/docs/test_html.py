"""The HTML docs: built offline without a warning, a page for every plugin and role.

antsibull-docs' linter runs in antsibull-nox's docs-check session (`make nox`)."""

from __future__ import annotations

import os

from tests.e2e.docs.site import SphinxBuild, documented_content
from tests.support.locks import installed, unmet


def test_this_venv_has_what_the_generated_site_requires(sphinx_site: str) -> None:
    assert unmet(os.path.join(sphinx_site, "requirements.txt"), installed()) == []


def test_sphinx_build_succeeds_without_a_warning(html_build: SphinxBuild) -> None:
    warnings = [line for line in html_build.output if "WARNING:" in line or "ERROR:" in line]
    assert (html_build.rc, warnings) == (0, []), "\n".join(html_build.output[-60:])


def test_every_plugin_and_role_has_a_page(html_build: SphinxBuild) -> None:
    content = documented_content()
    pages = {(kind, name): os.path.join(html_build.html, "collections", "dbpools", "aiven", f"{name}_{kind}.html") for kind, name in content}
    assert content and sorted(key for key, page in pages.items() if not os.path.isfile(page)) == []
