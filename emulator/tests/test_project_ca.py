"""GET /v1/project/{project}/kms/ca: the project CA, its errors, and aiven-client reading it."""

from __future__ import annotations

import jsonschema
import pytest
from aiven.client.client import AivenClient, Error
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from harness import Api

from aiven_emulator.pki import ProjectCas
from aiven_emulator.process import EmulatorProcess

PROJECT = "ca-project"
OTHER_PROJECT = "ca-other"
TOKEN = "ca-token"
OTHER_ONLY_TOKEN = "ca-other-only"
SEED = {
    "tokens": [TOKEN, {"token": OTHER_ONLY_TOKEN, "projects": [OTHER_PROJECT]}],
    "projects": [
        {"name": PROJECT, "services": [{"name": "pg-ca", "users": ["avnadmin"]}]},
        {"name": OTHER_PROJECT, "services": []},
    ],
}

# The route is not in the vendored OpenAPI excerpt. Shape from Aiven's clients:
# aiven/go-client-codegen handler/project/project.go, ProjectKmsGetCA (GET /project/{project}/kms/ca),
# decodes projectKmsGetCaOut{Certificate string `json:"certificate"`}, a non-pointer field (always
# present); aiven-client's get_project_ca returns the whole body and its CLI reads ["certificate"].
# "message" and "errors" are the optional members every Aiven reply may carry.
PROJECT_CA_REPLY = {
    "type": "object",
    "required": ["certificate"],
    "additionalProperties": False,
    "properties": {
        "certificate": {"type": "string", "pattern": "^-----BEGIN CERTIFICATE-----\n(.|\n)+\n-----END CERTIFICATE-----\n?$"},
        "message": {"type": "string"},
        "errors": {"type": "array"},
    },
}


@pytest.fixture(scope="module")
def emulator():
    with EmulatorProcess(SEED) as emu:
        yield emu


def _ca_path(project: str) -> str:
    return f"/project/{project}/kms/ca"


def _error_text(response) -> str:
    body = response.json()
    assert body["errors"][0]["status"] == response.status_code
    return body["message"]


def test_reply_is_a_ca_certificate(emulator):
    response = Api(emulator.url, TOKEN).call("GET", _ca_path(PROJECT))
    assert response.status_code == 200, response.text
    body = response.json()
    jsonschema.validate(body, PROJECT_CA_REPLY)
    cert = x509.load_pem_x509_certificate(body["certificate"].encode("ascii"))
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert cert.issuer == cert.subject  # self-signed: a root clients can trust on its own


def test_each_project_has_its_own_stable_ca(emulator):
    api = Api(emulator.url, TOKEN)
    first = api.call("GET", _ca_path(PROJECT)).json()["certificate"]
    again = api.call("GET", _ca_path(PROJECT)).json()["certificate"]
    other = api.call("GET", _ca_path(OTHER_PROJECT)).json()["certificate"]
    assert first == again
    assert other != first


@pytest.mark.parametrize(
    "token, project, status, text",
    [
        (TOKEN, "nope", 404, "Project nope does not exist"),
        (OTHER_ONLY_TOKEN, PROJECT, 403, "Not a project member"),
        ("wrong-token", PROJECT, 401, "Missing (expired) db token"),
    ],
)
def test_errors(emulator, token, project, status, text):
    response = Api(emulator.url, token).call("GET", _ca_path(project))
    assert response.status_code == status, response.text
    assert _error_text(response) == text
    assert "certificate" not in response.json()


def test_missing_token_is_401(emulator):
    api = Api(emulator.url)
    del api.session.headers["Authorization"]
    response = api.call("GET", _ca_path(PROJECT))
    assert response.status_code == 401, response.text


def test_scoped_token_reads_its_own_project(emulator):
    response = Api(emulator.url, OTHER_ONLY_TOKEN).call("GET", _ca_path(OTHER_PROJECT))
    assert response.status_code == 200, response.text


def test_aiven_client_gets_the_same_pem(emulator):
    client = AivenClient(base_url=emulator.url)
    client.set_auth_token(TOKEN)
    expected = Api(emulator.url, TOKEN).call("GET", _ca_path(PROJECT)).json()["certificate"]
    assert client.get_project_ca(PROJECT)["certificate"] == expected


def test_aiven_client_sees_the_membership_error(emulator):
    client = AivenClient(base_url=emulator.url)
    client.set_auth_token(OTHER_ONLY_TOKEN)
    with pytest.raises(Error) as caught:
        client.get_project_ca(PROJECT)
    assert caught.value.status == 403


def test_server_certificates_chain_to_their_project_ca():
    cas = ProjectCas()
    ca = cas.get("p1")
    assert cas.get("p1") is ca and cas.get("p2") is not ca
    issued = x509.load_pem_x509_certificate(ca.issue_server_certificate().cert_pem.encode("ascii"))
    issued.verify_directly_issued_by(ca.certificate)
    names = issued.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    with pytest.raises((ValueError, InvalidSignature)):
        issued.verify_directly_issued_by(cas.get("p2").certificate)
