"""Worked examples of clinical reference section 3 as stage tables (engine v2).

Each row is (stage, days, regimen, DE). Ashton's schedules use ``crossover_pace: "ashton"``;
the NHS Scotland example uses the default (chosen) pace, which is what SCOT does: swap at the
same equivalent, review, then reduce.
"""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest

from schedules.engine import Phase, Plan, Reference, build_plan, parse_plan_request
from schedules.engine.units import fmt
from tests.schedules.engine.checks import check_all
from tests.schedules.engine.conftest import request_body

Row = tuple[int, int, list[tuple[str, str, str]], int]


def build(reference: Reference, **changes: Any) -> Plan:
    request = parse_plan_request(request_body(**changes), reference)
    plan = build_plan(request, reference)
    check_all(plan, request, reference)
    return plan


def regimen_of(plan: Plan, stage: int) -> list[tuple[str, str, str]]:
    return [(d.slot.value, d.drug, fmt(d.mg)) for d in plan.steps[stage - 1].doses]


def assert_rows(plan: Plan, rows: list[Row]) -> None:
    for stage, days, regimen, equivalent in rows:
        step = plan.steps[stage - 1]
        assert regimen_of(plan, stage) == regimen, stage
        assert step.days == days, stage
        assert step.equivalent_mg == equivalent, stage


def alp(slot: str, mg: str) -> tuple[str, str, str]:
    return (slot, "alprazolam", mg)


def lor(slot: str, mg: str) -> tuple[str, str, str]:
    return (slot, "lorazepam", mg)


def clo(slot: str, mg: str) -> tuple[str, str, str]:
    return (slot, "clonazepam", mg)


def dz(slot: str, mg: str) -> tuple[str, str, str]:
    return (slot, "diazepam", mg)


M, D_, N = "morning", "midday", "night"

# -- Ashton Schedule 1: alprazolam 2 mg three times a day (120 mg DE) ---------------------------

SCHEDULE_1: list[Row] = [
    (1, 7, [alp(M, "2"), alp(D_, "2"), alp(N, "1.5"), dz(N, "10")], 120),
    (2, 7, [alp(M, "2"), alp(D_, "2"), alp(N, "1"), dz(N, "20")], 120),
    (3, 7, [alp(M, "1.5"), dz(M, "10"), alp(D_, "2"), alp(N, "1"), dz(N, "20")], 120),
    (4, 7, [alp(M, "1"), dz(M, "20"), alp(D_, "2"), alp(N, "1"), dz(N, "20")], 120),
    (5, 14, [alp(M, "1"), dz(M, "20"), alp(D_, "1"), dz(D_, "10"), alp(N, "1"), dz(N, "20")], 110),
    (
        6,
        14,
        [alp(M, "1"), dz(M, "20"), alp(D_, "1"), dz(D_, "10"), alp(N, "0.5"), dz(N, "20")],
        100,
    ),
    (7, 14, [alp(M, "1"), dz(M, "20"), alp(D_, "1"), dz(D_, "10"), dz(N, "20")], 90),
    (8, 14, [alp(M, "0.5"), dz(M, "20"), alp(D_, "1"), dz(D_, "10"), dz(N, "20")], 80),
    # Stages 9 and 10: Ashton takes the midday piece first; the totals are Ashton's.
    (9, 14, [dz(M, "20"), alp(D_, "1"), dz(D_, "10"), dz(N, "20")], 70),
    (10, 14, [dz(M, "20"), alp(D_, "0.5"), dz(D_, "10"), dz(N, "20")], 60),
    (11, 14, [dz(M, "20"), dz(D_, "10"), dz(N, "20")], 50),
    (12, 14, [dz(M, "25"), dz(N, "25")], 50),
]


@pytest.mark.parametrize("which", ["ref", "data_ref"])
def test_ashton_schedule_1_stage_by_stage(which: str, request: pytest.FixtureRequest) -> None:
    plan = build(
        request.getfixturevalue(which),
        regimen=[{"drug": "alprazolam", "doses": {M: "2", D_: "2", N: "2"}}],
        strategy="banded",
        switch_to_diazepam=True,
        crossover_pace="ashton",
    )
    assert_rows(plan, SCHEDULE_1)
    assert plan.steps[12].phase is Phase.TAPER
    assert not plan.violations


# -- Ashton: lorazepam 1 mg three times a day (30 mg DE) ----------------------------------------

LORAZEPAM_3MG: list[Row] = [
    (1, 7, [lor(M, "1"), lor(D_, "1"), lor(N, "0.5"), dz(N, "5")], 30),  # Ashton stage 1
    (2, 7, [lor(M, "0.5"), dz(M, "5"), lor(D_, "1"), lor(N, "0.5"), dz(N, "5")], 30),  # stage 2
    (3, 7, [lor(M, "0.5"), dz(M, "5"), lor(D_, "0.5"), dz(D_, "5"), lor(N, "0.5"), dz(N, "5")], 30),
    (4, 7, [lor(M, "0.5"), dz(M, "5"), lor(D_, "0.5"), dz(D_, "5"), dz(N, "10")], 30),
    (5, 7, [dz(M, "10"), lor(D_, "0.5"), dz(D_, "5"), dz(N, "10")], 30),
    (6, 7, [dz(M, "10"), dz(D_, "10"), dz(N, "10")], 30),  # Ashton: DZ 10 / 10 / 10
    (7, 14, [dz(M, "15"), dz(N, "15")], 30),
]


@pytest.mark.parametrize("which", ["ref", "data_ref"])
def test_ashton_lorazepam_3mg_half_swaps_then_2mg_per_2_weeks(
    which: str, request: pytest.FixtureRequest
) -> None:
    plan = build(
        request.getfixturevalue(which),
        regimen=[{"drug": "lorazepam", "doses": {M: "1", D_: "1", N: "1"}}],
        strategy="banded",
        switch_to_diazepam=True,
        crossover_pace="ashton",
    )
    assert_rows(plan, LORAZEPAM_3MG)
    # "then DZ reduced 2 mg per 2 weeks" (CKS lower band above 20 mg)
    taper = [s.equivalent_mg for s in plan.steps[7:12]]
    assert taper == [28, 26, 24, 22, 20]
    assert {s.days for s in plan.steps[7:12]} == {14}


# -- Ashton: clonazepam 0.5 mg three times a day (30 mg DE) -------------------------------------

CLONAZEPAM_1_5MG: list[Row] = [
    (1, 7, [clo(M, "0.5"), clo(D_, "0.5"), clo(N, "0.25"), dz(N, "5")], 30),  # Ashton stage 1
    # Ashton's stage 2 completes the night dose (DZ 10); the engine half-swaps the morning
    # dose first, as Ashton's lorazepam 3 mg schedule does. Six weekly stages to DZ 10/10/10.
    (2, 7, [clo(M, "0.25"), dz(M, "5"), clo(D_, "0.5"), clo(N, "0.25"), dz(N, "5")], 30),
    (6, 7, [dz(M, "10"), dz(D_, "10"), dz(N, "10")], 30),
]


@pytest.mark.parametrize("which", ["ref", "data_ref"])
def test_ashton_clonazepam_1_5mg(which: str, request: pytest.FixtureRequest) -> None:
    plan = build(
        request.getfixturevalue(which),
        regimen=[{"drug": "clonazepam", "doses": {M: "0.5", D_: "0.5", N: "0.5"}}],
        strategy="banded",
        switch_to_diazepam=True,
        crossover_pace="ashton",
    )
    assert_rows(plan, CLONAZEPAM_1_5MG)
    assert [s.days for s in plan.steps[:6]] == [7] * 6


# -- Ashton: first stages of the higher-dose schedules ------------------------------------------


def test_ashton_lorazepam_6mg_and_alprazolam_9mg_first_stages(ref: Reference) -> None:
    lorazepam = build(
        ref,
        regimen=[{"drug": "lorazepam", "doses": {M: "2", D_: "2", N: "2"}}],
        switch_to_diazepam=True,
        crossover_pace="ashton",
    )
    assert regimen_of(lorazepam, 1) == [lor(M, "2"), lor(D_, "2"), lor(N, "1"), dz(N, "10")]
    alprazolam = build(
        ref,
        regimen=[{"drug": "alprazolam", "doses": {M: "3", D_: "3", N: "3"}}],
        switch_to_diazepam=True,
        crossover_pace="ashton",
    )
    assert regimen_of(alprazolam, 1) == [alp(M, "3"), alp(D_, "3"), alp(N, "2.5"), dz(N, "10")]
    assert regimen_of(alprazolam, 2) == [alp(M, "3"), alp(D_, "3"), alp(N, "2"), dz(N, "20")]


# -- NHS Scotland 2024: lorazepam 1 mg twice daily (20 mg DE) -----------------------------------

SCOTLAND: list[Row] = [
    (1, 7, [lor(M, "1"), dz(N, "10")], 20),
    (2, 14, [dz(M, "10"), dz(N, "10")], 20),
    *[(n, 14, [dz(M, str(12 - n)), dz(N, "10")], 20 - (n - 2)) for n in range(3, 12)],
    (12, 14, [dz(N, "10")], 10),
    *[(n, 14, [dz(N, str(22 - n))], 22 - n) for n in range(13, 22)],
]


@pytest.mark.parametrize("which", ["ref", "data_ref"])
def test_nhs_scotland_lorazepam_1mg_twice_daily_table(
    which: str, request: pytest.FixtureRequest
) -> None:
    plan = build(
        request.getfixturevalue(which),
        regimen=[{"drug": "lorazepam", "doses": {M: "1", N: "1"}}],
        strategy="linear",
        step_mg="1",
        switch_to_diazepam=True,
        equivalence_source="nhs-scotland-2024",
    )
    assert len(plan.steps) == 22
    assert_rows(plan, SCOTLAND)
    assert plan.steps[21].phase is Phase.STOP
    assert [str(r.date) for r in plan.reviews] == ["2027-01-18"]
    assert plan.steps[0].equivalent_mg == D(20)
