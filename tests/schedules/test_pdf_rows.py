"""The week-by-week table's rows: the weeks of one step share a row (up to two), its doses
printed once and each week with its own dated tick boxes on every dose line; a one-week step
keeps its one-week row. Every day of the plan keeps one tick box per dose."""

from __future__ import annotations

import datetime
import io
import re
from collections import Counter

import pypdf
import pytest

from schedules.documents import pdf
from schedules.documents import render as document_render
from schedules.engine.defaults import default_request
from schedules.exports import wording


def _text(content: bytes) -> str:
    pages = pypdf.PdfReader(io.BytesIO(content)).pages
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in pages))


def _day(value: datetime.date) -> str:
    return f"{value.day} {value:%b} {value.year}"


def _numbers(start: datetime.date, days: int) -> str:
    return " ".join(str((start + datetime.timedelta(days=i)).day) for i in range(days))


@pytest.fixture(scope="module")
def two_week_steps() -> tuple[pdf.ScheduleData, str]:
    data = document_render.demo_schedule_data(weeks=52)  # a step every 14 days
    assert {s["days"] for s in data.steps if s["doses"]} == {14}
    return data, _text(pdf.render_pdf(data).content)


def test_a_two_week_step_is_one_row_with_its_doses_printed_once(two_week_steps):
    data, text = two_week_steps
    assert "Each row is one week, or two weeks on the same doses (the dates say which)." in text
    week = 1
    for step in (s for s in data.steps if s["doses"]):
        start = datetime.date.fromisoformat(step["start_date"])
        second = start + datetime.timedelta(days=7)
        label = (
            f"Weeks {week}\u2013{week + 1} {start.day} {start:%b} to "
            f"{_day(start + datetime.timedelta(days=13))}"
        )
        begin = text.index(label)
        row = text[begin : text.index("Hold: repeat the last week", begin)]
        assert row.count("Each day:") == 1
        words = Counter(wording.dose_words(dose, data.products) for dose in step["doses"])
        for phrase, times in words.items():
            assert row.count(phrase) == times, (label, phrase)
        # Every dose line carries both weeks' dates over its boxes, the first with the weekdays.
        dated = f"{_numbers(start, 7)} {_numbers(second, 7)}"
        assert row.count(dated) == len(step["doses"]), label
        assert row.count("Mon Tue Wed Thu Fri Sat Sun") == 1
        week += 2
    assert "Hold: repeat this week" not in text


def test_one_week_steps_keep_one_row_a_week():
    data = document_render.demo_schedule_data(weeks=12)  # a step every 7 days
    text = _text(pdf.render_pdf(data).content)
    assert "Each row is one week. Take the doses shown" in text
    assert "Weeks " not in text and "Hold: repeat the last week" not in text
    dosing = [s for s in data.steps if s["doses"]]
    assert text.count("Hold: repeat this week") == len(dosing)
    for number, step in enumerate(dosing, start=1):
        start = datetime.date.fromisoformat(step["start_date"])
        assert f"Week {number} {start.day} {start:%b} to" in text


@pytest.mark.parametrize(
    "body",
    [
        None,  # the 52-week demo: 14-day steps
        default_request(interval_days=7),
        default_request(interval_days=10),  # a full week and three days in one row
        default_request(interval_days=21),  # a row of two weeks, then a row of one
    ],
    ids=["demo-52", "7-day", "10-day", "21-day"],
)
def test_every_day_of_every_step_has_a_dated_tick_box_for_each_dose(body):
    data = (
        document_render.demo_schedule_data(weeks=52)
        if body is None
        else document_render.demo_schedule_data(body=body)
    )
    rows = [row for row in pdf.build_context(data)["rows"] if not row["stop"]]
    boxes = sum(len(row["lines"]) * sum(w["active_days"] for w in row["weeks"]) for row in rows)
    assert boxes == sum(len(s["doses"]) * s["days"] for s in data.steps if s["doses"])
    days_seen: list[datetime.date] = []
    for row in rows:
        assert 1 <= len(row["weeks"]) <= 2
        assert row["dated_strips"] == (len(row["weeks"]) > 1)
        for strip in row["weeks"]:
            dates = [strip["start"] + datetime.timedelta(days=i) for i in range(7)]
            assert strip["day_line"].split() == [str(d.day) for d in dates][: strip["active_days"]]
            days_seen.extend(dates[: strip["active_days"]])
    first = datetime.date.fromisoformat(data.steps[0]["start_date"])
    assert days_seen == [first + datetime.timedelta(days=i) for i in range(len(days_seen))]
