"""The steps table's dates and day counts, worded by the presenter, read exactly as the template
tags they replace (``|date`` and ``{% blocktranslate %}``) in every language the site offers."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.template import engines
from django.utils import translation

from schedules.presenters import _cell_html, step_rows

TAGS = engines["django"].from_string(
    '{% load i18n %}{% if row.phase == "stop" %}{% blocktranslate with day=row.start_date'
    '|date:"j M Y" %}From {{ day }}: no dose{% endblocktranslate %}{% else %}{{ row.start_date'
    '|date:"j M" }}|{{ row.end_date|date:"j M Y" }}|{% blocktranslate count n=row.days %}'
    "{{ n }} day{% plural %}{{ n }} days{% endblocktranslate %}{% endif %}"
)
PRESENTED = engines["django"].from_string(
    '{% with d=row.dates %}{% if row.phase == "stop" %}{{ d.no_dose }}{% else %}{{ d.start }}|'
    "{{ d.end }}|{{ d.days }}{% endif %}{% endwith %}"
)


def step(index: int, start: datetime.date, days: int, phase: str = "taper") -> dict:
    return {
        "index": index,
        "start_date": start.isoformat(),
        "end_date": (start + datetime.timedelta(days=max(days - 1, 0))).isoformat(),
        "days": days,
        "equivalent_mg": "0" if phase == "stop" else "10",
        "reduction_percent": "10",
        "phase": phase,
        "doses": [],
    }


STEPS = [
    step(1, datetime.date(2027, 1, 4), 1),
    step(2, datetime.date(2027, 1, 5), 14),
    step(3, datetime.date(2027, 1, 19), 0, phase="stop"),
]


@pytest.mark.parametrize("language", [code for code, _ in settings.LANGUAGES])
def test_the_presented_dates_read_as_the_template_tags_did(language):
    with translation.override(language):
        rows = step_rows(STEPS, products={}, drug_names={})
        for row in rows:
            assert PRESENTED.render({"row": row}) == TAGS.render({"row": row})


def test_the_row_classes_name_the_issue_today_and_edit():
    today = datetime.date(2027, 1, 6)
    violation = [{"rule": "max-25-percent-per-14-days", "step": 2, "message": "m"}]
    warning = [{"rule": "min-7-days-per-step", "step": 1, "message": "m"}]
    rows = step_rows(
        STEPS, violations=violation, warnings=warning, products={}, drug_names={}, today=today
    )
    assert [row["css"] for row in rows] == [
        "step phase-taper has-warning",
        "step phase-taper has-violation is-today",
        "step phase-stop",
    ]
    assert rows[0]["dates"]["days"] == "1 day" and rows[1]["dates"]["days"] == "14 days"
    assert rows[2]["dates"]["no_dose"] == "From 19 Jan 2027: no dose"


CELL_TAGS = engines["django"].from_string(
    '{% for dose in cell.doses %}<div class="dose-line"><span class="dose-mg">{{ dose.drug_name }}'
    ' <span class="nw">{{ dose.mg }} mg</span></span>{% for unit in dose.units %}'
    '<span class="unit-line">{% if not forloop.first %}+ {% endif %}{{ unit }}</span>{% endfor %}'
    '</div>{% empty %}<span class="none">—</span>{% endfor %}'
)


@pytest.mark.parametrize(
    "doses",
    [
        [],
        [{"drug_name": "Diazepam", "mg": "7.5", "units": ["one 5 mg tablet", "half 5 mg tablet"]}],
        [
            {"drug_name": "A & <b>", "mg": "1", "units": ["one 'x' tablet"]},
            {"drug_name": "Diazepam", "mg": "2", "units": []},
        ],
    ],
)
def test_a_cell_reads_as_the_template_loops_printed_it(doses):
    cell = {"doses": doses}
    assert _cell_html(doses) == CELL_TAGS.render({"cell": cell})
