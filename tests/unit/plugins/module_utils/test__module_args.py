# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/_module_args.py: the arguments as given, parsed once for as long as they are the module's."""

from __future__ import annotations

from unittest import mock

from ansible.module_utils import basic

from ansible_collections.dbpools.aiven.plugins.module_utils._module_args import given_arguments
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.module_runner import patch_module_args


def test_the_arguments_are_parsed_once() -> None:
    with patch_module_args({"api_url": "https://a.example", "pools": [{"pool_name": "x"}]}), \
            mock.patch.object(basic, "_load_params", wraps=basic._load_params) as load:
        first = given_arguments()
        assert given_arguments() is first and load.call_count == 1
    assert first["api_url"] == "https://a.example" and first["pools"] == [{"pool_name": "x"}]


def test_new_arguments_are_read_again() -> None:
    with patch_module_args({"api_url": "https://a.example"}):
        assert given_arguments()["api_url"] == "https://a.example"
    with patch_module_args({"api_token": "t"}):
        assert dict(given_arguments()) == {"api_token": "t"}


def test_a_module_only_introspected_has_no_arguments() -> None:
    # ansible-test validate-modules replaces _load_params with one that returns None, and reads the spec again each time.
    with mock.patch.object(basic, "_ANSIBLE_ARGS", None), mock.patch.object(basic, "_load_params", return_value=None) as load:
        assert given_arguments() == {} and given_arguments() == {}
        assert load.call_count == 2
