# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a project's CA certificate."""

from __future__ import annotations

import pytest

from ansible_collections.dbpools.aiven.plugins.module_utils._api import AivenApiError
from ansible_collections.dbpools.aiven.tests.unit.plugins.module_utils.api_helpers import aiven_error, make_client

CA_PATH = "/v1/project/proj/kms/ca"
PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def test_get_project_ca_returns_the_pem(server):
    server.script("GET", CA_PATH, (200, {}, {"certificate": PEM}))
    assert make_client(server.url).get_project_ca("proj") == PEM
    assert [item.path for item in server.requests] == [CA_PATH]


def test_get_project_ca_quotes_the_project(server):
    server.script("GET", "/v1/project/a%2Fb/kms/ca", (200, {}, {"certificate": PEM}))
    assert make_client(server.url).get_project_ca("a/b") == PEM


@pytest.mark.parametrize("reply", [{}, {"certificate": None}, {"certificate": "not a certificate"}])
def test_get_project_ca_without_a_pem_is_an_api_error(server, reply):
    server.script("GET", CA_PATH, (200, {}, reply))
    with pytest.raises(AivenApiError, match="no PEM 'certificate'") as info:
        make_client(server.url).get_project_ca("proj")
    assert (info.value.status, info.value.path) == (200, CA_PATH)


def test_get_project_ca_passes_api_errors_on(server):
    server.script("GET", CA_PATH, (404, {}, aiven_error("Project does not exist", 404)))
    with pytest.raises(AivenApiError) as info:
        make_client(server.url).get_project_ca("proj")
    assert info.value.status == 404
