"""When a drug leaves the regimen the patient reads "Stop taking <drug> from <date>", computed
once (:func:`schedules.exports.wording.stop_lines`) and shown on the plan page and the PDF."""

from __future__ import annotations

import datetime
import re

import pytest

from schedules.documents import pdf
from schedules.documents import render as document_render
from schedules.exports.wording import StopLine, regimen_drugs, stop_lines, stop_text
from tests.plan_helpers import preview_body, signed_plan
from tests.schedules.exports import dose, revision, step, stop, tablet

NAMES = {"zopiclone": "Zopiclone", "diazepam": "Diazepam"}


def _switch():
    """Zopiclone 7.5 mg at night with diazepam added, then diazepam alone, then stop."""
    return revision(
        step(
            1,
            "2027-01-04",
            "2027-01-17",
            dose("night", "7.5", tablet("7.5", drug="zopiclone"), drug="zopiclone"),
            dose("night", "5", tablet("5")),
            phase="crossover",
        ),
        step(2, "2027-01-18", "2027-01-31", dose("night", "10", tablet("10"))),
        step(3, "2027-02-01", "2027-02-14", dose("night", "5", tablet("10", "0.5"))),
        stop(4, "2027-02-15"),
    )["steps"]


def test_a_drug_replaced_in_a_switch_stops_the_day_after_its_last_step():
    assert stop_lines(_switch(), NAMES) == [
        StopLine("zopiclone", "zopiclone", datetime.date(2027, 1, 18)),
        StopLine("diazepam", "diazepam", datetime.date(2027, 2, 15)),
    ]


def test_a_drug_still_taken_at_the_end_of_the_plan_has_no_stop_line():
    steps = [s for s in _switch() if s["phase"] != "stop"]
    assert [line.drug for line in stop_lines(steps, NAMES)] == ["zopiclone"]


def test_a_drug_taken_before_the_plan_but_not_in_its_first_step_stops_on_day_one():
    steps = [s for s in _switch() if s["index"] != 1]
    lines = stop_lines(steps, NAMES, before=["zopiclone"])
    assert lines[0] == StopLine("zopiclone", "zopiclone", datetime.date(2027, 1, 18))
    assert regimen_drugs({"regimen": [{"drug": "zopiclone", "doses": {}}]}) == ["zopiclone"]


def test_stop_text_names_the_drug_and_the_day():
    line = StopLine("zopiclone", "zopiclone", datetime.date(2027, 1, 18))
    assert stop_text(line) == "Stop taking zopiclone from 18 Jan 2027"


@pytest.mark.django_db
def test_plan_page_and_pdf_say_when_to_stop_zopiclone(prescriber_client, patient, prescriber):
    body = preview_body(
        regimen=[{"drug": "zopiclone", "doses": {"night": "7.5"}}],
        switch_to_diazepam=True,
        reduction_percent="25",
    )
    signed = signed_plan(patient, prescriber, body)
    steps = list(signed.steps.order_by("index"))
    # A single night dose switches in one go: the first step is diazepam alone, so zopiclone
    # stops on the plan's first day.
    assert not steps[0].doses.filter(drug__slug="zopiclone").exists()
    day = steps[0].start_date
    expected = f"Stop taking zopiclone from {day.day} {day:%b} {day.year}"

    page = prescriber_client.get(f"/plans/{signed.plan_id}/").content.decode()
    assert expected in page
    document = re.sub(r"\s+", " ", pdf.render_html(document_render.schedule_data(signed)))
    assert expected in document
    stop_day = next(s.start_date for s in steps if s.phase == "stop")
    assert f"Stop taking diazepam from {stop_day.day} {stop_day:%b} {stop_day.year}" in document
