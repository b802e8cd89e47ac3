"""Services for the printable schedule: render a signed revision's PDF and store it privately.

The Celery task (:mod:`schedules.tasks`) calls :func:`plan_document_render` with an id; views call
:func:`document_request`, :func:`document_retry` and :func:`document_for_plan`. The PDF itself is
drawn by :mod:`schedules.pdf`, which never touches the database: this module loads the rows into
a :class:`schedules.pdf.ScheduleData` and stores the bytes.

A :class:`~schedules.models.PlanDocument` row per revision is the unique key that makes rendering
idempotent: a worker claims it with a conditional UPDATE, and a second run for a revision whose
document is ready does nothing.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone

from catalogue.labels import ProductLabel
from catalogue.models import Drug, Product
from schedules import selectors
from schedules.documents import pdf
from schedules.models import PlanDocument, PlanRevision
from schedules.plan_serializers import step_dict

logger = logging.getLogger(__name__)

__all__ = [
    "RENDER_SOFT_TIME_LIMIT",
    "RENDER_TIME_LIMIT",
    "DocumentError",
    "TransientRenderError",
    "demo_schedule_data",
    "plan_document_mark_failed",
    "plan_document_render",
    "schedule_data",
]

# Sized from bench/pdf.py: a 52-week plan takes about 1.5 s of CPU, the first render of a worker
# (font discovery, the stylesheet and its fonts) about 0.2 s more; on a loaded 2-core machine the
# wall time can be several times that. The limits leave a wide margin and still free a stuck
# worker within two minutes.
RENDER_SOFT_TIME_LIMIT = 60
RENDER_TIME_LIMIT = 90
#: A claim older than this is from a worker that died (the hard time limit has passed). The
#: setting ``TAPER_RENDER_STALE_SECONDS`` (default ``RENDER_TIME_LIMIT + 30``) is read once, at
#: import; only the fault tests set it shorter, in the worker processes they start.
STALE_AFTER = datetime.timedelta(seconds=settings.TAPER_RENDER_STALE_SECONDS)
DISPENSING_PERIOD_DAYS = 28


class TransientRenderError(Exception):
    """A failure worth retrying (storage or database briefly unavailable)."""


class DocumentError(Exception):
    """A request that can never succeed, such as rendering a draft."""


# --- Loading ---------------------------------------------------------------------------------


def schedule_data(revision: PlanRevision) -> pdf.ScheduleData:
    """Load everything the printable schedule of ``revision`` shows (a handful of queries)."""
    revision = (
        PlanRevision.objects.select_related(
            "plan__patient__clinic", "plan__patient__prescriber", "signed_by", "created_by"
        )
        .prefetch_related("steps__doses__drug")
        .get(pk=revision.pk)
    )
    patient = revision.plan.patient
    clinic = patient.clinic
    who = selectors.prescriber_for(revision)
    prescriber = who.prescriber
    steps = [step_dict(step) for step in revision.steps.all()]
    slugs = {u["product"] for s in steps for d in s["doses"] for u in d["units"]}
    products = {
        p.slug: ProductLabel.of(p)
        for p in Product.objects.filter(country=revision.country, slug__in=slugs).select_related(
            "drug"
        )
    }
    drugs = {d["drug"] for s in steps for d in s["doses"]} | {"diazepam"}
    drug_names = dict(Drug.objects.filter(slug__in=drugs).values_list("slug", "name"))
    # The schedule this one replaces: the revision it was built from (signed revisions form one
    # chain per plan, so that is the one the patient followed until now).
    previous = revision.previous.signed_at if revision.previous is not None else None
    zone = clinic.time_zone or "UTC"
    signed_at = revision.signed_at or timezone.now()
    return pdf.ScheduleData(
        patient_name=patient.full_name,
        patient_dob=patient.date_of_birth,
        patient_mrn=patient.mrn,
        clinic_name=clinic.name,
        clinic_country=clinic.country,
        clinic_phone=clinic.phone,
        prescriber_name=prescriber.display_name(),
        prescriber_professional_id=prescriber.professional_id,
        revision_number=revision.number,
        signed_on=_local_date(signed_at, zone),
        effective_from=revision.effective_from,
        steps=steps,
        products=products,
        drug_names=drug_names,
        replaces_signed_on=_local_date(previous, zone) if previous else None,
        target_mg=revision.target_mg,
        period_days=DISPENSING_PERIOD_DAYS,
        start_regimen=_regimen_totals(revision.request),
        hold_recorded_by=who.recorded_by.display_name() if who.recorded_by else "",
    )


def _regimen_totals(request: Any) -> list[tuple[str, Decimal]] | None:
    """``[(drug, mg a day)]`` of the request's regimen, or ``None`` if it is not readable."""
    try:
        return [
            (str(item["drug"]), sum((Decimal(str(v)) for v in item["doses"].values()), Decimal(0)))
            for item in request["regimen"]
        ]
    except (KeyError, TypeError, ValueError, ArithmeticError, AttributeError):
        return None


def _local_date(moment: datetime.datetime, zone: str) -> datetime.date:
    import zoneinfo

    try:
        return moment.astimezone(zoneinfo.ZoneInfo(zone)).date()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return moment.astimezone(datetime.UTC).date()


# --- Rendering -------------------------------------------------------------------------------


def _claim(document: PlanDocument) -> int:
    """Move the row to ``rendering`` if nobody holds it (or the holder died)."""
    stale = timezone.now() - STALE_AFTER
    return (
        PlanDocument.objects.filter(pk=document.pk)
        .filter(
            Q(status__in=[PlanDocument.Status.QUEUED, PlanDocument.Status.FAILED])
            | Q(status=PlanDocument.Status.RENDERING, updated_at__lt=stale)
        )
        .update(
            status=PlanDocument.Status.RENDERING,
            attempts=F("attempts") + 1,
            error="",
            updated_at=timezone.now(),
        )
    )


def _release(document_id: int, *, status: str, error: str) -> None:
    """Record the outcome of a failed attempt; best effort when the database is the problem."""
    try:
        PlanDocument.objects.filter(pk=document_id, status=PlanDocument.Status.RENDERING).update(
            status=status, error=error[:200], updated_at=timezone.now()
        )
    except DatabaseError:
        logger.warning("plan document release failed document=%s", document_id)


def plan_document_render(*, revision_id: int, attempt: int = 0) -> PlanDocument:
    """Render and store the printable schedule of signed revision ``revision_id``.

    1. Load the revision; a draft or discarded revision raises :class:`DocumentError`.
    2. Get or create its :class:`PlanDocument` and claim it (queued/failed -> rendering) with a
       conditional UPDATE. When nothing is claimed the document is ready (or another worker is
       rendering it): return it unchanged, so a second run does nothing.
    3. Render (:func:`schedules.pdf.render_pdf`), store the bytes in the default (private)
       storage, record sha256, size, pages, render time and the algorithm version; mark ready.

    Raises:
        TransientRenderError: storage or database briefly unavailable; the row goes back to
            queued so a retry can claim it.
        DocumentError: the revision is not signed.
    """
    try:
        revision = PlanRevision.objects.only("id", "status", "algorithm_version").get(
            pk=revision_id
        )
        if revision.status != PlanRevision.Status.SIGNED:
            raise DocumentError("Only a signed revision has a printable schedule.")
        document, _created = PlanDocument.objects.get_or_create(revision=revision)
        if not _claim(document):
            document.refresh_from_db()
            logger.info(
                "plan document not claimed revision=%s document=%s status=%s",
                revision_id,
                document.pk,
                document.status,
            )
            return document
    except OperationalError as exc:
        raise TransientRenderError("database unavailable") from exc

    try:
        data = schedule_data(revision)
        started = time.perf_counter()
        rendered = pdf.render_pdf(data)
        render_ms = round((time.perf_counter() - started) * 1000)
    except OperationalError as exc:
        _release(document.pk, status=PlanDocument.Status.QUEUED, error="database-unavailable")
        raise TransientRenderError("database unavailable") from exc
    except Exception as exc:
        # Permanent: the same input fails the same way. The code names the kind of failure only;
        # messages can quote patient data, so they stay out of the row and the log.
        code = f"render-failed:{type(exc).__name__}"
        _release(document.pk, status=PlanDocument.Status.FAILED, error=code)
        logger.error("plan document render failed revision=%s error=%s", revision_id, code)
        document.refresh_from_db()
        return document

    digest = hashlib.sha256(rendered.content).hexdigest()
    name = f"plan-documents/revision-{revision_id}-{digest[:16]}.pdf"
    try:
        stored_name = default_storage.save(name, ContentFile(rendered.content))
    except OSError as exc:
        _release(document.pk, status=PlanDocument.Status.QUEUED, error="storage-unavailable")
        raise TransientRenderError("storage unavailable") from exc

    try:
        with transaction.atomic():
            updated = PlanDocument.objects.filter(
                pk=document.pk, status=PlanDocument.Status.RENDERING
            ).update(
                status=PlanDocument.Status.READY,
                file=stored_name,
                sha256=digest,
                size_bytes=len(rendered.content),
                page_count=rendered.page_count,
                render_ms=render_ms,
                rendered_at=timezone.now(),
                algorithm_version=revision.algorithm_version,
                error="",
                updated_at=timezone.now(),
            )
    except OperationalError as exc:
        _delete_quietly(stored_name)
        _release(document.pk, status=PlanDocument.Status.QUEUED, error="database-unavailable")
        raise TransientRenderError("database unavailable") from exc
    if not updated:  # our claim was taken over (we were presumed dead): keep theirs
        _delete_quietly(stored_name)
    document.refresh_from_db()
    logger.info(
        "plan document ready revision=%s document=%s attempt=%s ms=%s pages=%s",
        revision_id,
        document.pk,
        attempt,
        render_ms,
        rendered.page_count,
    )
    return document


def _delete_quietly(name: str) -> None:
    try:
        default_storage.delete(name)
    except OSError:
        logger.warning("could not delete orphan plan document file")


def plan_document_mark_failed(*, revision_id: int, error: str) -> None:
    """Give up on a document after the task's retries are spent (short code, no patient data)."""
    PlanDocument.objects.filter(
        revision_id=revision_id,
        status__in=[PlanDocument.Status.QUEUED, PlanDocument.Status.RENDERING],
    ).update(status=PlanDocument.Status.FAILED, error=error[:200], updated_at=timezone.now())


# --- Demo data (no database) -----------------------------------------------------------------


def demo_schedule_data(
    *,
    weeks: int | None = None,
    country: str = "GB",
    body: Mapping[str, Any] | None = None,
) -> pdf.ScheduleData:
    """A schedule for a made-up patient, built by the engine from the reference files alone.

    Used by ``manage.py pdf_sample`` and ``bench/pdf.py``. ``weeks`` trims (or the default
    request stretches) the plan to about that many weeks.
    """
    from schedules import engine

    reference = engine.load_reference()
    request: dict[str, Any] = dict(body or engine.default_request(country=country))
    if weeks is not None and body is None:
        # Fit the default taper into ``weeks``: one step per week or two, 10% each.
        request["interval_days"] = 7 if weeks <= 32 else 14
    output = engine.build_plan(engine.parse_plan_request(request, reference), reference).to_dict()
    steps = output["steps"]
    if weeks is not None:
        end = datetime.date.fromisoformat(steps[0]["start_date"]) + datetime.timedelta(weeks=weeks)
        kept = [s for s in steps if datetime.date.fromisoformat(s["start_date"]) < end]
        steps = kept if kept else steps
    drug_names = {d.slug: d.name for d in reference.drugs}
    products = {
        p.slug: ProductLabel.of(p, drug_names.get(p.drug, p.drug))
        for p in reference.products
        if p.country == request.get("country", country)
    }
    return pdf.ScheduleData(
        patient_name="Alex Example",
        patient_dob=datetime.date(1961, 7, 14),
        patient_mrn="DEMO-0001",
        clinic_name="Riverside Clinic (demo)",
        clinic_country=str(request.get("country", country)),
        clinic_phone="020 7946 0123" if country == "GB" else "(555) 010-0123",
        prescriber_name="Dr Sam Shah",
        prescriber_professional_id="GMC 7000000" if country == "GB" else "NPI 1000000000",
        revision_number=2,
        signed_on=datetime.date.fromisoformat(steps[0]["start_date"]) - datetime.timedelta(days=3),
        effective_from=datetime.date.fromisoformat(steps[0]["start_date"]),
        steps=steps,
        products=products,
        drug_names=drug_names,
        replaces_signed_on=datetime.date.fromisoformat(steps[0]["start_date"])
        - datetime.timedelta(days=31),
        start_regimen=_regimen_totals(request),
    )
