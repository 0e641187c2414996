"""How three programs read an env file: docker --env-file, systemd's EnvironmentFile= and POSIX sh (set -a; . file).

sh is run for real. systemd is run for real where its environment.d generator exists: it
parses with the same function as EnvironmentFile= (load_env_file_pairs, src/basic/env-file.c)
and then expands ``$VAR``, which EnvironmentFile= does not; the recipe's values hold no ``$``,
so both read them alike. docker's CLI is installed here but without a daemon, which
``docker run --env-file`` needs, so its documented rule is applied as docker/cli's
opts/envfile.go (parseKeyValueFile) implements it.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import tempfile
from typing import Dict

SYSTEMD_ENVIRONMENT_D_GENERATOR = "/usr/lib/systemd/user-environment-generators/30-systemd-environment-d-generator"
_UTF8_BOM = "\ufeff"
_CLEAN_ENV = {"PATH": "/usr/bin:/bin"}


def docker_env_file(path: str) -> Dict[str, str]:
    """docker/cli parseKeyValueFile: left-trimmed lines, ``#`` lines skipped, split at the first ``=``, the value
    taken literally (no quotes removed, no escapes, trailing spaces kept); whitespace in a name is an error."""
    values: Dict[str, str] = {}
    with open(path, encoding="utf-8") as handle:
        for number, raw in enumerate(handle.read().split("\n"), start=1):
            line = (raw[len(_UTF8_BOM):] if number == 1 and raw.startswith(_UTF8_BOM) else raw).lstrip()
            if not line or line.startswith("#"):
                continue
            name, has_value, value = line.partition("=")
            if not name:
                raise ValueError(f"no variable name on line {line!r}")
            if any(char.isspace() for char in name):
                raise ValueError(f"variable {name!r} contains whitespaces")
            if not has_value:
                raise ValueError(f"line {number} has no '=': docker would take {name} from its own environment")
            values[name] = value
    return values


def _generator_output(directory: str) -> Dict[str, str]:
    output = subprocess.run([SYSTEMD_ENVIRONMENT_D_GENERATOR], env={**_CLEAN_ENV, "XDG_CONFIG_HOME": directory},
                            check=True, capture_output=True, text=True, timeout=30).stdout
    # It prints KEY=value, shell-quoted where needed.
    return dict(shlex.split(line)[0].split("=", 1) for line in output.splitlines() if line)


def systemd_env_file(path: str) -> Dict[str, str]:
    """The variables systemd reads from ``path``: what the generator adds to what the system's environment.d gives."""
    with tempfile.TemporaryDirectory() as empty, tempfile.TemporaryDirectory() as home:
        baseline = _generator_output(empty)
        os.mkdir(os.path.join(home, "environment.d"))
        with open(path, encoding="utf-8") as source, open(os.path.join(home, "environment.d", "99-app.conf"), "w",
                                                          encoding="utf-8") as target:
            target.write(source.read())
        read = _generator_output(home)
    return {name: value for name, value in read.items() if baseline.get(name) != value}


SH_PRINT_ENV = "set -a; {source}; exec {python} -c 'import json, os; print(json.dumps(dict(os.environ)))'"


def _sh_environment(directory: str, source: str, python: str) -> Dict[str, str]:
    command = SH_PRINT_ENV.format(source=source, python=shlex.quote(python))
    result = subprocess.run(["/bin/sh", "-c", command], cwd=directory, env=dict(_CLEAN_ENV), check=True,
                            capture_output=True, text=True, timeout=30)
    return json.loads(result.stdout)


def sh_env_file(path: str, python: str) -> Dict[str, str]:
    """The variables ``/bin/sh -c 'set -a; . ./FILE'`` exports from a clean environment (what sh and python add left out)."""
    directory, name = os.path.split(path)
    baseline = _sh_environment(directory, ":", python)
    read = _sh_environment(directory, ". ./" + shlex.quote(name), python)
    return {key: value for key, value in read.items() if baseline.get(key) != value}
