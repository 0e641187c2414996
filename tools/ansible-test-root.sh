#!/usr/bin/env bash
# Builds the collection root that ansible-test runs in (sanity, units, integration, the matrix).
#
#   tools/ansible-test-root.sh [DEST]    (default build/collection/ansible_collections/dbpools/aiven)
#
# ansible-test needs the collection at .../ansible_collections/dbpools/aiven/ and refuses
# symlinks, so the work tree (tracked and untracked-not-ignored files) is copied afresh.
# `make` builds it once per run (target collection-root); the recipes cd into it.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
venv=${VENV:-$repo/.venv}
dest=${1:-$repo/build/collection/ansible_collections/dbpools/aiven}

(cd "$repo" && "$venv/bin/python" -c 'import sys; from tests.support.collection import copy_worktree; copy_worktree(sys.argv[1])' "$dest")

# build/ is ignored by the repository's git, and ansible-test lists content files with
# git from the nearest .git upwards: a git repository of its own makes it list the copy.
git -C "$dest" init --quiet
git -C "$dest" add --all

# Offline trap: ansible-test downloads a get-pip script from ci-files.testing.ansible.com
# before it creates its sanity venvs, unless ~/.ansible/test/cache/get_pip_<pip version>.py
# exists. This stand-in bootstraps the same pip from PyPI with the interpreter's ensurepip.
pip_version=$("$venv/bin/python" - <<'EOF'
import importlib.util
import re
spec = importlib.util.find_spec("ansible_test._internal.python_requirements")
with open(spec.origin, encoding="utf-8") as source:
    print(re.search(r"pip='([0-9.]+)'", source.read()).group(1))
EOF
)
get_pip=$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py
if [ ! -e "$get_pip" ]; then
  mkdir -p "$(dirname "$get_pip")"
  cat >"$get_pip.tmp" <<'EOF'
"""Stand-in for get-pip.py: pip from ensurepip, then upgraded from the package index."""
import subprocess
import sys

args = sys.argv[1:]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
subprocess.check_call([sys.executable, "-m", "pip", "install"] + [a for a in args if a not in ("--no-setuptools", "--no-wheel")])
if "--no-setuptools" in args:
    subprocess.call([sys.executable, "-m", "pip", "uninstall", "--yes", "--quiet", "setuptools"])
EOF
  mv "$get_pip.tmp" "$get_pip"
fi
echo "collection root: ${dest#"$repo"/}"
