# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Authentication and connection options shared by every module of the collection.
    DOCUMENTATION = r"""
options:
  api_token:
    description:
      - Aiven API token, sent in the C(Authorization) header with the C(aivenv1) scheme.
      - When not set, the value of the environment variable E(AIVEN_TOKEN) is used,
        then E(AIVEN_AUTH_TOKEN) (the variable of Aiven's C(avn) CLI). A variable set to an
        empty value counts as unset.
      - It is a C(no_log) value, so Ansible masks it in results, and error texts from the API
        that echo it (also URL-quoted) are scrubbed. Ansible's own debugging switches
        C(ANSIBLE_DEBUG) and C(ANSIBLE_KEEP_REMOTE_FILES) still write it in clear, whatever
        C(no_log) says. Keep it in Ansible Vault or an AWX/Controller credential.
      - Required in one of these three places; without any, the task fails naming them, unless O(api_tokens)
        has a token for every project of the task.
    type: str
  api_tokens:
    description:
      - API tokens by project, a mapping from project name to token, for a least-privilege token per project.
        Each project named here is read and written with its own token; any other project with O(api_token).
        A project with neither fails the task before any request, naming the project.
      - When not set, the environment variable E(AIVEN_PROJECT_TOKENS) is read as a JSON object of the same
        shape (what an AWX credential can inject); any other value fails before any request, naming the variable.
      - Every value is a C(no_log) value. A 401 (and a 403 "Not a project member") says where the token came
        from, such as C(api_tokens[PROJECT]), the task's O(api_token) or E(AIVEN_TOKEN); never the token.
    type: dict
  api_url:
    description:
      - Origin of the Aiven API, V(https://host) or V(https://host:port), optionally ending
        in C(/v1); no user name, password, query string or fragment. A URL with a user name
        or password is refused, and the whole value is then masked in the result.
      - When not set, the value of the environment variable E(AIVEN_WEB_URL) is used,
        as Aiven's own tools do (an empty value counts as unset), then V(https://api.aiven.io).
      - V(http://) sends the token in clear; it prints a warning unless the host is loopback
        (C(127.0.0.0/8), C(::1) or C(localhost)).
    type: str
    default: https://api.aiven.io
  validate_certs:
    description:
      - Whether to check the API's TLS certificate. Turning it off prints a warning and
        makes O(ca_path) ignored.
      - Certificate errors fail at once; they are never retried.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the certificate authorities to trust, for example a private CA or a
        TLS-inspecting proxy. It replaces the default bundle rather than adding to it.
      - When unset, the bundle named by the environment variable E(REQUESTS_CA_BUNDLE) (or
        E(CURL_CA_BUNDLE)) is used, else the C(certifi) bundle that C(requests) ships with.
      - Must be a regular file (not a FIFO, device or directory) of at most 1 MiB; the module
        fails before any request otherwise, naming the option. A E(REQUESTS_CA_BUNDLE) or
        E(CURL_CA_BUNDLE) that names a FIFO, socket or device fails the same way.
    type: path
  api_timeout:
    description:
      - Seconds one attempt of an HTTP request may take in all, by the wall clock (connecting, the reply's
        headers and its whole body); an attempt still incomplete by then is retried like a timeout.
        More than 0, at most 3600.
      - Replies are capped in size (64 MiB) and nesting; a larger or deeper one fails the task naming the cap.
      - The alias C(timeout) is the name of this option before 1.0.0.
      - Details in L(docs/reliability.md,https://github.com/dbpools/aiven/blob/main/docs/reliability.md).
    aliases: [timeout]
    type: float
    default: 30
  api_retries:
    description:
      - How many times a request is retried after no reply or an incomplete one, HTTP 408, 429 or 5xx, and
        for pool writes a 404 "Service X does not exist" (a service just created). Certificate errors and
        other 4xx answers fail at once. V(0) turns retries off.
      - Waits grow from 0 to 15 seconds, or follow the wait the server names (at most 60 seconds). After a
        429 the module paces its requests to Aiven's rate limit, so a large change has few requests refused.
      - With the default, a request that keeps failing gives up after about 45 seconds of waiting, and the
        error says how many attempts were made.
      - The schedule, the pacing and their bounds are in
        L(docs/reliability.md,https://github.com/dbpools/aiven/blob/main/docs/reliability.md).
    type: int
    default: 6
notes:
  - Requires the Python library C(requests) on the host that runs the module
    (usually C(localhost)).
  - All modules of this collection belong to the action group C(dbpools.aiven.aiven), so
    C(module_defaults) with C(group/dbpools.aiven.aiven) sets these options once for a play.
requirements:
  - requests
"""
