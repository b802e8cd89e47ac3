"""The dose calendar for the patient's phone: an iCalendar (RFC 5545) file.

- One recurring event per dosing step and slot, at the slot's time in the patient's time zone
  (``DTSTART`` with ``TZID``; the ``VTIMEZONE`` is included), repeating daily until the step's
  last day, with a display alarm at the dose time. A cross-over slot with two drugs is one
  event naming both, so the phone rings once per dose time.
- One all-day event on the stop day (the first day with no dose).
- Events start on the revision's ``effective_from``: a new revision (a hold, say) leaves the
  days before it to the earlier calendar instead of repeating them.
- UIDs are deterministic, ``rev{id}-step{index}-{slot}@taper-clinic`` (the stop day
  ``rev{id}-stop@taper-clinic``), so importing the same revision twice updates, not duplicates.
  A new revision has a new id: its events replace nothing, and the patient removes the old
  calendar (the clinic's instructions say so).
- No patient name, no diagnosis: only doses, dates and the clinic's name.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Mapping
from typing import Any

from icalendar import Alarm, Calendar, Event

from catalogue.labels import ProductLabel
from schedules.exports import (
    SLOT_LABELS,
    SLOT_TIMES,
    dec,
    dosing_steps,
    drug_name,
    fmt,
    iso_date,
    one_line,
)
from schedules.exports.wording import dose_words

__all__ = ["DOSE_MINUTES", "dose_calendar", "uid"]

#: How long a dose event lasts on the calendar (it only marks the time).
DOSE_MINUTES = 15
PRODID = "-//Taper Clinic//Dose calendar//EN"
_DOMAIN = "taper-clinic"
_SLOT_ORDER = {slot: i for i, slot in enumerate(SLOT_TIMES)}


def uid(revision_id: Any, step_index: int, slot: str) -> str:
    return f"rev{revision_id}-step{step_index}-{slot}@{_DOMAIN}"


def _zone(time_zone: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(f"Unknown time zone {time_zone!r}.") from exc


def _stamp(revision: Mapping[str, Any], fallback: datetime.date) -> datetime.datetime:
    """DTSTAMP: when the revision was signed (or drafted), so the file is reproducible."""
    raw = revision.get("signed_at") or revision.get("created_at")
    if raw:
        moment = datetime.datetime.fromisoformat(raw)
        if moment.tzinfo is not None:
            return moment.astimezone(datetime.UTC).replace(microsecond=0)
    return datetime.datetime.combine(fallback, datetime.time(0), tzinfo=datetime.UTC)


def _slot_summary(doses: list[Mapping[str, Any]], products: Mapping[str, ProductLabel]) -> str:
    parts = [
        f"{fmt(dec(d['mg'], field='doses.mg'))} mg {drug_name(d['drug'])} "
        f"({dose_words(d, products)})"
        for d in doses
    ]
    return "Take " + " and ".join(parts)


def _names(drugs: list[str]) -> str:
    names = [drug_name(d) for d in drugs]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def dose_calendar(
    revision: Mapping[str, Any],
    *,
    time_zone: str,
    clinic_name: str,
    products: Mapping[str, ProductLabel],
) -> bytes:
    """The revision's doses as an iCalendar file (see the module doc).

    Args:
        revision: ``revision_dict()`` of the revision.
        time_zone: the patient's IANA time zone (``patient.time_zone``), e.g. ``"Europe/London"``.
        clinic_name: shown in the calendar name and the event descriptions, on one line
            (control characters become spaces).
        products: slug → :class:`catalogue.labels.ProductLabel`, for the dose words.

    Raises:
        ValueError: unknown time zone or malformed revision.
    """
    zone = _zone(time_zone)
    clinic_name = one_line(clinic_name)  # a control character here would be a header injection
    effective = iso_date(revision["effective_from"], field="effective_from")
    steps = dosing_steps(revision)
    stamp = _stamp(revision, effective)
    revision_id = revision["id"]

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"Doses: {clinic_name}")
    calendar.add("x-wr-timezone", time_zone)

    for step in steps:
        start = max(iso_date(step["start_date"], field="steps.start_date"), effective)
        end = iso_date(step["end_date"], field="steps.end_date")
        if end < start:
            continue  # before this revision took effect
        by_slot: dict[str, list[Mapping[str, Any]]] = {}
        for dose in step["doses"]:
            by_slot.setdefault(dose["slot"], []).append(dose)
        for slot in sorted(by_slot, key=_SLOT_ORDER.__getitem__):
            at = SLOT_TIMES[slot]
            summary = _slot_summary(by_slot[slot], products)
            first = datetime.datetime.combine(start, at, tzinfo=zone)
            # RFC 5545: with a TZID start, UNTIL is in UTC; it is the last dose's instant.
            until = datetime.datetime.combine(end, at, tzinfo=zone).astimezone(datetime.UTC)
            event = Event()
            event.add("uid", uid(revision_id, step["index"], slot))
            event.add("dtstamp", stamp)
            event.add("dtstart", first)
            event.add("duration", datetime.timedelta(minutes=DOSE_MINUTES))
            event.add("rrule", {"freq": "daily", "until": until})
            event.add("summary", summary)
            event.add(
                "description",
                f"Step {step['index']}, {start.isoformat()} to {end.isoformat()}: take this "
                f"dose every day {SLOT_LABELS[slot]}. Do not change your dose without talking "
                f"to {clinic_name}.",
            )
            event.add("transp", "TRANSPARENT")
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", summary)
            alarm.add("trigger", datetime.timedelta(0))
            event.add_component(alarm)
            calendar.add_component(event)

    stops = [s for s in revision.get("steps") or [] if s.get("phase") == "stop"]
    if stops and steps:
        stop_day = iso_date(stops[-1]["start_date"], field="steps.start_date")
        drugs = list(dict.fromkeys(dose["drug"] for dose in steps[-1]["doses"]))
        event = Event()
        event.add("uid", f"rev{revision_id}-stop@{_DOMAIN}")
        event.add("dtstamp", stamp)
        event.add("dtstart", stop_day)
        event.add("dtend", stop_day + datetime.timedelta(days=1))
        event.add(
            "summary",
            f"Stop day: no more {_names(drugs)} from today — call the clinic if unwell",
        )
        event.add(
            "description",
            f"Your last dose was yesterday. If you feel unwell, call {clinic_name}.",
        )
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)

    # The VTIMEZONE needs to cover only the plan's years (the default stops at 2038).
    last_day = max(
        (iso_date(s["end_date"], field="steps.end_date") for s in revision.get("steps") or []),
        default=effective,
    )
    calendar.add_missing_timezones(
        first_date=datetime.date(effective.year - 1, 1, 1),
        last_date=datetime.date(last_day.year + 2, 1, 1),
    )
    return calendar.to_ical()
