"""Demo plans for ``seed_demo``: one signed cross-over starting today, one draft to finish.

No demo plan starts in the past: a plan signed today that "started" three weeks ago would be a
history that never happened (the patient page would show a start before the signing). The
signed plan starts today and the draft next Monday, in the clinic's time zone (and never before
the server's today).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from accounts.clinic_time import clinic_today
from accounts.models import Clinic, User
from patients.models import Patient
from schedules.engine.defaults import default_request
from schedules.models import TaperPlan
from schedules.services import plans as plan_services
from schedules.services.plans import OverrideInput


def demo_today(clinic: Clinic | None) -> datetime.date:
    """The clinic's today, but never before the server's (a demo plan is never "in the past"
    on a page that reads the server's date)."""
    return max(clinic_today(clinic), timezone.localdate())


def next_monday(day: datetime.date) -> datetime.date:
    return day + datetime.timedelta(days=7 - day.weekday())


def _body(**fields: Any) -> dict[str, Any]:
    return default_request(**fields)


def seed_demo_plans(*, prescriber: User, patients: list[Patient]) -> int:
    """Give the first demo patients a plan each unless they already have one."""
    country = prescriber.clinic.country if prescriber.clinic else "GB"
    today = demo_today(prescriber.clinic)
    bodies = [
        (
            _body(
                regimen=[
                    {"drug": "alprazolam", "doses": {"morning": "1", "midday": "1", "night": "1"}}
                ],
                switch_to_diazepam=True,
                country=country,
                start_date=today.isoformat(),
            ),
            True,
        ),
        (
            _body(
                regimen=[{"drug": "diazepam", "doses": {"morning": "10", "night": "10"}}],
                switch_to_diazepam=False,
                country=country,
                start_date=next_monday(today).isoformat(),
            ),
            False,
        ),
    ]
    created = 0
    for patient, (body, sign) in zip(patients, bodies, strict=False):
        if TaperPlan.objects.filter(patient=patient).exists():
            continue
        revision = plan_services.plan_create(patient=patient, user=prescriber, data=body)
        if sign:
            overrides = [
                OverrideInput(v["rule"], v.get("step"), "Demo: reviewed with patient.")
                for v in revision.violations
            ]
            plan_services.revision_sign(
                revision=revision, user=prescriber, confirm=True, overrides=overrides
            )
        created += 1
    return created
