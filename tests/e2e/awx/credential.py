"""The collection's AWX credential type (extensions/awx/credential_type_aiven.yml) and what AWX injects from it.

AWX renders a custom credential type's ``env`` injectors with a Jinja2
ImmutableSandboxedEnvironment (default Undefined: a missing input renders as ""), with
only the inputs the credential holds in the namespace. A field's ``default`` is what
the UI pre-fills, so a credential created through the API without that input injects
an empty string. ``inject_env`` does the same, so a job started with its result sees
the environment a real controller would give it.
"""

from __future__ import annotations

import os
import re
from typing import Any, Dict, List

import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

from tests.support.collection import REPO_ROOT

CREDENTIAL_TYPE_FILE = os.path.join(REPO_ROOT, "extensions", "awx", "credential_type_aiven.yml")
# "Aiven API tokens by project": AIVEN_PROJECT_TOKENS, beside the single token of CREDENTIAL_TYPE_FILE.
PROJECTS_TYPE_FILE = os.path.join(REPO_ROOT, "extensions", "awx", "credential_type_aiven_projects.yml")
# The variables the modules and the role read; anything else injected would be unused or,
# for ANSIBLE_* / PATH and the like, refused by AWX.
ENV_NAME = re.compile(r"^AIVEN_[A-Z_]+$")


def load_credential_type(path: str = CREDENTIAL_TYPE_FILE) -> Dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def shape_problems(credential_type: Dict[str, Any]) -> List[str]:
    """What would make the type unusable in AWX or leak the token; [] when none."""
    problems = []
    for key in ("name", "kind", "inputs", "injectors"):
        if key not in credential_type:
            problems.append(f"no {key}")
    if credential_type.get("kind") not in ("cloud", "net"):
        problems.append(f"kind is {credential_type.get('kind')!r}: AWX accepts only cloud or net for custom types")
    fields = {field.get("id"): field for field in credential_type.get("inputs", {}).get("fields", [])}
    if not fields.get("token", {}).get("secret"):
        problems.append("the token field is not secret: AWX would show it")
    if "token" not in credential_type.get("inputs", {}).get("required", []):
        problems.append("the token field is not required")
    injectors = credential_type.get("injectors", {})
    if set(injectors) != {"env"}:
        # extra_vars injectors put the token in the job's extra vars, which AWX stores and shows.
        problems.append(f"injectors are {sorted(injectors)}, expected only env")
    for name in injectors.get("env", {}):
        if not ENV_NAME.match(name):
            problems.append(f"injects {name}, not an AIVEN_* variable")
    return problems


def inject_env(credential_type: Dict[str, Any], inputs: Dict[str, Any]) -> Dict[str, str]:
    """The environment variables AWX gives a job that uses a credential with ``inputs``."""
    fields = credential_type["inputs"]["fields"]
    missing = [name for name in credential_type["inputs"].get("required", []) if not inputs.get(name)]
    if missing:
        raise ValueError(f"AWX refuses a credential without {', '.join(missing)}")
    unknown = set(inputs) - {field["id"] for field in fields}
    if unknown:
        raise ValueError(f"not inputs of the credential type: {', '.join(sorted(unknown))}")
    namespace: Dict[str, Any] = {name: value for name, value in inputs.items() if value not in ("", None)}
    for field in fields:
        if field.get("type") == "boolean" and field["id"] not in inputs:
            namespace[field["id"]] = False
    sandbox = ImmutableSandboxedEnvironment()
    return {name: sandbox.from_string(template).render(**namespace) for name, template in credential_type["injectors"]["env"].items()}
