"""The printable schedule itself: rendered from plain data (no database), read back with pypdf.

Each plan is rendered once per module (the slow part) and every test reads that PDF.
"""

from __future__ import annotations

import datetime
import io
import re
import socket
from decimal import Decimal
from pathlib import Path

import pypdf
import pytest
from django.conf import settings
from django.db import transaction

from schedules.documents import pdf
from schedules.documents import render as document_render
from schedules.exports import wording
from schedules.exports.dispensing import dispensing_summary
from schedules.services import plans as plan_services
from tests.factories import ClinicFactory, NurseFactory, PatientFactory, PrescriberFactory
from tests.plan_helpers import crossover_body, preview_body, signed_plan

pytestmark = pytest.mark.django_db

TWO_DRUG = preview_body(
    regimen=[
        {"drug": "clonazepam", "doses": {"morning": "0.5", "midday": "0.5"}},
        {"drug": "zolpidem", "doses": {"night": "10"}},
    ],
    reduction_percent="25",
)
LIQUID_TAIL = preview_body(
    regimen=[{"drug": "diazepam", "doses": {"night": "4"}}], reduction_percent="25"
)
PLANS = {
    "direct": preview_body(reduction_percent="20"),
    # Ashton's pace: its stages hold both drugs in one slot (the equivalence-preserving
    # default swaps each slot whole), which the change-marks test renders.
    "crossover": crossover_body(reduction_percent="25", crossover_pace="ashton"),
    "two-drug": TWO_DRUG,
    "liquid-tail": LIQUID_TAIL,
}
SLOT_ORDER = ["morning", "midday", "evening", "night"]


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def pdf_pages(content: bytes) -> list[str]:
    return [squash(page.extract_text()) for page in pypdf.PdfReader(io.BytesIO(content)).pages]


def num(value: str | Decimal) -> str:
    return format(Decimal(str(value)).normalize(), "f")


def day(value: datetime.date) -> str:
    return f"{value.day} {value:%b} {value.year}"


def expected_sequence(data: pdf.ScheduleData) -> list[str]:
    """Every row's dates (one or two weeks of a step), then each dose's drug, mg and words, in
    the order printed."""
    out = []
    last_drugs: list[str] = []
    for step in data.steps:
        start = datetime.date.fromisoformat(step["start_date"])
        if step["phase"] == "stop":
            for drug in last_drugs:
                out.append(f"Stop taking {data.drug_names[drug].lower()} from {day(start)}")
            continue
        last_drugs = sorted({d["drug"] for d in step["doses"]})
        doses = sorted(step["doses"], key=lambda d: (SLOT_ORDER.index(d["slot"]), d["drug"]))
        weeks = []
        for week in range((step["days"] + 6) // 7):
            first = start + datetime.timedelta(days=7 * week)
            last = min(
                first + datetime.timedelta(days=6),
                start + datetime.timedelta(days=step["days"] - 1),
            )
            if last >= data.effective_from:  # else on the schedule this revision replaces
                weeks.append((first, last))
        for row in range(0, len(weeks), 2):  # a row holds up to two weeks of one step
            first, last = weeks[row][0], weeks[min(row + 1, len(weeks) - 1)][1]
            out.append(f"{first.day} {first:%b} to {day(last)}")
            for dose in doses:
                out.append(f"{data.drug_names[dose['drug']]} {num(dose['mg'])} mg")
                out.append(wording.dose_words(dose, data.products))
    return out


def _signed_and_held(body):
    """The production path: a prescriber signs the plan, a nurse records a hold on its first
    day (revision 2, in force), and :func:`schedule_data` loads what the PDF shows."""
    clinic = ClinicFactory(name="Riverside", phone="020 7946 0123", country=body["country"])
    prescriber = PrescriberFactory(clinic=clinic, first_name="Sam", last_name="Shah")
    nurse = NurseFactory(clinic=clinic, first_name="Nia", last_name="Evans")
    patient = PatientFactory(clinic=clinic, prescriber=prescriber, nurse=nurse)
    first = signed_plan(patient, prescriber, body)
    held = plan_services.plan_hold(
        plan=first.plan,
        user=nurse,
        days=7,
        reason="Symptoms after the last cut.",
        today=first.effective_from,
    )
    assert held.is_signed and held.signed_by == nurse
    return document_render.schedule_data(held), prescriber, nurse


@pytest.fixture(scope="module", params=sorted(PLANS))
def rendered(request, django_db_setup, django_db_blocker):
    body = PLANS[request.param]
    with django_db_blocker.unblock(), transaction.atomic():
        data, prescriber, nurse = _signed_and_held(body)
        names = (prescriber.display_name(), nurse.display_name())
        transaction.set_rollback(True)
    result = pdf.render_pdf(data)
    return request.param, data, result, pdf_pages(result.content), names


def test_every_step_date_and_dose_appears_in_order(rendered):
    _name, data, _result, pages, _names = rendered
    text = " ".join(pages)
    position = text.index("Your week-by-week schedule")
    for expected in expected_sequence(data):
        found = text.find(expected, position)
        assert found >= 0, f"{expected!r} missing (or out of order) after: {text[position:][:300]}"
        position = found + len(expected)


def test_red_flag_box_clinic_phone_and_emergency_advice(rendered):
    _name, data, _result, pages, _names = rendered
    first = pages[0]
    assert "When to get help now" in first
    for flag in (
        "a seizure or fit",
        "confusion",
        "seeing or hearing things that are not there",
        "suicidal thoughts or thoughts of self-harm",
    ):
        assert flag in first
    assert "Call 999 or go to A&E" in first
    assert data.clinic_phone in first
    assert "Do not stop or change your dose without talking to us." in first


def test_header_and_summary(rendered):
    name, data, _result, pages, _names = rendered
    first = pages[0]
    assert data.patient_name in first
    assert day(data.patient_dob) in first
    assert data.patient_mrn in first
    assert data.clinic_name.upper() in first
    prescriber, nurse = _names
    assert data.prescriber_name == prescriber  # the prescriber, not the nurse who held
    assert f"{prescriber} hold recorded by {nurse}" in first
    assert f"Version {data.revision_number}" in first
    assert f"This replaces the schedule dated {day(data.replaces_signed_on)}" in first
    assert "You will go from" in first and "to stopping completely over" in first
    assert "Your next dose change is on" in first
    if name == "crossover":
        assert "First you will switch from Alprazolam to Diazepam" in first
        assert "from Alprazolam 3 mg a day" in first  # the regimen before the switch
        assert "Stop taking alprazolam from" in " ".join(pages)


def test_change_marks_holds_and_crossover_lines(rendered):
    name, data, _result, pages, _names = rendered
    text = " ".join(pages)
    changes = sum(
        1
        for before, after in zip(data.steps, data.steps[1:], strict=False)
        if after["phase"] != "stop"
        and sorted((d["slot"], d["drug"], d["mg"]) for d in before["doses"])
        != sorted((d["slot"], d["drug"], d["mg"]) for d in after["doses"])
    )
    assert text.count("NEW DOSE") == changes + 1  # + the explanation on page 1
    dosing = [s for s in data.steps if s["phase"] != "stop"]
    # One hold row per step, under its last row: "this week" after a one-week row, "the last
    # week" after a row of two weeks.
    holds = text.count("Hold: repeat this week") + text.count("Hold: repeat the last week")
    assert holds == len(dosing)
    if name == "crossover":
        # During the switch a slot holds both drugs, each on its own line.
        assert re.search(
            r"Night 0\.5 mg Alprazolam 0\.5 mg 1 \u00d7 alprazolam 0\.5 mg tablet "
            r"(Mon Tue .*? )?Night 10 mg Diazepam 10 mg",
            text,
        )


def test_page_count_notes_and_pharmacy_page(rendered):
    _name, data, result, pages, _names = rendered
    assert len(pages) == result.page_count >= 4
    start = next(i for i, page in enumerate(pages) if "For the pharmacy:" in page)
    assert start >= 2
    assert pages[start - 1].startswith("My notes: how I am feeling")
    assert "Symptoms or feelings" in pages[start - 1]
    pharmacy = " ".join(pages[start:])  # a long plan's pharmacy table may take two pages
    assert "For the pharmacy: dispensing schedule" in pharmacy
    prescriber, nurse = _names
    assert f"Prescriber {prescriber}" in pharmacy
    assert f"hold recorded by {nurse}" in pharmacy
    assert f"Signed electronically by {prescriber}" in pharmacy
    assert data.clinic_name in pharmacy and data.clinic_phone in pharmacy
    assert "Quantities per 28-day period" in pharmacy
    assert f"Page {len(pages)} of {len(pages)}" in pharmacy


def test_liquids_are_in_ml_with_the_product_strength(rendered):
    name, _data, _result, pages, _names = rendered
    text = " ".join(pages)
    if name in ("direct", "liquid-tail"):
        assert re.search(r"\d(\.\d)? mL of diazepam \d mg/5 mL oral (solution|suspension)", text)


def test_a4_for_gb_and_letter_for_us():
    data = document_render.demo_schedule_data(body=LIQUID_TAIL, country="GB")
    us_body = {**LIQUID_TAIL, "country": "US"}
    us = document_render.demo_schedule_data(body=us_body, country="US")
    gb_box = pypdf.PdfReader(io.BytesIO(pdf.render_pdf(data).content)).pages[0].mediabox
    us_result = pdf.render_pdf(us)
    us_box = pypdf.PdfReader(io.BytesIO(us_result.content)).pages[0].mediabox
    assert (round(gb_box.width), round(gb_box.height)) == (595, 842)
    assert (round(us_box.width), round(us_box.height)) == (612, 792)
    assert "Call 911" in pdf_pages(us_result.content)[0]


def test_the_pharmacy_page_shows_the_one_dispensing_calculation(rendered):
    """The quantities are :func:`dispensing_summary`'s, the same the plan page and API show."""
    _name, data, _result, pages, _names = rendered
    pharmacy = " ".join(pages[next(i for i, p in enumerate(pages) if "For the pharmacy:" in p) :])
    periods = dispensing_summary(
        {"steps": list(data.steps), "effective_from": data.effective_from.isoformat()},
        products=data.products,
        period_days=data.period_days,
    )
    assert periods
    for period in periods:
        for item in period.items:
            assert item.label in pharmacy
            if item.is_liquid:
                assert f"{num(item.quantity)} mL" in pharmacy
            else:
                assert (
                    f"{num(item.dispense)} {'capsules' if item.unit == 'capsule' else 'tablets'}"
                    in pharmacy
                )


def test_every_patient_facing_word_in_the_template_is_marked_for_translation():
    source = (Path(settings.BASE_DIR) / "templates" / "pdf" / "taper_plan.html").read_text()
    text = re.sub(r"{% blocktranslate.*?{% endblocktranslate %}", "", source, flags=re.S)
    text = re.sub(r"{%.*?%}|{{.*?}}|{#.*?#}", "", text, flags=re.S)
    text = re.sub(r"<style>.*?</style>|<svg.*?</svg>", "", text, flags=re.S)
    text = re.sub(r"<[^>]+>", "", text)
    assert re.sub(r"[\s·:;,().&;\u2013-]+", "", text) == ""


def test_it_renders_in_another_language_without_code_changes():
    data = document_render.demo_schedule_data(body=LIQUID_TAIL)
    german = pdf.ScheduleData(**{**data.__dict__, "language": "de"})
    html = pdf.render_html(german)
    assert 'lang="de"' in html
    assert "Feb." in html or "Jan." in html or "Mär" in html  # dates follow the language


# --- The URL fetcher ---------------------------------------------------------------------------


@pytest.fixture
def network_calls(monkeypatch):
    """Record (never make) any connection attempt."""
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return calls


def test_rendering_refuses_remote_and_file_urls(monkeypatch, network_calls):
    fetched: list[tuple[str, str]] = []
    original = pdf.StaticOnlyURLFetcher.fetch

    def spy(self, url, headers=None):
        try:
            response = original(self, url, headers)
        except pdf.FetchRefused:
            fetched.append((url, "refused"))
            raise
        fetched.append((url, "served"))
        return response

    monkeypatch.setattr(pdf.StaticOnlyURLFetcher, "fetch", spy)
    html = """<html><head>
      <link rel="stylesheet" href="https://example.com/evil.css">
      </head><body>
      <img src="http://example.com/x.png">
      <img src="file:///etc/passwd">
      <img src="/static/../../../../etc/passwd">
      <img src="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E">
      <img src="pdf/tick-box.svg">
      <p>Hello</p></body></html>"""
    result = pdf.html_to_pdf(html)
    assert result.content.startswith(b"%PDF")
    assert network_calls == []
    outcome = dict(fetched)
    assert outcome["https://example.com/evil.css"] == "refused"
    assert outcome["http://example.com/x.png"] == "refused"
    assert outcome["file:///etc/passwd"] == "refused"
    assert all(v == "refused" for k, v in outcome.items() if "passwd" in k or "data:" in k)
    assert outcome[f"{pdf.base_url()}pdf/tick-box.svg"] == "served"
    assert b"root:" not in result.content


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/static/pdf/tick-box.svg",
        "https://example.com/static/pdf/tick-box.svg",
        "file:///etc/passwd",
        f"file://{settings.BASE_DIR}/static/pdf/tick-box.svg",
        "data:text/plain,hello",
        f"{pdf.STATIC_ORIGIN}/static/../settings.py",
        f"{pdf.STATIC_ORIGIN}/static/pdf/%2e%2e/%2e%2e/taper_clinic/settings.py",
        f"{pdf.STATIC_ORIGIN}/static/pdf/missing.svg",
        f"{pdf.STATIC_ORIGIN}/elsewhere/pdf/tick-box.svg",
        f"{pdf.STATIC_ORIGIN}/static/pdf/tick-box.svg?x=1",
    ],
)
def test_fetcher_refuses_anything_but_our_static_files(url, network_calls):
    with pytest.raises(pdf.FetchRefused):
        pdf.StaticOnlyURLFetcher().fetch(url)
    assert network_calls == []


def test_fetcher_serves_static_files_through_the_finders():
    response = pdf.StaticOnlyURLFetcher().fetch(f"{pdf.base_url()}pdf/tick-box.svg")
    assert response.content_type == "image/svg+xml"
    assert response.read().startswith(b"<svg")


def test_chart_is_the_shared_dose_chart():
    data = document_render.demo_schedule_data(body=LIQUID_TAIL)
    context = pdf.build_context(data)
    steps = plan_services.plan_preview(LIQUID_TAIL)["steps"]
    assert str(context["chart"]).startswith("<svg")
    assert len(steps) == len(data.steps)
