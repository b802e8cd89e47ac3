"""Clinicians and patients read human labels, never internal codes.

The builder preview, the plan page (with violations and the overrides recorded for them) and
the printable schedule show no rule key (``initial-reduction-5-10-percent``), product slug
(``diazepam-2mg-tablet``) or source key (``ashton-2007``) in their visible text. Codes stay in
attribute values (form field names, option values) and in the API's JSON.
"""

from __future__ import annotations

import html
import re

import pytest

from catalogue.loading import read_data
from schedules.documents import pdf
from schedules.documents import render as document_render
from schedules.engine.guardrails import RULES
from tests.plan_helpers import crossover_body, preview_body, signed_plan
from tests.schedules.test_views import builder_data

pytestmark = pytest.mark.django_db

CODES = sorted(
    set(RULES)
    | {row["slug"] for row in read_data("products.json")}
    | {row["key"] for row in read_data("sources.json")["sources"]}
)


def visible_text(page: str) -> str:
    """What a reader sees: no tags (so no attribute values), scripts, styles or drawings."""
    page = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<[^>]*>", " ", page)
    return re.sub(r"\s+", " ", html.unescape(page))


def codes_in(page: str) -> list[str]:
    text = visible_text(page)
    return [code for code in CODES if re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text)]


def test_the_helper_finds_a_code_in_text_but_not_in_attributes():
    assert codes_in('<p>Rule <span class="rule">max-25-percent-per-14-days</span></p>') == [
        "max-25-percent-per-14-days"
    ]
    assert codes_in('<option value="ashton-2007">Ashton 2007</option>') == []


@pytest.mark.parametrize(
    "overrides",
    [
        # cross-over, a cut above 25% in 14 days (violation), 5-day steps (warnings)
        {"reduction_percent": "40", "interval_days": "5"},
        # diazepam from 7 mg: halved 2 mg tablets (off-licence split), first cut above 10%
        {
            "drug_1": "diazepam",
            "drug_1_morning": "",
            "drug_1_midday": "",
            "drug_1_night": "7",
            "switch_to_diazepam": "no",
            "reduction_percent": "15",
        },
    ],
)
def test_builder_preview_shows_no_internal_codes(prescriber_client, patient, overrides):
    response = prescriber_client.post(
        f"/patients/{patient.pk}/plans/preview/", builder_data(**overrides)
    )
    assert response.status_code == 200
    output = response.context["output"]
    assert output["violations"] or output["warnings"]
    page = response.content.decode()
    assert codes_in(page) == []
    for issue in [*output["violations"], *output["warnings"]]:
        assert RULES[issue["rule"]].title in visible_text(page)
        if issue["rule"] == "off-licence-split":  # names the product by its label
            assert "diazepam 2 mg tablet is split in steps" in visible_text(page)


def test_plan_page_with_violations_overrides_and_a_draft_shows_no_internal_codes(
    prescriber_client, patient, prescriber
):
    signed = signed_plan(patient, prescriber, crossover_body(reduction_percent="40"))
    assert signed.violations and signed.overrides.exists()
    # A draft with violations too: the sign form labels every override.
    prescriber_client.post(
        f"/plans/{signed.plan_id}/slow/",
        {
            "strategy": "proportional",
            "reduction_percent": "40",
            "interval_days": "7",
            "reason": "Testing labels",
        },
    )
    page = prescriber_client.get(f"/plans/{signed.plan_id}/").content.decode()
    assert "Overrides recorded" in page
    assert codes_in(page) == []
    assert RULES[signed.violations[0]["rule"]].title in visible_text(page)


@pytest.mark.parametrize(
    "body",
    [crossover_body(reduction_percent="40"), preview_body(reduction_percent="15")],
    ids=["crossover-with-violations", "direct"],
)
def test_printable_schedule_shows_no_internal_codes(patient, prescriber, body):
    revision = signed_plan(patient, prescriber, body)
    page = pdf.render_html(document_render.schedule_data(revision))
    assert codes_in(page) == []


def test_every_rule_has_a_title_a_clinician_reads():
    from schedules.engine.guardrails import RULES

    untitled = [key for key, rule in RULES.items() if not rule.title.strip()]
    assert untitled == []
