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
      - Origin of the Aiven API, without the C(/v1) path.
      - When not set, the value of the environment variable E(AIVEN_WEB_URL) is used,
        as Aiven's own tools do, then V(https://api.aiven.io).
    type: str
    default: https://api.aiven.io
  validate_certs:
    description:
      - Whether to check the API's TLS certificate. Turning it off prints a warning.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the certificate authorities to trust instead of the system store,
        for example for a TLS-inspecting proxy.
    type: path
  timeout:
    description:
      - Seconds to wait for each HTTP request before it counts as failed (and is retried).
    type: float
    default: 30
  api_retries:
    description:
      - How many times a request is retried after a connection error, HTTP 408, 429 or 5xx,
        with exponential backoff (1 s doubling up to 15 s, or the server's C(Retry-After), capped at 30 s).
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
