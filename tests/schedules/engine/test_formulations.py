"""Which doses the products can make, and how (tablets first, else one liquid)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from schedules.engine import Reference
from schedules.engine.formulations import Formulary, formulary_for, get_formulary


def units_of(formulary: Formulary, mg: str) -> list[tuple[str, str, str]]:
    return [(u.product, str(u.count), u.unit) for u in formulary.realise(D(mg))]


def test_gb_diazepam_tablet_doses_use_fewest_pieces_whole_before_split(ref: Reference) -> None:
    gb = get_formulary(ref, "diazepam", "GB")
    assert units_of(gb, "12") == [
        ("diazepam-10mg-tablet", "1", "tablet"),
        ("diazepam-2mg-tablet", "1", "tablet"),
    ]
    assert units_of(gb, "5") == [("diazepam-5mg-tablet", "1", "tablet")]  # not half a 10 mg
    # 15 mg: two whole tablets rather than one and a half 10 mg tablets
    assert units_of(gb, "15") == [
        ("diazepam-10mg-tablet", "1", "tablet"),
        ("diazepam-5mg-tablet", "1", "tablet"),
    ]
    # 8 mg: four whole 2 mg tablets before an off-licence half
    assert units_of(gb, "8") == [("diazepam-2mg-tablet", "4", "tablet")]
    # 1 mg: a licensed liquid beats halving the unscored 2 mg tablet off-licence (issue 9)
    assert units_of(gb, "1") == [("diazepam-5mg-5ml-solution", "1", "mL")]


def test_small_and_odd_doses_move_to_one_liquid(ref: Reference) -> None:
    gb = get_formulary(ref, "diazepam", "GB")
    # one liquid for the drug, chosen up front: 5 mg/5 mL (0.2 mL = 0.2 mg, a tenth of the
    # smallest tablet), never the 2 mg/5 mL as well
    assert gb.liquid is not None and gb.liquid.slug == "diazepam-5mg-5ml-solution"
    # 7.5 mg: GB 5 mg tablets are unscored, so no tablet combination makes it.
    assert units_of(gb, "7.5") == [("diazepam-5mg-5ml-solution", "7.5", "mL")]
    assert units_of(gb, "0.4") == [("diazepam-5mg-5ml-solution", "0.4", "mL")]
    assert units_of(gb, "0.5") == [("diazepam-5mg-5ml-solution", "0.5", "mL")]
    # 12.3 mg: tablets carry the bulk, the liquid tops up (never more than 10 mL)
    assert units_of(gb, "12.3") == [
        ("diazepam-10mg-tablet", "1", "tablet"),
        ("diazepam-5mg-5ml-solution", "2.3", "mL"),
    ]
    for mg in ("7.5", "0.4", "0.5", "12.3", "0.2"):
        units = gb.realise(D(mg))
        assert sum(u.count * u.strength_mg for u in units) == D(mg)
        assert all(D("0.2") <= u.count <= 10 for u in units if u.unit == "mL")


def test_makeable_queries(ref: Reference) -> None:
    gb = get_formulary(ref, "diazepam", "GB")
    # 0.2 mL (0.2 mg) is the smallest liquid dose; 0.04 mg (0.1 mL of 2 mg/5 mL) no longer
    assert gb.is_makeable(D("0.2")) and gb.is_makeable(D("0.3")) and gb.is_makeable(D(0))
    assert not gb.is_makeable(D("0.1")) and not gb.is_makeable(D("0.04"))
    assert not gb.is_makeable(D("0.05")) and not gb.is_makeable(D("-1"))
    assert gb.ceil(D("0.05")) == D("0.2")
    assert gb.ceil(D("7.26")) == D("7.3")
    assert gb.floor(D("7.26")) == D("7.2")
    assert gb.below(D("7.2")) == D("7.1")
    assert gb.nearest(D("0.05")) == (None, D("0.2"))
    assert gb.describe_nearest(D("0.05")) == "nearest makeable: 0.2 mg"


def test_tablets_only_country_makes_only_tablet_sums(ref: Reference) -> None:
    xx = get_formulary(ref, "zopiclone", "XX")  # 7.5 mg tablets, whole only
    assert xx.solid_values[:3] == [D("7.5"), D(15), D("22.5")]
    assert not xx.has_liquid
    assert xx.ceil(D("3")) == D("7.5")
    assert xx.below(D("7.5")) == 0
    assert not xx.is_makeable(D("3.75"))


def test_quarter_splits_when_the_product_allows_them(ref: Reference) -> None:
    xx = get_formulary(ref, "diazepam", "XX")  # 2 mg quartered, 10 mg whole
    assert units_of(xx, "0.5") == [("diazepam-2mg-quarter-tablet", "0.25", "tablet")]
    assert units_of(xx, "11.5") == [
        ("diazepam-10mg-tablet", "1", "tablet"),
        ("diazepam-2mg-quarter-tablet", "0.75", "tablet"),
    ]


def test_extended_release_tablets_and_capsules_are_never_split(ref: Reference) -> None:
    us = get_formulary(ref, "alprazolam", "US")
    for mg in us.solid_values[:40]:
        for unit in us.realise(mg):
            if unit.product.endswith("er-tablet"):
                assert unit.count == unit.count.to_integral_value()
    er_only = formulary_for(
        "alprazolam",
        "US",
        tuple(p for p in ref.products_for("alprazolam", "US") if p.form == "er_tablet"),
        D(25),
    )
    assert not er_only.is_makeable(D("0.5"))  # the data allows halves; ER is never split
    temazepam = get_formulary(ref, "temazepam", "US")
    assert not temazepam.is_makeable(D("3.75"))  # capsules are never split either
    assert units_of(temazepam, "7.5") == [("temazepam-7-5mg-capsule", "1", "capsule")]


def test_off_licence_split_is_detected(ref: Reference) -> None:
    tablets = tuple(p for p in ref.products_for("diazepam", "GB") if not p.is_liquid)
    gb = formulary_for("diazepam", "GB", tablets, D(500))  # no liquid: the half stays
    assert [p.slug for p in gb.off_licence_products(gb.realise(D(1)))] == ["diazepam-2mg-tablet"]
    assert gb.off_licence_products(gb.realise(D(15))) == ()  # a licensed half of 10 mg


def test_realising_an_unmakeable_dose_raises(ref: Reference) -> None:
    xx = get_formulary(ref, "zopiclone", "XX")
    with pytest.raises(ValueError, match="cannot be made"):
        xx.realise(D(1))


def test_formularies_are_cached(ref: Reference) -> None:
    assert get_formulary(ref, "diazepam", "GB") is get_formulary(ref, "diazepam", "GB")
    products = ref.products_for("diazepam", "GB")
    assert formulary_for("diazepam", "GB", products, D(500)) is formulary_for(
        "diazepam", "GB", products, D(500)
    )


@pytest.mark.parametrize("country", ["GB", "US"])
def test_shipped_products_realise_exactly(data_ref: Reference, country: str) -> None:
    for drug in data_ref.drug_slugs:
        if not data_ref.products_for(drug, country):
            continue
        formulary = get_formulary(data_ref, drug, country)
        for mg in formulary.solid_values[:60]:
            assert sum(u.count * u.strength_mg for u in formulary.realise(mg)) == mg
