"""Hostile text in every free-text field comes out escaped: on the pages, in the admin, in the
printable schedule's HTML and in the reminder e-mail."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from checkins import services as checkin_services
from checkins.models import Review
from medications import services as medication_services
from schedules.documents import pdf
from schedules.documents.render import schedule_data
from schedules.services import plans as plan_services
from schedules.services.plans import OverrideInput
from tests.factories import CheckInFactory
from tests.medications.helpers import record_body
from tests.plan_helpers import preview_body

pytestmark = pytest.mark.django_db

CORPUS = (
    "<script>alert('xss')</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(1)>",
    "javascript:alert(1)",
    "{{ 7*7 }}<b>bold</b>",
)
RAW_MARKERS = ("<script>alert", "<img src=x", "<svg/onload", "<b>bold</b>")


def assert_escaped(html: str, where: str) -> None:
    for marker in RAW_MARKERS:
        assert marker not in html, f"unescaped {marker!r} in {where}"


@pytest.mark.parametrize("payload", CORPUS)
def test_hostile_text_is_escaped_everywhere_it_is_shown(
    client, clinic, patient, prescriber, nurse, payload
):
    clinic.name = f"Riverside {payload}"[:200].replace("\n", " ")
    clinic.save()
    patient.first_name, patient.last_name = payload[:100], f"Archer{payload}"[:100]
    patient.save()
    medication_services.record_save(
        patient=patient,
        user=prescriber,
        data=record_body(
            outside_prescriber=payload,
            other={
                "gabapentinoids": True,
                "medicines": [{"name": payload, "kind": "gabapentinoid"}],
            },
        ),
    )
    draft = plan_services.plan_create(
        patient=patient, user=prescriber, data=preview_body(reduction_percent="40")
    )
    overrides = [
        OverrideInput(v["rule"], v.get("step"), f"Agreed {payload}") for v in draft.violations
    ]
    revision = plan_services.revision_sign(
        revision=draft, user=prescriber, confirm=True, overrides=overrides
    )
    checkin = (
        CheckInFactory(patient=patient, comment=payload)
        if hasattr(CheckInFactory._meta.model, "comment")
        else CheckInFactory(patient=patient)
    )
    Review.objects.create(
        patient=patient,
        checkin=checkin,
        nurse=nurse,
        action=Review.Action.SLOW,
        note=f"Note {payload}",
        needs_prescriber=True,
    )

    client.force_login(prescriber)
    pages = {
        "dashboard": reverse("dashboard"),
        "patient list": reverse("patients:list"),
        "patient page": reverse("patients:detail", args=[patient.pk]),
        "record page": reverse("medications:edit", args=[patient.pk]),
        "plan page": reverse("schedules:plan", args=[revision.plan_id]),
        "check-in page": reverse("checkins:detail", args=[checkin.pk]),
    }
    for where, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, where
        assert_escaped(response.content.decode(), where)
    client.force_login(nurse)
    assert_escaped(client.get(reverse("checkins:queue")).content.decode(), "nurse queue")

    root = get_user_model().objects.create_superuser("root", "root@example.org", "pw-Root-12345")
    client.force_login(root)
    for url in (
        "/admin/accounts/clinic/",
        f"/admin/accounts/clinic/{clinic.pk}/change/",
        "/admin/patients/patient/",
        f"/admin/patients/patient/{patient.pk}/change/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_escaped(response.content.decode(), url)

    assert_escaped(pdf.render_html(schedule_data(revision)), "the printable schedule")

    mail.outbox.clear()
    checkin_services.send_reminder(patient, "xss-token-" + "z" * 40)
    (message,) = mail.outbox
    for body, _type in message.alternatives:
        assert_escaped(body, "the reminder e-mail")
