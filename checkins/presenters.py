"""What the check-in pages show, worded: the patient's doses this week and next, the answers."""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

from django.utils.translation import gettext

from accounts.clinic_time import clinic_today
from catalogue import selectors as catalogue_selectors
from checkins import instruments as ins
from checkins.models import CheckIn
from checkins.selectors import next_due
from checkins.services import emergency_number
from schedules.exports.wording import dose_line
from schedules.models import PlanStep, TaperPlan
from schedules.plan_serializers import step_dict
from schedules.selectors import plan_state, step_in_progress

SLOT_WORDS = {"morning": "Morning", "midday": "Midday", "evening": "Evening", "night": "Night"}


def _step_lines(step: PlanStep | None, products: Any, names: dict[str, str]) -> list[str]:
    if step is None:
        return []
    lines = []
    for dose in step_dict(step)["doses"]:
        slot = gettext(SLOT_WORDS.get(dose["slot"], dose["slot"].title()))
        lines.append(f"{slot}: {dose_line(dose, names.get(dose['drug'], dose['drug']), products)}")
    return lines or [gettext("No doses: you have stopped.")]


def doses_this_and_next_week(plan: TaperPlan, today: datetime.date) -> dict[str, Any]:
    """The patient's doses today and in a week's time, in the words of every other output."""
    state = plan_state(plan, today)
    if state.in_force is None:
        return {"this_week": [], "next_week": [], "changes": False}
    steps = list(state.in_force.steps.all())
    products = catalogue_selectors.product_labels(state.in_force.country)
    names = catalogue_selectors.drug_names()
    now_step = state.today_step
    next_step = step_in_progress(steps, today + datetime.timedelta(days=7))
    return {
        "this_week": _step_lines(now_step, products, names),
        "next_week": _step_lines(next_step, products, names),
        "changes": next_step is not None and now_step is not None and next_step.pk != now_step.pk,
        "next_change": next_step.start_date if next_step and next_step != now_step else None,
    }


def answer_rows(checkin: CheckIn) -> list[dict[str, Any]]:
    """Every item of the instrument with the value given (or None) and the anchor's words."""
    instrument = ins.get_instrument(checkin.instrument)
    given = {**checkin.answers, **checkin.observed}
    rows = []
    for item in instrument.items:
        value = given.get(item.key)
        anchor = next((a.label for a in item.anchors if a.value == value), "")
        rows.append(
            {
                "number": item.number,
                "text": item.text,
                "value": value,
                "anchor": anchor,
                "observer": item.rater is ins.Rater.OBSERVER,
            }
        )
    return rows


def red_flag_rows(checkin: CheckIn) -> list[dict[str, Any]]:
    return [
        {"key": flag.key, "question": flag.question, "answer": checkin.red_flags.get(flag.key)}
        for flag in ins.RED_FLAGS
        if flag.key in checkin.red_flags
    ]


def after_checkin(checkin: CheckIn, invitation: Any) -> dict[str, Any]:
    """What the patient sees after answering: what to do now if a red flag was yes, the doses
    this week and next, and when the next check-in is due."""
    patient = checkin.patient
    today = clinic_today(patient.clinic)
    return {
        "checkin": checkin,
        "clinic": patient.clinic,
        "red_flag": any(checkin.red_flags.values()),
        "urgent": checkin.urgent,
        "emergency": emergency_number(patient.clinic.country),
        "doses": doses_this_and_next_week(invitation.plan, today),
        "next_due": next_due(patient, today).astimezone(zoneinfo.ZoneInfo(patient.time_zone)),
    }
