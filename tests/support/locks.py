"""A lock (requirements/*.txt, written by `make lock`) against what a venv has, and against its input file.

`python -m tests.support.locks LOCK` exits 1 when this interpreter's `pip freeze --all` differs from
LOCK (the venv recipes in the Makefile run it after installing); `--report` lists the differences
and exits 0 (`make check-latest` shows what is newer than the lock that way).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

# "name==version ; marker \" opens an entry; its "--hash=..." lines follow.
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==(?P<version>[^\s;\\]+)\s*(;(?P<marker>[^\\]+))?")


@dataclass
class Pin:
    version: str
    marker: Optional[str]
    hashes: int = 0

    def applies(self) -> bool:
        """Whether this interpreter installs it (a universal lock also pins other platforms' packages)."""
        return self.marker is None or Marker(self.marker).evaluate()


def read_lock(path: str) -> Dict[str, Pin]:
    """The lock's pins by canonical name; a name pinned per Python version keeps the one for this interpreter."""
    pins: Dict[str, Pin] = {}
    current: Optional[Pin] = None
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            stripped = line.strip()
            if stripped.startswith("--hash="):
                if current is not None:
                    current.hashes += 1
                continue
            match = PIN.match(stripped)
            if not match:
                current = None
                continue
            marker = match["marker"].strip() if match["marker"] else None
            current = Pin(match["version"], marker)
            name = canonicalize_name(match["name"])
            if name not in pins or current.applies():
                pins[name] = current
    return pins


def installed() -> Dict[str, str]:
    """`pip freeze --all` of this interpreter, by canonical name."""
    freeze = subprocess.run([sys.executable, "-m", "pip", "freeze", "--all", "--disable-pip-version-check"],
                            check=True, capture_output=True, text=True).stdout
    found = {}
    for line in freeze.splitlines():
        name, pinned, version = line.partition("==")
        if pinned:
            found[canonicalize_name(name)] = version
    return found


def drift(lock: Dict[str, Pin], have: Dict[str, str]) -> List[str]:
    """Every way ``have`` differs from the lock, a line each; empty when they are equal."""
    wanted = {name: pin.version for name, pin in lock.items() if pin.applies()}
    lines = [f"{name}: installed {have[name]}, locked {version}" for name, version in sorted(wanted.items())
             if name in have and have[name] != version]
    lines += [f"{name}=={version}: locked, not installed" for name, version in sorted(wanted.items()) if name not in have]
    lines += [f"{name}=={version}: installed, not in the lock" for name, version in sorted(have.items()) if name not in wanted]
    return lines


def unmet(requirements_path: str, versions: Mapping[str, str]) -> List[str]:
    """Lines of a pip requirements file (a lock's input, a generated site's needs) that ``versions``,
    by canonical name, do not satisfy."""
    unmet_lines = []
    with open(requirements_path, encoding="utf-8") as handle:
        for line in handle:
            line = line.split("#", maxsplit=1)[0].strip()
            if not line:
                continue
            requirement = Requirement(line)
            version = versions.get(canonicalize_name(requirement.name))
            if version is None:
                unmet_lines.append(f"{line}: missing")
            elif not requirement.specifier.contains(version, prereleases=True):
                unmet_lines.append(f"{line}: have {version}")
    return unmet_lines


def pinned(lock: Mapping[str, Pin]) -> Dict[str, str]:
    """The lock's versions by name, to hold its input against (``unmet``)."""
    return {name: pin.version for name, pin in lock.items()}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lock")
    parser.add_argument("--report", action="store_true", help="list the differences, exit 0")
    args = parser.parse_args(argv)
    differences = drift(read_lock(args.lock), installed())
    for line in differences or (["(none)"] if args.report else []):
        print(f"  {line}")
    if differences and not args.report:
        print(f"{sys.prefix} differs from {args.lock}: remove that venv and let make build it again", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
