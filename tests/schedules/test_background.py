"""Background rendering (the embedded default, no broker): signing answers before the PDF exists.

These tests run with ``TAPER_RENDER_IN_BACKGROUND`` on, as ``make run`` does, so the render runs
on the background thread and must see committed rows: they are transactional.
"""

from __future__ import annotations

import logging
import threading
from unittest import mock

import pytest
from django.urls import reverse

from schedules import apps as schedules_apps
from schedules import background
from schedules.documents import pdf
from schedules.documents import render as document_render
from schedules.models import PlanDocument
from schedules.services import documents as document_services
from tests.plan_helpers import draft_plan, preview_body, signed_plan

pytestmark = pytest.mark.django_db(transaction=True)

SHORT = preview_body(target_mg="10")  # about 14 weeks: quick to render

WAIT = 60  # seconds; generous for a loaded CI machine, never reached when all is well


@pytest.fixture
def in_background(settings, catalogue):
    settings.TAPER_RENDER_IN_BACKGROUND = True
    yield
    assert background.wait_idle(WAIT), "the background thread did not drain"


@pytest.fixture
def gated_render():
    """``render_pdf`` that signals when it starts and waits for ``release`` to finish."""
    started, release = threading.Event(), threading.Event()
    real = pdf.render_pdf

    def render(data: pdf.ScheduleData) -> pdf.RenderedPdf:
        started.set()
        assert release.wait(WAIT), "the test never released the render"
        return real(data)

    with mock.patch.object(pdf, "render_pdf", side_effect=render):
        yield started, release


def sign_in_the_browser(client, revision) -> int:
    reasons = {
        f"override__{v['rule']}__{v.get('step') or 'plan'}": "Reviewed with the patient."
        for v in revision.violations
    }
    response = client.post(
        reverse("schedules:sign", args=[revision.plan_id]), {"confirm": "on", **reasons}
    )
    return response.status_code


def status_html(client, plan_id: int) -> str:
    return client.get(reverse("documents:status", args=[plan_id])).content.decode()


def test_sign_answers_before_the_render_runs_then_the_page_shows_the_download(
    in_background, gated_render, prescriber_client, patient, prescriber
):
    started, release = gated_render
    draft = draft_plan(patient, prescriber, target_mg="10")

    assert sign_in_the_browser(prescriber_client, draft) == 302  # answered, render still blocked
    document = PlanDocument.objects.get(revision=draft)
    assert document.status in ("queued", "rendering")
    assert started.wait(WAIT)  # the background thread has claimed it
    html = status_html(prescriber_client, draft.plan_id)
    assert "being made now" in html and 'hx-trigger="every 2s"' in html  # still polling

    release.set()
    assert background.wait_idle(WAIT)
    document.refresh_from_db()
    assert document.status == "ready" and document.attempts == 1
    html = status_html(prescriber_client, draft.plan_id)
    assert reverse("documents:download", args=[document.pk]) in html
    assert "hx-trigger" not in html  # polling stops
    response = prescriber_client.get(reverse("documents:download", args=[document.pk]))
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_enqueue_render_returns_while_the_render_is_blocked(
    in_background, gated_render, patient, prescriber
):
    started, release = gated_render
    revision = signed_plan(patient, prescriber, SHORT)
    # revision_sign has returned (its on-commit hook ran): the render has not finished.
    assert started.wait(WAIT)
    assert PlanDocument.objects.get(revision=revision).status == "rendering"
    release.set()
    assert background.wait_idle(WAIT)
    assert PlanDocument.objects.get(revision=revision).status == "ready"


@pytest.mark.parametrize(
    ("target", "exception", "error"),
    [
        (
            "django.core.files.storage.default_storage.save",
            OSError,
            "render-failed:TransientRenderError",
        ),
        ("schedules.documents.render.schedule_data", RuntimeError, "render-failed:RuntimeError"),
    ],
    ids=["storage-down", "render-crash"],
)
def test_a_failed_background_render_is_left_failed_and_retryable(
    in_background, prescriber_client, patient, prescriber, caplog, target, exception, error
):
    caplog.set_level(logging.INFO)
    with mock.patch(target, side_effect=exception(f"cannot store {patient.full_name}")):
        revision = signed_plan(patient, prescriber, SHORT)
        assert background.wait_idle(WAIT)
    document = PlanDocument.objects.get(revision=revision)
    assert (document.status, document.error) == ("failed", error)  # not "rendering" for ever
    html = status_html(prescriber_client, revision.plan_id)
    assert "could not be made" in html and "Retry" in html
    assert "hx-trigger" not in html
    assert f"revision={revision.pk}" in caplog.text
    assert patient.last_name not in caplog.text and patient.first_name not in caplog.text

    # The retry button works, on the same thread, which survived the failure.
    response = prescriber_client.post(reverse("documents:retry", args=[document.pk]))
    assert response.status_code in (200, 302)
    assert background.wait_idle(WAIT)
    document.refresh_from_db()
    assert document.status == "ready"


def test_a_render_left_queued_by_a_stopped_server_is_made_on_the_next_first_request(
    in_background, client, patient, prescriber, monkeypatch
):
    with document_services.renders_deferred():
        revision = signed_plan(patient, prescriber, SHORT)
    assert background.wait_idle(WAIT)
    assert PlanDocument.objects.get(revision=revision).status == "queued"  # nothing ran

    monkeypatch.setattr(schedules_apps, "_resumed", threading.Lock())  # a fresh process
    schedules_apps._resume_pending_renders()
    schedules_apps._resume_pending_renders()  # only the first request does anything
    assert background.wait_idle(WAIT)
    document = PlanDocument.objects.get(revision=revision)
    assert (document.status, document.attempts) == ("ready", 1)


def test_each_job_closes_its_database_connection_and_a_crash_spares_the_thread():
    ran = []

    def crash() -> None:
        raise ValueError("no patient data here either")

    with mock.patch.object(background, "connection") as connection:
        background.submit(crash)
        background.submit(lambda: ran.append(True))
        assert background.wait_idle(WAIT)
    assert ran == [True]
    assert connection.close.call_count == 2


def test_without_background_mode_the_render_still_runs_in_the_request(
    prescriber_client, patient, prescriber, catalogue
):
    """The test settings (and a broker-less Celery) keep the eager path: ready on return."""
    draft = draft_plan(patient, prescriber, target_mg="10")
    with mock.patch.object(background, "submit") as submit:
        assert sign_in_the_browser(prescriber_client, draft) == 302
    submit.assert_not_called()
    document = PlanDocument.objects.get(revision=draft)
    assert document.status == "ready"
    assert document_render.plan_document_render(revision_id=draft.pk).attempts == 1  # no rerun
