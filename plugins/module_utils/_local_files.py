# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files named by options (ca_path, project_ca_path): regular files only, read with a size cap, never blocking.

A FIFO or a device given as a CA file would block its reader (OpenSSL's, or ours) with
no deadline to end it; a huge file would take memory. Both are refused here, before
any request, naming the option. Used by the modules and the lookup alike.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping

from ansible_collections.dbpools.aiven.plugins.module_utils._text import shown
from ansible_collections.dbpools.aiven.plugins.module_utils._transport import size_text

# The most read of a PEM file: the public CA bundles (certifi's, a distribution's) take about 300 KB,
# a project's CA about 2 KB.
PEM_FILE_MAX_BYTES = 1024 * 1024
# What requests reads for the CAs when no ca_path is given, the first one set (requests.utils / sessions).
CA_BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
_PEM_CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+?-----END CERTIFICATE-----")
_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


class LocalFileError(Exception):
    """A file an option names that cannot be used; the message names the option and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _check_regular(option: str, path: str, mode: int, size: int, max_bytes: int) -> None:
    if not stat.S_ISREG(mode):
        raise LocalFileError(f"{option} {shown(path)} is {_kind(mode)}, not a regular file: give the path of a PEM file")
    if size > max_bytes:
        raise LocalFileError(f"{option} {shown(path)} has {size} bytes, more than the {size_text(max_bytes)} read of a PEM file: "
                             "give a file with only the certificates needed")


def read_regular_file(option: str, path: str, max_bytes: int = PEM_FILE_MAX_BYTES) -> bytes:
    """The content of the regular file ``path`` that ``option`` names; LocalFileError for anything else.

    Looked at before it is opened (opening a device may act on it), and again once open
    (it may have been replaced meanwhile); opened without blocking, so a FIFO cannot hold the run.
    """
    try:
        before = os.stat(path)
        _check_regular(option, path, before.st_mode, before.st_size, max_bytes)
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise LocalFileError(f"{option} {shown(path)} does not exist") from None
    except (OSError, ValueError) as err:  # ValueError: a NUL in the path
        raise LocalFileError(f"{option} {shown(path)} cannot be read: {getattr(err, 'strerror', None) or err}") from None
    try:
        opened = os.fstat(descriptor)
        _check_regular(option, path, opened.st_mode, opened.st_size, max_bytes)
        chunks = []
        received = 0
        while received <= max_bytes:
            chunk = os.read(descriptor, 65536)
            if not chunk:
                break
            chunks.append(chunk)
            received += len(chunk)
    except OSError as err:
        raise LocalFileError(f"{option} {shown(path)} cannot be read: {err.strerror or err}") from None
    finally:
        os.close(descriptor)
    # A file that grew while it was read.
    _check_regular(option, path, opened.st_mode, received, max_bytes)
    return b"".join(chunks)


def pem_certificates(option: str, path: str) -> str:
    """The PEM certificates of the file ``option`` names, one after the other; nothing else of it (no key, no comment)."""
    text = read_regular_file(option, path).decode("utf-8", "replace")
    found = [block.replace("\r\n", "\n") for block in _PEM_CERTIFICATE.findall(text)]
    if not found:
        raise LocalFileError(f"{option} {shown(path)} holds no PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)")
    return "\n".join(found) + "\n"


def check_ca_files(ca_path: str | None, validate_certs: bool, environ: Mapping[str, str]) -> None:
    """Refuse a ca_path, or a CA bundle variable that requests would read, that could block or is too large.

    ca_path is read here once, in full (a regular file of at most PEM_FILE_MAX_BYTES).
    A bundle variable may name a directory of CAs, as requests allows; only special files are refused.
    """
    if ca_path is not None:
        read_regular_file("ca_path", ca_path)
        return
    if not validate_certs:
        return
    variable = next((name for name in CA_BUNDLE_VARIABLES if environ.get(name)), None)
    if variable is None:
        return
    try:
        mode = os.stat(environ[variable]).st_mode
    except (OSError, ValueError):
        return  # requests says so itself, without blocking
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise LocalFileError(f"the environment variable {variable} names {shown(environ[variable])}, which is {_kind(mode)}: "
                             "name a PEM file or a directory of CA certificates, or give ca_path")
