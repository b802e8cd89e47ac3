"""Download and status of the printable schedule: staff only, scoped to the clinic."""

from __future__ import annotations

from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from schedules import tasks
from schedules.documents import render as document_render
from schedules.models import PlanDocument
from tests.plan_helpers import draft_plan, preview_body, signed_plan

pytestmark = pytest.mark.django_db

SHORT = preview_body(target_mg="10")


@pytest.fixture
def revision(patient, prescriber):
    with mock.patch.object(tasks.render_plan_document, "delay"):
        return signed_plan(patient, prescriber, SHORT)


@pytest.fixture
def ready(revision):
    return document_render.plan_document_render(revision_id=revision.pk)


def api_url(revision):
    return f"/api/v1/plans/{revision.plan_id}/document/"


def test_api_returns_the_pdf_for_the_plans_clinic(nurse_client, ready, revision):
    response = nurse_client.get(api_url(revision))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert f"plan-{revision.plan_id}-v1.pdf" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    body = b"".join(response.streaming_content)
    assert body.startswith(b"%PDF")
    assert len(body) == ready.size_bytes


@pytest.mark.parametrize("status", ["queued", "rendering"])
def test_api_answers_202_while_the_document_is_being_made(nurse_client, revision, status):
    PlanDocument.objects.create(revision=revision, status=status)
    response = nurse_client.get(api_url(revision))
    assert response.status_code == 202
    assert response.json() == {"status": status}


def test_api_answers_202_queued_before_the_task_has_started(nurse_client, revision):
    response = nurse_client.get(api_url(revision))
    assert (response.status_code, response.json()) == (202, {"status": "queued"})


def test_api_answers_409_when_rendering_failed(nurse_client, revision):
    PlanDocument.objects.create(revision=revision, status="failed", error="render-failed:X")
    response = nurse_client.get(api_url(revision))
    assert response.status_code == 409
    assert response.json() == {"status": "failed", "error": "render-failed:X"}


def test_api_404_for_another_clinics_plan(client, other_prescriber, ready, revision):
    client.force_login(other_prescriber)
    assert client.get(api_url(revision)).status_code == 404


def test_api_404_for_a_plan_without_a_signed_revision(prescriber_client, patient, prescriber):
    draft = draft_plan(patient, prescriber)
    assert prescriber_client.get(f"/api/v1/plans/{draft.plan_id}/document/").status_code == 404


def test_api_refuses_anonymous_users(client, ready, revision):
    assert client.get(api_url(revision)).status_code in (401, 403)


def test_download_view_streams_the_pdf(nurse_client, ready):
    response = nurse_client.get(reverse("documents:download", args=[ready.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_download_view_is_clinic_scoped(client, other_prescriber, ready):
    client.force_login(other_prescriber)
    assert client.get(reverse("documents:download", args=[ready.pk])).status_code == 404


def test_download_view_needs_a_login(client, ready):
    response = client.get(reverse("documents:download", args=[ready.pk]))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_download_of_a_document_not_ready_is_404(nurse_client, revision):
    document = PlanDocument.objects.create(revision=revision, status="rendering")
    assert nurse_client.get(reverse("documents:download", args=[document.pk])).status_code == 404


def test_pdfs_have_no_public_url(client, ready):
    assert client.get(f"/media/{ready.file.name}").status_code == 404
    assert client.get(f"/{ready.file.name}").status_code == 404


@pytest.mark.parametrize("status", ["queued", "rendering"])
def test_status_partial_polls_every_two_seconds_while_pending(nurse_client, revision, status):
    PlanDocument.objects.create(revision=revision, status=status)
    url = reverse("documents:status", args=[revision.plan_id])
    html = nurse_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert f'hx-get="{url}"' in html
    assert 'hx-trigger="every 2s"' in html


def test_status_partial_polls_when_no_row_exists_yet(nurse_client, revision):
    url = reverse("documents:status", args=[revision.plan_id])
    html = nurse_client.get(url).content.decode()
    assert 'hx-trigger="every 2s"' in html
    assert "queued" in html


def test_status_partial_when_ready_links_the_download_and_stops_polling(nurse_client, ready):
    html = nurse_client.get(
        reverse("documents:status", args=[ready.revision.plan_id])
    ).content.decode()
    assert reverse("documents:download", args=[ready.pk]) in html
    assert "hx-trigger" not in html
    assert f"{ready.page_count} pages" in html
    assert "KB" in html or "bytes" in html  # the size


def test_status_partial_for_an_unsigned_plan(prescriber_client, patient, prescriber):
    draft = draft_plan(patient, prescriber)
    html = prescriber_client.get(reverse("documents:status", args=[draft.plan_id])).content
    assert b"made when the plan is signed" in html
    assert b"hx-trigger" not in html


def test_status_partial_is_clinic_scoped(client, other_prescriber, revision):
    client.force_login(other_prescriber)
    url = reverse("documents:status", args=[revision.plan_id])
    assert client.get(url).status_code == 404


def test_failed_document_shows_a_retry_button_that_requeues(
    nurse, revision, django_capture_on_commit_callbacks
):
    document = PlanDocument.objects.create(revision=revision, status="failed", error="x")
    client = Client(enforce_csrf_checks=True)
    client.force_login(nurse)
    status_url = reverse("documents:status", args=[revision.plan_id])
    html = client.get(status_url).content.decode()
    retry_url = reverse("documents:retry", args=[document.pk])
    assert f'action="{retry_url}"' in html and "Retry" in html
    assert "csrfmiddlewaretoken" in html
    # Without the CSRF token the POST is refused.
    assert client.post(retry_url).status_code == 403
    token = client.cookies["csrftoken"].value
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry_url, {"csrfmiddlewaretoken": token}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "queued" in html and 'hx-trigger="every 2s"' in html  # the partial polls again
    document.refresh_from_db()
    assert document.status == "ready"  # re-queued, then rendered on commit (eager, no broker)
    html = client.get(status_url).content.decode()
    assert reverse("documents:download", args=[document.pk]) in html


def test_retry_is_post_only_and_clinic_scoped(client, other_prescriber, revision):
    document = PlanDocument.objects.create(revision=revision, status="failed")
    url = reverse("documents:retry", args=[document.pk])
    client.force_login(other_prescriber)
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 404
    document.refresh_from_db()
    assert document.status == "failed"


def test_retry_without_htmx_goes_back_to_the_plan_page(nurse_client, revision):
    document = PlanDocument.objects.create(revision=revision, status="failed")
    with mock.patch.object(tasks.render_plan_document, "delay"):
        response = nurse_client.post(reverse("documents:retry", args=[document.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("schedules:plan", args=[revision.plan_id])


def test_a_stuck_document_stops_polling_and_offers_a_retry(nurse_client, revision):
    import datetime

    from django.utils import timezone

    document = PlanDocument.objects.create(revision=revision, status="rendering")
    long_ago = timezone.now() - document_render.STALE_AFTER - datetime.timedelta(seconds=1)
    PlanDocument.objects.filter(pk=document.pk).update(updated_at=long_ago)
    html = nurse_client.get(reverse("documents:status", args=[revision.plan_id])).content.decode()
    assert "hx-trigger" not in html
    assert reverse("documents:retry", args=[document.pk]) in html
    with mock.patch.object(tasks.render_plan_document, "delay"):
        nurse_client.post(reverse("documents:retry", args=[document.pk]))
    document.refresh_from_db()
    assert document.status == "queued"
