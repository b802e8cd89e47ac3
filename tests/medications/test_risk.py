"""ASAM 2025 Table 2, row by row, and the suggested starting pace."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from medications.risk import inpatient_reasons, months_before, suggested_pace, withdrawal_risk

TODAY = datetime.date(2026, 12, 3)
WEEKS_2 = TODAY - datetime.timedelta(days=14)  # under 1 month
MONTHS_2 = datetime.date(2026, 10, 3)  # 1-3 months
MONTHS_3 = datetime.date(2026, 9, 3)  # exactly 3 months: ">= 3 months"
YEARS_5 = datetime.date(2021, 12, 3)


@pytest.mark.parametrize(
    ("since", "days", "de", "band", "row"),
    [
        # Row 1: any duration, 3 days a week or fewer, any dose: rare.
        (YEARS_5, 3, Decimal(60), "rare", 1),
        (WEEKS_2, 1, Decimal(5), "rare", 1),
        (None, 2, None, "rare", 1),
        # Row 2: under 1 month, 4+ days a week, any dose: lower risk.
        (WEEKS_2, 4, Decimal(40), "lower", 2),
        (WEEKS_2, 7, Decimal(2), "lower", 2),
        # Row 3: 1-3 months, 4+ days, low dose (<= 10 mg DE): lower risk.
        (MONTHS_2, 7, Decimal(10), "lower", 3),
        (MONTHS_2, 5, Decimal("2.5"), "lower", 3),
        # Row 4: 1-3 months, 4+ days, moderate (10-15) to high (>15): yes.
        (MONTHS_2, 7, Decimal("10.01"), "yes", 4),
        (MONTHS_2, 4, Decimal(15), "yes", 4),
        (MONTHS_2, 7, Decimal(40), "yes", 4),
        # Row 5: 3 months or more, 4+ days, any dose: yes.
        (MONTHS_3, 4, Decimal(1), "yes", 5),
        (YEARS_5, 7, Decimal(20), "yes", 5),
    ],
)
def test_asam_table_2(since, days, de, band, row):
    risk = withdrawal_risk(since=since, days_per_week=days, daily_de=de, today=TODAY)
    assert (risk.band, risk.row) == (band, row)
    assert "Table 2" in risk.source


def test_month_boundaries_are_calendar_months():
    one_month_ago = months_before(TODAY, 1)
    assert one_month_ago == datetime.date(2026, 11, 3)
    exactly = withdrawal_risk(
        since=one_month_ago, days_per_week=7, daily_de=Decimal(5), today=TODAY
    )
    day_after = withdrawal_risk(
        since=one_month_ago + datetime.timedelta(days=1),
        days_per_week=7,
        daily_de=Decimal(40),
        today=TODAY,
    )
    assert exactly.row == 3  # a full month is "1-3 months"
    assert day_after.row == 2  # under a month
    assert months_before(datetime.date(2027, 3, 31), 1) == datetime.date(2027, 2, 28)


def test_missing_facts_give_no_band_and_say_what_is_missing():
    risk = withdrawal_risk(since=None, days_per_week=7, daily_de=Decimal(10), today=TODAY)
    assert risk.band is None
    assert "since when" in risk.reason
    no_dose = withdrawal_risk(since=MONTHS_2, days_per_week=7, daily_de=None, today=TODAY)
    assert no_dose.band is None and "doses" in no_dose.reason


def test_pace_usual_faster_and_slower():
    long_use = withdrawal_risk(since=YEARS_5, days_per_week=7, daily_de=Decimal(20), today=TODAY)
    usual = suggested_pace(risk=long_use, under_three_months=False, slowing_reasons=())
    assert (usual.reduction_percent, usual.interval_days) == (Decimal(10), 14)

    short = withdrawal_risk(since=WEEKS_2, days_per_week=7, daily_de=Decimal(5), today=TODAY)
    faster = suggested_pace(risk=short, under_three_months=True, slowing_reasons=())
    assert (faster.reduction_percent, faster.interval_days) == (Decimal(25), 14)

    short_high = withdrawal_risk(since=MONTHS_2, days_per_week=7, daily_de=Decimal(30), today=TODAY)
    not_faster = suggested_pace(risk=short_high, under_three_months=True, slowing_reasons=())
    assert not_faster.reduction_percent == Decimal(10)

    slower = suggested_pace(risk=short, under_three_months=True, slowing_reasons=("age 71",))
    assert (slower.reduction_percent, slower.interval_days) == (Decimal(5), 28)
    assert "age 71" in slower.reasons[0]


def test_the_slower_pace_is_the_engines_slower_default():
    # One definition: the record never suggests a pace the plan's guardrail then calls too fast.
    from schedules.engine.guardrails import SLOW_DAYS, SLOW_PERCENT

    risk = withdrawal_risk(since=YEARS_5, days_per_week=7, daily_de=Decimal(20), today=TODAY)
    pace = suggested_pace(
        risk=risk,
        under_three_months=False,
        slowing_reasons=("opioids",),
        slow_percent=SLOW_PERCENT,
        slow_days=SLOW_DAYS,
    )
    assert (pace.reduction_percent, pace.interval_days) == (SLOW_PERCENT, SLOW_DAYS)


def test_inpatient_reasons():
    assert (
        inpatient_reasons(
            withdrawal_seizure_history=False,
            severe_previous_withdrawal=False,
            alcohol_dependence=False,
        )
        == ()
    )
    reasons = inpatient_reasons(
        withdrawal_seizure_history=True, severe_previous_withdrawal=True, alcohol_dependence=True
    )
    assert len(reasons) == 3 and "seizures" in reasons[0]
