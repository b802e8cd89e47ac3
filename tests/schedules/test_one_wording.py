"""Every product in the catalogue, at every dose a patient may take of it, reads the same on
the plan page, the printable schedule (and its pharmacy page), the dispensing summary, the dose
calendar and the FHIR export; and the strength in those words is the product's strength in the
data. A patient must never read one strength on paper and another on screen.

The PDF is checked as the HTML WeasyPrint lays out (one render per product would be slow); the
PDF tests read the rendered PDF itself.
"""

from __future__ import annotations

import datetime
import html
import re
from decimal import Decimal

import pytest
from icalendar import Calendar

from catalogue import selectors as catalogue_selectors
from catalogue.loading import read_data
from catalogue.models import Product
from schedules.documents import pdf
from schedules.exports import fhir, ics, wording
from schedules.exports.dispensing import dispensing_summary
from schedules.presenters import step_rows

pytestmark = pytest.mark.django_db

PRODUCTS = sorted((row["country"], row["slug"]) for row in read_data("products.json"))
FRACTIONS = {"¼": Decimal("0.25"), "½": Decimal("0.5"), "¾": Decimal("0.75")}
START = datetime.date(2027, 1, 4)


def _counts(product: Product) -> list[Decimal]:
    """Whole and split doses: every allowed piece alone, a piece over one, two; liquid volumes."""
    if product.is_liquid:
        return [Decimal("2.5"), Decimal("3.1"), Decimal("10")]
    counts = {Decimal(1), Decimal(2)}
    for piece in product.splits:
        counts.add(Decimal(piece))
        counts.add(Decimal(1) + Decimal(piece) if Decimal(piece) < 1 else Decimal(1))
    return sorted(counts)


def _revision(product: Product) -> dict:
    """One 7-day step per dose of ``product`` at night, then a stop step (``revision_dict``)."""
    per_unit = product.mg_per_ml if product.is_liquid else product.strength_mg
    unit_name = (
        "mL" if product.is_liquid else ("capsule" if product.form == "capsule" else "tablet")
    )
    steps = []
    for index, count in enumerate(_counts(product), start=1):
        start = START + datetime.timedelta(days=7 * (index - 1))
        unit = {
            "product": product.slug,
            "count": format(count, "f"),
            "unit": unit_name,
            "strength_mg": format(per_unit.normalize(), "f"),
        }
        steps.append(
            {
                "index": index,
                "start_date": start.isoformat(),
                "end_date": (start + datetime.timedelta(days=6)).isoformat(),
                "days": 7,
                "equivalent_mg": "1",
                "reduction_percent": "0",
                "phase": "taper",
                "doses": [
                    {
                        "slot": "night",
                        "drug": product.drug.slug,
                        "mg": format((count * per_unit).normalize(), "f"),
                        "units": [unit],
                    }
                ],
            }
        )
    stop = START + datetime.timedelta(days=7 * len(steps))
    steps.append(
        {
            "index": len(steps) + 1,
            "start_date": stop.isoformat(),
            "end_date": stop.isoformat(),
            "days": 0,
            "equivalent_mg": "0",
            "reduction_percent": "0",
            "phase": "stop",
            "doses": [],
        }
    )
    return {
        "id": 1,
        "status": "signed",
        "effective_from": START.isoformat(),
        "signed_at": "2027-01-03T10:00:00+00:00",
        "country": product.country,
        "steps": steps,
    }


def _page_words(revision, labels, names) -> list[str]:
    rows = step_rows(revision["steps"], products=labels, drug_names=names)
    return [dose["words"] for row in rows for cell in row["cells"] for dose in cell["doses"]]


def _pdf_html(revision, labels, names, country) -> str:
    data = pdf.ScheduleData(
        patient_name="Alex Example",
        patient_dob=datetime.date(1961, 7, 14),
        patient_mrn="T-1",
        clinic_name="Riverside",
        clinic_country=country,
        clinic_phone="020 7946 0123",
        prescriber_name="Dr Sam Shah",
        prescriber_professional_id="GMC 7000000",
        revision_number=1,
        signed_on=START,
        effective_from=START,
        steps=revision["steps"],
        products=labels,
        drug_names=names,
    )
    return html.unescape(pdf.render_html(data))


def _calendar_words(revision, labels) -> list[str]:
    raw = ics.dose_calendar(
        revision, time_zone="Europe/London", clinic_name="Riverside", products=labels
    )
    summaries = [
        str(event["SUMMARY"])
        for event in Calendar.from_ical(raw).walk("VEVENT")
        if "stop" not in str(event["UID"])
    ]
    return [re.fullmatch(r"Take \S+ mg [\w ]+ \((.*)\)", s).group(1) for s in summaries]


def _fhir_words(revision, labels) -> tuple[list[str], set[str]]:
    bundle = fhir.plan_bundle(
        revision,
        patient_ref="Patient/1",
        requester_ref="Practitioner/2",
        base_url="https://clinic.example/fhir",
        products=labels,
    )
    requests = [entry["resource"] for entry in bundle["entry"]]
    texts = [d["text"] for r in requests for d in r["dosageInstruction"]]
    return texts, {r["medicationCodeableConcept"]["text"] for r in requests}


def _strength_in(words: str, product: Product) -> None:
    """The count and the strength in ``words`` are the unit's count and the data's strength."""
    if product.is_liquid:
        match = re.fullmatch(r"([\d.]+) mL of \w+ ([\d.]+) mg/(?:([\d.]+) )?mL oral \w+", words)
        assert match, words
        per_ml = Decimal(match.group(2)) / Decimal(match.group(3) or 1)
        assert per_ml == product.mg_per_ml, (words, product.mg_per_ml)
        return
    match = re.fullmatch(r"(\d*)([¼½¾]?) \u00d7 \w+ ([\d.]+) mg [\w -]+", words)
    assert match, words
    assert Decimal(match.group(3)) == product.strength_mg, (words, product.strength_mg)


@pytest.mark.parametrize(("country", "slug"), PRODUCTS, ids=[f"{c}-{s}" for c, s in PRODUCTS])
def test_every_product_reads_the_same_everywhere_with_its_own_strength(country, slug):
    product = Product.objects.select_related("drug").get(country=country, slug=slug)
    labels = catalogue_selectors.product_labels(country)
    names = catalogue_selectors.drug_names()
    revision = _revision(product)
    label = product.label

    page = _page_words(revision, labels, names)
    expected = [
        wording.dose_words(step["doses"][0], labels) for step in revision["steps"] if step["doses"]
    ]
    assert page == expected
    assert len(set(page)) == len(page)  # each dose worded differently: counts are not lost

    # Identical on every output.
    document = _pdf_html(revision, labels, names, country)
    for words in page:
        assert words in document, words
    calendar = _calendar_words(revision, labels)
    assert calendar == page
    dosage, medication = _fhir_words(revision, labels)
    assert dosage == page
    assert medication == {label}
    (period,) = dispensing_summary(revision, products=labels, period_days=365)
    assert [item.description for item in period.items] == [label]
    assert label in document.split("For the pharmacy")[1]  # the pharmacy page's product

    # The words say what the data says.
    for words, step in zip(page, revision["steps"], strict=False):
        _strength_in(words, product)
        count = Decimal(step["doses"][0]["units"][0]["count"])
        if product.is_liquid:
            assert words.startswith(f"{count.normalize():f} mL of {label}")
        else:
            whole, fraction = re.match(r"(\d*)([¼½¾]?)", words).groups()
            assert Decimal(whole or 0) + FRACTIONS.get(fraction, Decimal(0)) == count
            assert words.endswith(f" \u00d7 {label}{'s' if count > 1 else ''}"), words


def test_the_clonazepam_solution_is_half_a_milligram_per_5_ml_not_5():
    """Issue 8: the GB clonazepam direct taper read "3.1 mL of 5 mg/5 mL" on screen."""
    labels = catalogue_selectors.product_labels("GB")
    dose = {
        "slot": "night",
        "drug": "clonazepam",
        "mg": "0.31",
        "units": [
            {
                "product": "clonazepam-0-5mg-5ml-solution",
                "count": "3.1",
                "unit": "mL",
                "strength_mg": "0.1",
            }
        ],
    }
    assert wording.dose_line(dose, "Clonazepam", labels) == (
        "Clonazepam 0.31 mg \u2013 3.1 mL of clonazepam 0.5 mg/5 mL oral solution"
    )


@pytest.mark.parametrize(
    ("count", "words"),
    [
        ("1", "1 \u00d7 diazepam 10 mg tablet"),
        ("0.5", "½ \u00d7 diazepam 10 mg tablet"),
        ("1.5", "1½ \u00d7 diazepam 10 mg tablets"),
        ("2", "2 \u00d7 diazepam 10 mg tablets"),
    ],
)
def test_tablet_wording_uses_fractions_and_plurals(count, words):
    labels = catalogue_selectors.product_labels("GB")
    unit = {
        "product": "diazepam-10mg-tablet",
        "count": count,
        "unit": "tablet",
        "strength_mg": "10",
    }
    assert wording.unit_words(unit, labels["diazepam-10mg-tablet"]) == words


def test_builder_shows_the_clonazepam_solution_at_its_label_strength(prescriber_client, patient):
    """Issue 8, on the builder itself: a GB clonazepam direct taper down to liquid doses."""
    from tests.schedules.test_views import builder_data

    response = prescriber_client.post(
        f"/patients/{patient.pk}/plans/preview/",
        builder_data(
            drug_1="clonazepam",
            drug_1_morning="0.5",
            drug_1_midday="",
            drug_1_night="0.5",
            switch_to_diazepam="no",
            reduction_percent="10",
        ),
    )
    page = html.unescape(response.content.decode())
    assert "mL of clonazepam 0.5 mg/5 mL oral solution" in page
    assert "of 5 mg/5 mL" not in page and "0.1 mg/mL" not in page
