"""The docs built once per session from the work tree, linked where Ansible looks for dbpools.aiven."""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Dict

import pytest

from tests.e2e.docs.site import COLLECTION, DOCS, HTML, SITE, SphinxBuild, make_offline, run
from tests.support.ansible import BIN, ansible_env
from tests.support.collection import REPO_ROOT


def private_dir(path: str) -> str:
    """antsibull-docs writes only to folders that are the caller's and not writable by others."""
    os.makedirs(path, exist_ok=True)
    os.chmod(path, 0o755)
    return path


@pytest.fixture(scope="session")
def docs_env(collections_root: str) -> Dict[str, str]:
    """ansible-doc and antsibull-docs find the work tree itself (they accept a symlinked collection)."""
    return ansible_env(collections_root, {"ANSIBLE_PAGER": "cat", "PAGER": "cat"})


@pytest.fixture(scope="session")
def sphinx_site(docs_env: Dict[str, str]) -> str:
    """`antsibull-docs sphinx-init` of the collection, with intersphinx made offline."""
    shutil.rmtree(DOCS, ignore_errors=True)
    run([os.path.join(BIN, "antsibull-docs"), "sphinx-init", "--use-current", "--fail-on-error", "--dest-dir", private_dir(SITE),
         "--project", COLLECTION, "--copyright", f"{COLLECTION} contributors", "--title", f"{COLLECTION} documentation", COLLECTION],
        REPO_ROOT, docs_env)
    make_offline(SITE)
    return SITE


@pytest.fixture(scope="session")
def html_build(sphinx_site: str, docs_env: Dict[str, str]) -> SphinxBuild:
    """The RST of every plugin and role by antsibull-docs, then `sphinx-build -W --keep-going` to HTML."""
    rst = private_dir(os.path.join(sphinx_site, "rst"))
    run([os.path.join(BIN, "antsibull-docs"), "--config-file", os.path.join(sphinx_site, "antsibull-docs.cfg"), "collection",
         "--cleanup", "everything", "--fail-on-error", "--use-current", "--dest-dir", rst, COLLECTION], sphinx_site, docs_env)
    proc = subprocess.run([os.path.join(BIN, "sphinx-build"), "-b", "html", "-c", sphinx_site, "-W", "--keep-going", "-q", rst, HTML],
                          cwd=sphinx_site, env=docs_env, capture_output=True, text=True, timeout=600, check=False)
    return SphinxBuild(proc.returncode, (proc.stdout + proc.stderr).splitlines(), HTML)
