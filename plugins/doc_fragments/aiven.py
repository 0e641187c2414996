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
        then E(AIVEN_AUTH_TOKEN) (the variable of Aiven's C(avn) CLI).
      - Never logged; keep it in Ansible Vault or an AWX/Controller credential.
    type: str
    required: true
  api_url:
    description:
      - Origin of the Aiven API, V(https://host) or V(https://host:port), optionally ending
        in C(/v1); no user name, password, query string or fragment.
      - When not set, the value of the environment variable E(AIVEN_WEB_URL) is used,
        as Aiven's own tools do, then V(https://api.aiven.io).
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
      - The file must exist; the module fails before any request otherwise.
    type: path
  timeout:
    description:
      - Seconds to wait for each HTTP request before it counts as failed (and is retried).
      - More than 0, at most 3600.
    type: float
    default: 30
  api_retries:
    description:
      - How many times a request is retried after a connection error, HTTP 408, 429 or 5xx.
        TLS certificate errors and other 4xx answers are not retried.
      - The first retry is sent at once, the next ones after 2, 4 and 8 seconds, then every
        15 seconds (each with up to 1 second of random jitter), or after the server's
        C(Retry-After), capped at 30 seconds.
      - With the default V(6), a request that keeps failing gives up after 44 to 47 seconds
        of waiting over its 7 attempts (up to 180 seconds when the server asks for long
        C(Retry-After) waits), plus up to O(timeout) for each attempt that gets no reply.
        The error then says how many attempts were made.
      - V(0) turns retries off.
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
