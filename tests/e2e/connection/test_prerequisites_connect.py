"""A pool over a database and a user that the modules made connects, with the password the user module returned.

aiven_pg_database and aiven_pg_user against the emulator's real PostgreSQL (the PgBouncer backend, with the emulator's
hardest defaults: lists that lag, a new user's 404 and empty password), aiven_connection_pool over what they made, the
lookup's details; then a TLS connection through PgBouncer as that user, into that database.
"""

from __future__ import annotations

import json
import os

import psycopg

from tests.e2e.connection.world import PLAYBOOKS, PROJECT, TOKEN
from tests.support.ansible import ansible_env, run_playbook

PLAYBOOK = os.path.join(PLAYBOOKS, "prerequisites.yml")
MADE = {"made_project": PROJECT, "made_service": "pg-two", "made_database": "made-db", "made_user": "made-user",
        "made_pool": "made-pool"}


def test_a_pool_over_what_the_modules_made_connects_and_a_second_run_changes_nothing(emulator, collections_root, passwords, tmp_path):
    env = ansible_env(collections_root, {"AIVEN_TOKEN": TOKEN, "AIVEN_WEB_URL": emulator.url})
    run = run_playbook(PLAYBOOK, env, extra_vars=dict(MADE, made_files=str(tmp_path)), args=["-vvv"])
    try:
        assert run.rc == 0, run.output[-3000:]
        made = json.loads(run.output.split('"MADE ', 1)[1].split('"', 1)[0].replace('\\"', '"'))
        assert made == [True, True, True, False, False, False], "made once, then nothing changed"
        password = (tmp_path / "password").read_text(encoding="utf-8")
        assert password and password != "<redacted>"
        assert password not in run.output and not any(seeded in run.output for seeded in passwords)
        [details] = json.loads((tmp_path / "details.json").read_text(encoding="utf-8"))
        assert (details["dbname"], details["user"], details["password"]) == ("made-pool", "made-user", password)
        ca_file = tmp_path / "ca.pem"
        ca_file.write_text(details["ca_cert"], encoding="ascii")
        with psycopg.connect(host=details["host"], port=details["port"], dbname=details["dbname"], user=details["user"],
                             password=password, sslmode="verify-full", sslrootcert=str(ca_file), connect_timeout=10,
                             autocommit=True) as conn:
            assert conn.execute("select current_database(), current_user").fetchone() == ("made-db", "made-user")
            conn.execute("create table if not exists made_here (id int)")
    finally:
        # The other connection tests share this emulator: the pool, the user and the database go again.
        base = f"{emulator.url}/v1/project/{PROJECT}/service/pg-two"
        headers = {"Authorization": f"aivenv1 {TOKEN}"}
        for path in ("/connection_pool/made-pool", "/user/made-user", "/db/made-db"):
            emulator.session.delete(base + path, headers=headers, timeout=60)
