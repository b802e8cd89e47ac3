"""Periodic repairs Celery beat runs (``CELERY_BEAT_SCHEDULE``).

A worker killed in the middle of a render (``kill -9``, an out-of-memory kill, a lost node)
leaves its document ``rendering`` and, with Redis as the broker, its unacknowledged message
invisible for an hour. This sweep queues every document still waiting or abandoned for longer
than the render's hard time limit (``TAPER_RENDER_STALE_SECONDS``), every
``TAPER_DOCUMENT_SWEEP_SECONDS`` (5 minutes), so the schedule is made within minutes; the render
claims the document once (``schedules.documents.render``), so a late duplicate delivery is
harmless. ``tests/faults/test_worker_killed_mid_pdf.py`` kills workers mid-render to prove it.
"""

from __future__ import annotations

from celery import shared_task

from schedules.services import documents


@shared_task(ignore_result=True)
def requeue_pending_documents() -> int:
    """Queue documents still queued, and claims of dead workers; returns how many."""
    return documents.enqueue_pending()
