"""Celery tasks: thin adapters that take ids and call one service.

Retry and time-limit policy lives here only; the services stay deterministic. Arguments and log
lines carry ids only, never patient data, and results are ignored (no result backend holds PHI).
"""

from __future__ import annotations

import logging

from celery import shared_task

from schedules.documents import render as document_render

logger = logging.getLogger(__name__)

#: Exponential backoff: up to 5, 10, 20, 40, 80 s (full jitter: a random wait below the cap).
RENDER_RETRY_BACKOFF = 5
RENDER_RETRY_BACKOFF_MAX = 300
RENDER_MAX_RETRIES = 5


@shared_task(
    bind=True,
    acks_late=True,  # a worker that dies before finishing leaves the message to redeliver
    autoretry_for=(document_render.TransientRenderError,),
    retry_backoff=RENDER_RETRY_BACKOFF,
    retry_backoff_max=RENDER_RETRY_BACKOFF_MAX,
    retry_jitter=True,
    max_retries=RENDER_MAX_RETRIES,
    soft_time_limit=document_render.RENDER_SOFT_TIME_LIMIT,
    time_limit=document_render.RENDER_TIME_LIMIT,
    ignore_result=True,
)
def render_plan_document(self, revision_id: int) -> None:  # type: ignore[no-untyped-def]
    """Render and store the printable schedule of a signed revision (idempotent)."""
    attempt = self.request.retries
    logger.info("render_plan_document revision=%s attempt=%s", revision_id, attempt)
    try:
        document_render.plan_document_render(revision_id=revision_id, attempt=attempt)
    except document_render.TransientRenderError:
        if attempt >= self.max_retries:
            logger.error("render_plan_document gave up revision=%s", revision_id)
            document_render.plan_document_mark_failed(
                revision_id=revision_id, error="retries-exhausted"
            )
            return
        raise  # autoretry_for schedules the next attempt with backoff
    except document_render.DocumentError:
        logger.warning("render_plan_document refused revision=%s (not signed)", revision_id)
