"""Celery tasks for check-ins: thin adapters that take ids and call one service.

Beat runs :func:`enqueue_due_reminders` and :func:`mark_missed_checkins` every minute
(``CELERY_BEAT_SCHEDULE``). Sending is exactly-once by a conditional UPDATE in
:func:`checkins.services.claim_and_send`, so a redelivered message (``acks_late``) is harmless.
"""

from __future__ import annotations

import logging
import smtplib

from celery import shared_task

from checkins import services

logger = logging.getLogger(__name__)

TRANSIENT = (smtplib.SMTPException, ConnectionError, TimeoutError)


@shared_task(
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=10,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=6,
    ignore_result=True,
)
def send_checkin_reminder(invitation_id: int) -> None:
    """Send one invitation's reminder (once, whoever else tries)."""
    sent = services.claim_and_send(invitation_id)
    logger.info("send_checkin_reminder invitation=%s sent=%s", invitation_id, sent)


@shared_task(acks_late=True, ignore_result=True)
def enqueue_due_reminders() -> int:
    """Create this week's due invitations and queue one send task for each."""
    ids = services.create_due_invitations()
    for invitation_id in ids:
        send_checkin_reminder.delay(invitation_id)
    return len(ids)


@shared_task(acks_late=True, ignore_result=True)
def mark_missed_checkins() -> int:
    """Mark missed check-ins, then send each nurse's daily digest (once a day per nurse)."""
    missed = services.mark_missed()
    services.send_missed_digests()
    return missed
