# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: connection_info
short_description: How an application connects through Aiven PgBouncer connection pools
version_added: 1.0.0
description:
  - Returns, for each term C(PROJECT/SERVICE/POOL), what a PostgreSQL client needs to connect through that pool -
    C(host), C(port), C(dbname) (the pool's name), C(user), C(password), C(sslmode), C(uri) - and with
    O(ca_cert=true) the project's CA certificate for C(sslmode=verify-full).
  - Runs on the controller and changes nothing. Terms of the same service share one API request; with secrets each
    service is read on its own, so that no other service's secrets are read.
  - Credentials that are right or a failure, never an empty one. A pool that does not exist, a powered-off service,
    a token that may not read secrets, a password the API withholds and an unpinned pool without O(unpinned_user)
    fail the lookup, naming the pool and what to do; all problems of the terms are reported at once.
  - O(include_secrets=false) returns the details without credentials, for a token that may not read secrets.
  - Recipes (env file, C(.pgpass), Kubernetes Secret) are in
    L(docs/connection-details.md,https://github.com/dbpools/aiven/blob/main/docs/connection-details.md).
author:
  - dbpools.aiven maintainers (@dbpools)
extends_documentation_fragment:
  - dbpools.aiven.pgbouncer_address
options:
  _terms:
    description:
      - The pools, each C(PROJECT/SERVICE/POOL); the pool name is everything after the second C(/). Names follow the
        modules' rules for O(dbpools.aiven.aiven_connection_pool#module:project) and the others.
    type: list
    elements: str
    required: true
  api_token:
    description:
      - Aiven API token, as the modules' O(dbpools.aiven.aiven_connection_pool#module:api_token); else E(AIVEN_TOKEN),
        then E(AIVEN_AUTH_TOKEN) (empty counts as unset). Never shown in errors or warnings.
      - Needed for every project of the terms that O(api_tokens) does not name.
    type: str
  api_tokens:
    description:
      - API tokens by project, a mapping from project name to token, as the modules'
        O(dbpools.aiven.aiven_connection_pool#module:api_tokens); the terms of a project named here are read with its
        token, the others with O(api_token). A project with neither fails the lookup before any request, naming it.
      - When not given, the environment variable E(AIVEN_PROJECT_TOKENS) is read as a JSON object of the same shape
        (what the AWX credential type C(extensions/awx/credential_type_aiven_projects.yml) injects); any other value
        fails the lookup before any request, naming the variable.
      - A 401 says where the refused token came from (C(api_tokens[PROJECT]), E(AIVEN_PROJECT_TOKENS), the lookup's
        O(api_token), E(AIVEN_TOKEN)); never the token.
    type: dict
  api_url:
    description:
      - Origin of the Aiven API, as the modules' O(dbpools.aiven.aiven_connection_pool#module:api_url); else
        E(AIVEN_WEB_URL), then V(https://api.aiven.io). V(http://) to a host other than loopback is warned about.
    type: str
  validate_certs:
    description:
      - Whether to check the API's TLS certificate. Turning it off prints a warning.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the certificate authorities to trust for the API, replacing the default bundle, as the modules'
        O(dbpools.aiven.aiven_connection_pool#module:ca_path) (a regular file of at most 1 MiB).
    type: path
  api_timeout:
    description:
      - Seconds one attempt of an HTTP request may take in all, as the modules'
        O(dbpools.aiven.aiven_connection_pool#module:api_timeout); more than 0, at most 3600. C(timeout) is its name
        before 1.0.0.
    aliases: [timeout]
    type: float
    default: 30
  api_retries:
    description:
      - How many times a request is retried after no reply, HTTP 408, 429 or 5xx, as the modules'
        O(dbpools.aiven.aiven_connection_pool#module:api_retries). From 0 to 20.
    type: int
    default: 6
  ca_cert:
    description:
      - Also return C(ca_cert), the project's CA certificate, for C(sslmode=verify-full); one more request per project.
      - Reading it needs the permission C(organization:projects:write) (else the lookup fails naming it); without
        that permission, give the CA with O(project_ca_path).
    type: bool
    default: false
  project_ca_path:
    description:
      - A PEM file with the project's CA certificate, returned as C(ca_cert) instead of reading it from the API.
        Only with O(ca_cert=true) and terms of one project; a regular file of at most 1 MiB with at least one
        certificate, of which only the certificates are returned.
    type: path
  unpinned_user:
    description:
      - The service user to connect as through unpinned pools, which have no credentials of its own; without it an
        unpinned pool fails the lookup (with O(include_secrets=false) its C(user) is V("")). The admin is never
        filled in unless named here; a name that is not a user of the service fails, listing its users.
    type: str
  include_secrets:
    description:
      - V(true) returns each pool's C(password), and the C(uri) with it (the token needs C(service:secrets:read)).
      - V(false) returns no C(password) key and a C(uri) without password, and does not ask the API for secrets.
    type: bool
    default: true
notes:
  - O(route) and O(usage) pick the address C(host), C(port) and C(uri) name.
  - The result holds secrets unless O(include_secrets=false). Use C(no_log) on every task that takes it as an
    argument or registers or prints it.
  - A client connects to the pool's name as the database (C(dbname)); for C(sslmode=verify-full) give it
    C(ca_cert) as its root certificate (C(sslrootcert)). It should retry its first connection to a new pool.
  - Requires the Python library C(requests) on the controller.
seealso:
  - module: dbpools.aiven.aiven_connection_pool_info
  - module: dbpools.aiven.aiven_connection_pool
"""

EXAMPLES = r"""
- name: Write the application's environment file (the password stays out of the output)
  ansible.builtin.copy:
    dest: /etc/myapp/db.env
    mode: "0600"
    content: |
      PGHOST={{ pool.host }}
      PGPORT={{ pool.port }}
      PGDATABASE={{ pool.dbname }}
      PGUSER={{ pool.user }}
      PGPASSWORD={{ pool.password }}
      PGSSLMODE={{ pool.sslmode }}
  vars:
    pool: "{{ lookup('dbpools.aiven.connection_info', 'demo-project/pg-demo/app-pool') }}"
  no_log: true

- name: Several pools of a service in one request, with the CA for verify-full
  ansible.builtin.set_fact:
    pools: "{{ query('dbpools.aiven.connection_info', 'demo-project/pg-demo/app-pool', 'demo-project/pg-demo/reports',
                     ca_cert=true) }}"
  no_log: true

- name: An unpinned pool, connecting as the service user app (never the admin unless named)
  ansible.builtin.set_fact:
    shared: "{{ lookup('dbpools.aiven.connection_info', 'demo-project/pg-demo/shared-pool', unpinned_user='app') }}"
  no_log: true

- name: The pool on a standby node, through the public address, for read-only reports
  ansible.builtin.set_fact:
    reports: "{{ lookup('dbpools.aiven.connection_info', 'demo-project/pg-demo/reports', route='public', usage='replica') }}"
  no_log: true

- name: The CA for verify-full from a file, for a token that may not read it from the API
  ansible.builtin.set_fact:
    pool_with_ca: "{{ lookup('dbpools.aiven.connection_info', 'demo-project/pg-demo/app-pool', ca_cert=true,
                             project_ca_path='files/demo-project-ca.pem') }}"
  no_log: true

- name: Where a pool listens, with a token that may not read secrets (no secret asked for, no no_log needed)
  ansible.builtin.debug:
    msg: "{{ pool.host }}:{{ pool.port }}/{{ pool.dbname }} as {{ pool.user }}"
  vars:
    pool: "{{ lookup('dbpools.aiven.connection_info', 'demo-project/pg-demo/app-pool', include_secrets=false) }}"
"""

RETURN = r"""
_raw:
  description:
    - One dictionary per term, in the order of the terms.
  type: list
  elements: dict
  contains:
    host:
      description:
        - Host to connect to (PgBouncer) - the pool's own, or that of the O(route) and O(usage) asked for.
      type: str
    port:
      description: PgBouncer port to connect to, of the same address as C(host).
      type: int
    dbname:
      description: Database name a client connects to - the pool's name, not the database the pool serves.
      type: str
    user:
      description:
        - User a client connects as - the pinned user, or O(unpinned_user) for an unpinned pool.
        - V("") for an unpinned pool without O(unpinned_user), only with O(include_secrets=false).
      type: str
    password:
      description:
        - Password of C(user), a secret; never empty (the lookup fails instead).
        - Only with O(include_secrets=true).
      type: str
    sslmode:
      description: C(sslmode) the API gives for the pool, V(require) when it gives none.
      type: str
    uri:
      description:
        - C(postgres://USER:PASSWORD@HOST:PORT/POOL?sslmode=...) built from the fields above, each URL-quoted.
          A secret.
        - With O(include_secrets=false) without the password (C(USER@)), and without credentials when C(user)
          is V("").
      type: str
    ca_cert:
      description: PEM certificate of the project's CA (the certificates of O(project_ca_path) when given); only with O(ca_cert=true).
      type: str
"""

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display

from ansible_collections.dbpools.aiven.plugins.module_utils._connection_details import DetailsError, address_problem, connection_details
from ansible_collections.dbpools.aiven.plugins.module_utils._connection_options import (
    OPTION_NAMES,
    PROJECT_TOKENS_VARIABLE,
    OptionError,
    check_options,
    client_for,
    first_set,
    json_object_text,
    lookup_options,
    project_ca_from_file,
)
from ansible_collections.dbpools.aiven.plugins.module_utils._declaration_rules import (
    NAME_MAX,
    USERNAME_MAX,
    project_problem,
    service_label,
    service_problem,
    text_problem,
)
from ansible_collections.dbpools.aiven.plugins.module_utils._pool_uri import REDACTED
from ansible_collections.dbpools.aiven.plugins.module_utils._project_tokens import ProjectClients, ProjectToken, ProjectTokens, project_tokens
from ansible_collections.dbpools.aiven.plugins.module_utils._reading import (
    POWEROFF,
    ReadError,
    ServiceReader,
    pools_of,
    project_ca,
    service_state,
    state_warning,
)
from ansible_collections.dbpools.aiven.plugins.module_utils._text import MESSAGE_MAX, listed, printable, shown
from ansible_collections.dbpools.aiven.plugins.module_utils._transport import HAS_REQUESTS

display = Display()
# The aliases of DOCUMENTATION's options (Ansible resolves them, but self._options knows only the names).
OPTION_ALIASES = {"timeout": "api_timeout"}

TERM_SHAPE = "PROJECT/SERVICE/POOL"
# What a token needs for include_secrets=true (Aiven's permission map, go-client-codegen permissions.yaml).
SECRETS_PERMISSION = "service:secrets:read"


@dataclass(frozen=True)
class Wanted:
    """One term: the pool whose connection details are asked for."""

    project: str
    service_name: str
    pool_name: str

    @property
    def label(self) -> str:
        return f"{self.project}/{self.service_name}/{self.pool_name}"


def parse_term(term: Any) -> Wanted:
    """The pool a term names; AnsibleLookupError for one that cannot name a pool."""
    if not isinstance(term, str):
        raise AnsibleLookupError(f"each term must be a string {TERM_SHAPE}, got {shown(term)}")
    parts = term.split("/", 2)
    if len(parts) != 3:
        raise AnsibleLookupError(f"term {shown(term)} must be {TERM_SHAPE}")
    project, service_name, pool_name = parts
    problem = (project_problem(project) or service_problem(service_name)
               or text_problem("pool_name", pool_name, NAME_MAX))
    if problem:
        raise AnsibleLookupError(f"term {shown(term)}: {problem}")
    return Wanted(project, service_name, pool_name)


def parse_terms(terms: Sequence[Any]) -> list[Wanted]:
    """Every term parsed; a list given as one term counts as its items (``lookup(name, pool_list)``)."""
    flat: list[Any] = []
    for term in terms:
        flat.extend(term if isinstance(term, (list, tuple)) else [term])
    return [parse_term(term) for term in flat]


def _services_by_project(wanted: Sequence[Wanted]) -> dict[str, list[str]]:
    """The services the terms name, per project, each once, in the order first named."""
    grouped: dict[str, list[str]] = {}
    for item in wanted:
        services = grouped.setdefault(item.project, [])
        if item.service_name not in services:
            services.append(item.service_name)
    return grouped


def read_documents(reader: ServiceReader, wanted: Sequence[Wanted]) -> dict[tuple[str, str], dict[str, Any]]:
    """The service document of every service the terms name: one request per service, or per project (ServiceReader.documents)."""
    documents: dict[tuple[str, str], dict[str, Any]] = {}
    for project, services in _services_by_project(wanted).items():
        listed_services = reader.documents(project, services)
        for service_name in services:
            if service_name not in listed_services:
                raise AnsibleLookupError(f"service {service_label(project, service_name)} does not exist "
                                         f"(project {project} has: {listed(sorted(listed_services)) or 'no services'})")
            documents[(project, service_name)] = listed_services[service_name]
    return documents


def state_problem(project: str, service_name: str, document: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(failure, warning) for the state of a service: powered off fails, any other state but RUNNING warns."""
    label = service_label(project, service_name)
    state = service_state(document)
    if state == POWEROFF:
        return (f"service {label} is {POWEROFF}: nothing can connect through its pools until it is powered on "
                "(and Aiven may drop its pools while it is off)"), None
    return None, state_warning(label, state, len(pools_of(label, document)))


def details_of(item: Wanted, document: Mapping[str, Any], unpinned_user: str | None, include_secrets: bool,
               route: str | None = None, usage: str | None = None) -> dict[str, Any]:
    """The connection details of one term's pool, from its service document."""
    label = service_label(item.project, item.service_name)
    pools = {pool["pool_name"]: pool for pool in pools_of(label, document)}
    pool = pools.get(item.pool_name)
    if pool is None:
        raise AnsibleLookupError(f"pool {item.label} does not exist; service {label} has "
                                 f"{'pools: ' + listed(sorted(pools)) if pools else 'no pools'}")
    try:
        return connection_details(pool, document, unpinned_user, include_secrets, route, usage)
    except DetailsError as err:
        raise AnsibleLookupError(f"pool {item.label}: {err}") from None


def credential_problems(reader: ServiceReader, wanted: Sequence[Wanted], results: Sequence[Mapping[str, Any]]) -> list[str]:
    """Why the credentials of some pools are unusable (no user, no password), each naming the pools and what to do."""
    unpinned: list[str] = []
    refused: dict[str, list[str]] = {}
    redacted: list[str] = []
    seen: set[str] = set()
    for item, details in zip(wanted, results):
        if item.label in seen:
            continue
        seen.add(item.label)
        if not details["user"]:
            unpinned.append(item.label)
        elif details["password"] is None and reader.refused(item.project):
            refused.setdefault(item.project, []).append(item.label)
        elif details["password"] is None:
            redacted.append(f"{item.label} (user {details['user']})")
    problems = []
    if unpinned:
        problems.append(f"pool(s) {listed(unpinned)} are not pinned to a user and have no credentials of their own: set "
                        "unpinned_user to the service user to connect as (or include_secrets=false for the details without credentials)")
    for project, labels in refused.items():
        problems.append(f"the API token may not read the passwords of pool(s) {listed(labels)}: project {project} answered "
                        f"include_secrets=true with HTTP 403; grant the token the permission {SECRETS_PERMISSION} "
                        "(or set include_secrets=false for the details without credentials)")
    if redacted:
        problems.append(f"the API gave no password for pool(s) {listed(redacted)} although secrets were asked for "
                        f"(it answered {REDACTED} or none): check that the token has the permission {SECRETS_PERMISSION} "
                        "(or set include_secrets=false for the details without credentials)")
    return problems


def lookup_tokens(given_token: str | None, given_tokens: Any, api_token: str | None, environ: Mapping[str, str]) -> ProjectTokens:
    """The token of each project: api_tokens (else AIVEN_PROJECT_TOKENS), else ``api_token`` (the option, else AIVEN_TOKEN ...).

    OptionError for tokens that cannot be used (never showing one). ``given_token`` and ``given_tokens`` are the options as
    given; the sources are named in the lookup's words, not a task's.
    """
    given: dict[str, Any] = {}
    if (given_token or "").strip():
        given["api_token"] = given_token
    if given_tokens is not None:
        given["api_tokens"] = given_tokens
    from_environment = first_set(environ, [PROJECT_TOKENS_VARIABLE])
    # Not a JSON object: project_tokens fails naming the variable (unless api_tokens was given).
    own = given_tokens if "api_tokens" in given else (json.loads(from_environment or "") if json_object_text(from_environment) else None)
    tokens = project_tokens({"api_token": api_token, "api_tokens": own}, given, environ)
    if tokens.default is not None and "api_token" in given:
        return ProjectTokens(ProjectToken(tokens.default.value, "the lookup's api_token"), tokens.own, tokens.names)
    return tokens


def connection_info(clients: ProjectClients, wanted: Sequence[Wanted], ca_cert: bool = False, unpinned_user: str | None = None,
                    include_secrets: bool = True, route: str | None = None,
                    usage: str | None = None, ca_from_file: str | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    """The details of every wanted pool, in order, and the warnings to give; AnsibleLookupError on failure.

    ``clients`` reads each project with its own token (api_tokens), else api_token.
    ``ca_from_file`` is the CA project_ca_path gave (every term then names its project).
    Messages quote the API (its error texts, names it lists): they are made printable and bounded here.
    """
    try:
        return _connection_info(clients, wanted, ca_cert, unpinned_user, include_secrets, route, usage, ca_from_file)
    except AnsibleLookupError as err:
        raise AnsibleLookupError(printable(err.message, MESSAGE_MAX)) from None


def _connection_info(clients: ProjectClients, wanted: Sequence[Wanted], ca_cert: bool, unpinned_user: str | None,
                     include_secrets: bool, route: str | None, usage: str | None,
                     ca_from_file: str | None) -> tuple[list[dict[str, Any]], list[str]]:
    # A refusal of secrets is read again without them (ServiceReader), so that a token with no access at
    # all fails as such, and a missing service or pool is named before the missing permission.
    reader = ServiceReader(clients, include_secrets=include_secrets)
    warnings: list[str] = []
    try:
        documents = read_documents(reader, wanted)
        for (project, service_name), document in documents.items():
            failure, warning = state_problem(project, service_name, document)
            if failure:
                raise AnsibleLookupError(failure)
            if warning:
                warnings.append(warning)
        results = [details_of(item, documents[(item.project, item.service_name)], unpinned_user, include_secrets, route, usage)
                   for item in wanted]
    except ReadError as err:
        raise AnsibleLookupError(err.message) from None
    if include_secrets:
        problems = credential_problems(reader, wanted, results)
        if problems:
            raise AnsibleLookupError("; ".join(problems))
    if ca_cert:
        certificates: dict[str, str] = {}
        for item, details in zip(wanted, results):
            if item.project not in certificates:
                try:
                    certificates[item.project] = ca_from_file if ca_from_file is not None else project_ca(clients.client(item.project), item.project)
                except ReadError as err:
                    raise AnsibleLookupError(err.message) from None
            details["ca_cert"] = certificates[item.project]
    return results, [printable(warning, MESSAGE_MAX) for warning in warnings]


class LookupModule(LookupBase):
    def run(self, terms: list[Any], variables: dict[str, Any] | None = None, **kwargs: Any) -> list[dict[str, Any]]:
        self.set_options(var_options=variables, direct=kwargs)
        # Ansible ignores options it does not know; a misspelt ca_cert must not pass silently.
        unknown = sorted(set(kwargs) - set(self._options) - set(OPTION_ALIASES) - {"_terms"})
        if unknown:
            raise AnsibleLookupError(f"unknown option(s) {', '.join(map(shown, unknown))}; "
                                     f"valid options: {', '.join(sorted(set(self._options) - {'_terms'}))}")
        wanted = parse_terms(terms)
        options, tokens = self._checked_options(wanted)
        if not wanted:
            return []
        ca_from_file = self._project_ca_from_file(wanted)
        if not HAS_REQUESTS:
            raise AnsibleLookupError("the lookup dbpools.aiven.connection_info needs the Python library requests on the controller")
        clients = ProjectClients(tokens, [item.project for item in wanted],
                                 lambda token, sources: client_for(options, token=token, token_sources=sources))
        try:
            results, warnings = connection_info(clients, wanted, ca_cert=bool(self.get_option("ca_cert")),
                                                unpinned_user=options["unpinned_user"],
                                                include_secrets=bool(self.get_option("include_secrets")),
                                                route=options["route"], usage=options["usage"], ca_from_file=ca_from_file)
        finally:
            clients.close()
        for warning in warnings:
            display.warning(warning)
        return results

    def _checked_options(self, wanted: Sequence[Wanted]) -> tuple[dict[str, Any], ProjectTokens]:
        """The options with the environment's fallbacks and the token of each project, checked before any request (warnings given)."""
        given = {name: self.get_option(name) for name in OPTION_NAMES}
        options = lookup_options(given, os.environ)
        options.update(unpinned_user=self.get_option("unpinned_user"), route=self.get_option("route"), usage=self.get_option("usage"))
        # Given once every option is checked, as before any request.
        warnings: list[str] = []
        try:
            tokens = lookup_tokens(given["api_token"], self.get_option("api_tokens"), options["api_token"], os.environ)
            # The token problem first: without one, nothing else matters. Without terms a token is still needed, as before api_tokens.
            for project in [item.project for item in wanted] or ([] if tokens.own else [""]):
                tokens.token_for(project)
            check_options(options, os.environ, warnings.append, token_checked=True)
        except OptionError as err:
            raise AnsibleLookupError(err.message) from None
        problem = address_problem(options["route"], options["usage"])
        if options["unpinned_user"] is not None:
            problem = problem or text_problem("unpinned_user", options["unpinned_user"], USERNAME_MAX)
        if problem:
            raise AnsibleLookupError(problem)
        for warning in warnings:
            display.warning(warning)
        return options, tokens

    def _project_ca_from_file(self, wanted: Sequence[Wanted]) -> str | None:
        """The PEM certificates of project_ca_path (read before any request), or None when it is not given."""
        path, ca_cert = self.get_option("project_ca_path"), bool(self.get_option("ca_cert"))
        projects = sorted({item.project for item in wanted})
        if path is not None and ca_cert and len(projects) > 1:
            raise AnsibleLookupError(f"project_ca_path is the CA of one project, but the terms name projects {listed(projects)}: "
                                     "run one lookup per project")
        try:
            return project_ca_from_file(path, ca_cert, "ca_cert=true")
        except OptionError as err:
            raise AnsibleLookupError(err.message) from None
