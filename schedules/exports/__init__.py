"""The outputs beside a taper plan: pharmacy dispensing, FHIR R4 export, dose calendar.

Each works on the ``revision_dict()`` shape of :mod:`schedules.plan_serializers` (decimal
strings, ISO dates) and is pure: no database, no request, no clock. The API views in
:mod:`schedules.api_exports` fetch the revision and pass opaque ids; patient names and MRNs never
reach these modules.

- :func:`schedules.exports.dispensing.dispensing_summary`: quantities per product per period.
- :func:`schedules.exports.fhir.plan_bundle`: a FHIR R4 ``Bundle`` of ``MedicationRequest``.
- :func:`schedules.exports.ics.dose_calendar`: an iCalendar file of dose reminders.

This module holds the vocabulary they share: slot times and decimal parsing. Doses are put into
words by :mod:`schedules.exports.wording` alone.
"""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = [
    "SLOT_LABELS",
    "SLOT_TIMES",
    "dec",
    "dosing_steps",
    "drug_name",
    "fmt",
    "iso_date",
    "one_line",
]


def one_line(text: str) -> str:
    """``text`` with control characters and line breaks made spaces, runs of space made one: for
    names that reach one-line fields (a stored clinic name from before it was validated)."""
    cleaned = "".join(
        " " if unicodedata.category(char) in ("Cc", "Zl", "Zp") else char for char in text
    )
    return " ".join(cleaned.split())


#: Wall-clock time of each dose slot, in the patient's time zone.
SLOT_TIMES: dict[str, datetime.time] = {
    "morning": datetime.time(8, 0),
    "midday": datetime.time(12, 0),
    "evening": datetime.time(18, 0),
    "night": datetime.time(22, 0),
}
SLOT_LABELS: dict[str, str] = {
    "morning": "in the morning",
    "midday": "at midday",
    "evening": "in the evening",
    "night": "at night",
}


def dec(value: Any, *, field: str = "value") -> Decimal:
    """A finite Decimal from a decimal string, an int or a Decimal; floats are refused.

    Example:
        >>> dec("0.5"), dec(2)
        (Decimal('0.5'), Decimal('2'))
    """
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ValueError(f"{field} must be a decimal string, not {type(value).__name__}.")
    try:
        result = Decimal(value)
    except InvalidOperation as exc:
        raise ValueError(f"{field} is not a decimal number: {value!r}.") from exc
    if not result.is_finite():
        raise ValueError(f"{field} must be a finite number: {value!r}.")
    return result


def fmt(value: Decimal) -> str:
    """A normalised decimal string: ``Decimal("10.00")`` → ``"10"``, ``"1.250"`` → ``"1.25"``."""
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return format(value.normalize(), "f")


def iso_date(value: Any, *, field: str = "date") -> datetime.date:
    if isinstance(value, datetime.datetime):
        raise ValueError(f"{field} must be a date, not a datetime.")
    if isinstance(value, datetime.date):
        return value
    if not isinstance(value, str):
        raise ValueError(f"{field} must be an ISO 8601 date.")
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{field} must be an ISO 8601 date: {value!r}.") from exc


def drug_name(slug: str) -> str:
    """The drug's generic name as patients read it on a label (the catalogue slug, lower case)."""
    return slug.replace("-", " ")


def dosing_steps(revision: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The steps with doses, in order (the stop step has none)."""
    steps = sorted(revision.get("steps") or [], key=lambda step: step["index"])
    return [step for step in steps if step.get("doses")]
