from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from schedules.exports.dispensing import (
    PERIOD_DAYS_NOT_WHOLE,
    PERIOD_DAYS_OUT_OF_RANGE,
    dispensing_summary,
)
from tests.schedules.exports import (
    PRODUCTS,
    diazepam_plan,
    dose,
    revision,
    step,
    stop,
    tablet,
    unit,
)

D = Decimal


def _items(period):
    return {item.product: item for item in period.items}


def test_five_and_two_mg_tablets_are_counted_exactly():
    plan = revision(
        step(1, "2027-01-04", "2027-01-31", dose("morning", "7", tablet("5"), tablet("2"))),
        step(2, "2027-02-01", "2027-02-28", dose("morning", "5", tablet("5"))),
        stop(3, "2027-03-01"),
    )
    first, second = dispensing_summary(products=PRODUCTS, revision=plan)
    assert (first.start_date, first.end_date, first.days) == (
        datetime.date(2027, 1, 4),
        datetime.date(2027, 1, 31),
        28,
    )
    items = _items(first)
    assert items["diazepam-5mg-tablet"].quantity == D(28)
    assert items["diazepam-2mg-tablet"].quantity == D(28)
    assert items["diazepam-2mg-tablet"].dispense == D(28)
    assert items["diazepam-5mg-tablet"].total_mg == D(140)
    assert list(_items(second)) == ["diazepam-5mg-tablet"]
    assert _items(second)["diazepam-5mg-tablet"].quantity == D(28)


def test_the_same_product_in_several_slots_adds_up():
    periods = dispensing_summary(products=PRODUCTS, revision=diazepam_plan(), period_days=14)
    assert _items(periods[0])["diazepam-5mg-tablet"].quantity == D(28)  # twice a day


def test_halves_count_as_half_and_round_up_to_whole_tablets():
    plan = revision(
        step(1, "2027-01-04", "2027-01-30", dose("night", "2.5", tablet("5", "0.5"))),
        stop(2, "2027-01-31"),
    )
    (period,) = dispensing_summary(products=PRODUCTS, revision=plan)
    item = _items(period)["diazepam-5mg-tablet"]
    assert period.days == 27
    assert item.quantity == D("13.5")
    assert item.dispense == D(14)
    assert item.uses_part_units
    assert item.to_dict()["quantity"] == "13.5"
    assert item.to_dict()["dispense"] == "14"


def test_each_period_rounds_up_on_its_own():
    plan = revision(
        step(1, "2027-01-01", "2027-01-06", dose("night", "5", tablet("10", "0.5"))),
        stop(2, "2027-01-07"),
    )
    periods = dispensing_summary(products=PRODUCTS, revision=plan, period_days=3)
    assert [(_items(p)["diazepam-10mg-tablet"].quantity) for p in periods] == [D("1.5")] * 2
    assert [(_items(p)["diazepam-10mg-tablet"].dispense) for p in periods] == [D(2)] * 2


def test_whole_tablets_are_not_flagged_as_split():
    (period,) = dispensing_summary(
        products=PRODUCTS,
        revision=revision(
            step(1, "2027-01-04", "2027-01-05", dose("night", "5", tablet("10", "0.5")))
        ),
    )
    item = _items(period)["diazepam-10mg-tablet"]
    assert (item.quantity, item.dispense, item.uses_part_units) == (D(1), D(1), False)


def test_liquid_is_totalled_in_ml():
    liquid = unit("diazepam-2mg-5ml-solution", "2.5", "0.4", "mL")
    plan = revision(step(1, "2027-01-04", "2027-01-17", dose("morning", "1", liquid)))
    (period,) = dispensing_summary(products=PRODUCTS, revision=plan)
    item = _items(period)["diazepam-2mg-5ml-solution"]
    assert (item.quantity, item.dispense, item.total_mg) == (D(35), D(35), D(14))
    assert item.to_dict() == {
        "product": "diazepam-2mg-5ml-solution",
        "drug": "diazepam",
        "description": "diazepam 2 mg/5 mL oral solution",
        "label": "diazepam 2 mg/5 mL oral solution",
        "form": "liquid",
        "unit": "mL",
        "strength_mg": None,
        "mg_per_ml": "0.4",
        "quantity": "35",
        "dispense": "35",
        "uses_part_units": False,
        "total_mg": "14",
    }


def test_periods_cross_step_boundaries_and_end_on_the_last_dose_day():
    periods = dispensing_summary(products=PRODUCTS, revision=diazepam_plan(), period_days=10)
    assert [(p.start_date.isoformat(), p.end_date.isoformat(), p.days) for p in periods] == [
        ("2027-01-04", "2027-01-13", 10),
        ("2027-01-14", "2027-01-23", 10),
        ("2027-01-24", "2027-01-31", 8),  # the stop day (1 February) needs nothing
    ]
    middle = _items(periods[1])
    assert middle["diazepam-5mg-tablet"].quantity == D(8)  # 4 days of step 1, twice a day
    assert middle["diazepam-10mg-tablet"].quantity == D(3)  # 6 days of step 2, half a day
    assert middle["diazepam-2mg-5ml-solution"].quantity == D(15)


@pytest.mark.parametrize("period_days", [1, 7, 13, 28, 365])
def test_periods_add_up_to_the_whole_plan(period_days):
    periods = dispensing_summary(
        products=PRODUCTS, revision=diazepam_plan(), period_days=period_days
    )
    totals: dict[str, Decimal] = {}
    for period in periods:
        for item in period.items:
            totals[item.product] = totals.get(item.product, D(0)) + item.quantity
    assert totals == {
        "diazepam-5mg-tablet": D(28),
        "diazepam-2mg-tablet": D(28),
        "diazepam-10mg-tablet": D(7),
        "diazepam-2mg-5ml-solution": D(35),
    }
    assert sum(p.days for p in periods) == 28
    assert all(p.days == period_days for p in periods[:-1])


def test_items_list_tablets_strongest_first_then_liquids():
    periods = dispensing_summary(products=PRODUCTS, revision=diazepam_plan())
    assert [item.product for item in periods[0].items] == [
        "diazepam-10mg-tablet",
        "diazepam-5mg-tablet",
        "diazepam-2mg-tablet",
        "diazepam-2mg-5ml-solution",
    ]


def test_starts_at_effective_from_of_a_later_revision():
    plan = diazepam_plan()
    plan["effective_from"] = "2027-01-15"
    first = dispensing_summary(products=PRODUCTS, revision=plan)[0]
    assert first.start_date == datetime.date(2027, 1, 15)
    assert _items(first)["diazepam-5mg-tablet"].quantity == D(6)  # 15th-17th, twice a day


def test_from_date_overrides_effective_from():
    periods = dispensing_summary(
        products=PRODUCTS, revision=diazepam_plan(), from_date=datetime.date(2027, 1, 25)
    )
    assert [(p.start_date, p.days) for p in periods] == [(datetime.date(2027, 1, 25), 7)]
    assert (
        dispensing_summary(
            products=PRODUCTS, revision=diazepam_plan(), from_date=datetime.date(2027, 2, 1)
        )
        == []
    )


def test_a_plan_without_doses_needs_nothing():
    assert dispensing_summary(products=PRODUCTS, revision=revision(stop(1, "2027-01-04"))) == []


def test_values_are_decimals_and_strings_never_floats():
    periods = dispensing_summary(products=PRODUCTS, revision=diazepam_plan())
    for item in periods[0].items:
        assert all(isinstance(v, Decimal) for v in (item.quantity, item.dispense, item.total_mg))
    data = periods[0].to_dict()
    assert data["start_date"] == "2027-01-04"
    for item in data["items"]:
        assert all(not isinstance(v, float) for v in item.values())


def test_refuses_float_counts():
    plan = revision(step(1, "2027-01-04", "2027-01-05", dose("night", "5", tablet("10", "0.5"))))
    plan["steps"][0]["doses"][0]["units"][0]["count"] = 0.5
    with pytest.raises(ValueError, match="decimal string"):
        dispensing_summary(products=PRODUCTS, revision=plan)


@pytest.mark.parametrize(
    ("period_days", "message"),
    [
        (0, PERIOD_DAYS_OUT_OF_RANGE),
        (366, PERIOD_DAYS_OUT_OF_RANGE),
        (-7, PERIOD_DAYS_OUT_OF_RANGE),
        (True, PERIOD_DAYS_NOT_WHOLE),
        ("28", PERIOD_DAYS_NOT_WHOLE),
        (7.0, PERIOD_DAYS_NOT_WHOLE),
    ],
)
def test_period_days_must_be_whole_and_from_1_to_365(period_days, message):
    with pytest.raises(ValueError, match="period_days") as caught:
        dispensing_summary(products=PRODUCTS, revision=diazepam_plan(), period_days=period_days)
    assert str(caught.value) == message


def test_from_date_must_be_a_date():
    with pytest.raises(ValueError, match="from_date"):
        dispensing_summary(products=PRODUCTS, revision=diazepam_plan(), from_date="2027-01-04")  # type: ignore[arg-type]
