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
from checkins.models import CheckIn
from checkins.services import record_phone_checkin
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


#: Weekly self-report totals (of 68), oldest first: settled, then a rise after the first cut.
DEMO_TOTALS = (14, 12, 13, 24)
NO_FLAGS = {
    "seizure": False,
    "confusion": False,
    "hallucinations": False,
    "suicidal_thoughts": False,
}


def _answers(total: int) -> dict[str, int]:
    """17 self-report answers (0-4) adding up to ``total``, the same every time."""
    return {str(n): total // 17 + (1 if n <= total % 17 else 0) for n in range(1, 18)}


def seed_demo_checkins(*, nurse: User | None, patients: list[Patient]) -> int:
    """A few weeks of check-in history for each demo patient with a plan in force (unless they
    have check-ins already): the earlier weeks reviewed, the latest recorded through the service
    (so it is scored and suggested like a real one) and waiting in the nurse's queue."""
    if nurse is None:
        return 0
    created = 0
    now = timezone.now()
    for patient in patients:
        active = TaperPlan.objects.filter(patient=patient, status=TaperPlan.Status.ACTIVE)
        if not active.exists() or CheckIn.objects.filter(patient=patient).exists():
            continue
        weeks = len(DEMO_TOTALS) - 1
        for index, total in enumerate(DEMO_TOTALS[:-1]):
            at = now - datetime.timedelta(days=7 * (weeks - index), hours=2)
            CheckIn.objects.create(
                patient=patient,
                instrument="ciwa-b",
                instrument_version="1",
                answers=_answers(total),
                red_flags=NO_FLAGS,
                total=total,
                max=68,
                partial=True,
                urgent=False,
                severity=1 if total else 0,
                took_as_scheduled=True,
                extra_doses=False,
                source=CheckIn.Source.SELF,
                suggested_action="continue",
                suggested_rule="no-baseline-continue",
                reviewed_at=at + datetime.timedelta(hours=3),
                created_at=at,
            )
        record_phone_checkin(
            user=nurse,
            patient=patient,
            data={
                "instrument": "ciwa-b",
                "answers": _answers(DEMO_TOTALS[-1]),
                "red_flags": NO_FLAGS,
                "took_as_scheduled": True,
                "hours_slept": "5",
            },
        )
        created += 1
    return created
