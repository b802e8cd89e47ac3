"""Demo plans for ``seed_demo``: one signed cross-over in progress, one draft to finish."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from accounts.models import User
from patients.models import Patient
from schedules.engine.defaults import default_request
from schedules.models import TaperPlan
from schedules.services import plans as plan_services
from schedules.services.plans import OverrideInput


def _today() -> datetime.date:
    return timezone.localdate()


def _next_monday() -> datetime.date:
    today = _today()
    return today + datetime.timedelta(days=(7 - today.weekday()) % 7)


def _body(**fields: Any) -> dict[str, Any]:
    return default_request(**fields)


def seed_demo_plans(*, prescriber: User, patients: list[Patient]) -> int:
    """Give the first demo patients a plan each unless they already have one."""
    country = prescriber.clinic.country if prescriber.clinic else "GB"
    bodies = [
        (
            _body(
                regimen=[
                    {"drug": "alprazolam", "doses": {"morning": "1", "midday": "1", "night": "1"}}
                ],
                switch_to_diazepam=True,
                country=country,
                start_date=(_today() - datetime.timedelta(days=14)).isoformat(),
                allow_past_start=True,
            ),
            True,
        ),
        (
            _body(
                regimen=[{"drug": "diazepam", "doses": {"morning": "10", "night": "10"}}],
                switch_to_diazepam=False,
                country=country,
                start_date=_next_monday().isoformat(),
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
