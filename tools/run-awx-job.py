#!/usr/bin/env python
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the role the way AWX / Automation Controller does, and check the EE metadata with ansible-builder.

    .venv/bin/python tools/run-awx-job.py        (make awx)

1. The credential type extensions/awx/credential_type_aiven.yml: its shape, and the
   environment AWX injects from it (its injector templates rendered as AWX does).
2. The collection built with ansible-galaxy and installed in a temp folder (as AWX or an
   EE build installs it); ``ansible-builder introspect`` of that install must list exactly
   meta/ee-requirements.txt and meta/ee-bindep.txt; ``ansible-builder create`` of
   docs/examples/execution-environment.yml must give a Containerfile that installs it.
3. Against the emulator (memory backend), jobs through ansible-runner, each with a fresh
   private data dir (project/ with the collection's playbooks/apply_pools.yml, inventory/
   with the pool definitions as group vars of aiven_pools, the credential's environment,
   the installed collection through ANSIBLE_COLLECTIONS_PATH, no token in extra vars):
   apply (changed, the expected writes), apply again (changed=0, no write), a wrong token
   (fails with the API's 401 message), and the guide's lookup of the credential type file.
   Counts come from the job events (playbook_on_stats) and the emulator's request log.
4. Every artifact file of every job (job events, stdout, stderr, status, rc) is scanned
   for the token and every seeded password; see EXCLUDED for the one file left out.

Exits non-zero when a check fails. Secrets are never printed.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from typing import Any, Dict, List

import requests
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from toolkit import echo, leaked_secrets, secrets_of  # noqa: E402

from tests.awx.builder import build_and_install, create_context, introspect, requirement_lines  # noqa: E402
from tests.awx.credential import CREDENTIAL_TYPE_FILE, inject_env, load_credential_type, shape_problems  # noqa: E402
from tests.awx.job import Job, clean_process_env, make_private_data_dir, run_job  # noqa: E402
from tests.support.emulator import EmulatorProcess  # noqa: E402

EE_EXAMPLE = os.path.join(REPO, "docs", "examples", "execution-environment.yml")
PROJECT = "awx-project"
PUBLIC_API = "https://api.aiven.io"
HOST = "localhost"
APPLY_TASK = "Apply the connection pools of every service"
REPORT_TASK = "Report the changes, one line per service (no secret)"
API_401_MESSAGE = "Missing (expired) db token"
# What docs/awx.md hands to awx.awx.credential_type.
TYPE_KEYS = ("name", "kind", "description", "inputs", "injectors")

# Artifact files the secret scan leaves out, and why. The scan checks the reason still holds.
EXCLUDED = {
    "command": "ansible-runner writes the job's whole process environment there (AIVEN_TOKEN included), with or "
               "without suppress_env_files (that setting only stops env/envvars, env/extravars... being written); AWX "
               "keeps only a redacted copy of the environment (build_safe_env) and deletes the private data dir after the job",
}

SEED = {
    "projects": [{"name": PROJECT, "services": [
        {"name": "pg-awx-a", "state": "RUNNING", "plan": "startup-4", "databases": ["defaultdb", "appdb"], "users": ["avnadmin", "app"],
         "pools": [{"pool_name": "resize-me", "database": "appdb", "pool_mode": "transaction", "pool_size": 10}]},
        {"name": "pg-awx-b", "state": "RUNNING", "plan": "startup-4", "databases": ["defaultdb", "reports"], "users": ["avnadmin", "analyst"],
         "pools": [{"pool_name": "stray", "database": "reports"}]},
    ]}],
}
# The job template's inventory: group vars of aiven_pools, as a user would keep them in AWX.
DEFINITIONS = [
    {"service_name": "pg-awx-a", "pool_name": "app-pool", "database_name": "appdb", "username": "app", "pool_size": 20},
    {"service_name": "pg-awx-a", "pool_name": "admin-pool", "database_name": "defaultdb", "username": "avnadmin", "pool_mode": "session", "pool_size": 2},
    {"service_name": "pg-awx-a", "pool_name": "resize-me", "database_name": "appdb", "pool_size": 15},
    {"service_name": "pg-awx-b", "pool_name": "reports", "database_name": "reports", "username": "analyst", "pool_mode": "session", "pool_size": 5},
    {"service_name": "pg-awx-b", "pool_name": "batch", "database_name": "reports", "pool_mode": "statement"},
]
INVENTORY = {"all": {"children": {"aiven_pools": {
    "hosts": {HOST: {"ansible_connection": "local"}},
    "vars": {"connection_pools_project": PROJECT, "connection_pools_purge": ["pg-awx-b"], "connection_pools_definitions": DEFINITIONS},
}}}}
# What the first run must send: 4 new pools, resize-me resized, stray purged.
FIRST_RUN_WRITES = {"POST": 4, "PUT": 1, "DELETE": 1}
SERVICES = sorted({item["service_name"] for item in DEFINITIONS})
# Both services are in one project: the module reads them with one request (the project's
# service list), before the writes and again after them.
SERVICE_LIST = f"/v1/project/{PROJECT}/service"
# The pools the first run touches (its --diff shows one entry per pool): the writes above.
FIRST_RUN_TOUCHED = sorted([f"{PROJECT}/pg-awx-a/{name}" for name in ("app-pool", "admin-pool", "resize-me")]
                           + [f"{PROJECT}/pg-awx-b/{name}" for name in ("reports", "batch", "stray")])
# The change report of the first run (the role prints it at default verbosity).
FIRST_RUN_REPORT = [
    f"{PROJECT}/pg-awx-a: create 2 (app-pool, admin-pool), update 1 (resize-me: pool_size 10 -> 15)",
    f"{PROJECT}/pg-awx-b: create 2 (reports, batch), delete 1 (stray)",
    "total: 2 services, create 4, update 1, delete 1",
]


def expected_pools() -> Dict[str, Dict[str, tuple]]:
    """Per service, pool name -> (database, username, mode, size) after a converged run (API defaults: transaction, 10)."""
    pools: Dict[str, Dict[str, tuple]] = {service: {} for service in SERVICES}
    for item in DEFINITIONS:
        pools[item["service_name"]][item["pool_name"]] = (
            item["database_name"], item.get("username"), item.get("pool_mode", "transaction"), item.get("pool_size", 10))
    return pools


class Checks:
    def __init__(self) -> None:
        self.passed = 0
        self.failed: List[str] = []

    def __call__(self, name: str, condition: bool, detail: str = "") -> bool:
        if condition:
            self.passed += 1
        else:
            self.failed.append(f"{name}{': ' + detail[:800] if detail else ''}")
        return condition


def log(message: str) -> None:
    echo(f"run-awx-job: {message}\n")


def read_text(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


# --- 1. credential type ----------------------------------------------------------------------

def check_credential_type(check: Checks, url: str, token: str) -> Dict[str, Any]:
    credential_type = load_credential_type()
    problems = shape_problems(credential_type)
    check("credential type: usable in AWX, token secret, env injectors only", not problems, "; ".join(problems))
    injected = inject_env(credential_type, {"token": token, "api_url": url})
    check("credential type: injects exactly AIVEN_TOKEN and AIVEN_WEB_URL from its inputs",
          sorted(injected) == ["AIVEN_TOKEN", "AIVEN_WEB_URL"] and injected["AIVEN_TOKEN"] == token and injected["AIVEN_WEB_URL"] == url,
          f"injects {sorted(injected)}")
    return credential_type


# --- 2. ansible-galaxy and ansible-builder ---------------------------------------------------

def check_installed_collection(check: Checks, installed: str) -> None:
    shipped = os.path.join(installed, "extensions", "awx", "credential_type_aiven.yml")
    check("package: the credential type ships in the collection (extensions/awx)",
          os.path.isfile(shipped) and read_text(shipped) == read_text(CREDENTIAL_TYPE_FILE))
    check("package: extensions/molecule stays out of the collection", not os.path.exists(os.path.join(installed, "extensions", "molecule")))
    check("package: playbooks/apply_pools.yml ships (the job template's playbook)", os.path.isfile(os.path.join(installed, "playbooks", "apply_pools.yml")))


def check_builder(check: Checks, collections_root: str, workdir: str) -> Dict[str, Any]:
    started = time.monotonic()
    meta = yaml.safe_load(read_text(os.path.join(REPO, "meta", "execution-environment.yml")))
    check("ee metadata: meta/execution-environment.yml names its two files by paths relative to the collection root",
          meta.get("dependencies") == {"python": "meta/ee-requirements.txt", "system": "meta/ee-bindep.txt"}, json.dumps(meta.get("dependencies")))
    declared_python = requirement_lines(os.path.join(REPO, "meta", "ee-requirements.txt"))
    declared_system = requirement_lines(os.path.join(REPO, "meta", "ee-bindep.txt"))
    check("ee metadata: meta/ee-requirements.txt is exactly requests", declared_python == ["requests"], repr(declared_python))
    found = introspect(collections_root)
    check("ansible-builder introspect: python requirements are exactly requests, from dbpools.aiven",
          found["python"] == [f"{line}  # from collection dbpools.aiven" for line in declared_python], repr(found["python"]))
    check("ansible-builder introspect: system requirements are exactly meta/ee-bindep.txt's (none)",
          found["system"] == [f"{line}  # from collection dbpools.aiven" for line in declared_system], repr(found["system"]))

    definition = yaml.safe_load(read_text(EE_EXAMPLE))
    galaxy = definition.get("dependencies", {}).get("galaxy", {}).get("collections", [])
    core = definition.get("dependencies", {}).get("ansible_core", {}).get("package_pip", "")
    check("ee example: version 3, names dbpools.aiven, pins ansible-core",
          definition.get("version") == 3 and [item.get("name") for item in galaxy] == ["dbpools.aiven"] and core.startswith("ansible-core=="),
          f"version {definition.get('version')}, galaxy {galaxy}, ansible_core {core!r}")
    example_dir = os.path.join(workdir, "ee-example")
    os.makedirs(example_dir)
    shutil.copy2(EE_EXAMPLE, example_dir)
    containerfile = create_context(os.path.join(example_dir, "execution-environment.yml"), os.path.join(example_dir, "context"))
    requirements = yaml.safe_load(read_text(os.path.join(example_dir, "context", "_build", "requirements.yml")))
    check("ansible-builder create: the Containerfile installs the galaxy requirements and pins ansible-core",
          "ansible-galaxy collection install" in containerfile and f'ANSIBLE_INSTALL_REFS="{core}' in containerfile
          and f'EE_BASE_IMAGE="{definition["images"]["base_image"]["name"]}"' in containerfile)
    check("ansible-builder create: _build/requirements.yml holds dbpools.aiven",
          [item.get("name") for item in requirements.get("collections", [])] == ["dbpools.aiven"], repr(requirements))
    # The schema check must be able to fail: the same file with an unknown key is refused.
    broken_dir = os.path.join(workdir, "ee-broken")
    os.makedirs(broken_dir)
    with open(os.path.join(broken_dir, "execution-environment.yml"), "w", encoding="utf-8") as handle:
        yaml.safe_dump(dict(definition, dependenceis=definition["dependencies"]), handle)
    try:
        create_context(os.path.join(broken_dir, "execution-environment.yml"), os.path.join(broken_dir, "context"))
        refused = False
    except RuntimeError:
        refused = True
    check("ansible-builder create: validates the definition (a misspelt key is refused)", refused)
    return {"seconds": time.monotonic() - started, "python": len(found["python"]), "system": len(found["system"])}


# --- 3. jobs ---------------------------------------------------------------------------------

def job_env(collections_root: str, injected: Dict[str, str]) -> Dict[str, str]:
    """The job's environment: what AWX sets itself (where collections are), then the credential's."""
    return {"ANSIBLE_COLLECTIONS_PATH": collections_root, "ANSIBLE_NOCOLOR": "1", **injected}


def writes(by_method: Dict[str, int]) -> Dict[str, int]:
    return {method: count for method, count in by_method.items() if method != "GET"}


def pools_on_emulator(emulator: EmulatorProcess, token: str) -> Dict[str, Dict[str, tuple]]:
    found = {}
    for service in SERVICES:
        response = requests.get(f"{emulator.url}/v1/project/{PROJECT}/service/{service}",
                                headers={"Authorization": f"aivenv1 {token}"}, timeout=30)
        response.raise_for_status()
        found[service] = {pool["pool_name"]: (pool["database"], pool.get("username"), pool["pool_mode"], pool["pool_size"])
                          for pool in response.json()["service"]["connection_pools"]}
    return found


def check_job_basics(check: Checks, job: Job, name: str, injected: Dict[str, str], env_file: bool) -> None:
    """Where the credential went: the process environment, never extra vars or inventory; env/ only when asked."""
    command = json.loads(job.read_artifact("command"))
    check(f"{name}: the credential's variables reached ansible-playbook's environment",
          all(command["env"].get(key) == value for key, value in injected.items()))
    check(f"{name}: no token on the command line and no extra vars file",
          injected["AIVEN_TOKEN"] not in " ".join(command["command"]) and not os.path.exists(os.path.join(job.private_data_dir, "env", "extravars")))
    env_dir = os.path.join(job.private_data_dir, "env")
    env_files = sorted(os.listdir(env_dir)) if os.path.isdir(env_dir) else []
    if env_file:
        check(f"{name}: env/envvars holds the credential (ansible-runner's input)", "envvars" in env_files)
    else:
        check(f"{name}: suppress_env_files (AWX's default) wrote nothing under env/", env_files == [], repr(env_files))


def scan_job(check: Checks, job: Job, name: str, secret_values: Dict[str, str], token_name: str) -> int:
    """Scan every artifact file but EXCLUDED for the secrets and for any connection URI; returns files scanned."""
    files = job.artifact_files()
    scanned = [relative for relative in files if relative not in EXCLUDED]
    leaks = []
    for relative in scanned:
        text = job.read_artifact(relative)
        # Without connection_pools_include_secrets the results hold no URI at all, so none is allowed.
        leaks += [f"{relative}: {secret}" for secret in leaked_secrets(text, secret_values)]
        if "postgres://" in text or "postgresql://" in text:
            leaks.append(f"{relative}: a connection URI")
    check(f"{name}: no token, password or connection URI in {len(scanned)} artifact files (job events, stdout, stderr, status, rc)",
          not leaks and any(relative.startswith("job_events/") for relative in scanned) and "stdout" in scanned, "; ".join(leaks[:6]))
    for excluded in EXCLUDED:
        check(f"{name}: the excluded artifact {excluded} exists and does hold the token (the reason to exclude it)",
              excluded in files and token_name in leaked_secrets(job.read_artifact(excluded), secret_values))
    return len(scanned)


def task_results(job: Job, task: str) -> List[Dict[str, Any]]:
    """The results (``res``) of ``task`` in the job events, in order."""
    return [event["event_data"].get("res", {}) for event in job.of("runner_on_ok", "runner_on_failed")
            if event["event_data"].get("task") == task]


def read_paths(log: Dict[str, Any]) -> List[str]:
    return [entry["path"] for entry in log["log"] if entry["method"] == "GET"]


def check_apply(check: Checks, emulator: EmulatorProcess, root: str, injected: Dict[str, str],
                playbook: str, secret_values: Dict[str, str], workdir: str) -> List[Dict[str, Any]]:
    """Two runs of the job template: the first changes, the second does not."""
    results = []
    previous_ok = None
    for number, env_file in ((1, True), (2, False)):
        name = f"job {number} ({'env/envvars' if env_file else 'AWX envvars'})"
        emulator.reset_requests()
        private = make_private_data_dir(os.path.join(workdir, f"job{number}"), INVENTORY, playbook)
        job = run_job(private, f"apply-{number}", os.path.basename(playbook), job_env(root, injected), env_file=env_file, cmdline="--diff")
        log = emulator.requests_log()
        by_method = log["by_method"]
        counts = job.host_counts(HOST)
        check(f"{name}: successful", job.status == "successful" and job.rc == 0, f"status {job.status}, rc {job.rc}")
        check(f"{name}: no failed or unreachable host", counts["failures"] == 0 and counts["dark"] == 0, repr(counts))
        changed_tasks = job.changed_results()
        applied = task_results(job, APPLY_TASK)
        report = [res.get("msg") for res in task_results(job, REPORT_TASK)]
        if number == 1:
            check(f"{name}: playbook_on_stats changed=1 for {HOST}: the one module call for both services",
                  counts["changed"] == 1 and changed_tasks == [APPLY_TASK], f"changed={counts['changed']}, changed results {changed_tasks}")
            check(f"{name}: the API writes are {FIRST_RUN_WRITES}", writes(by_method) == FIRST_RUN_WRITES, repr(by_method))
            check(f"{name}: one read of the service list before the writes and one after",
                  read_paths(log) == [SERVICE_LIST, SERVICE_LIST], repr(read_paths(log)))
            shown = sorted(entry.get("before_header") for res in applied for entry in res.get("diff") or [])
            check(f"{name}: --diff shows the module's own diff, one entry per touched pool (the task has no no_log)",
                  shown == FIRST_RUN_TOUCHED, repr(shown))
            check(f"{name}: the change report names every pool, the purged one too", report == [FIRST_RUN_REPORT], repr(report))
        else:
            check(f"{name}: playbook_on_stats changed=0 for {HOST}", counts["changed"] == 0 and changed_tasks == [], f"changed={counts['changed']}")
            check(f"{name}: no API write, one request: the service list", read_paths(log) == [SERVICE_LIST] and by_method == {"GET": 1},
                  repr(by_method))
            check(f"{name}: the change report says no change", report == [["total: 2 services, no change"]], repr(report))
            # The same tasks ran: nothing is shown or skipped only when something changed.
            check(f"{name}: ok={counts['ok']} is job 1's", counts["ok"] == previous_ok, f"job 1 ok={previous_ok}")
        previous_ok = counts["ok"]
        check_job_basics(check, job, name, injected, env_file)
        scanned = scan_job(check, job, name, secret_values, "API token")
        results.append({"name": name, "job": job, "requests": by_method, "counts": counts, "scanned": scanned})
    return results


def check_wrong_token(check: Checks, emulator: EmulatorProcess, root: str, credential_type: Dict[str, Any],
                      playbook: str, secret_values: Dict[str, str], workdir: str) -> Dict[str, Any]:
    wrong = "wrong-" + secrets.token_hex(12)
    injected = inject_env(credential_type, {"token": wrong, "api_url": emulator.url})
    emulator.reset_requests()
    private = make_private_data_dir(os.path.join(workdir, "job3"), INVENTORY, playbook)
    job = run_job(private, "wrong-token", os.path.basename(playbook), job_env(root, injected))
    by_method = emulator.requests_log()["by_method"]
    name = "job 3 (wrong token)"
    check(f"{name}: failed", job.status == "failed" and job.rc != 0, f"status {job.status}, rc {job.rc}")
    failures = job.of("runner_on_failed")
    messages = [str(event["event_data"].get("res", {}).get("msg", "")) for event in failures]
    check(f"{name}: one runner_on_failed event, its msg carries the 401 and the API's message",
          len(failures) == 1 and "401" in messages[0] and API_401_MESSAGE in messages[0], repr(messages)[:600])
    check(f"{name}: playbook_on_stats failures=1 for {HOST}", job.host_counts(HOST)["failures"] == 1)
    check(f"{name}: one GET, of the service list (a 401 is not retried), no write", by_method == {"GET": 1}, repr(by_method))
    check_job_basics(check, job, name, injected, env_file=False)
    scanned = scan_job(check, job, name, dict(secret_values, **{"wrong token": wrong}), "wrong token")
    return {"name": name, "job": job, "requests": by_method, "counts": job.host_counts(HOST), "scanned": scanned}


def module_api_url(collections_root: str, environment: Dict[str, str]) -> str:
    """The api_url the installed module resolves when given none, under ``environment``: its own fallback and default."""
    if collections_root not in sys.path:
        sys.path.insert(0, collections_root)
    from ansible.module_utils.errors import AnsibleFallbackNotFound  # noqa: PLC0415  (only this check needs Ansible here)

    from ansible_collections.dbpools.aiven.plugins.module_utils._common import (  # noqa: PLC0415
        DEFAULT_API_URL,
        URL_VARIABLE,
        env_if_set,
    )

    saved = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    try:
        return env_if_set(URL_VARIABLE)
    except AnsibleFallbackNotFound:
        return DEFAULT_API_URL
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def check_guide(check: Checks, emulator: EmulatorProcess, token: str, root: str, installed: str,
                credential_type: Dict[str, Any], secret_values: Dict[str, str], workdir: str) -> Dict[str, Any]:
    """docs/awx.md: the credential type read from the installed collection, and a credential without api_url."""
    # A credential created through the API without api_url: AWX injects AIVEN_WEB_URL="".
    injected = inject_env(credential_type, {"token": token})
    check("credential without api_url: AWX injects an empty AIVEN_WEB_URL", injected.get("AIVEN_WEB_URL") == "")
    play = {
        "name": "The AWX guide's steps", "hosts": HOST, "connection": "local", "gather_facts": False,
        # The play vars and the module arguments of docs/awx.md, handed to debug instead of awx.awx.credential_type.
        "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}", "dbpools_aiven_path": installed,
                 "aiven_credential_type": "{{ lookup('ansible.builtin.file', dbpools_aiven_path ~ '/extensions/awx/credential_type_aiven.yml')"
                                          " | ansible.builtin.from_yaml }}"},
        "tasks": [
            {"name": "The credential type as the guide passes it to awx.awx.credential_type",
             "ansible.builtin.debug": {"msg": {key: f"{{{{ aiven_credential_type.{key} }}}}" for key in TYPE_KEYS}}},
            {"name": "The role, nothing declared", "ansible.builtin.import_role": {"name": "dbpools.aiven.connection_pools"}},
            {"name": "The AIVEN_WEB_URL the job sees", "ansible.builtin.debug": {"msg": "{{ lookup('ansible.builtin.env', 'AIVEN_WEB_URL') }}"}},
        ],
    }
    emulator.reset_requests()
    private = make_private_data_dir(os.path.join(workdir, "job4"), {"all": {"hosts": {HOST: {"ansible_connection": "local"}}}})
    job = run_job(private, "guide", [play], job_env(root, injected))
    name = "job 4 (guide)"
    check(f"{name}: successful", job.status == "successful" and job.rc == 0, f"status {job.status}, rc {job.rc}")
    results = {event["event_data"].get("task"): event["event_data"].get("res", {}) for event in job.of("runner_on_ok")}
    looked_up = results.get(play["tasks"][0]["name"], {}).get("msg")
    expected = {key: credential_type[key] for key in TYPE_KEYS}
    check(f"{name}: lookup('file') | from_yaml of the installed file gives the type with its injector templates unrendered",
          looked_up == expected, json.dumps(looked_up)[:400])
    seen = results.get(play["tasks"][2]["name"], {}).get("msg")
    check(f"{name}: the job sees AIVEN_WEB_URL set to an empty string", seen == "", repr(seen))
    # The role passes no api_url of its own: the module's fallback decides, and skips a blank variable.
    api_url = module_api_url(root, {"AIVEN_WEB_URL": ""})
    check(f"{name}: with AIVEN_WEB_URL empty the module uses {PUBLIC_API}", api_url == PUBLIC_API, repr(api_url))
    check(f"{name}: no API request", emulator.requests_log()["total"] == 0)
    scanned = scan_job(check, job, name, secret_values, "API token")
    return {"name": name, "job": job, "requests": {}, "counts": job.host_counts(HOST), "scanned": scanned}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--keep", action="store_true",
                        help="keep the temp folder with the private data dirs (their artifacts/*/command files hold the token)")
    args = parser.parse_args()
    started = time.monotonic()
    check = Checks()
    clean_process_env()
    workdir = tempfile.mkdtemp(prefix="awx-job-")
    token = "awx-" + secrets.token_hex(16)
    jobs: List[Dict[str, Any]] = []
    try:
        # AWX installs a project's collections under the private data dir's requirements_collections.
        root = os.path.join(workdir, "requirements_collections")
        packaged = time.monotonic()
        installed = build_and_install(workdir, root)
        package_seconds = time.monotonic() - packaged
        check_installed_collection(check, installed)
        builder = check_builder(check, root, workdir)
        playbook = os.path.join(installed, "playbooks", "apply_pools.yml")
        with EmulatorProcess(dict(SEED, tokens=[token]), backend="memory") as emulator:
            credential_type = check_credential_type(check, emulator.url, token)
            injected = inject_env(credential_type, {"token": token, "api_url": emulator.url})
            secret_values = secrets_of(emulator.credentials, token)
            jobs += check_apply(check, emulator, root, injected, playbook, secret_values, workdir)
            final = pools_on_emulator(emulator, token)
            check("after job 2: the pools on the emulator are exactly the declared ones", final == expected_pools(),
                  json.dumps(final, sort_keys=True)[:600])
            jobs.append(check_wrong_token(check, emulator, root, credential_type, playbook, secret_values, workdir))
            check("after job 3: the pools are unchanged", pools_on_emulator(emulator, token) == expected_pools())
            jobs.append(check_guide(check, emulator, token, root, installed, credential_type, secret_values, workdir))
    except Exception as exc:  # noqa: BLE001 - any crash is one more failed check, reported with the others
        check("the run itself", False, f"{type(exc).__name__}: {exc}")
    finally:
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    log(f"collection built and installed in {package_seconds:.1f} s" if "package_seconds" in locals() else "collection not built")
    if "builder" in locals():
        log(f"ansible-builder: introspect + create in {builder['seconds']:.1f} s; "
            f"{builder['python']} python, {builder['system']} system requirement(s)")
    for entry in jobs:
        job, counts = entry["job"], entry["counts"]
        log(f"{entry['name']}: {job.status} in {job.seconds:.1f} s, {len(job.events)} events, "
            f"ok={counts['ok']} changed={counts['changed']} failed={counts['failures']}, "
            f"API {json.dumps(entry['requests'], sort_keys=True)}, {entry['scanned']} artifact files scanned")
    log(f"excluded from the secret scan: {', '.join(f'artifacts/<id>/{name} ({why})' for name, why in EXCLUDED.items())}")
    for failure in check.failed:
        log(f"FAILED: {failure}")
    log(f"{'FAILED' if check.failed else 'passed'}: {check.passed} checks passed, {len(check.failed)} failed, "
        f"{time.monotonic() - started:.1f} s")
    return 1 if check.failed else 0


if __name__ == "__main__":
    sys.exit(main())
