"""What the pharmacy dispenses: the quantity of each product for each supply period.

The plan is cut into periods of ``period_days`` consecutive days (28 by default, a common
dispensing interval), from the day the revision takes effect to the last day with a dose. For
each period and product the total is exact: tablets and capsules are counted with their parts
(a half is 0.5), liquids in mL. A split tablet cannot be dispensed as a half, so
``dispense`` rounds the tablet total up to whole tablets.

Each period is rounded up on its own: a half tablet left over at the end of one period is not
taken off the next. Every period's supply is then complete by itself, even if the patient
throws the spare half away; across many periods that can add at most one tablet per product
per period.

Example: diazepam 7 mg at night made of one 5 mg and one 2 mg tablet, for 28 days, is 28
tablets of 5 mg and 28 of 2 mg; 2.5 mg at night as half a 5 mg tablet for 27 days is 13.5
tablets, so 14 are dispensed.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any

from catalogue.labels import ProductLabel
from schedules.exports import dec, dosing_steps, fmt, iso_date
from schedules.exports.wording import product_for

__all__ = [
    "MAX_PERIOD_DAYS",
    "MIN_PERIOD_DAYS",
    "PERIOD_DAYS_NOT_WHOLE",
    "PERIOD_DAYS_OUT_OF_RANGE",
    "DispensingItem",
    "DispensingPeriod",
    "dispensing_summary",
]

MIN_PERIOD_DAYS = 1
MAX_PERIOD_DAYS = 365
PERIOD_DAYS_NOT_WHOLE = "period_days must be a whole number of days."
PERIOD_DAYS_OUT_OF_RANGE = f"period_days must be from {MIN_PERIOD_DAYS} to {MAX_PERIOD_DAYS} days."

_LIQUID = "mL"
_ONE_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class DispensingItem:
    """One product's supply for one period.

    ``strength_mg`` is mg per tablet or capsule, or mg per mL for a liquid. ``quantity`` is the
    exact number of tablets or capsules taken (parts included) or mL; ``dispense`` the whole
    tablets or capsules to hand out (``quantity`` rounded up), or the mL for a liquid.
    """

    product: str
    drug: str
    unit: str
    strength_mg: Decimal
    quantity: Decimal
    dispense: Decimal
    total_mg: Decimal
    label: str = ""

    @property
    def is_liquid(self) -> bool:
        return self.unit == _LIQUID

    @property
    def uses_part_units(self) -> bool:
        """True when the doses split tablets (the total is not a whole number)."""
        return not self.is_liquid and self.quantity != self.dispense

    @property
    def form(self) -> str:
        return "liquid" if self.is_liquid else self.unit

    @property
    def description(self) -> str:
        """The product's label, the words every output uses (:mod:`catalogue.labels`)."""
        return self.label

    def to_dict(self) -> dict[str, Any]:
        return {
            "product": self.product,
            "drug": self.drug,
            "description": self.description,
            "label": self.label,
            "form": self.form,
            "unit": self.unit,
            "strength_mg": None if self.is_liquid else fmt(self.strength_mg),
            "mg_per_ml": fmt(self.strength_mg) if self.is_liquid else None,
            "quantity": fmt(self.quantity),
            "dispense": fmt(self.dispense),
            "uses_part_units": self.uses_part_units,
            "total_mg": fmt(self.total_mg),
        }


@dataclass(frozen=True, slots=True)
class DispensingPeriod:
    """``days`` consecutive days from ``start_date`` to ``end_date`` (both inclusive)."""

    index: int
    start_date: datetime.date
    end_date: datetime.date
    days: int
    items: tuple[DispensingItem, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "start_date": self.start_date.isoformat(),
            "end_date": self.end_date.isoformat(),
            "days": self.days,
            "items": [item.to_dict() for item in self.items],
        }


@dataclass(frozen=True, slots=True)
class _Product:
    slug: str
    drug: str
    unit: str
    strength_mg: Decimal
    label: str


@dataclass(frozen=True, slots=True)
class _DailyUse:
    start: datetime.date
    end: datetime.date
    per_day: dict[str, Decimal]


def _check_period_days(period_days: Any) -> None:
    if isinstance(period_days, bool) or not isinstance(period_days, int):
        raise ValueError(PERIOD_DAYS_NOT_WHOLE)
    if not MIN_PERIOD_DAYS <= period_days <= MAX_PERIOD_DAYS:
        raise ValueError(PERIOD_DAYS_OUT_OF_RANGE)


def _daily_use(
    revision: Mapping[str, Any], products_by_slug: Mapping[str, ProductLabel]
) -> tuple[list[_DailyUse], dict[str, _Product]]:
    """Per dosing step: how much of each product a day, and what each product is."""
    products: dict[str, _Product] = {}
    uses: list[_DailyUse] = []
    for step in dosing_steps(revision):
        per_day: dict[str, Decimal] = {}
        for dose in step["doses"]:
            for unit in dose["units"]:
                product = _Product(
                    slug=unit["product"],
                    drug=dose["drug"],
                    unit=unit["unit"],
                    strength_mg=dec(unit["strength_mg"], field="units.strength_mg"),
                    label=product_for(unit, dose["drug"], products_by_slug).label,
                )
                known = products.setdefault(product.slug, product)
                if known != product:
                    raise ValueError(
                        f"Product {product.slug} appears with two different descriptions."
                    )
                count = dec(unit["count"], field="units.count")
                per_day[product.slug] = per_day.get(product.slug, Decimal(0)) + count
        uses.append(
            _DailyUse(
                start=iso_date(step["start_date"], field="steps.start_date"),
                end=iso_date(step["end_date"], field="steps.end_date"),
                per_day=per_day,
            )
        )
    return uses, products


def _sort_key(product: _Product) -> tuple[str, bool, Decimal]:
    # Per drug: tablets and capsules before liquids, the strongest first.
    return (product.drug, product.unit == _LIQUID, -product.strength_mg)


def dispensing_summary(
    revision: Mapping[str, Any],
    *,
    products: Mapping[str, ProductLabel],
    period_days: int = 28,
    from_date: datetime.date | None = None,
) -> list[DispensingPeriod]:
    """Cut the revision into supply periods and total each product per period.

    1. Periods start on ``from_date`` (default: the revision's ``effective_from``) and run for
       ``period_days`` days; the last one ends on the plan's last day with a dose, so it may be
       shorter. Nothing is dispensed for the stop step.
    2. Each dosing step contributes its daily quantity of each product times the days it
       overlaps the period.
    3. Tablets and capsules are rounded up to whole ones to dispense; mL are exact.

    ``products`` (slug → :class:`catalogue.labels.ProductLabel`) gives each item its label.
    This is the only dispensing calculation: the plan page, the API and the pharmacy page of
    the printable schedule all call it.

    Raises:
        ValueError: ``period_days`` is not a whole number from 1 to 365, ``from_date`` is not a
            date, or the revision is malformed.
    """
    _check_period_days(period_days)
    if from_date is not None and (
        isinstance(from_date, datetime.datetime) or not isinstance(from_date, datetime.date)
    ):
        raise ValueError("from_date must be a date.")
    start = from_date or iso_date(revision["effective_from"], field="effective_from")
    uses, used = _daily_use(revision, products)
    if not uses:
        return []
    last_day = max(use.end for use in uses)
    ordered = sorted(used.values(), key=_sort_key)
    span = datetime.timedelta(days=period_days - 1)

    periods: list[DispensingPeriod] = []
    period_start = start
    while period_start <= last_day:
        period_end = min(period_start + span, last_day)
        totals: dict[str, Decimal] = {}
        for use in uses:
            overlap = (min(use.end, period_end) - max(use.start, period_start)).days + 1
            if overlap <= 0:
                continue
            for slug, count in use.per_day.items():
                totals[slug] = totals.get(slug, Decimal(0)) + count * overlap
        items = tuple(
            DispensingItem(
                product=product.slug,
                drug=product.drug,
                unit=product.unit,
                strength_mg=product.strength_mg,
                quantity=totals[product.slug],
                dispense=totals[product.slug]
                if product.unit == _LIQUID
                else totals[product.slug].to_integral_value(rounding=ROUND_CEILING),
                total_mg=totals[product.slug] * product.strength_mg,
                label=product.label,
            )
            for product in ordered
            if totals.get(product.slug)
        )
        periods.append(
            DispensingPeriod(
                index=len(periods) + 1,
                start_date=period_start,
                end_date=period_end,
                days=(period_end - period_start).days + 1,
                items=items,
            )
        )
        period_start = period_end + _ONE_DAY
    return periods
