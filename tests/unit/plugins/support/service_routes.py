# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the in-process fakes of the database and user routes share: Aiven's error shape, the request log read as
``METHOD /path``, and the routing of ``/v1/project/P/service[/S[/...]]`` down to a service's own sub-resource."""

from __future__ import annotations

from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit

from ansible_collections.dbpools.aiven.tests.unit.plugins.support.stub_server import Recorded, Reply, StubServer


def error(status: int, message: str) -> Reply:
    """Aiven's error shape."""
    return (status, {}, {"message": message, "errors": [{"message": message, "status": status}]})


class ServiceRoutedFake(StubServer):
    """A fake whose ``services`` map (project, service) to its state; subclasses render a service's document and
    answer the routes below it (``rest``: the path's segments after the service name, never empty)."""

    services: dict[tuple[str, str], dict[str, Any]]

    def calls(self) -> list[str]:
        """``METHOD /path`` of every request, query strings left out."""
        return [f"{item.method} {item.path.split('?', 1)[0]}" for item in self.requests]

    def writes(self) -> list[str]:
        return [call for call in self.calls() if not call.startswith("GET")]

    def _answer(self, recorded: Recorded) -> Reply:
        target = urlsplit(recorded.path)
        segments = [unquote(segment) for segment in target.path.split("/")[1:]]
        if segments[:2] == ["v1", "project"] and segments[3:] == ["service"] and recorded.method == "GET":
            # The project's service list: each document as GET service renders it.
            return (200, {}, {"services": [self._document(name, service) for (project, name), service in self.services.items() if project == segments[2]]})
        if segments[:2] != ["v1", "project"] or len(segments) < 5 or segments[3] != "service":
            return error(404, "Not found")
        service = self.services.get((segments[2], segments[4]))
        if service is None:
            return error(404, f"Service {segments[4]} does not exist")
        rest = segments[5:]
        if not rest and recorded.method == "GET":
            return (200, {}, {"service": self._document(segments[4], service)})
        return self._route(service, rest, recorded, target)

    @staticmethod
    def _document(name: str, service: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _route(self, service: dict[str, Any], rest: list[str], recorded: Recorded, target: SplitResult) -> Reply:
        raise NotImplementedError
