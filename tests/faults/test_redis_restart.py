"""Fault: Redis (the broker) restarts in the middle of a fan-out of 1,000 reminders.

Real processes: a private redis-server (memory only, so a restart loses every queued message),
2 Celery workers (solo pool), the test database (PostgreSQL), e-mail written to files. The due
pass queues 1,000 sends; when some have gone, Redis is killed (``kill -9``) and started again.
The database decides what is still due, so the next due pass (beat runs it every minute) queues
the rest, and every patient gets exactly one reminder: 0 lost, 0 duplicates.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import redis

from checkins.models import Invitation
from tests.faults.processes import (
    Processes,
    RedisServer,
    app_env,
    broker,
    celery,
    wait_until,
    worker_args,
)
from tests.faults.reminders import DUE_PASS, due_invitations, emails_by_recipient, sent

pytestmark = [pytest.mark.faults, pytest.mark.xdist_group("faults")]

REMINDERS = 1000
RESTART_AFTER = 200  # sent before the restart


def test_every_reminder_is_sent_once_when_redis_restarts_mid_fan_out(
    shared_database_url: str, redis_server: RedisServer, processes: Processes, tmp_path: Path
) -> None:
    due_invitations(REMINDERS)
    env = app_env(database_url=shared_database_url, redis_url=redis_server.url, folder=tmp_path)
    started = time.monotonic()
    for n in (1, 2):
        processes.start(f"worker{n}", celery(*worker_args(f"w{n}")), env)
    with broker(redis_server.url) as app:
        app.send_task(DUE_PASS)
        wait_until(lambda: sent() >= RESTART_AFTER, what=f"{RESTART_AFTER} reminders sent")
        queued_in_redis = redis.Redis.from_url(redis_server.url).llen("celery")
        redis_server.restart()  # every message still queued is gone
    assert queued_in_redis > 0  # sends were waiting in Redis, and were lost with it
    sent_at_restart = sent()
    assert sent_at_restart < REMINDERS  # the restart came in the middle of the fan-out

    with broker(redis_server.url) as app:
        app.send_task(DUE_PASS)  # the next pass of beat, on the new Redis
        wait_until(lambda: sent() == REMINDERS, what="every reminder sent after the restart")
    wait_until(redis_server.drained, what="the workers to run every queued send")
    took = time.monotonic() - started

    emails = emails_by_recipient(tmp_path / "mail")
    assert len(emails) == REMINDERS  # 0 lost
    assert set(emails.values()) == {1}  # 0 duplicates
    claims = Invitation.objects.values_list("attempts", flat=True)
    assert set(claims) == {1}  # one claim each, none taken back
    print(
        f"\n{REMINDERS} reminders, Redis restarted after {sent_at_restart} sent "
        f"({queued_in_redis} sends lost with it): "
        f"{len(emails)} e-mails, each patient once, in {took:.1f} s"
    )
