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
      - Required in one of these three places; without any, the task fails naming them.
    type: str
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
      - Seconds one attempt of an HTTP request may take in all, by the wall clock (connecting,
        the reply's headers and its whole body). A reply still incomplete by then counts as a
        timeout and is retried like one.
      - A reply is read up to 64 MiB (about 200,000 pools in a project's service list), an error
        reply up to 64 KiB, and at most 64 levels of nested arrays and objects. A larger reply is
        refused as soon as it announces or passes that size, without reading the rest; it and one
        nested deeper fail the task with the reply's HTTP status and a message naming the cap
        (an error reply's status still decides whether it is retried).
      - More than 0, at most 3600.
      - The alias C(timeout) is the name of this option before 1.0.0.
    aliases: [timeout]
    type: float
    default: 30
  api_retries:
    description:
      - How many times a request is retried after no reply or an incomplete one (timeouts
        included), HTTP 408, 429 or 5xx, and, for pool writes only, HTTP 404 "Service X does
        not exist" (a service just created answers so for a while). TLS certificate errors and
        other 4xx answers are not retried; pool writes that persistently get that 404 fail with
        Aiven's message.
      - The first retry is sent at once, the next ones after 2, 4 and 8 seconds, then every
        15 seconds (each with up to 1 second of random jitter).
      - A wait the server names replaces that schedule, from 0 up to 60 seconds - the
        C(Retry-After) header of a 429 or 503 (seconds or a date), else for a 429 the "try
        again in N s" of Aiven's message (which comes without the header). Aiven names waits
        of tens of seconds. After a 429 the module's other requests hold until that wait has
        passed too, so no attempt is spent inside the rate-limit window.
      - Once a 429 names Aiven's limit ("Rate limit N exceeded"), the module lets N requests
        go after the wait (the first alone), then one at a time until one is refused, whose
        wait starts the next round. An accepted one doubles the allowance, so a wrong or
        random limit in a 429 costs its wait (at most 60 seconds) and no lasting slowdown.
        When the limit is known (two such requests refused in a row) the module waits for
        the window's end instead, trying again every 1, 2, 4 and at most 8 windows. Before
        the first 429 nothing is paced. So a large change under Aiven's window (120 requests
        per minute) has under 2% of its requests refused (at most one per concurrent write
        when the limit is first hit) and runs within a few percent of the time the limit
        imposes.
      - No single wait is longer than 60 seconds, and no attempt waits more than 120 seconds
        for its turn under a rate limit. With the default V(6), a request that keeps failing
        gives up after 44 to 47 seconds of waiting over its 7 attempts when no wait is named,
        at most 6 x 60 seconds when the server names long waits, plus up to 120 seconds per
        attempt for its turn under a rate limit and up to O(api_timeout) for each attempt. The
        error then says how many attempts were made.
      - A write answered 2xx was applied, even when the rest of the reply is lost or is not
        JSON; it counts as done and is not sent again.
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
