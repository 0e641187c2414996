# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection options of the modules and the lookup connection_info, in one place.

api_token, api_tokens, api_url, validate_certs, ca_path, api_timeout and api_retries (doc fragment
dbpools.aiven.aiven): their argument spec and environment fallbacks, their rules, the
check both callers make before any request (with its warnings), and the client they
configure. The modules get the options through common_argument_spec (Ansible applies
the fallbacks); the lookup, which runs without AnsibleModule, through lookup_options.
Which token each project gets, and where it came from, is ``_project_tokens``'s.
"""

from __future__ import annotations

import ipaddress
import json
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast
from urllib.parse import urlsplit

from ansible.module_utils.errors import AnsibleFallbackNotFound

from ansible_collections.dbpools.aiven.plugins.module_utils._api import DEFAULT_API_URL, AivenClient
from ansible_collections.dbpools.aiven.plugins.module_utils._local_files import LocalFileError, check_ca_files, pem_certificates
from ansible_collections.dbpools.aiven.plugins.module_utils._module_args import given_arguments
from ansible_collections.dbpools.aiven.plugins.module_utils._text import shown, unusable_character

TOKEN_VARIABLES = ("AIVEN_TOKEN", "AIVEN_AUTH_TOKEN")
URL_VARIABLE = "AIVEN_WEB_URL"
# api_tokens from the environment: a JSON object from project name to token (what an AWX credential can inject).
PROJECT_TOKENS_VARIABLE = "AIVEN_PROJECT_TOKENS"
NO_TOKEN = f"no API token: set api_token, or the environment variable {TOKEN_VARIABLES[0]} or {TOKEN_VARIABLES[1]}"
VALIDATE_CERTS_OFF = "validate_certs is false: the Aiven API's TLS certificate is not checked"
# A longer attempt is a hung connection; far beyond this, the socket layer overflows.
TIMEOUT_MAX = 3600
RETRIES_MAX = 20
OPTION_NAMES = ("api_token", "api_url", "validate_certs", "ca_path", "api_timeout", "api_retries")


class OptionError(ValueError):
    """An option cannot be used; ``message`` says which and what to do (never a secret)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- the options and where they come from --------------------------------------------


def first_set(environ: Mapping[str, str], names: Sequence[str]) -> str | None:
    """The value of the first of ``names`` set to a non-blank value in ``environ``, else None.

    Ansible's own env_fallback takes the first one set, even to "": an empty
    AIVEN_TOKEN would then hide a valid AIVEN_AUTH_TOKEN.
    """
    for name in names:
        value = environ.get(name, "")
        if value.strip():
            return value
    return None


def env_if_set(*names: str) -> str:
    """Ansible fallback: the first of ``names`` set to a non-blank value (see first_set)."""
    value = first_set(os.environ, names)
    if value is None:
        raise AnsibleFallbackNotFound
    return value


def json_object_text(value: str | None) -> bool:
    """True when ``value`` is the text of a JSON object."""
    try:
        return isinstance(json.loads(value or ""), dict)
    except ValueError:
        return False


def env_json_object(name: str) -> str:
    """Ansible fallback: the variable ``name`` when it holds a JSON object (a text, as Ansible wants a no_log fallback).

    Anything else counts as unset here, and ``_project_tokens`` names the variable in its error instead of
    Ansible's type error, which would name only the option.
    """
    value = first_set(os.environ, [name])
    if not json_object_text(value):
        raise AnsibleFallbackNotFound
    return cast(str, value)


def common_argument_spec() -> dict[str, Any]:
    """The modules' argument spec of the connection options (doc fragment dbpools.aiven.aiven)."""
    spec: dict[str, Any] = {
        # Not required here: check_options says where a token can come from, Ansible's message would not.
        "api_token": {"type": "str", "no_log": True, "fallback": (env_if_set, list(TOKEN_VARIABLES))},
        # Every value a token: no_log masks each; the project names (keys) stay readable.
        "api_tokens": {"type": "dict", "no_log": True, "fallback": (env_json_object, [PROJECT_TOKENS_VARIABLE])},
        # Fallbacks apply before defaults: AIVEN_WEB_URL, as Aiven's own tools read it, then the public API.
        "api_url": {"type": "str", "default": DEFAULT_API_URL, "fallback": (env_if_set, [URL_VARIABLE])},
        "validate_certs": {"type": "bool", "default": True},
        "ca_path": {"type": "path"},
        # "timeout" until 1.0.0: api_timeout says which timeout it is, beside wait_timeout (as cloudscale and vultr name it).
        "api_timeout": {"type": "float", "default": 30.0, "aliases": ["timeout"]},
        "api_retries": {"type": "int", "default": 6},
    }
    if url_user_info(_given_api_url()):
        # Such a URL is refused (api_url_problem), but the result's invocation would still show it,
        # also when another check fails first, Ansible's own included: as a no_log value it is masked.
        spec["api_url"]["no_log"] = True
    return spec


def _given_api_url() -> object:
    """The api_url this run will get: the module argument, else AIVEN_WEB_URL (before any check)."""
    raw = given_arguments()
    if "api_url" in raw:
        return raw["api_url"]
    return first_set(os.environ, [URL_VARIABLE])


def lookup_options(given: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """The connection options a lookup was given, with the environment's fallbacks for a blank api_token or api_url.

    The lookup reads the environment here, not through env entries in its DOCUMENTATION: Ansible
    would let the last variable set win, even an empty one, and the modules take the first non-empty one.
    """
    options = {name: given.get(name) for name in OPTION_NAMES}
    if not (options["api_token"] or "").strip():
        options["api_token"] = first_set(environ, TOKEN_VARIABLES)
    # No default in the lookup's DOCUMENTATION: the variable must come before it, and a default would hide that it was not given.
    if not (options["api_url"] or "").strip():
        options["api_url"] = first_set(environ, [URL_VARIABLE]) or DEFAULT_API_URL
    return options


# --- their rules -------------------------------------------------------------------------


def timeout_problem(value: float) -> str | None:
    """Why ``value`` cannot be the per-request timeout, or None when it can."""
    if not math.isfinite(value) or not 0 < value <= TIMEOUT_MAX:
        return f"api_timeout must be more than 0 and at most {TIMEOUT_MAX} seconds, got {value}"
    return None


def retries_problem(value: int) -> str | None:
    """Why ``value`` cannot be api_retries, or None when it can."""
    if not 0 <= value <= RETRIES_MAX:
        return f"api_retries must be from 0 to {RETRIES_MAX}, got {value}"
    return None


def url_user_info(url: object) -> str | None:
    """What stands before ``@`` in the host part of ``url`` (``user:password``), with or without a scheme."""
    if not isinstance(url, str):
        return None
    rest = url.split("//", 1)[1] if "//" in url else url
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    user_info, at, _host = authority.rpartition("@")
    return user_info if at else None


def _shown_url(url: str) -> str:
    """The URL for a message, without what could hold a secret: user info, query and fragment."""
    user_info = url_user_info(url)
    if user_info is not None:
        url = url.replace(user_info + "@", "<redacted>@", 1)
    return shown(re.sub(r"[?#].*", "?<redacted>", url, flags=re.DOTALL))


def _plain_http_host(url: str) -> str | None:
    """The host of an ``http://`` URL that is not loopback (where the token could be read on the way), else None."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() != "http" or host == "localhost":
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    mapped = getattr(address, "ipv4_mapped", None)
    return None if address.is_loopback or (mapped is not None and mapped.is_loopback) else host


def plain_http_warning(url: str) -> str | None:
    """The warning for an api_url that sends the token over plain http to a host that is not loopback, else None."""
    host = _plain_http_host(url)
    if host is None:
        return None
    return (f"api_url is plain http: the API token goes over plain http to {host}, readable on the way; use https:// "
            "(plain http is only safe to 127.0.0.0/8, ::1 or localhost)")


def api_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be the API's origin, or None when it can (checked before any request)."""
    if not url.startswith(("https://", "http://")):
        return f"api_url must start with https:// or http://, got {_shown_url(url)}"
    if unusable_character(url) is not None or any(char.isspace() for char in url):
        return f"api_url must not contain spaces or control characters, got {_shown_url(url)}"
    if "?" in url or "#" in url:
        return f"api_url must not contain a query string or fragment: give the API's origin, such as {DEFAULT_API_URL}"
    try:
        parts = urlsplit(url)
        port = parts.port  # a port that is not a number from 0 to 65535 raises ValueError
    except ValueError as err:
        return f"api_url is not a valid URL ({err}), got {_shown_url(url)}"
    if parts.username is not None or parts.password is not None:
        return "api_url must not contain a user name or password (the API token authenticates)"
    if not parts.hostname:
        return f"api_url has no host name, got {_shown_url(url)}"
    if port == 0:
        return f"api_url must have a port from 1 to 65535, got {_shown_url(url)}"
    return None


def connection_problem(api_token: str | None, api_url: str, timeout: float, api_retries: int) -> str | None:
    """Why these connection options cannot be used, or None when they can; checked before any request."""
    if not (api_token or "").strip():
        return NO_TOKEN
    return api_url_problem(api_url) or timeout_problem(timeout) or retries_problem(api_retries)


# --- the check before any request, the client ------------------------------------------


def check_options(options: Mapping[str, Any], environ: Mapping[str, str], warn: Callable[[str], None], token_checked: bool = False) -> None:
    """Raise OptionError for connection ``options`` that cannot be used; ``warn`` about risky ones (plain http, validate_certs off).

    ``options`` holds OPTION_NAMES (module.params, or lookup_options). Called before any request.
    ``token_checked``: the caller found a token for each project itself (``_project_tokens``).
    The plain http warning comes before the CA files are checked: it stands whether they are usable or not.
    """
    api_url = options["api_url"] or DEFAULT_API_URL
    if token_checked:
        problem = api_url_problem(api_url) or timeout_problem(options["api_timeout"]) or retries_problem(options["api_retries"])
    else:
        problem = connection_problem(options["api_token"], api_url, options["api_timeout"], options["api_retries"])
    if problem:
        raise OptionError(problem)
    plain_http = plain_http_warning(api_url)
    if plain_http:
        warn(plain_http)
    try:
        check_ca_files(options["ca_path"], options["validate_certs"], environ)
    except LocalFileError as err:
        raise OptionError(err.message) from None
    if not options["validate_certs"]:
        warn(VALIDATE_CERTS_OFF)


def client_for(options: Mapping[str, Any], pool_connections: int = 1, token: str | None = None,
               token_sources: dict[str, str] | None = None) -> AivenClient:
    """The API client for checked connection ``options`` (see check_options); needs requests (HAS_REQUESTS).

    ``token`` replaces api_token (a project's own, see ``_project_tokens``); ``token_sources``: by project, where it came from.
    """
    return AivenClient(
        token=options["api_token"] if token is None else token,
        token_sources=token_sources,
        api_url=options["api_url"] or DEFAULT_API_URL,
        timeout=options["api_timeout"],
        validate_certs=options["validate_certs"],
        ca_path=options["ca_path"],
        max_retries=options["api_retries"],
        pool_connections=max(pool_connections, 1),
    )


def project_ca_from_file(path: str | None, ca_cert: bool, set_ca_cert: str) -> str | None:
    """The PEM certificates of the file project_ca_path names (read before any request), None when it is not given.

    ``set_ca_cert`` is how the caller's user turns ca_cert on (``ca_cert: true`` in a task, ``ca_cert=true`` in a lookup).
    """
    if path is None:
        return None
    if not ca_cert:
        raise OptionError(f"project_ca_path applies to ca_cert: set {set_ca_cert}, or leave project_ca_path out")
    try:
        return pem_certificates("project_ca_path", path)
    except LocalFileError as err:
        raise OptionError(err.message) from None
