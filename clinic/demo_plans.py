"""Demo plans for ``seed_demo``: one signed cross-over starting today, one draft to finish.

No demo plan starts in the past: a plan signed today that "started" three weeks ago would be a
history that never happened (the patient page would show a start before the signing). The
signed plan starts today and the draft next Monday, in the clinic's time zone (and never before
the server's today).
"""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

from django.utils import timezone

from accounts.models import User
from patients.models import Patient
from schedules.models import TaperPlan
from schedules.services import plans as plan_services


def demo_today(time_zone: str) -> datetime.date:
    """Today in the clinic's zone, but never before the server's today."""
    try:
        local = timezone.localdate(timezone=zoneinfo.ZoneInfo(time_zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        local = timezone.localdate()
    return max(local, timezone.localdate())


def next_monday(day: datetime.date) -> datetime.date:
    return day + datetime.timedelta(days=7 - day.weekday())


def _body(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "strategy": "proportional",
        "reduction_percent": "10",
        "step_mg": None,
        "interval_days": 14,
        "target_mg": "0",
        "equivalence_source": "ashton-2007",
    }
    body.update(fields)
    return body


def seed_demo_plans(*, prescriber: User, patients: list[Patient]) -> int:
    """Give the first demo patients a plan each unless they already have one."""
    country = prescriber.clinic.country if prescriber.clinic else "GB"
    today = demo_today(prescriber.clinic.time_zone if prescriber.clinic else "UTC")
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
                {"rule": v["rule"], "step": v.get("step"), "reason": "Demo: reviewed with patient."}
                for v in revision.violations
            ]
            plan_services.revision_sign(
                revision=revision, user=prescriber, confirm=True, overrides=overrides
            )
        created += 1
    return created
