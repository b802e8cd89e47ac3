"""Fault: PostgreSQL restarts under a running web app, which must recover without a restart.

Real processes: a throwaway PostgreSQL cluster (``initdb`` on a free port in a temporary folder;
the shared one on 5432 is never touched) with the app's schema, and gunicorn (one sync worker,
production settings, a kept connection: ``CONN_MAX_AGE`` 60 s) serving a signed-in nurse. After
a restart of the cluster the next request succeeds (the kept connection is health-checked and
replaced, ``CONN_HEALTH_CHECKS``); while the cluster is down a request gets a plain 500 page at
once, not a hang and not a traceback; once it is back the same gunicorn serves again.
"""

from __future__ import annotations

import http.client
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from tests.faults.postgres import ThrowawayCluster, client, server_binaries
from tests.faults.processes import Processes, app_env, free_port, wait_until

pytestmark = [pytest.mark.faults, pytest.mark.xdist_group("faults")]

DATABASE = "taper_faults_web"
#: The nurse's patient list from the API: the session, the user and the patients are read from
#: the database, and no static file is involved (production settings want collectstatic's files).
PAGE = "/api/v1/patients/"
OUTAGE_ANSWER_WITHIN = 10.0  # seconds; a hang would take gunicorn's 30 s timeout or more

LOGIN = """
from django.test import Client
from accounts.models import Clinic, User
clinic = Clinic.objects.create(name="Riverside", phone="020 7946 0123")
nurse = User.objects.create_user("nurse-evans", clinic=clinic, role=User.Role.NURSE)
client = Client()
client.force_login(nurse)
print(client.cookies["sessionid"].value)
"""


@pytest.fixture
def cluster(django_db_setup: None) -> Iterator[ThrowawayCluster]:
    """A throwaway cluster with the app's schema: copied from the test database on PostgreSQL
    (``pg_dump --schema-only``, a second or two), made by ``migrate`` on SQLite (slower)."""
    if server_binaries() is None:
        pytest.skip(
            "PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin (Debian package "
            "postgresql, which CI has: it runs the cluster on 5432)"
        )
    made = ThrowawayCluster(Path(tempfile.mkdtemp(prefix="taper-faults-pg-")))
    try:
        made.psql("postgres", f"CREATE DATABASE {DATABASE}")
        yield made
    finally:
        made.destroy()


def load_schema(cluster: ThrowawayCluster, env: dict[str, str]) -> None:
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        source = f"postgres://{db.get('USER') or 'postgres'}@{db.get('HOST') or '127.0.0.1'}"
        source += f":{db.get('PORT') or 5432}/{db['NAME']}"
        schema = subprocess.run(
            [client("pg_dump"), "--schema-only", "--no-owner", "--no-privileges", "-d", source],
            check=True,
            capture_output=True,
            timeout=120,
        ).stdout.decode()
        cluster.psql(DATABASE, schema)
    else:
        manage = [sys.executable, "manage.py", "migrate", "--verbosity", "0"]
        subprocess.run(manage, env=env, check=True, timeout=300, cwd=Path(__file__).parents[2])


def children(pid: int) -> set[int]:
    """The ids of the processes whose parent is ``pid`` (gunicorn's workers)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def get(port: int, path: str, session: str) -> tuple[int, str, float]:
    """GET ``path`` as the signed-in nurse: status, body and seconds taken."""
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers={"Cookie": f"sessionid={session}"})
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace"), time.monotonic() - started
    finally:
        conn.close()


def test_the_web_app_recovers_from_a_postgres_restart_without_its_own(
    cluster: ThrowawayCluster, processes: Processes, tmp_path: Path
) -> None:
    env = app_env(database_url=cluster.url(DATABASE), redis_url="", folder=tmp_path)
    load_schema(cluster, env)
    login = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", LOGIN],
        env=env,
        cwd=Path(__file__).parents[2],
        check=True,
        capture_output=True,
        timeout=120,
    )
    session = login.stdout.decode().split()[-1]
    port = free_port()
    web = processes.start(
        "gunicorn",
        [
            sys.executable,
            "-m",
            "gunicorn",
            "taper_clinic.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--timeout",
            "30",
        ],
        env,
    )

    def answers() -> bool:
        try:
            return get(port, PAGE, session)[0] == 200
        except OSError:
            return False

    wait_until(answers, timeout=120, what="gunicorn to serve the patient list (API)")
    workers = children(web.pid)
    assert len(workers) == 1

    cluster.stop()
    cluster.start()
    status, body, _ = get(port, PAGE, session)
    assert status == 200, body[:500]  # the first request after the restart, not the second

    cluster.stop()
    status, body, took = get(port, PAGE, session)
    assert status == 500
    assert took < OUTAGE_ANSWER_WITHIN
    assert "Server Error" in body
    assert "Traceback" not in body and "OperationalError" not in body

    cluster.start()
    status, body, _ = get(port, PAGE, session)
    assert status == 200, body[:500]
    assert web.alive() and children(web.pid) == workers  # no restart of its own, nor a new worker
    print(f"\nduring the outage: 500 in {took:.2f} s; before and after: 200 from the same gunicorn")
