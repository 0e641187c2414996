# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unavailable services (module_utils/_availability.py): its decisions, and the engine setting services aside
on a fake client (no network): powered off, not running after wait_timeout, gone; the others applied."""

from __future__ import annotations

import pytest

from ansible_collections.dbpools.aiven.plugins.module_utils import _availability
from ansible_collections.dbpools.aiven.plugins.module_utils._api import AivenApiError
from ansible_collections.dbpools.aiven.plugins.module_utils._availability import SetAside
from ansible_collections.dbpools.aiven.plugins.module_utils._engine import PoolEngine, ServiceDeclaration, SyncError
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.engine_fakes import FakeClient, actions, pool, want

FIELDS = {"plan": "startup-4", "databases": ["appdb"], "users": [{"username": "avnadmin"}, {"username": "app"}]}
POWERED_OFF = "proj/off: the service is powered off (state POWEROFF); power it on before changing its pools"
SETTING_ASIDE = ["skip", "skip_then_fail"]

# --- the decisions --------------------------------------------------------------------------------


@pytest.mark.parametrize(("unavailable", "expected"), [("fail", False), ("skip", True), ("skip_then_fail", True)])
def test_only_skip_and_skip_then_fail_set_aside(unavailable, expected):
    assert _availability.sets_aside(unavailable) is expected


def test_only_skip_then_fail_with_something_set_aside_fails_after():
    aside = [SetAside("proj", "off", "powered_off", POWERED_OFF)]
    assert _availability.fails_after("skip_then_fail", aside)
    assert not _availability.fails_after("skip_then_fail", [])
    assert not _availability.fails_after("skip", aside)
    assert not _availability.fails_after("fail", aside)


@pytest.mark.parametrize(("failure", "gone"), [
    ({"status": 404, "message": "Service pg-x does not exist"}, True),
    ({"status": 404, "message": "Not found", "errors": [{"message": "Service pg-x does not exist", "status": 404}]}, True),
    ({"status": 404, "message": "Project p does not exist"}, False),  # the declaration's project: not a service gone
    ({"status": 404, "message": "Not found"}, False),
    ({"status": 403, "message": "Service pg-x does not exist"}, False),
    ({"status": 404, "message": None, "errors": ["Service pg-x does not exist"]}, False),  # an error that is no object
    ({}, False),
])
def test_service_gone_is_a_404_saying_the_service_does_not_exist(failure, gone):
    assert _availability.service_gone(failure) is gone


def test_a_set_aside_service_is_an_entry_and_a_warning_naming_it_and_its_reason():
    aside = SetAside("proj", "off", "powered_off", POWERED_OFF)
    assert aside.entry() == {"project": "proj", "service_name": "off", "reason": "powered_off", "message": POWERED_OFF}
    assert aside.warning() == (POWERED_OFF + "; service proj/off was set aside (unavailable: powered_off): none of its pools were changed")


def test_failure_message_names_each_service_and_its_reason_and_what_became_of_the_others():
    aside = [SetAside("proj", "off", "powered_off", POWERED_OFF), SetAside("p2", "gone", "not_found", "...")]
    assert _availability.failure_message(aside, 3, check_mode=False) == (
        "2 unavailable service(s) set aside, none of their pools changed: proj/off (powered_off); p2/gone (not_found); "
        "the other services were applied (3 write(s), see changes)")
    assert _availability.failure_message(aside, 0, check_mode=True).endswith("; 0 write(s) would be made to the other services")
    assert _availability.failure_details(aside) == {"set_aside": [item.entry() for item in aside]}


def test_failure_message_stays_short_for_many_services():
    aside = [SetAside("proj", f"s{index}", "not_found", "x") for index in range(25)]
    message = _availability.failure_message(aside, 0, check_mode=False)
    assert "proj/s9 (not_found); and 15 more (see set_aside)" in message and "proj/s10" not in message


# --- the engine -----------------------------------------------------------------------------------


def engine(client, **kwargs):
    kwargs.setdefault("sleep", lambda s: None)
    return PoolEngine(client, **kwargs)


def declare(service, *pools, **options):
    return ServiceDeclaration("proj", service, list(pools), **options)


def with_powered_off():
    """proj/svc running with pool a; proj/off powered off, its pools dropped (as Aiven may)."""
    client = FakeClient([pool("a")])
    client.add_service("proj", "off", [], state="POWEROFF", plan="startup-4", databases=[], users=[])
    return client


DECLARED = [declare("svc", want("a", pool_size=7), want("n", database_name="appdb")), declare("off", want("p", database_name="appdb"))]


def test_fail_is_the_default_and_stops_before_any_write():
    client = with_powered_off()
    with pytest.raises(SyncError) as caught:
        engine(client).run(DECLARED)
    assert caught.value.failure["problems"] == [POWERED_OFF]
    assert client.methods() == ["LIST"]


@pytest.mark.parametrize("unavailable", SETTING_ASIDE)
def test_a_powered_off_service_is_set_aside_and_the_others_applied(unavailable):
    client = with_powered_off()
    runner = engine(client)
    result = runner.run(DECLARED, unavailable=unavailable)
    assert [(item.project, item.service_name, item.reason, item.message) for item in result.set_aside] == [("proj", "off", "powered_off", POWERED_OFF)]
    assert actions(result.changes) == [("update", "a"), ("create", "n")]
    assert actions(result.applied) == [("update", "a"), ("create", "n")]
    assert all(request[2] == "svc" for request in client.requests if request[0] in ("POST", "PUT", "DELETE"))
    assert client.projects["proj"].services["off"].pools == {}
    assert [warning for warning in runner.warnings if "set aside" in warning] == [result.set_aside[0].warning()]
    assert [service.pools for service in result.services][1] == []


@pytest.mark.parametrize("unavailable", SETTING_ASIDE)
def test_check_mode_predicts_the_same_without_a_write(unavailable):
    client = with_powered_off()
    result = engine(client).run(DECLARED, check_mode=True, unavailable=unavailable)
    assert [item.reason for item in result.set_aside] == ["powered_off"]
    assert actions(result.changes) == [("update", "a"), ("create", "n")] and result.applied == []
    assert client.methods() == ["LIST"]


def test_a_purge_never_deletes_on_a_set_aside_service():
    client = with_powered_off()
    # Still lists a pool while off: the purge would delete it, and the declared pool is to be created.
    client.add_service("proj", "off", [pool("old")], state="POWEROFF", plan="startup-4", databases=[], users=[])
    result = engine(client).run([declare("svc", want("a")), declare("off", want("p", database_name="appdb"), purge=True, allow_empty=True)],
                                unavailable="skip")
    assert [item.service_name for item in result.set_aside] == ["off"]
    assert result.changes == [] and "DELETE" not in client.methods()
    assert set(client.projects["proj"].services["off"].pools) == {"old"}


def test_a_powered_off_service_with_a_create_lacking_database_name_is_set_aside():
    client = with_powered_off()
    result = engine(client).run([declare("svc", want("a")), declare("off", want("p"))], unavailable="skip")
    assert [(item.service_name, item.reason) for item in result.set_aside] == [("off", "powered_off")]


def test_a_powered_off_service_with_nothing_to_write_is_not_set_aside():
    client = FakeClient([pool("a")], state="POWEROFF")
    result = engine(client).run([declare("svc", want("a"))], unavailable="skip_then_fail")
    assert result.set_aside == [] and not result.changed


@pytest.mark.parametrize("unavailable", ["fail", *SETTING_ASIDE])
def test_problems_of_the_declaration_fail_whatever_the_option(unavailable):
    client = with_powered_off()
    client.add_service("proj", "svc", [pool("a")], **FIELDS)
    with pytest.raises(SyncError) as caught:
        engine(client).run([declare("svc", want("n", database_name="nodb")), declare("off", want("p", database_name="appdb"))],
                           unavailable=unavailable)
    assert "proj/svc/n: database_name 'nodb' does not exist on the service (databases: appdb)" in caught.value.failure["problems"]
    assert client.methods() == ["LIST"]


def test_rule_problems_fail_before_any_request_whatever_the_option():
    client = with_powered_off()
    with pytest.raises(SyncError):
        engine(client).run([declare("off", want("p", database_name="appdb", pool_size=0))], unavailable="skip")
    assert client.calls == []


def test_a_service_the_project_does_not_list_is_set_aside_as_not_found():
    client = FakeClient([pool("a")])
    client.add_service("proj", "svc2", [pool("b")], **FIELDS)
    result = engine(client).run([declare("svc", want("a", pool_size=3)), declare("gone", want("x", database_name="appdb"))], unavailable="skip")
    assert [item.entry() for item in result.set_aside] == [{
        "project": "proj", "service_name": "gone", "reason": "not_found",
        "message": "proj/gone: service does not exist in project proj (services: svc, svc2)"}]
    assert actions(result.changes) == [("update", "a")]


def test_a_single_service_answered_404_is_set_aside_as_not_found():
    client = FakeClient()
    client.remove_service("proj", "svc")
    result = engine(client).run([declare("svc", want("a", database_name="appdb"))], unavailable="skip_then_fail")
    assert [(item.reason, item.message) for item in result.set_aside] == [
        ("not_found", "cannot read service proj/svc: GET /v1/project/proj/service/svc: HTTP 404: Service svc does not exist")]
    assert not result.changed and client.methods() == ["GET"]


def test_a_read_failure_other_than_a_service_gone_still_fails():
    client = FakeClient()
    client.read_errors = [AivenApiError(404, "Project proj does not exist", method="GET", path="/v1/project/proj/service/svc")]
    with pytest.raises(SyncError) as caught:
        engine(client).run([declare("svc", want("a", database_name="appdb"))], unavailable="skip")
    assert caught.value.failure["status"] == 404


class Clock:
    def __init__(self):
        self.now = 0.0

    def sleep(self, seconds):
        self.now += seconds


def rebuilding_and_running():
    client = FakeClient(state="REBUILDING")
    client.add_service("proj", "run", [pool("r")], **FIELDS)
    return client


def test_a_service_not_running_after_wait_timeout_is_set_aside_and_the_others_applied():
    client = rebuilding_and_running()
    clock = Clock()
    runner = engine(client, sleep=clock.sleep, clock=lambda: clock.now)
    result = runner.run([declare("svc", want("a", database_name="appdb")), declare("run", want("r", pool_size=4))],
                        wait_timeout=30, unavailable="skip")
    assert [(item.service_name, item.reason, item.message) for item in result.set_aside] == [
        ("svc", "not_running", "service proj/svc is still REBUILDING after waiting 30 s for RUNNING")]
    assert actions(result.changes) == [("update", "r")]
    assert client.pools == {}
    assert clock.now == pytest.approx(30, abs=1.0)


def test_not_running_after_wait_timeout_fails_by_default():
    client = rebuilding_and_running()
    clock = Clock()
    with pytest.raises(SyncError) as caught:
        engine(client, sleep=clock.sleep, clock=lambda: clock.now).run(
            [declare("svc", want("a", database_name="appdb")), declare("run", want("r", pool_size=4))], wait_timeout=30)
    assert "still REBUILDING after waiting 30 s" in caught.value.message
    assert set(client.methods()) == {"LIST", "GET"}


def test_a_service_powered_off_while_waited_for_is_set_aside():
    client = FakeClient(states=["REBUILDING", "POWEROFF"])
    result = engine(client).run([declare("svc", want("a", database_name="appdb"))], unavailable="skip")
    assert [item.reason for item in result.set_aside] == ["powered_off"]
    assert client.methods() == ["GET", "GET"]


def test_a_service_gone_while_waited_for_is_set_aside():
    client = FakeClient(state="REBUILDING")

    def sleep(seconds):
        client.remove_service("proj", "svc")

    result = engine(client, sleep=sleep).run([declare("svc", want("a", database_name="appdb"))], unavailable="skip")
    assert [(item.reason, item.message) for item in result.set_aside] == [
        ("not_found", "cannot read service proj/svc: GET /v1/project/proj/service/svc: HTTP 404: Service svc does not exist")]
    assert "POST" not in client.methods()


def test_a_failure_after_setting_aside_still_names_the_set_aside_services():
    client = with_powered_off()
    client.fail_on["n"] = AivenApiError(403, "Service database username ghost does not exist", method="POST", path="/x")
    runner = engine(client)
    with pytest.raises(SyncError):
        runner.run(DECLARED, unavailable="skip")
    assert [item.service_name for item in runner.set_aside] == ["off"]
