"""Project CAs and the server certificates they sign.

Aiven gives each project its own CA (``GET /v1/project/{project}/kms/ca``) and signs
the project's service certificates with it, so clients can use ``sslmode=verify-full``.
The emulator does the same with throwaway keys held in memory. EC P-256 keys, because
generating them takes microseconds where RSA takes tenths of a second, and the emulator
starts many times per test run.
"""

from __future__ import annotations

import datetime
import ipaddress
import uuid
from dataclasses import dataclass
from typing import Dict

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ORGANIZATION = "Aiven emulator"
# Names a client on this machine may dial: the backend listens on 127.0.0.1 only.
SERVER_NAMES = (x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost"))
# A little slack before "now" so a clock that is slightly behind still accepts them.
BACKDATE = datetime.timedelta(hours=1)
CA_LIFETIME = datetime.timedelta(days=30)
SERVER_LIFETIME = datetime.timedelta(days=7)


@dataclass(frozen=True)
class ServerCertificate:
    """PEM texts of a server's key and of its certificate."""

    key_pem: str
    cert_pem: str


def _name(common_name: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


class CertificateAuthority:
    """A self-signed CA that can issue certificates for the loopback servers."""

    def __init__(self, common_name: str) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        public = self._key.public_key()
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(_name(common_name))
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE)
            .not_valid_after(now + CA_LIFETIME)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(cert_sign=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .sign(self._key, hashes.SHA256())
        )
        self.pem = self.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")

    def issue_server_certificate(self, common_name: str = "127.0.0.1") -> ServerCertificate:
        """A fresh key and a certificate for 127.0.0.1 and localhost, signed by this CA."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE)
            .not_valid_after(now + SERVER_LIFETIME)
            .add_extension(x509.SubjectAlternativeName(list(SERVER_NAMES)), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(cert_sign=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()), critical=False)
            .sign(self._key, hashes.SHA256())
        )
        key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        return ServerCertificate(key_pem.decode("ascii"), cert.public_bytes(serialization.Encoding.PEM).decode("ascii"))


class ProjectCas:
    """One CA per project name, made on first use and kept for the emulator's life."""

    def __init__(self) -> None:
        self._cas: Dict[str, CertificateAuthority] = {}

    def get(self, project: str) -> CertificateAuthority:
        ca = self._cas.get(project)
        if ca is None:
            # A uuid, not the project name: a name may be longer than the 64 characters
            # a common name can hold.
            ca = self._cas[project] = CertificateAuthority(f"{uuid.uuid4()} Project CA")
        return ca
