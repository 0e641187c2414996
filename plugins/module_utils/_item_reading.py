# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The service documents of aiven_pg_database's and aiven_pg_user's declared services: one read per project.

A project with one declared service is read with GET service; with more, with the project's service
list, whose documents hold the same ``databases``, ``users`` and ``connection_pools`` (``_reading.ServiceReader``).
A service the project does not have is a problem of the declaration, reported with the others; any other
failure to read ends the run before any write.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ansible_collections.dbpools.aiven.plugins.module_utils._ansible_module import AivenModule
from ansible_collections.dbpools.aiven.plugins.module_utils._item_forms import Declared
from ansible_collections.dbpools.aiven.plugins.module_utils._project_tokens import ProjectClients
from ansible_collections.dbpools.aiven.plugins.module_utils._reading import ReadError, ServiceReader
from ansible_collections.dbpools.aiven.plugins.module_utils._text import MESSAGE_MAX, listed, printable

MISSING = "the service does not exist (HTTP 404); check project and service_name"


def service_documents(module: AivenModule, clients: ProjectClients, declared: Sequence[Declared], problems: list[str]) -> dict[str, dict[str, Any]]:
    """The document of each declared service that exists, by its label; each one that does not is added to ``problems``."""
    by_project: dict[str, list[Declared]] = {}
    for item in declared:
        by_project.setdefault(item.project, []).append(item)
    reader = ServiceReader(clients)
    documents: dict[str, dict[str, Any]] = {}
    for project, items in by_project.items():
        names = [item.service_name for item in items]
        try:
            read = reader.documents(project, names)
        except ReadError as err:
            if len(items) == 1 and err.failure.get("status") == 404:
                problems.append(f"{items[0].label}: {MISSING}")
                continue
            module.fail_json(msg=printable(err.message, MESSAGE_MAX), failure=err.failure)
        for item in items:
            if item.service_name in read:
                documents[item.label] = read[item.service_name]
            else:
                known = sorted(printable(str(name)) for name in read)
                problems.append(f"{item.label}: the service does not exist in project {printable(project)} (services: {listed(known) or 'none'}); "
                                "check project and service_name")
    return documents
