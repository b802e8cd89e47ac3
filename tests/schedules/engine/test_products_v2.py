"""Issue 9, "Engine v2": products a patient can follow, with the shipped catalogue.

Each test here failed before the change it covers: drugs without products, alternating
products and liquids, 70+ mL syrup doses, ER mixed into IR doses, token slots, off-licence
halves where a liquid exists, and unverified products used silently.
"""

from __future__ import annotations

import dataclasses
from decimal import ROUND_CEILING
from decimal import Decimal as D
from typing import Any

import pytest

from schedules.engine import (
    PlanInputError,
    PlanRequest,
    Product,
    Reference,
    build_plan,
    load_reference,
    parse_plan_request,
)
from schedules.engine.formulations import formulary_for, get_formulary
from schedules.engine.guardrails import UNVERIFIED_PRODUCT
from tests.schedules.engine.checks import (
    check_all,
    check_no_avoidable_over_limit_cut,
    check_products,
)
from tests.schedules.engine.conftest import request_body

DATA = load_reference()


def _pairs() -> list[tuple[str, str]]:
    return [
        (drug, country)
        for country in ("GB", "US")
        for drug in DATA.drug_slugs
        if DATA.products_for(drug, country)
    ]


def _typical(drug: str, country: str) -> tuple[str, str]:
    """About 10 mg diazepam-equivalent at night, as the products make it."""
    figure = DATA.figures_for(drug)[0]
    made = get_formulary(DATA, drug, country).ceil(figure.mg)
    assert made is not None
    return str(made), figure.source


def _plan(**changes: Any) -> tuple[Any, PlanRequest]:
    request = parse_plan_request(request_body(**changes), DATA)
    return build_plan(request, DATA), request


def test_every_drug_in_the_catalogue_has_products_somewhere() -> None:
    # before: 7 of 27 drugs had GB products (temazepam 20 mg at night failed)
    marketed = {drug for drug, _ in _pairs()}
    assert {
        "temazepam",
        "oxazepam",
        "nitrazepam",
        "lormetazepam",
        "loprazolam",
        "chlordiazepoxide",
        "clorazepate",
        "estazolam",
        "flurazepam",
        "quazepam",
        "zaleplon",
        "eszopiclone",
        "zolpidem",
        "zopiclone",
    } <= marketed
    assert len(marketed) >= 20


@pytest.mark.parametrize(("drug", "country"), _pairs())
@pytest.mark.parametrize("switch", [False, True], ids=["direct", "switch"])
def test_every_marketed_drug_can_be_planned(drug: str, country: str, switch: bool) -> None:
    mg, source = _typical(drug, country)
    plan, request = _plan(
        regimen=[{"drug": drug, "doses": {"night": mg}}],
        country=country,
        equivalence_source=source,
        switch_to_diazepam=switch,
    )
    check_all(plan, request, DATA)
    assert plan.steps[-1].phase.value == "stop"


def test_temazepam_20mg_at_night_in_gb() -> None:
    plan, _ = _plan(regimen=[{"drug": "temazepam", "doses": {"night": "20"}}])
    assert plan.steps[0].doses[0].units[0].product == "temazepam-20mg-tablet"
    assert not [w for w in plan.warnings if w.rule == "unverified-product"]


@pytest.mark.parametrize("switch", [False, True], ids=["direct", "switch"])
def test_a_drug_not_marketed_in_the_country_offers_the_switch(switch: bool) -> None:
    """One message whether or not the switch was asked (a gradual switch needs the drug's
    products too), with the diazepam dose to enter at the chosen source's figure."""
    with pytest.raises(PlanInputError) as caught:
        _plan(
            regimen=[{"drug": "zaleplon", "doses": {"night": "10"}}],
            switch_to_diazepam=switch,
        )
    assert caught.value.errors["regimen.0.drug"] == [
        "Zaleplon is not marketed in GB, so neither a taper nor a gradual switch can be made "
        "from its products. To switch to diazepam, enter the patient's equivalent diazepam "
        "dose (10 mg of zaleplon a day is about 5 mg of diazepam at the Ashton 2007 figure) "
        "as the regimen and taper that."
    ]


CASES = [
    ("alprazolam", {"morning": "2", "midday": "2", "night": "2"}),
    ("alprazolam", {"night": "1"}),
    ("lorazepam", {"morning": "1", "night": "1"}),
    ("lorazepam", {"morning": "2", "midday": "2", "night": "2"}),
    ("clonazepam", {"morning": "0.5", "night": "1"}),
    ("diazepam", {"morning": "20", "night": "20"}),
    ("diazepam", {"night": "5"}),
    ("temazepam", {"night": "20"}),
    ("chlordiazepoxide", {"morning": "25", "midday": "25", "night": "25"}),
    ("oxazepam", {"morning": "30", "midday": "30", "night": "30"}),
]


@pytest.mark.parametrize(("drug", "doses"), CASES)
@pytest.mark.parametrize("switch", [False, True], ids=["direct", "switch"])
def test_products_never_alternate_and_volumes_stay_measurable(
    drug: str, doses: dict[str, str], switch: bool
) -> None:
    """Before: GB clonazepam used 0.4 mg/mL at step 6 and 0.1 mg/mL at step 7; diazepam
    tails moved between tablets and two liquids; doses of 73.9 mL occurred."""
    plan, request = _plan(regimen=[{"drug": drug, "doses": doses}], switch_to_diazepam=switch)
    check_products(plan, request, DATA)
    volumes = [
        unit.count
        for step in plan.steps
        for dose in step.doses
        for unit in dose.units
        if unit.unit == "mL"
    ]
    assert all(D("0.2") <= ml <= 10 for ml in volumes), max(volumes, default=None)


def test_gb_clonazepam_uses_one_liquid_chosen_up_front() -> None:
    plan, _ = _plan(regimen=[{"drug": "clonazepam", "doses": {"morning": "0.5", "night": "1"}}])
    liquids = {
        unit.product
        for step in plan.steps
        for dose in step.doses
        for unit in dose.units
        if unit.unit == "mL"
    }
    assert liquids == {"clonazepam-0-5mg-5ml-solution"}


def test_the_largest_liquid_dose_is_a_clinic_setting() -> None:
    request = parse_plan_request(
        request_body(regimen=[{"drug": "diazepam", "doses": {"night": "20"}}]), DATA
    )
    five = dataclasses.replace(request, max_liquid_ml=D(5))
    plan = build_plan(five, DATA)
    check_products(plan, five, DATA)
    volumes = [u.count for s in plan.steps for d in s.doses for u in d.units if u.unit == "mL"]
    assert volumes and max(volumes) <= 5
    assert (
        max(
            u.count
            for s in build_plan(request, DATA).steps
            for d in s.doses
            for u in d.units
            if u.unit == "mL"
        )
        > 5
    )


def test_er_is_never_mixed_with_ir() -> None:
    """Before: alprazolam 4 mg three times daily in the US gave 3 mg ER + 1 mg IR."""
    tds = {"morning": "4", "midday": "4", "night": "4"}
    plan, request = _plan(regimen=[{"drug": "alprazolam", "doses": tds}], country="US")
    forms = {u.product for s in plan.steps for d in s.doses for u in d.units}
    assert forms and not any("er-tablet" in slug for slug in forms)
    check_products(plan, request, DATA)
    er, request = _plan(
        regimen=[{"drug": "alprazolam", "doses": {"morning": "3", "night": "3"}, "form": "er"}],
        country="US",
    )
    slugs = {u.product for s in er.steps for d in s.doses for u in d.units}
    assert slugs and all("er-tablet" in slug for slug in slugs)
    check_products(er, request, DATA)


def test_the_form_is_validated() -> None:
    with pytest.raises(PlanInputError) as caught:
        _plan(regimen=[{"drug": "alprazolam", "doses": {"night": "1"}, "form": "xr"}])
    assert list(caught.value.errors) == ["regimen.0.form"]
    assert '"xr" is not a form' in caught.value.errors["regimen.0.form"][0]
    with pytest.raises(PlanInputError) as caught:
        _plan(regimen=[{"drug": "lorazepam", "doses": {"night": "1"}, "form": "er"}])
    assert caught.value.errors["regimen.0.form"] == [
        'Lorazepam has no extended-release products in GB; use form "ir" or switch to diazepam.'
    ]


def test_a_slot_is_dropped_before_it_becomes_a_token_dose() -> None:
    """Ashton's tails: morning 5 -> 1 -> 0 while the night dose holds."""
    plan, request = _plan(regimen=[{"drug": "diazepam", "doses": {"morning": "5", "night": "5"}}])
    check_all(plan, request, DATA)
    mornings = []
    for step in plan.steps:
        slots = {dose.slot.value: dose.mg for dose in step.doses}
        if len(slots) > 1:
            assert min(slots.values()) >= 1, step
        mornings.append((slots.get("morning", D(0)), slots.get("night", D(0))))
    dropped = next(i for i, (morning, _) in enumerate(mornings) if morning == 0)
    assert mornings[dropped - 1][0] >= 1
    assert mornings[dropped][1] == mornings[dropped - 1][1] == 5  # night held


def test_at_most_four_tablets_in_a_chosen_dose() -> None:
    plan, _ = _plan(regimen=[{"drug": "diazepam", "doses": {"night": "40"}}])
    for step in plan.steps[1:]:
        for dose in step.doses:
            pieces = sum(
                u.count.to_integral_value(ROUND_CEILING) for u in dose.units if u.unit != "mL"
            )
            assert pieces <= 4, step


def test_a_liquid_beats_an_off_licence_half() -> None:
    """Before: GB diazepam 1 mg was half an unscored 2 mg tablet (off-licence)."""
    plan, _ = _plan(regimen=[{"drug": "diazepam", "doses": {"night": "2"}}])
    assert not [w for w in plan.warnings if w.rule == "off-licence-split"]
    ones = [d for s in plan.steps for d in s.doses if d.mg == 1]
    assert ones and all(u.unit == "mL" for d in ones for u in d.units)


def _product(slug: str, verified: bool) -> Product:
    return Product(
        slug=slug,
        drug="diazepam",
        country="ZZ",
        form="tablet",
        strength_mg=D(5),
        source="openfda",
        verified=verified,
    )


def test_an_unverified_product_is_used_only_when_nothing_verified_makes_the_dose() -> None:
    products = (_product("unverified-5mg", False), _product("verified-5mg", True))
    formulary = formulary_for("diazepam", "ZZ", products, D(500))
    assert [u.product for u in formulary.realise(D(10))] == ["verified-5mg"]


def test_an_unverified_product_in_a_plan_is_a_warning(data_ref: Reference) -> None:
    # Was GB alprazolam 1 mg; GB alprazolam 0.5 mg is now verified (Xanax 500 microgram SmPC,
    # source emc-xanax-uk) and makes 1 mg from two tablets. US estazolam is still unverified
    # (strength confirmed, scoring not: source dailymed-estazolam).
    plan, _ = _plan(regimen=[{"drug": "estazolam", "doses": {"night": "1"}}], country="US")
    found = [w for w in plan.warnings if w.rule == "unverified-product"]
    assert found, plan.warnings
    assert found[0].message.startswith("estazolam-1mg-tablet (US) is not verified")
    # The product's own source is named in the message; the source is the rule's
    # (guardrails.UNVERIFIED_PRODUCT: the clinical reference's list of products to confirm).
    assert "source: Estazolam tablets label (DailyMed)" in found[0].message
    assert found[0].source == UNVERIFIED_PRODUCT.source_label
    assert found[0].source == "Clinical reference, products to confirm"


def test_a_token_slot_at_the_target_is_consolidated(ref: Reference) -> None:
    """Target 2.5 mg from morning 2 + midday 13 (XX diazepam): midday would end on 0.5 mg, a
    token dose; it is consolidated into the morning dose instead (2.5 mg, same total)."""
    request = parse_plan_request(
        request_body(
            regimen=[{"drug": "diazepam", "doses": {"morning": "2", "midday": "13"}}],
            country="XX",
            target_mg="2.5",
            equivalence_source="nhs-scotland-2024",
        ),
        ref,
    )
    plan = build_plan(request, ref)
    check_all(plan, request, ref)
    last = plan.steps[-1]
    assert [(d.slot.value, d.mg) for d in last.doses] == [("morning", D("2.5"))]


@pytest.mark.parametrize(("drug", "doses"), CASES)
@pytest.mark.parametrize("interval", [14, 7])
def test_a_memoised_taper_replays_exactly(drug: str, doses: dict[str, str], interval: int) -> None:
    """One-drug tapers are replayed from a memo on the formulary (speed, issue 9): a warm
    build equals a cold one, whatever the interval or start date."""
    body = request_body(regimen=[{"drug": drug, "doses": doses}], interval_days=interval)
    request = parse_plan_request(body, DATA)
    get_formulary(DATA, drug, "GB").trajectories.clear()
    cold = build_plan(request, DATA)
    assert get_formulary(DATA, drug, "GB").trajectories  # the memo was filled
    warm = build_plan(request, DATA)
    assert warm == cold and warm.to_dict() == cold.to_dict()
    later = dataclasses.replace(request, start_date=request.start_date.replace(year=2028))
    replayed = build_plan(later, DATA)
    get_formulary(DATA, drug, "GB").trajectories.clear()
    assert replayed == build_plan(later, DATA)


def test_a_dose_needing_an_unverified_product_is_made_the_natural_way() -> None:
    """Once nothing verified makes a dose, the fewest pieces and the fewest different products
    win (not a mix of products chosen only to count fewer unverified pieces)."""
    products = (
        dataclasses.replace(_product("unverified-3mg", False), strength_mg=D(3)),
        dataclasses.replace(_product("verified-1mg", True), strength_mg=D(1)),
    )
    formulary = formulary_for("diazepam", "ZZ", products, D(500))
    # 6 mg: six verified 1 mg tablets are too many (four at most); two 3 mg tablets, not
    # one 3 mg and three 1 mg tablets
    assert [(u.product, u.count) for u in formulary.realise(D(6))] == [("unverified-3mg", D(2))]


def test_a_dose_only_the_unchosen_liquid_makes_is_refused_not_a_crash() -> None:
    """The known quirk: with one liquid per drug, a starting dose makeable only by the other
    liquid (0.44 mg = 1.1 mL of 2 mg/5 mL) must be an input error with the nearest doses the
    plan can make, checked on the same grid the plan is realised on."""
    with pytest.raises(PlanInputError) as caught:
        _plan(regimen=[{"drug": "diazepam", "doses": {"night": "0.44"}}])
    message = caught.value.errors["regimen.0.doses.night"][0]
    assert "nearest makeable: 0.4 mg or 0.5 mg" in message
    formulary = get_formulary(DATA, "diazepam", "GB")
    for mg in formulary.liquid_values + formulary.solid_values:
        assert formulary.is_makeable(mg)
        assert sum(u.count * u.strength_mg for u in formulary.realise(mg)) == mg
        assert sum(u.count * u.strength_mg for u in formulary.realise(mg, liquid=True)) == mg


def test_tablets_hand_over_to_the_liquid_where_only_the_liquid_cuts_within_the_limit() -> None:
    """GB diazepam 9 mg at night, banded, 10% limit: tablets make 8 mg (an 11.1% cut) but not
    8.1 mg, so the plan moves to the one chosen liquid at that step (8.1 mL of 5 mg/5 mL) and
    stays on it; no cut breaks the limit above 1 mg and none is reported."""
    body = request_body(
        regimen=[{"drug": "diazepam", "doses": {"night": "9"}}],
        strategy="banded",
        max_reduction_percent="10",
        interval_days=28,
    )
    body.pop("reduction_percent")
    request = parse_plan_request(body, DATA)
    plan = build_plan(request, DATA)
    first, second = plan.steps[0], plan.steps[1]
    assert all(u.unit == "tablet" for u in first.doses[0].units)
    assert second.equivalent_mg == D("8.1") and second.reduction_percent == D(10)
    assert [(u.count, u.unit) for u in second.doses[0].units] == [(D("8.1"), "mL")]
    assert all(
        any(u.unit == "mL" for d in step.doses for u in d.units) for step in plan.steps[1:-1]
    )
    assert plan.violations == ()
    check_all(plan, request, DATA)
    check_no_avoidable_over_limit_cut(plan, request, DATA)
