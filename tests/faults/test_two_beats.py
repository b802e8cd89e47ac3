"""Fault: two beat processes run by mistake, so every due pass is queued twice.

Real processes: 2 ``celery beat`` schedulers with the reminder pass every second (the
``TAPER_REMINDER_PASS_SECONDS`` setting; 60 s in production), 2 workers (solo pool), a private
redis-server, the test database (PostgreSQL), e-mail written to files. Both beats send several
passes, each queueing a send for every invitation still queued; the claim in
``checkins.services.claim_and_send`` lets one send through: each patient gets one reminder.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from checkins.models import Invitation
from tests.faults.processes import Processes, RedisServer, app_env, celery, wait_until, worker_args
from tests.faults.reminders import due_invitations, emails_by_recipient, sent

pytestmark = [pytest.mark.faults, pytest.mark.xdist_group("faults")]

REMINDERS = 200
PASSES_EACH = 3
PASS_LINE = "Sending due task checkins-enqueue-due"


def test_two_beats_send_each_reminder_once(
    shared_database_url: str, redis_server: RedisServer, processes: Processes, tmp_path: Path
) -> None:
    due_invitations(REMINDERS)
    env = app_env(
        database_url=shared_database_url,
        redis_url=redis_server.url,
        folder=tmp_path,
        TAPER_REMINDER_PASS_SECONDS="1",
    )
    started = time.monotonic()
    for n in (1, 2):
        processes.start(f"worker{n}", celery(*worker_args(f"w{n}")), env)
    beats = [
        processes.start(
            f"beat{n}",
            celery("beat", "-s", str(tmp_path / f"beat{n}-schedule"), "--loglevel", "INFO"),
            env,
        )
        for n in (1, 2)
    ]

    def passes(beat_log: Path) -> int:
        return beat_log.read_text(errors="replace").count(PASS_LINE)

    wait_until(
        lambda: sent() == REMINDERS and all(passes(b.log) >= PASSES_EACH for b in beats),
        what=f"all reminders sent and {PASSES_EACH} passes from each beat",
    )
    for beat in beats:
        beat.kill()
    counted = [passes(b.log) for b in beats]
    # Every duplicate send the passes queued has been tried before the e-mails are counted.
    wait_until(redis_server.drained, what="the workers to run every queued send")

    emails = emails_by_recipient(tmp_path / "mail")
    assert len(emails) == REMINDERS
    assert set(emails.values()) == {1}
    assert set(Invitation.objects.values_list("attempts", flat=True)) == {1}
    print(
        f"\n2 beats sent {counted} due passes; {REMINDERS} reminders, each once, "
        f"in {time.monotonic() - started:.1f} s"
    )
