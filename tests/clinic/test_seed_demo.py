from __future__ import annotations

import io
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from accounts.models import Clinic, User
from clinic.management.commands.serve_demo import Command as ServeDemo
from patients.models import Patient
from schedules import background
from schedules.documents import pdf
from schedules.models import PlanDocument, PlanRevision, TaperPlan

pytestmark = pytest.mark.django_db

DEMO_USERS = {"prescriber", "nurse", "admin", "other-prescriber", "other-nurse"}
FAKE = pdf.RenderedPdf(content=b"%PDF-1.7\n% a stand-in\n%%EOF\n", page_count=1)


def counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (Clinic, User, Patient, TaperPlan, PlanRevision, PlanDocument)
    )


@override_settings(DEBUG=True)
def test_seed_demo_is_idempotent(django_capture_on_commit_callbacks):
    with (
        mock.patch.object(pdf, "render_pdf", return_value=FAKE) as render,
        django_capture_on_commit_callbacks(execute=True),
    ):
        call_command("seed_demo", verbosity=0)
        first = counts()
        call_command("seed_demo", verbosity=0)
    assert counts() == first
    assert first[:3] == (2, 5, 5)
    assert first[3] == 4  # two plans a clinic: one signed, one draft
    assert first[5] == 2  # one printable schedule per signed plan
    assert render.call_count == 2  # the second run renders nothing again
    assert set(User.objects.values_list("username", flat=True)) == DEMO_USERS


@override_settings(DEBUG=True)
def test_seed_demo_users_log_in_with_the_demo_password_in_two_clinics(client):
    call_command("seed_demo", verbosity=0)
    prescriber = User.objects.get(username="prescriber")
    other = User.objects.get(username="other-prescriber")
    assert all(user.check_password("demo-password") for user in User.objects.all())
    assert prescriber.clinic != other.clinic
    assert prescriber.is_prescriber and User.objects.get(username="admin").is_clinic_admin


@override_settings(DEBUG=True)
def test_demo_prescribers_and_admin_log_in_with_the_demo_code(client):
    with mock.patch.object(pdf, "render_pdf", return_value=FAKE):
        call_command("seed_demo", verbosity=0)
    for username in ("prescriber", "admin", "other-prescriber"):
        client.post("/login/", {"username": username, "password": "demo-password"})
        assert client.get("/patients/")["Location"].startswith("/account/two-factor/verify/")
        out = io.StringIO()
        call_command("demo_code", username, stdout=out)
        code = out.getvalue().strip()
        assert len(code) == 6 and code.isdigit()
        response = client.post("/account/two-factor/verify/", {"code": code})
        assert response.status_code == 302, username
        assert client.get("/patients/").status_code == 200
        client.post("/logout/")
    # nurses have no device: the clinics' policy leaves 2FA optional for them
    client.post("/login/", {"username": "nurse", "password": "demo-password"})
    assert client.get("/patients/").status_code == 200


@override_settings(DEBUG=True)
def test_demo_code_is_only_for_the_demo_authenticator(prescriber):
    with pytest.raises(CommandError, match="no demo authenticator"):
        call_command("demo_code", "dr-shah", stdout=io.StringIO())


@override_settings(DEBUG=True)
def test_demo_plans_start_today_or_later_never_before_their_signing():
    with mock.patch.object(pdf, "render_pdf", return_value=FAKE):
        call_command("seed_demo", verbosity=0)
    today = timezone.localdate()
    revisions = PlanRevision.objects.select_related("plan")
    assert revisions.count() == 4
    for revision in revisions:
        first_step = revision.steps.order_by("index").first()
        assert first_step is not None
        assert revision.effective_from >= today
        assert first_step.start_date >= today
        if revision.signed_at is not None:
            assert first_step.start_date >= timezone.localdate(revision.signed_at)
    signed = revisions.filter(status=PlanRevision.Status.SIGNED)
    assert signed.count() == 2
    assert {r.effective_from for r in signed} == {today}  # the signed plans start today


@override_settings(DEBUG=True)
def test_seed_demo_prints_its_summary_before_any_pdf_is_rendered(
    django_capture_on_commit_callbacks,
):
    out = io.StringIO()
    printed_before_render = []

    def render(data: pdf.ScheduleData) -> pdf.RenderedPdf:
        printed_before_render.append("Demo data ready" in out.getvalue())
        return FAKE

    with (
        mock.patch.object(pdf, "render_pdf", side_effect=render),
        django_capture_on_commit_callbacks(execute=True),
    ):
        call_command("seed_demo", stdout=out)
    assert printed_before_render == [True, True]
    assert set(PlanDocument.objects.values_list("status", flat=True)) == {"ready"}


@override_settings(DEBUG=True, TAPER_RENDER_IN_BACKGROUND=True)
def test_with_background_rendering_seed_demo_leaves_the_pdfs_to_the_server():
    out = io.StringIO()
    with (
        mock.patch.object(pdf, "render_pdf") as render,
        mock.patch.object(background, "submit") as submit,
    ):
        call_command("seed_demo", stdout=out)
    render.assert_not_called()
    submit.assert_not_called()  # no thread of a process about to exit gets a render
    signed = PlanRevision.objects.filter(status=PlanRevision.Status.SIGNED)
    documents = PlanDocument.objects.filter(revision__in=signed)
    assert documents.count() == 2
    assert set(documents.values_list("status", flat=True)) == {"queued"}
    assert "rendered in the background once the server is up" in out.getvalue()


@override_settings(DEBUG=False)
def test_seed_demo_refuses_when_debug_is_off():
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("seed_demo", verbosity=0)
    assert not User.objects.exists()


def serve_demo_banner(port: int) -> str:
    out = io.StringIO()
    command = ServeDemo(stdout=out)
    command.addr, command._raw_ipv6, command.protocol = "127.0.0.1", False, "http"
    command.on_bind(port)
    return out.getvalue()


@override_settings(DEBUG=True)
def test_make_run_ends_with_the_url_and_the_demo_logins():
    with mock.patch.object(pdf, "render_pdf", return_value=FAKE):
        call_command("seed_demo", verbosity=0)
    banner = serve_demo_banner(8123)
    assert "http://127.0.0.1:8123/" in banner
    assert "Riverside Practice: log in as prescriber, nurse, admin" in banner
    assert "Hillside Health Centre: log in as other-prescriber, other-nurse" in banner
    assert "demo-password" in banner
    assert "make demo-code" in banner and "TAPERCLINICDEMOTOTPKEYISPUBLIC22" in banner
    assert banner.rstrip().endswith("Quit with CONTROL-C.")


def test_without_demo_data_the_banner_lists_no_logins():
    banner = serve_demo_banner(8000)
    assert "http://127.0.0.1:8000/" in banner
    assert "log in as" not in banner and "demo-password" not in banner
