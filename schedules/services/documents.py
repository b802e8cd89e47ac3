"""Requests for printable schedules from the web: the document row, retries, the queue.

The only place that enqueues the render task (``schedules.tasks``), always after commit. Where
the render runs depends on the settings:

- With a broker (``REDIS_URL``), a Celery worker runs the task.
- In the embedded default (``make run``: no broker), ``TAPER_RENDER_IN_BACKGROUND`` is on and the
  render runs on one background thread of the web process (:mod:`schedules.background`) after
  the response, so signing never waits for WeasyPrint.
- In the tests that setting is off and Celery's eager mode renders inside the request.

Inside :func:`renders_deferred` (``seed_demo``) nothing is enqueued: the document row is created
as queued, and :func:`enqueue_pending` queues it later.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Iterator
from contextvars import ContextVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from schedules import background, selectors, tasks
from schedules.documents import render as document_render
from schedules.documents.render import STALE_AFTER, DocumentError
from schedules.models import PlanDocument, PlanRevision, TaperPlan

logger = logging.getLogger(__name__)

_deferred: ContextVar[bool] = ContextVar("taper_renders_deferred", default=False)


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
    """Queue the render of ``revision_id``'s schedule once the current transaction commits.

    In background mode (and when deferred) the document row is created as queued in the caller's
    transaction, so a process that stops before rendering leaves a row that the next one finds.
    """
    in_background = settings.TAPER_RENDER_IN_BACKGROUND
    if in_background or _deferred.get():
        _queued_row(revision_id)
    if _deferred.get():
        return
    if in_background:
        job = functools.partial(render_in_background, revision_id)
        transaction.on_commit(functools.partial(background.submit, job), robust=True)
    else:
        transaction.on_commit(lambda: tasks.render_plan_document.delay(revision_id), robust=True)


def _queued_row(revision_id: int) -> None:
    try:
        with transaction.atomic():
            PlanDocument.objects.get_or_create(revision_id=revision_id)
    except IntegrityError:  # created concurrently
        pass


def render_in_background(revision_id: int) -> None:
    """The background thread's job: render one revision's schedule, by id.

    Unlike the Celery task there are no automatic retries: any failure leaves the document
    "failed", which the plan page offers to retry, never "rendering" for ever. Log lines carry
    the id and the exception type only.
    """
    try:
        document_render.plan_document_render(revision_id=revision_id)
    except DocumentError:
        logger.warning("background render refused revision=%s (not signed)", revision_id)
    except Exception as exc:
        code = f"render-failed:{type(exc).__name__}"
        logger.error("background render failed revision=%s error=%s", revision_id, code)
        document_render.plan_document_mark_failed(revision_id=revision_id, error=code)


@contextlib.contextmanager
def renders_deferred() -> Iterator[None]:
    """Within the block, signing creates the document row (queued) but enqueues no render.

    ``seed_demo`` uses it so that seeding never waits for WeasyPrint, and so that no render is
    handed to a thread of a process about to exit. :func:`enqueue_pending` queues them later.
    """
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)


def enqueue_pending() -> int:
    """Queue every document waiting for a render: queued ones, and stale claims of dead workers.

    Called once by the first request a background-mode process serves (``SchedulesConfig``), and
    by ``seed_demo`` when renders are not in the background. Returns how many were queued.
    """
    stale = timezone.now() - STALE_AFTER
    revision_ids = list(
        PlanDocument.objects.filter(
            Q(status=PlanDocument.Status.QUEUED)
            | Q(status=PlanDocument.Status.RENDERING, updated_at__lt=stale),
            revision__status=PlanRevision.Status.SIGNED,
        )
        .order_by("pk")
        .values_list("revision_id", flat=True)
    )
    for revision_id in revision_ids:
        enqueue_render(revision_id)
    if revision_ids:
        logger.info("queued %s pending plan documents", len(revision_ids))
    return len(revision_ids)


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
