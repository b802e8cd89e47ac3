"""Celery tasks for check-ins: thin adapters that take ids and call one service.

Beat runs :func:`enqueue_due_reminders` and :func:`mark_missed_checkins` every minute
(``CELERY_BEAT_SCHEDULE``). Sending is exactly-once by a conditional UPDATE in
:func:`checkins.services.claim_and_send`, so a redelivered message (``acks_late``) is harmless.

Due reminders are queued in batches (:data:`REMINDER_BATCH` ids a task): a Monday morning is
thousands of sends, and one message per send cost more in broker round trips than the send
itself (``bench/fanout.py``). Each id in a batch is still claimed on its own.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from typing import Any

from celery import shared_task

from checkins import services

logger = logging.getLogger(__name__)

TRANSIENT = (smtplib.SMTPException, ConnectionError, TimeoutError)
REMINDER_BATCH = 25
#: How a send task is retried after a transient error (the mail server or the network).
SEND_RETRIES: dict[str, Any] = {
    "acks_late": True,
    "autoretry_for": TRANSIENT,
    "retry_backoff": 10,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 6,
    "ignore_result": True,
}


@shared_task(**SEND_RETRIES)
def send_checkin_reminder(invitation_id: int) -> None:
    """Send one invitation's reminder (once, whoever else tries). Nothing queues it since sends
    are batched (:func:`send_checkin_reminders`); it stays for messages queued before."""
    sent = services.claim_and_send(invitation_id)
    logger.info("send_checkin_reminder invitation=%s sent=%s", invitation_id, sent)


@shared_task(**SEND_RETRIES)
def send_checkin_reminders(invitation_ids: list[int]) -> None:
    """Send each invitation's reminder (once, whoever else tries), one claim each.

    A failed send does not stop the others; the first error is raised at the end, so the task
    is retried, and the retry skips those already sent (their claim fails).
    """
    failed: Exception | None = None
    sent = 0
    recipients = services.reminder_recipients(invitation_ids)  # one read for the batch
    for invitation_id in invitation_ids:
        try:
            sent += services.claim_and_send(invitation_id, patient=recipients.get(invitation_id))
        except TRANSIENT as exc:
            failed = failed or exc
    logger.info("send_checkin_reminders batch=%s sent=%s", len(invitation_ids), sent)
    if failed is not None:
        raise failed


def queue_reminders(invitation_ids: Sequence[int]) -> None:
    """Queue the sends of ``invitation_ids``, :data:`REMINDER_BATCH` to a task."""
    for start in range(0, len(invitation_ids), REMINDER_BATCH):
        send_checkin_reminders.delay(list(invitation_ids[start : start + REMINDER_BATCH]))


@shared_task(acks_late=True, ignore_result=True)
def enqueue_due_reminders() -> int:
    """Create this week's due invitations and queue their sends in batches."""
    ids = services.create_due_invitations()
    queue_reminders(ids)
    return len(ids)


@shared_task(acks_late=True, ignore_result=True)
def mark_missed_checkins() -> int:
    """Mark missed check-ins, then send each nurse's daily digest (once a day per nurse)."""
    missed = services.mark_missed()
    services.send_missed_digests()
    return missed
