# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files named by options: only regular files, with a size cap, and never a read that blocks."""

from __future__ import annotations

import threading

import pytest

from ansible_collections.dbpools.aiven.plugins.module_utils._local_files import (
    PEM_FILE_MAX_BYTES,
    LocalFileError,
    check_ca_files,
    pem_certificates,
    read_regular_file,
)
from ansible_collections.dbpools.aiven.plugins.module_utils._text import shown

PEM = "-----BEGIN CERTIFICATE-----\nZmFrZSBwcm9qZWN0IENB\n-----END CERTIFICATE-----"
KEY = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0IGtleQ==\n-----END PRIVATE KEY-----"


def finished_within(seconds: float, call, *args):
    """``call(*args)``'s exception or result; fails the test (instead of hanging it) when the call blocks."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["result"] = call(*args)
        except Exception as exc:  # the exception is the outcome under test
            outcome["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"{call.__name__} blocked"
    return outcome


def test_a_fifo_is_refused_without_blocking(fifo):
    outcome = finished_within(5.0, read_regular_file, "ca_path", fifo)
    assert str(outcome["error"]) == f"ca_path {shown(fifo)} is a FIFO (named pipe), not a regular file: give the path of a PEM file"


@pytest.mark.parametrize(("path", "kind"), [("/dev/null", "a character device"), ("/", "a directory")])
def test_other_files_that_are_not_regular_are_refused(path, kind):
    with pytest.raises(LocalFileError, match=f"^project_ca_path {shown(path)} is {kind}, not a regular file"):
        read_regular_file("project_ca_path", path)


def test_a_missing_file_is_named(tmp_path):
    path = str(tmp_path / "gone.pem")
    with pytest.raises(LocalFileError) as info:
        read_regular_file("ca_path", path)
    assert str(info.value) == f"ca_path {shown(path)} does not exist"


def test_a_nul_in_the_path_is_a_clean_error():
    with pytest.raises(LocalFileError, match="cannot be read"):
        read_regular_file("ca_path", "/tmp/a\x00b")


def test_a_file_over_the_cap_is_refused_unread(tmp_path):
    path = tmp_path / "huge.pem"
    with open(path, "wb") as handle:
        handle.truncate(PEM_FILE_MAX_BYTES + 1)  # sparse: nothing written, nothing to read
    with pytest.raises(LocalFileError, match=f"has {PEM_FILE_MAX_BYTES + 1} bytes, more than the 1 MiB read of a PEM file"):
        read_regular_file("ca_path", str(path))


def test_a_file_at_the_cap_is_read(tmp_path):
    path = tmp_path / "big.pem"
    path.write_bytes(b"a" * PEM_FILE_MAX_BYTES)
    assert len(read_regular_file("ca_path", str(path))) == PEM_FILE_MAX_BYTES


def test_only_the_certificates_of_a_pem_file_are_taken(tmp_path):
    path = tmp_path / "project-ca.pem"
    path.write_text(f"# the project's CA\r\n{KEY}\n{PEM}\r\nsubject=CN=x\n{PEM}\n", encoding="utf-8")
    assert pem_certificates("project_ca_path", str(path)) == f"{PEM}\n{PEM}\n"


@pytest.mark.parametrize("content", [b"not a certificate\n", KEY.encode(), b"\xff\xfe\x00", b""])
def test_a_file_without_a_certificate_is_refused(tmp_path, content):
    path = tmp_path / "project-ca.pem"
    path.write_bytes(content)
    with pytest.raises(LocalFileError) as info:
        pem_certificates("project_ca_path", str(path))
    assert str(info.value).startswith(f"project_ca_path {shown(str(path))} holds no PEM certificate (-----BEGIN CERTIFICATE-----")


def test_check_ca_files_reads_ca_path_whatever_validate_certs(fifo):
    for validate_certs in (True, False):
        outcome = finished_within(5.0, check_ca_files, fifo, validate_certs, {})
        assert "ca_path" in str(outcome["error"]) and "FIFO" in str(outcome["error"])


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_a_bundle_variable_naming_a_fifo_is_refused(fifo, variable):
    outcome = finished_within(5.0, check_ca_files, None, True, {variable: fifo})
    assert str(outcome["error"]) == (f"the environment variable {variable} names {shown(fifo)}, which is a FIFO (named pipe): "
                                     "name a PEM file or a directory of CA certificates, or give ca_path")


def test_bundle_variables_requests_reads_as_they_are(tmp_path, fifo):
    bundle = tmp_path / "bundle.pem"
    bundle.write_text(PEM, encoding="utf-8")
    # A file, a directory of CAs, or a path requests itself reports: left to requests.
    for value in (str(bundle), str(tmp_path), str(tmp_path / "gone.pem")):
        check_ca_files(None, True, {"REQUESTS_CA_BUNDLE": value})
    # Not read: ca_path wins over them, and validate_certs=false reads none.
    check_ca_files(str(bundle), True, {"REQUESTS_CA_BUNDLE": fifo})
    check_ca_files(None, False, {"REQUESTS_CA_BUNDLE": fifo})
    # The first one set is the one requests reads.
    check_ca_files(None, True, {"REQUESTS_CA_BUNDLE": str(bundle), "CURL_CA_BUNDLE": fifo})
