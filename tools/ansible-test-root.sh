#!/usr/bin/env bash
# Runs ansible-test on a copy of the current work tree.
#
#   tools/ansible-test-env.sh sanity --local --python 3.11
#
# ansible-test needs the collection at .../ansible_collections/dbpools/aiven/ and refuses
# symlinks, so the tracked and untracked-not-ignored files are copied afresh to
# build/sanity/ansible_collections/dbpools/aiven/ each time, and the command runs there
# (not build/ansible_collections/: tools/run-integration.py recreates that one).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
venv=${VENV:-$repo/.venv}
dest=$repo/build/sanity/ansible_collections/dbpools/aiven

if [ ! -x "$venv/bin/ansible-test" ]; then
  echo "no $venv/bin/ansible-test: run 'make venv' first" >&2
  exit 1
fi
# The venv first on PATH: ansible-test looks python3.11 up there (pyenv shims break in it).
export PATH="$venv/bin:$PATH"

# Fresh copy of the work tree, without ignored files (.venv, build, tests/output...).
# Deleted-but-tracked files are skipped.
rm -rf "$dest"
mkdir -p "$dest"
(
  cd "$repo"
  git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' path; do if [ -e "$path" ]; then printf '%s\0' "$path"; fi; done \
    | tar --null --files-from=- -cf -
) | tar -xf - -C "$dest"

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

cd "$dest"
exec ansible-test "$@"
