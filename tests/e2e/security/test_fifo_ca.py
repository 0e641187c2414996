"""A FIFO where a CA file is expected fails each module and the lookup at once, naming the option.

Before, the module and the lookup blocked on reading it, past any timeout. A real
ansible-playbook run, against the HTTPS emulator (which must see no request).
"""

from __future__ import annotations

import os

from ansible_collections.dbpools.aiven.plugins.module_utils._text import shown
from tests.e2e.security.world import PROJECT, SERVICE
from tests.support.ansible import marked_json, run_playbook
from tests.support.secrets import leaked_secrets

PLAYBOOK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "playbooks", "fifo_ca.yml")
# Four tasks that each fail before any request; a blocked read would hold the run until run_playbook's own timeout.
WITHIN = 60.0


def test_a_fifo_as_ca_file_fails_fast_with_a_clear_error(emulator, pki, make_env, seeded_secrets, tmp_path):
    fifo = str(tmp_path / "ca.pem")
    os.mkfifo(fifo)
    extra = {"project": PROJECT, "service_name": SERVICE, "fifo": fifo, "ca_file": pki.ca_file}
    run = run_playbook(PLAYBOOK, make_env(), extra_vars=extra, timeout=2 * WITHIN)
    assert run.rc == 0, run.output[-3000:]
    assert run.seconds < WITHIN
    info_ca_path, pool_ca_path, info_project_ca_path, lookup_ca_path = marked_json(run.output, "FIFO-RESULTS")
    refused = f"{shown(fifo)} is a FIFO (named pipe), not a regular file: give the path of a PEM file"
    for result, option in ((info_ca_path, "ca_path"), (pool_ca_path, "ca_path"), (info_project_ca_path, "project_ca_path")):
        assert result["failed"] is True
        assert result["msg"] == f"{option} {refused}"
        failure = result["failure"]
        assert (failure["status"], failure["attempts"], failure["message"]) == (None, 0, result["msg"])
    assert lookup_ca_path["failed"] is True
    assert f"ca_path {refused}" in lookup_ca_path["msg"]
    assert "Traceback" not in run.output
    assert run.recap()["failed"] == 0
    assert emulator.requests_log()["total"] == 0
    assert leaked_secrets(run.output, seeded_secrets) == []
