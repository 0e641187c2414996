#!/usr/bin/env python
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build the collection's HTML docs with antsibull-docs and Sphinx, and lint the docs.

    .venv/bin/python tools/build-docs.py

1. copies the work tree to build/docs-work/ansible_collections/dbpools/aiven, the path
   ANSIBLE_COLLECTIONS_PATH points to for every step below;
2. ``antsibull-docs sphinx-init --use-current`` writes a Sphinx site to build/docs/sphinx;
   its requirements.txt must be satisfied by this venv (nothing is fetched);
3. ``antsibull-docs collection`` writes the RST of the modules, the filter and the role,
   and ``sphinx-build -W`` turns it into HTML in build/docs/html: a warning fails the build.
   Offline, intersphinx reads a small local inventory of the Ansible docsite labels the
   generated pages link to (the links still point to docs.ansible.com);
4. ``antsibull-docs lint-collection-docs --plugin-docs --validate-collection-refs=all``
   on the work tree (it copies the git-listed files itself) must report nothing;
5. ``ansible-doc`` must render both modules, the filter and the role without a warning.

Exits non-zero when a step fails; prints where the HTML is, and its page and warning counts.
"""

from __future__ import annotations

import glob
import importlib.metadata
import os
import shutil
import subprocess
import sys
import time
import zlib

from packaging.requirements import Requirement

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from toolkit import copy_worktree, echo  # noqa: E402

COLLECTION = "dbpools.aiven"
WORK = os.path.join(REPO, "build", "docs-work")
COPY = os.path.join(WORK, "ansible_collections", "dbpools", "aiven")
SITE = os.path.join(REPO, "build", "docs", "sphinx")
HTML = os.path.join(REPO, "build", "docs", "html")
LOG = os.path.join(REPO, "build", "docs", "sphinx-build.log")
BIN = os.path.dirname(sys.executable)

# Labels of the Ansible docsite that antsibull-docs' pages refer to, with their pages there.
# A label missing here shows up as "undefined label" and fails the build: add it then.
ANSIBLE_DOCSITE = "https://docs.ansible.com/projects/ansible/devel/"
ANSIBLE_LABELS = {
    "common_return_values": ("reference_appendices/common_return_values.html#common-return-values", "Return Values"),
    "ansible_configuration_settings": ("reference_appendices/config.html#ansible-configuration-settings", "Ansible Configuration Settings"),
}

# What each `ansible-doc` call must render: its arguments and the heading it must start with.
ANSIBLE_DOC = (
    (["dbpools.aiven.aiven_connection_pool"], "> MODULE dbpools.aiven.aiven_connection_pool"),
    (["dbpools.aiven.aiven_connection_pool_info"], "> MODULE dbpools.aiven.aiven_connection_pool_info"),
    (["-t", "filter", "dbpools.aiven.pools_by_service"], "> FILTER dbpools.aiven.pools_by_service"),
    (["-t", "lookup", "dbpools.aiven.connection_info"], "> LOOKUP dbpools.aiven.connection_info"),
    (["-t", "role", "dbpools.aiven.connection_pools"], "> ROLE: dbpools.aiven.connection_pools"),
)


class DocsFailed(Exception):
    """A step did not work; the message says which."""


def log(message: str) -> None:
    echo(f"build-docs: {message}\n")


def docs_env() -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
    env.update({
        "PATH": BIN + os.pathsep + os.environ.get("PATH", ""),
        "ANSIBLE_COLLECTIONS_PATH": WORK,
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_PAGER": "cat",
        "PAGER": "cat",
    })
    return env


def run(command: list, cwd: str, env: dict) -> subprocess.CompletedProcess:
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        shown = " ".join([os.path.basename(command[0]), *command[1:]])
        raise DocsFailed(f"{shown} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    return proc


def private_dir(path: str) -> None:
    """antsibull-docs writes only to folders that are the caller's and not writable by others."""
    os.makedirs(path, exist_ok=True)
    os.chmod(path, 0o755)


def unmet_requirements(path: str) -> list:
    """Lines of the generated requirements.txt that this venv does not satisfy."""
    unmet = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.split("#", maxsplit=1)[0].strip()
            if not line:
                continue
            requirement = Requirement(line)
            try:
                version = importlib.metadata.version(requirement.name)
            except importlib.metadata.PackageNotFoundError:
                unmet.append(f"{line} (not installed)")
                continue
            if not requirement.specifier.contains(version, prereleases=True):
                unmet.append(f"{line} (installed {version})")
    return unmet


def write_offline_inventory(path: str) -> None:
    """A Sphinx objects.inv (format 2) holding ANSIBLE_LABELS, so intersphinx needs no network."""
    header = "# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n# The remainder of this file is compressed using zlib.\n"
    body = "".join(f"{name} std:label -1 {uri} {title}\n" for name, (uri, title) in sorted(ANSIBLE_LABELS.items()))
    with open(path, "wb") as handle:
        handle.write(header.encode() + zlib.compress(body.encode()))


def sphinx_site(env: dict) -> None:
    if os.path.isdir(os.path.dirname(SITE)):
        shutil.rmtree(os.path.dirname(SITE))
    private_dir(SITE)
    run([os.path.join(BIN, "antsibull-docs"), "sphinx-init", "--use-current", "--fail-on-error", "--dest-dir", SITE,
         "--project", COLLECTION, "--copyright", "dbpools.aiven contributors",
         "--title", "dbpools.aiven documentation", COLLECTION], REPO, env)
    unmet = unmet_requirements(os.path.join(SITE, "requirements.txt"))
    if unmet:
        raise DocsFailed("the generated requirements.txt needs packages this venv lacks: " + "; ".join(unmet))
    inventory = os.path.join(SITE, "ansible_devel.inv")
    write_offline_inventory(inventory)
    # Only the Ansible docsite, from the local file: the python and jinja2 inventories are
    # not referred to, and fetching any of them would be a warning here.
    with open(os.path.join(SITE, "conf.py"), "a", encoding="utf-8") as handle:
        handle.write("\n# Added by tools/build-docs.py: offline intersphinx (see ANSIBLE_LABELS there).\n"
                     f"intersphinx_mapping = {{'ansible_devel': ({ANSIBLE_DOCSITE!r}, {inventory!r})}}\n")


def build_html(env: dict) -> tuple[int, int]:
    """RST with antsibull-docs, then HTML with Sphinx; returns (pages, warnings)."""
    rst = os.path.join(SITE, "rst")
    private_dir(rst)
    run([os.path.join(BIN, "antsibull-docs"), "--config-file", os.path.join(SITE, "antsibull-docs.cfg"), "collection",
         "--cleanup", "everything", "--fail-on-error", "--use-current", "--dest-dir", rst, COLLECTION], SITE, env)
    proc = subprocess.run([os.path.join(BIN, "sphinx-build"), "-b", "html", "-c", SITE, "-W", "--keep-going", "-q", rst, HTML],
                          cwd=SITE, env=env, capture_output=True, text=True, check=False)
    output = proc.stdout + proc.stderr
    with open(LOG, "w", encoding="utf-8") as handle:
        handle.write(output)
    warnings = sum(1 for line in output.splitlines() if "WARNING:" in line or "ERROR:" in line)
    if proc.returncode != 0 or warnings:
        raise DocsFailed(f"sphinx-build exited {proc.returncode} with {warnings} warning(s) (log {os.path.relpath(LOG, REPO)}):\n{output}")
    pages = [path for path in glob.glob(os.path.join(HTML, "**", "*.html"), recursive=True)
             if os.path.basename(path) not in ("genindex.html", "search.html")]
    return len(pages), warnings


def lint(env: dict) -> None:
    """Lint the work tree itself: antsibull-docs copies a collection inside a git work tree by
    `git ls-files`, which lists nothing under the ignored build/, so the copy there would lint
    as a collection without plugins. Only its own copy may be found, hence the empty path."""
    empty = os.path.join(os.path.dirname(SITE), "no-collections")
    os.makedirs(empty, exist_ok=True)
    proc = run([os.path.join(BIN, "antsibull-docs"), "lint-collection-docs", "--plugin-docs", "--validate-collection-refs=all",
                "--disallow-unknown-collection-refs", REPO], REPO, {**env, "ANSIBLE_COLLECTIONS_PATH": empty})
    findings = (proc.stdout + proc.stderr).strip()
    if findings:
        raise DocsFailed(f"lint-collection-docs reported:\n{findings}")


def ansible_doc(env: dict) -> None:
    """Each heading names the copy under build/docs-work, so the work tree's docs are the ones rendered."""
    for arguments, heading in ANSIBLE_DOC:
        proc = run([os.path.join(BIN, "ansible-doc"), *arguments], REPO, env)
        first = proc.stdout.split("\n", maxsplit=1)[0].replace("*", "")  # the role's name is *emphasised*
        if not first.startswith(f"{heading} ({COPY}") or "options" not in proc.stdout.lower():
            raise DocsFailed(f"ansible-doc {' '.join(arguments)} does not render {heading!r} from {COPY}:\n{proc.stdout[:2000]}")
        if proc.stderr.strip():
            raise DocsFailed(f"ansible-doc {' '.join(arguments)} warned:\n{proc.stderr}")
        log(f"ansible-doc {' '.join(arguments)}: {len(proc.stdout.splitlines())} lines")


def main() -> int:
    started = time.monotonic()
    env = docs_env()
    try:
        copy_worktree(COPY)
        sphinx_site(env)
        pages, warnings = build_html(env)
        log(f"HTML in {os.path.relpath(HTML, REPO)}/index.html: {pages} pages, {warnings} warnings")
        lint(env)
        log("lint-collection-docs --plugin-docs --validate-collection-refs=all: clean")
        ansible_doc(env)
    except DocsFailed as exc:
        log(f"FAILED: {exc}")
        return 1
    log(f"done in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
