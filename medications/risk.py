"""Withdrawal risk and the suggested starting pace, from a medication record. Pure Python.

The band is ASAM 2025 Table 2 ("Risk of clinically significant withdrawal", ASAM-CPG pocket
guide p. 8; clinical reference section 2a), from how long the patient has taken the drug, how
many days a week, and the daily diazepam-equivalent dose:

====  ===========  ===========  ===========================  ==========================
row   duration     days a week  daily dose                   risk
====  ===========  ===========  ===========================  ==========================
1     any          <= 3         any                          rare
2     < 1 month    >= 4         any                          lower risk, but possible
3     1-3 months   >= 4         low (<= 10 mg DE)            lower risk, but possible
4     1-3 months   >= 4         moderate to high (> 10 mg)   yes
5     >= 3 months  >= 4         any                          yes
====  ===========  ===========  ===========================  ==========================

The pace follows ASAM 2025: "dose reductions of 5% to 10%" every 2-4 weeks; "patients who have
been taking lower doses for a relatively short period of time (e.g., <3 months) may be able to
taper more quickly", never faster than 25% every 2 weeks; slower where Maudsley's rule puts the
patient at higher risk (age 65 or over, other sedatives, comorbidities, a hard previous taper).
ASAM Rec 5 and Rec 12 call for inpatient or residential care when severe or complicated
withdrawal is expected.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

__all__ = [
    "ASAM_TABLE_2",
    "LOW_DOSE_DE",
    "Pace",
    "Risk",
    "inpatient_reasons",
    "months_before",
    "suggested_pace",
    "withdrawal_risk",
]

Band = Literal["rare", "lower", "yes"]

ASAM_TABLE_2 = (
    "ASAM 2025 Joint Clinical Practice Guideline on Benzodiazepine Tapering, Table 2 "
    "(risk of clinically significant withdrawal)"
)
ASAM_PACE = "ASAM 2025 Joint Clinical Practice Guideline on Benzodiazepine Tapering, Rec 6"
ASAM_REC_5 = "ASAM 2025 Joint Clinical Practice Guideline on Benzodiazepine Tapering, Rec 5 and 12"
#: Table 2's "low daily dose": 10 mg diazepam-equivalent or less.
LOW_DOSE_DE = Decimal(10)

BAND_TEXT: dict[str, str] = {
    "rare": "Rare",
    "lower": "Lower risk, but possible",
    "yes": "Yes; greater with dose and duration",
}


@dataclass(frozen=True)
class Risk:
    """The band (``None`` when the record lacks what the table needs), the table row used
    (1-5), and why, in words."""

    band: Band | None
    row: int | None
    reason: str
    source: str = ASAM_TABLE_2
    short: str = "ASAM 2025, Table 2"

    @property
    def label(self) -> str:
        return BAND_TEXT[self.band] if self.band else "Not known yet"


@dataclass(frozen=True)
class Pace:
    """A suggested starting pace: ``reduction_percent`` of the current dose every
    ``interval_days``, with the reasons and the source."""

    reduction_percent: Decimal
    interval_days: int
    reasons: tuple[str, ...]
    source: str = ASAM_PACE
    short: str = "ASAM 2025, Rec 6"


def months_before(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` calendar months earlier (the month's last day when shorter)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, min(day.day, last))


def withdrawal_risk(
    *,
    since: datetime.date | None,
    days_per_week: int | None,
    daily_de: Decimal | None,
    today: datetime.date,
) -> Risk:
    """ASAM Table 2's band for use since ``since``, ``days_per_week`` days a week, at
    ``daily_de`` mg diazepam-equivalent a day (the highest figure when sources disagree)."""
    if days_per_week is not None and days_per_week <= 3:
        return Risk("rare", 1, f"taken {days_per_week} days a week or fewer (3 or fewer)")
    if since is None or days_per_week is None:
        missing = " and ".join(
            what
            for what, value in (("since when", since), ("how many days a week", days_per_week))
            if value is None
        )
        return Risk(None, None, f"record {missing} the patient takes it to see the band")
    if since > months_before(today, 1):
        return Risk("lower", 2, "taken 4 or more days a week for less than 1 month")
    if since > months_before(today, 3):
        if daily_de is None:
            return Risk(None, None, "record the current doses to see the band (1-3 months' use)")
        if daily_de <= LOW_DOSE_DE:
            return Risk("lower", 3, "1-3 months' use at a low dose (10 mg DE a day or less)")
        return Risk("yes", 4, "1-3 months' use at a moderate to high dose (over 10 mg DE a day)")
    return Risk("yes", 5, "taken 4 or more days a week for 3 months or more")


def suggested_pace(
    *,
    risk: Risk,
    under_three_months: bool,
    slowing_reasons: tuple[str, ...],
    slow_percent: Decimal = Decimal(5),
    slow_days: int = 28,
) -> Pace:
    """The starting pace a prescriber would expect for this record.

    - Any slowing reason (age 65 or over, liver disease, epilepsy or withdrawal seizures,
      opioids, gabapentinoids or other sedatives, alcohol above guidelines, pregnancy, a
      previous taper stopped by withdrawal): the slower default, 5% every 28 days, the slow end
      of ASAM's range and the engine's own ``slower-pace-advised`` rule (the caller passes the
      engine's figures, so the record never suggests a pace the plan then warns about).
    - Under 3 months at a low-risk band and no slowing reason: faster, 25% every 14 days, the
      most ASAM allows ("should typically not exceed 25% every 2 weeks").
    - Otherwise 10% every 14 days (ASAM's 5-10% every 2-4 weeks).
    """
    if slowing_reasons:
        because = ", ".join(slowing_reasons)
        return Pace(
            slow_percent,
            slow_days,
            (
                f"the slower default, the slow end of ASAM's 5-10% every 2-4 weeks, because of: "
                f"{because}",
            ),
        )
    if under_three_months and risk.band in ("rare", "lower"):
        return Pace(
            Decimal(25),
            14,
            (
                "under 3 months' use at lower risk: ASAM allows a faster taper, at most 25% "
                "every 2 weeks",
            ),
        )
    return Pace(Decimal(10), 14, ("ASAM's usual starting pace: 5-10% every 2-4 weeks",))


def inpatient_reasons(
    *,
    withdrawal_seizure_history: bool,
    severe_previous_withdrawal: bool,
    alcohol_dependence: bool,
) -> tuple[str, ...]:
    """Why ASAM Rec 5 / Rec 12 would consider inpatient or residential care (empty: none)."""
    reasons = []
    if withdrawal_seizure_history:
        reasons.append("previous withdrawal seizures: complicated withdrawal is expected")
    if severe_previous_withdrawal:
        reasons.append("a previous taper ended in severe withdrawal")
    if alcohol_dependence:
        reasons.append("alcohol dependence would complicate the taper")
    return tuple(reasons)
