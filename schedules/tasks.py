"""Celery tasks: thin adapters that take ids and call one service.

Retry and time-limit policy lives here only; the services stay deterministic.
"""

from __future__ import annotations

import logging

from celery import shared_task

from schedules import documents

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(documents.TransientRenderError,),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
    soft_time_limit=documents.RENDER_SOFT_TIME_LIMIT,
    time_limit=documents.RENDER_TIME_LIMIT,
    ignore_result=True,
)
def render_plan_document(self, revision_id: int) -> None:  # type: ignore[no-untyped-def]
    """Render and store the printable schedule of a signed revision (idempotent)."""
    logger.info("render_plan_document revision=%s attempt=%s", revision_id, self.request.retries)
    documents.plan_document_render(revision_id=revision_id, attempt=self.request.retries)
