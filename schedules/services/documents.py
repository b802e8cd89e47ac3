"""Requests for printable schedules from the web: the document row, retries, the queue.

The only place that enqueues the render task (``schedules.tasks``), always after commit.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from schedules import selectors, tasks
from schedules.documents.render import STALE_AFTER, DocumentError
from schedules.models import PlanDocument, PlanRevision, TaperPlan


def document_for_plan(plan: TaperPlan) -> tuple[PlanRevision | None, PlanDocument | None]:
    """The plan's schedule revision (:func:`selectors.schedule_revision`) and its document,
    either may be ``None``."""
    revision = selectors.schedule_revision(plan)
    if revision is None:
        return None, None
    return revision, PlanDocument.objects.filter(revision=revision).first()


def document_is_stuck(document: PlanDocument | None) -> bool:
    """Queued or rendering for longer than a render may take: offer a retry."""
    return (
        document is not None
        and document.status in (PlanDocument.Status.QUEUED, PlanDocument.Status.RENDERING)
        and document.updated_at < timezone.now() - STALE_AFTER
    )


def document_request(revision: PlanRevision) -> PlanDocument:
    """The document row of a signed revision, created as queued if it does not exist yet."""
    if revision.status != PlanRevision.Status.SIGNED:
        raise DocumentError("Only a signed revision has a printable schedule.")
    try:
        document, _created = PlanDocument.objects.get_or_create(revision=revision)
    except IntegrityError:  # created concurrently
        document = PlanDocument.objects.get(revision=revision)
    return document


def enqueue_render(revision_id: int) -> None:
    """Queue the render of ``revision_id``'s schedule once the current transaction commits."""
    transaction.on_commit(lambda: tasks.render_plan_document.delay(revision_id), robust=True)


def document_retry(*, document: PlanDocument) -> PlanDocument:
    """Put a failed (or stuck) document back in the queue and enqueue the task after commit.

    A document that is ready, or being rendered right now, is left alone. The caller checks that
    the user may see the document (clinic scoping).
    """
    stale = timezone.now() - STALE_AFTER
    with transaction.atomic():
        reset = (
            PlanDocument.objects.filter(pk=document.pk)
            .filter(
                Q(status=PlanDocument.Status.FAILED)
                | Q(
                    status__in=[PlanDocument.Status.QUEUED, PlanDocument.Status.RENDERING],
                    updated_at__lt=stale,
                )
            )
            .update(status=PlanDocument.Status.QUEUED, error="", updated_at=timezone.now())
        )
        if reset:
            enqueue_render(document.revision_id)
    document.refresh_from_db()
    return document
