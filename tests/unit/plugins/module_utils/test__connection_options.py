# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection options (module_utils/_connection_options.py): their rules, the lookup's environment fallbacks, the
check both callers make before any request, and the project CA file.

As the modules see them (argument spec, fallbacks, the whole result): modules/aiven_connection_pool/
test_aiven_connection_pool_connection_options.py; as the lookup sees them: lookup/test_connection_info.py.
"""

from __future__ import annotations

import pytest

from ansible_collections.dbpools.aiven.plugins.module_utils._api import DEFAULT_API_URL
from ansible_collections.dbpools.aiven.plugins.module_utils._connection_options import (
    NO_TOKEN,
    OPTION_NAMES,
    PROJECT_TOKENS_VARIABLE,
    VALIDATE_CERTS_OFF,
    OptionError,
    check_options,
    common_argument_spec,
    lookup_options,
    project_ca_from_file,
    retries_problem,
    timeout_problem,
)
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.fake_api import PROJECT_CA_PEM
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.module_runner import patch_module_args

TOKEN = "options-T0KEN-0123456789abcdef"


def options(**given) -> dict:
    usable = dict(dict.fromkeys(OPTION_NAMES), api_token=TOKEN, api_url=DEFAULT_API_URL, api_timeout=30.0, api_retries=6,
                  validate_certs=True)
    return {**usable, **given}


def checked(environ=None, **given) -> list[str]:
    warnings: list[str] = []
    check_options(options(**given), environ or {}, warnings.append)
    return warnings


def test_timeout_and_retries_rules() -> None:
    assert timeout_problem(30.0) is None and timeout_problem(float("nan")) is not None
    assert timeout_problem(0.0) == "api_timeout must be more than 0 and at most 3600 seconds, got 0.0"
    assert retries_problem(20) is None and retries_problem(21) == "api_retries must be from 0 to 20, got 21"


def test_lookup_options_take_the_first_non_blank_variable_for_a_blank_token_or_url() -> None:
    environ = {"AIVEN_TOKEN": " ", "AIVEN_AUTH_TOKEN": "from-env", "AIVEN_WEB_URL": "https://api.example.com"}
    resolved = lookup_options({"api_token": "", "api_url": None, "api_timeout": 5.0}, environ)
    assert (resolved["api_token"], resolved["api_url"], resolved["api_timeout"]) == ("from-env", "https://api.example.com", 5.0)
    assert set(resolved) == set(OPTION_NAMES)


def test_lookup_options_keep_what_was_given_and_default_to_the_public_api() -> None:
    given = lookup_options({"api_token": TOKEN, "api_url": "https://other.example.com"}, {"AIVEN_TOKEN": "env", "AIVEN_WEB_URL": "https://x"})
    assert (given["api_token"], given["api_url"]) == (TOKEN, "https://other.example.com")
    assert lookup_options({"api_token": TOKEN}, {})["api_url"] == DEFAULT_API_URL


def test_usable_options_give_no_warning() -> None:
    assert checked() == []


@pytest.mark.parametrize(("given", "message"), [
    ({"api_token": "  "}, NO_TOKEN),
    ({"api_url": "ftp://api.example.com"}, "api_url must start with https:// or http://"),
    ({"api_timeout": 0.0}, "api_timeout must be more than 0"),
    ({"api_retries": 21}, "api_retries must be from 0 to 20"),
    ({"ca_path": "/nonexistent/ca.pem"}, "ca_path '/nonexistent/ca.pem' does not exist"),
])
def test_unusable_options_fail_saying_which(given, message) -> None:
    with pytest.raises(OptionError) as info:
        checked(**given)
    assert info.value.message.startswith(message)
    assert TOKEN not in info.value.message


def test_plain_http_is_warned_about_before_the_ca_files_are_checked() -> None:
    warnings: list[str] = []
    with pytest.raises(OptionError):
        check_options(options(api_url="http://api.example.com", ca_path="/nonexistent/ca.pem"), {}, warnings.append)
    assert len(warnings) == 1 and "api.example.com" in warnings[0]


def test_plain_http_to_loopback_and_validate_certs_off() -> None:
    assert checked(api_url="http://127.0.0.1:8080") == []
    assert checked(validate_certs=False) == [VALIDATE_CERTS_OFF]


def test_project_ca_from_file_needs_ca_cert_in_the_callers_spelling(tmp_path) -> None:
    assert project_ca_from_file(None, False, "ca_cert: true") is None
    with pytest.raises(OptionError, match="^project_ca_path applies to ca_cert: set ca_cert=true, or leave project_ca_path out$"):
        project_ca_from_file(str(tmp_path / "ca.pem"), False, "ca_cert=true")


def test_project_ca_from_file_returns_only_the_certificates(ca_file) -> None:
    assert project_ca_from_file(ca_file, True, "ca_cert: true").strip() == PROJECT_CA_PEM.strip()


def test_project_ca_from_a_fifo_fails_without_blocking(fifo) -> None:
    with pytest.raises(OptionError, match="project_ca_path"):
        project_ca_from_file(fifo, True, "ca_cert: true")


# -- api_tokens: the spec, and the check when the caller found each project's token itself --------


def test_api_tokens_is_a_no_log_mapping_read_from_aiven_project_tokens_when_not_given() -> None:
    with patch_module_args({}):
        spec = common_argument_spec()["api_tokens"]
    assert spec["type"] == "dict" and spec["no_log"] is True
    assert spec["fallback"][1] == [PROJECT_TOKENS_VARIABLE] == ["AIVEN_PROJECT_TOKENS"]


def test_a_token_checked_by_the_caller_skips_the_token_check_but_not_the_others() -> None:
    warnings: list[str] = []
    check_options(options(api_token=None), {}, warnings.append, token_checked=True)
    assert warnings == []
    with pytest.raises(OptionError, match="api_retries must be from 0 to 20"):
        check_options(options(api_token=None, api_retries=21), {}, warnings.append, token_checked=True)
    with pytest.raises(OptionError, match="^no API token"):
        check_options(options(api_token=None), {}, warnings.append)
