"""The document service: render a signed revision, store it privately, idempotently."""

from __future__ import annotations

import datetime
import hashlib
import io
import logging
import re
from pathlib import Path
from unittest import mock

import pypdf
import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import OperationalError
from django.utils import timezone

from schedules.documents import render as document_render
from schedules.models import PlanDocument
from schedules.services import documents as document_services
from schedules.services import plans as plan_services
from tests.plan_helpers import TODAY, draft_plan, preview_body, signed_plan

pytestmark = pytest.mark.django_db

# 20 -> 10 mg: about 14 weeks, quick to render.
SHORT = preview_body(target_mg="10")


def text_of(document: PlanDocument) -> str:
    with document.file.open("rb") as handle:
        reader = pypdf.PdfReader(io.BytesIO(handle.read()))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def stored_files() -> set[str]:
    folder = Path(settings.MEDIA_ROOT) / "plan-documents"
    return {p.name for p in folder.glob("*")} if folder.exists() else set()


@pytest.fixture
def revision(patient, prescriber):
    return signed_plan(patient, prescriber, SHORT)


def test_signing_renders_and_stores_the_document_after_commit(
    patient, prescriber, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        revision = signed_plan(patient, prescriber, SHORT)
    assert len(callbacks) == 1  # the render task, queued on commit (eager without a broker)
    document = PlanDocument.objects.get(revision=revision)
    assert document.status == PlanDocument.Status.READY
    with document.file.open("rb") as handle:
        content = handle.read()
    assert content.startswith(b"%PDF")
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert document.size_bytes == len(content)
    assert document.page_count == len(pypdf.PdfReader(io.BytesIO(content)).pages)
    assert document.render_ms is not None and document.render_ms > 0
    assert document.rendered_at is not None
    assert document.algorithm_version == revision.algorithm_version
    assert document.attempts == 1
    assert document.error == ""
    # Private: under MEDIA_ROOT, named by ids only, never under static files.
    path = Path(default_storage.path(document.file.name)).resolve()
    assert path.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert not path.is_relative_to(Path(settings.STATIC_ROOT).resolve())
    assert re.fullmatch(r"plan-documents/revision-\d+-[0-9a-f]{16}\.pdf", document.file.name)
    assert patient.last_name not in document.file.name


def test_the_stored_pdf_shows_who_what_and_when(revision, patient, prescriber):
    document = document_render.plan_document_render(revision_id=revision.pk)
    text = text_of(document)
    assert patient.full_name in text
    assert patient.mrn in text
    assert "17 May 1970" in text  # date of birth
    assert patient.clinic.name.upper() in text
    assert patient.clinic.phone in text
    assert prescriber.display_name() in text
    assert f"Version {revision.number}" in text
    assert "This replaces the schedule" not in text  # first revision
    assert "Weeks 1\u20132 4 Jan to 17 Jan 2027" in text  # the first step: two weeks, one row
    assert "For the pharmacy: dispensing schedule" in text


def test_a_second_run_for_the_same_revision_does_nothing(revision):
    first = document_render.plan_document_render(revision_id=revision.pk)
    files = stored_files()
    with mock.patch("schedules.documents.pdf.render_pdf") as render_pdf:
        again = document_render.plan_document_render(revision_id=revision.pk)
    render_pdf.assert_not_called()
    assert again.pk == first.pk
    assert (again.sha256, again.attempts, again.file.name) == (first.sha256, 1, first.file.name)
    assert stored_files() == files
    assert PlanDocument.objects.filter(revision=revision).count() == 1


def test_a_draft_is_refused(patient, prescriber):
    draft = draft_plan(patient, prescriber)
    with pytest.raises(document_render.DocumentError):
        document_render.plan_document_render(revision_id=draft.pk)
    assert not PlanDocument.objects.filter(revision=draft).exists()


def test_storage_failure_is_transient_and_the_row_goes_back_to_queued(revision):
    with (
        mock.patch.object(default_storage, "save", side_effect=OSError("disk full")),
        pytest.raises(document_render.TransientRenderError),
    ):
        document_render.plan_document_render(revision_id=revision.pk)
    document = PlanDocument.objects.get(revision=revision)
    assert (document.status, document.error, document.attempts) == (
        "queued",
        "storage-unavailable",
        1,
    )
    document = document_render.plan_document_render(revision_id=revision.pk, attempt=1)
    assert (document.status, document.attempts) == ("ready", 2)


def test_database_failure_is_transient(revision):
    with (
        mock.patch.object(document_render, "schedule_data", side_effect=OperationalError("locked")),
        pytest.raises(document_render.TransientRenderError),
    ):
        document_render.plan_document_render(revision_id=revision.pk)
    assert PlanDocument.objects.get(revision=revision).status == "queued"


def test_a_permanent_error_fails_with_a_code_and_no_patient_data(revision, patient, caplog):
    secret = f"{patient.full_name} {patient.mrn}"
    with (
        caplog.at_level(logging.INFO),
        mock.patch("schedules.documents.pdf.render_pdf", side_effect=ValueError(secret)),
    ):
        document = document_render.plan_document_render(revision_id=revision.pk)
    assert document.status == PlanDocument.Status.FAILED
    assert document.error == "render-failed:ValueError"
    assert not document.file
    assert patient.last_name not in caplog.text and patient.mrn not in caplog.text
    assert f"revision={revision.pk}" in caplog.text


def test_logs_carry_ids_only(revision, patient, caplog):
    with caplog.at_level(logging.DEBUG, logger="schedules"):
        document_render.plan_document_render(revision_id=revision.pk)
    assert "plan document ready" in caplog.text
    for value in (patient.first_name, patient.last_name, patient.mrn, patient.clinic.phone):
        assert value not in caplog.text


def test_a_fresh_claim_by_another_worker_is_left_alone(revision):
    PlanDocument.objects.create(revision=revision, status="rendering", attempts=1)
    with mock.patch("schedules.documents.pdf.render_pdf") as render_pdf:
        document = document_render.plan_document_render(revision_id=revision.pk)
    render_pdf.assert_not_called()
    assert document.status == "rendering"


def test_a_stale_claim_from_a_dead_worker_is_taken_over(revision):
    document = PlanDocument.objects.create(revision=revision, status="rendering", attempts=1)
    long_ago = timezone.now() - document_render.STALE_AFTER - datetime.timedelta(seconds=1)
    PlanDocument.objects.filter(pk=document.pk).update(updated_at=long_ago)
    document = document_render.plan_document_render(revision_id=revision.pk)
    assert (document.status, document.attempts) == ("ready", 2)


def test_retry_puts_a_failed_document_back_in_the_queue(
    revision, django_capture_on_commit_callbacks
):
    document = PlanDocument.objects.create(revision=revision, status="failed", error="x")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        document_services.document_retry(document=document)
    document.refresh_from_db()
    assert (document.status, document.error) == ("queued", "")
    assert len(callbacks) == 1
    callbacks[0]()  # the task, run eagerly
    document.refresh_from_db()
    assert document.status == "ready"


def test_retry_leaves_a_ready_document_alone(revision, django_capture_on_commit_callbacks):
    document = document_render.plan_document_render(revision_id=revision.pk)
    with django_capture_on_commit_callbacks() as callbacks:
        document_services.document_retry(document=document)
    assert callbacks == []
    document.refresh_from_db()
    assert document.status == "ready"


def test_document_request_creates_a_queued_row_once(revision):
    first = document_services.document_request(revision)
    assert first.status == "queued"
    assert document_services.document_request(revision).pk == first.pk


def test_a_new_revision_says_which_schedule_it_replaces(revision, prescriber):
    hold = plan_services.plan_hold(
        plan=revision.plan, user=prescriber, days=7, reason="Too many symptoms", today=TODAY
    )
    assert hold.is_signed and hold.number == 2
    text = text_of(document_render.plan_document_render(revision_id=hold.pk))
    signed = timezone.localtime(revision.signed_at).date()
    assert f"This replaces the schedule dated {signed.day} {signed:%b} {signed.year}" in text
    assert "Version 2" in text
    assert "Hold: same dose as before" in text


def test_document_for_plan(revision):
    assert document_services.document_for_plan(revision.plan) == (revision, None)
    document = document_render.plan_document_render(revision_id=revision.pk)
    assert document_services.document_for_plan(revision.plan) == (revision, document)


def test_a_hold_signed_by_a_nurse_still_names_the_prescriber(revision, nurse, prescriber):
    prescriber.professional_id = "GMC 7654321"
    prescriber.save()
    hold = plan_services.plan_hold(
        plan=revision.plan, user=nurse, days=7, reason="Patient asked to pause", today=TODAY
    )
    assert hold.signed_by == nurse
    data = document_render.schedule_data(hold)
    assert data.prescriber_name == prescriber.display_name()
    assert data.prescriber_professional_id == "GMC 7654321"
