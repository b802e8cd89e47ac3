from __future__ import annotations

import datetime
import zoneinfo

import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar

from schedules.exports.ics import dose_calendar
from tests.schedules.exports import (
    PRODUCTS,
    crossover_plan,
    diazepam_plan,
    dose,
    revision,
    step,
    tablet,
    times,
)

LONDON = zoneinfo.ZoneInfo("Europe/London")


def _calendar(plan=None, time_zone="Europe/London"):
    raw = dose_calendar(
        plan or diazepam_plan(), time_zone=time_zone, clinic_name="Riverside", products=PRODUCTS
    )
    return raw, Calendar.from_ical(raw)


def _events(calendar):
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def _occurrences(event):
    start = event.decoded("DTSTART")
    return list(rrulestr(event["RRULE"].to_ical().decode(), dtstart=start))


def test_one_event_per_step_and_slot_plus_the_stop_day():
    _, calendar = _calendar()
    assert list(_events(calendar)) == [
        "rev7-step1-morning@taper-clinic",
        "rev7-step1-night@taper-clinic",
        "rev7-step2-morning@taper-clinic",
        "rev7-step2-night@taper-clinic",
        "rev7-stop@taper-clinic",
    ]
    assert calendar["VERSION"] == "2.0"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]


def test_dose_event_repeats_daily_at_the_slot_time_in_the_patients_zone():
    raw, calendar = _calendar()
    event = _events(calendar)["rev7-step1-morning@taper-clinic"]
    assert b"DTSTART;TZID=Europe/London:20270104T080000" in raw
    start = event.decoded("DTSTART")
    assert start == datetime.datetime(2027, 1, 4, 8, 0, tzinfo=LONDON)
    occurrences = _occurrences(event)
    assert len(occurrences) == 14
    assert occurrences[-1] == datetime.datetime(2027, 1, 17, 8, 0, tzinfo=LONDON)
    assert str(event["SUMMARY"]) == times(
        "Take 7 mg diazepam (1 x diazepam 5 mg tablet + 1 x diazepam 2 mg tablet)"
    )


def test_every_dose_event_has_a_display_alarm():
    _, calendar = _calendar()
    for uid, event in _events(calendar).items():
        alarms = event.walk("VALARM")
        if "stop" in uid:
            assert alarms == []
            continue
        (alarm,) = alarms
        assert str(alarm["ACTION"]) == "DISPLAY"
        assert str(alarm["DESCRIPTION"]) == str(event["SUMMARY"])
        assert alarm.decoded("TRIGGER") == datetime.timedelta(0)


def test_halves_and_liquids_are_worded_for_the_patient():
    _, calendar = _calendar()
    events = _events(calendar)
    assert str(events["rev7-step2-night@taper-clinic"]["SUMMARY"]) == (
        times("Take 5 mg diazepam (½ x diazepam 10 mg tablet)")
    )
    assert str(events["rev7-step2-morning@taper-clinic"]["SUMMARY"]) == (
        "Take 1 mg diazepam (2.5 mL of diazepam 2 mg/5 mL oral solution)"
    )


def test_stop_day_is_an_all_day_event():
    _, calendar = _calendar()
    event = _events(calendar)["rev7-stop@taper-clinic"]
    assert event.decoded("DTSTART") == datetime.date(2027, 2, 1)
    assert event.decoded("DTEND") == datetime.date(2027, 2, 2)
    assert str(event["SUMMARY"]) == (
        "Stop day: no more diazepam from today — call the clinic if unwell"
    )
    assert "Riverside" in str(event["DESCRIPTION"])


def test_until_is_utc_and_follows_the_clock_change():
    plan = revision(
        step(1, "2027-03-20", "2027-04-02", dose("night", "10", tablet("10"))),
        step(2, "2027-04-03", "2027-04-16", dose("night", "5", tablet("5"))),
    )
    raw, calendar = _calendar(plan)
    assert b"RRULE:FREQ=DAILY;UNTIL=20270402T210000Z" in raw  # 22:00 BST
    event = _events(calendar)["rev7-step1-night@taper-clinic"]
    occurrences = _occurrences(event)
    assert len(occurrences) == 14
    assert {o.hour for o in occurrences} == {22}  # before and after 28 March


def test_new_york_patient_gets_new_york_times():
    raw, calendar = _calendar(crossover_plan(), time_zone="America/New_York")
    assert b"DTSTART;TZID=America/New_York:20270104T220000" in raw
    assert b"UNTIL=20270111T030000Z" in raw  # 22:00 EST on 10 January
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]


def test_a_crossover_slot_names_both_drugs_in_one_event():
    _, calendar = _calendar(crossover_plan())
    events = _events(calendar)
    assert len(events) == 4  # step 1 morning and night, step 2 night, stop day
    assert str(events["rev7-step1-night@taper-clinic"]["SUMMARY"]) == (
        times(
            "Take 0.5 mg alprazolam (1 x alprazolam 0.5 mg tablet) and "
            "5 mg diazepam (1 x diazepam 5 mg tablet)"
        )
    )


def test_a_later_revision_starts_on_its_effective_day():
    plan = diazepam_plan()
    plan.update(id=9, effective_from="2027-01-20")
    _, calendar = _calendar(plan)
    events = _events(calendar)
    assert list(events) == [
        "rev9-step2-morning@taper-clinic",
        "rev9-step2-night@taper-clinic",
        "rev9-stop@taper-clinic",
    ]
    start = events["rev9-step2-night@taper-clinic"].decoded("DTSTART")
    assert start == datetime.datetime(2027, 1, 20, 22, 0, tzinfo=LONDON)


def test_output_is_reproducible():
    assert _calendar()[0] == _calendar()[0]
    assert b"DTSTAMP:20270103T100000Z" in _calendar()[0]


def test_unknown_time_zone_is_refused():
    with pytest.raises(ValueError, match="time zone"):
        dose_calendar(
            diazepam_plan(), time_zone="Mars/Olympus", clinic_name="Riverside", products=PRODUCTS
        )


@pytest.mark.parametrize("name", ["Riverside\r\nX-Injected: 1", "River\nside\x00\u2028Clinic"])
def test_control_characters_in_the_clinic_name_never_break_the_calendar(name):
    raw = dose_calendar(
        diazepam_plan(), time_zone="Europe/London", clinic_name=name, products=PRODUCTS
    )
    assert b"\r\nX-Injected" not in raw and b"\x00" not in raw
    calendar = Calendar.from_ical(raw)
    calname = str(calendar["X-WR-CALNAME"])
    assert calname.startswith("Doses: ") and not any(c in calname for c in "\r\n\x00\u2028")
