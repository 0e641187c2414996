# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fake AivenClient for PoolEngine (the emulator's model below it, no network) and the helpers that run the engine on it."""

from __future__ import annotations

import contextlib
import copy
import threading
import time
from typing import Iterator

from aiven_emulator import rules
from aiven_emulator.errors import ApiError
from aiven_emulator.model import Pool, Project, Service
from ansible_collections.dbpools.aiven.plugins.module_utils._api import AivenApiError
from ansible_collections.dbpools.aiven.plugins.module_utils._engine import PoolEngine, ServiceDeclaration
from ansible_collections.dbpools.aiven.plugins.module_utils._read_lag import READ_LAG_DELAYS
from ansible_collections.dbpools.aiven.tests.unit.plugins.support import emulated_service as emulated


@contextlib.contextmanager
def answered_as(method: str, path: str) -> Iterator[None]:
    """The emulator's refusal as AivenClient raises it."""
    try:
        yield
    except ApiError as error:
        raise AivenApiError(error.status, error.message, errors=error.body()["errors"], method=method, path=path) from None


class FakeClient:
    """Behaves like AivenClient against the services of some projects; records every call.

    The services are the emulator's model: writes go through its rules and reads render
    its documents (emulated_service.py). The service proj/svc is there from the start
    (``pools``, ``state``, ``states``, ``documents`` and ``read_errors`` script it);
    ``add_service`` adds others. What the fake adds are the knobs below.
    """

    def __init__(self, pools=None, state="RUNNING", states=None):
        self.projects: dict[str, Project] = {}
        self.fields = {}        # (project, service) -> fields of the document besides the model's
        self.add_service("proj", "svc", pools, state=state)
        self.states = list(states or [])  # successive states of proj/svc returned by reads
        self.calls = []         # (method, pool_name or None) of every call
        self.requests = []      # (method, project, service or None, pool_name or None) of every call
        self.secret_reads = []  # include_secrets of every read, in order
        self.secrets = "readable"  # as emulated_service.renderer: "forbidden", "redacted"
        self.documents = []     # successive raw documents returned by reads of proj/svc, before the stateful one
        self.read_errors = []   # successive read outcomes: an AivenApiError to raise, or None for a normal read
        self.ignored_fields = set()  # API fields a write answers 200 to but does not store
        self.before_write = {}  # pool_name -> what another writer does just before our write of that pool
        self.fail_on = {}       # pool_name -> AivenApiError raised by its write
        self.lost_reply = set()  # pool names whose create the client reports as "already exists" after a lost reply
        self.lagging_reads = 0  # reads after the first write that still show every service as it was before it (read lag)
        self._before_writes = None
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()

    def add_service(self, project, service, pools=None, state="RUNNING", **fields):
        """A service holding ``pools`` (API pool objects); its plan is the model's, other ``fields`` only its document's."""
        model = {key: fields.pop(key) for key in ("plan",) if key in fields}
        services = self.projects.setdefault(project, Project(project)).services
        services[service] = emulated.new_service(project, service, pools or [], state=state, **model)
        self.fields[(project, service)] = fields

    def remove_service(self, project, service):
        del self.projects[project].services[service]

    def store(self, entry, project="proj", service="svc"):
        """A pool another writer made."""
        emulated.store(self._service(project, service), entry)

    @property
    def pools(self) -> dict[str, Pool]:
        return self._service("proj", "svc").pools

    def _service(self, project, service) -> Service:
        return rules.service_of(self.projects.get(project, Project(project)).services, service)

    def _document(self, project, service, rendering):
        if self._before_writes is not None and self.lagging_reads > 0:
            stale = self._before_writes[project].services[service]
            return emulated.document(stale, rendering, self.fields[(project, service)])
        if (project, service) == ("proj", "svc"):
            if self.states:
                self._service("proj", "svc").state = self.states.pop(0)
            if self.documents:
                return self.documents.pop(0)
        return emulated.document(self._service(project, service), rendering, self.fields[(project, service)])

    def _read(self, method, project, service, include_secrets):
        self.calls.append((method, None))
        self.requests.append((method, project, service, None))
        self.secret_reads.append(include_secrets)
        error = self.read_errors.pop(0) if self.read_errors else None
        if error is not None:
            raise error
        return emulated.renderer(include_secrets, self.secrets)

    def _read_done(self):
        if self._before_writes is not None and self.lagging_reads > 0:
            self.lagging_reads -= 1

    def get_service(self, project, service, include_secrets=False):
        with answered_as("GET", f"/v1/project/{project}/service/{service}"):
            rendering = self._read("GET", project, service, include_secrets)
            self._service(project, service)
            document = self._document(project, service, rendering)
            self._read_done()
            return document

    def list_services(self, project, include_secrets=False):
        with answered_as("GET", f"/v1/project/{project}/service"):
            rendering = self._read("LIST", project, None, include_secrets)
            listed = self.projects.get(project, Project(project)).services
            documents = [self._document(project, name, rendering) for name in list(listed)]
            self._read_done()
            return documents

    def _write(self, method, project, service, name, body):
        with self.lock:
            if self._before_writes is None:
                self._before_writes = copy.deepcopy(self.projects)
            self.calls.append((method, name))
            self.requests.append((method, project, service, name))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        # Writes overlap here, as they would on the network: max_in_flight sees the engine's concurrency.
        time.sleep(0.01)
        with self.lock:
            self.in_flight -= 1
        if name in self.before_write:
            self.before_write.pop(name)()
        if name in self.fail_on:
            raise self.fail_on[name]
        stored = {key: value for key, value in body.items() if key not in self.ignored_fields}
        with self.lock, answered_as(method, f"/v1/project/{project}/service/{service}/connection_pool/{name}"):
            emulated.write(self._service(project, service), method, name, stored)

    def create_pool(self, project, service, body):
        self._write("POST", project, service, body["pool_name"], body)
        # A lost reply: the client's retry was answered "already exists", so it reports no create of its own.
        return body["pool_name"] not in self.lost_reply

    def update_pool(self, project, service, name, body):
        self._write("PUT", project, service, name, body)

    def delete_pool(self, project, service, name):
        try:
            self._write("DELETE", project, service, name, {})
        except AivenApiError as error:
            # As AivenClient.delete_pool: a pool already gone is no error but False, a missing service is an error.
            if not error.not_found or error.service_missing:
                raise
            return False
        return True

    def methods(self):
        return [call[0] for call in self.calls]


class OneService:
    """The engine run on the one service proj/svc."""

    def __init__(self, client, **kwargs):
        kwargs.setdefault("sleep", lambda s: None)
        self.engine = PoolEngine(client, **kwargs)

    def run(self, desired, purge=False, allow_empty=False, **kwargs):
        return self.engine.run([ServiceDeclaration("proj", "svc", desired, purge=purge, allow_empty=allow_empty)], **kwargs)

    @property
    def warnings(self):
        return self.engine.warnings


# A read back that does not show a write is read again once per delay of the read-lag backoff.
RE_READS = len(READ_LAG_DELAYS)


def sync(client, **kwargs):
    return OneService(client, **kwargs)


def pools_of(result):
    return result.services[0].pools


def actions(items):
    """(action, pool_name) of each item of changes, applied, failed_changes or not_attempted."""
    return [(item["action"], item["pool_name"]) for item in items]


def pool(name, database="appdb", **extra):
    """An API pool object with what the test sets; stored, the rest takes the model's defaults."""
    return dict({"pool_name": name, "database": database}, **extra)


def want(name, **extra):
    return dict({"pool_name": name, "state": "present"}, **extra)


def engine(client, **kwargs):
    kwargs.setdefault("sleep", lambda s: None)
    return PoolEngine(client, **kwargs)
