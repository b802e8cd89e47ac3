"""Each named guardrail: when it fires, what it says, which source it cites."""

from __future__ import annotations

import datetime
from decimal import Decimal as D
from typing import Any

from schedules.engine import RULES, Phase, Plan, Reference, Step, build_plan, parse_plan_request
from schedules.engine.guardrails import check_plan
from tests.schedules.engine.conftest import request_body


def build(reference: Reference, **changes: Any) -> Plan:
    return build_plan(parse_plan_request(request_body(**changes), reference), reference)


def rules(issues: Any) -> list[tuple[str, int | None]]:
    return [(issue.rule, issue.step) for issue in issues]


def make_steps(*pairs: tuple[str, int]) -> tuple[Step, ...]:
    """Steps from (DE, days) pairs; "stop" for a stop step."""
    steps = []
    day = datetime.date(2027, 1, 4)
    for index, (value, days) in enumerate(pairs, start=1):
        stop = value == "stop"
        amount = D(0) if stop else D(value)
        end = day if stop else day + datetime.timedelta(days=days - 1)
        steps.append(
            Step(
                index, day, end, days, amount, D(0), Phase.STOP if stop else Phase.TAPER, (), amount
            )
        )
        day += datetime.timedelta(days=days)
    return tuple(steps)


def window(steps: tuple[Step, ...], start: str, limit: str = "25") -> list[int | None]:
    violations, _ = check_plan(
        steps, start_equivalent=D(start), max_reduction_percent=D(limit), stop_threshold=D(1)
    )
    return [v.step for v in violations if v.rule == "max-25-percent-per-14-days"]


def test_every_rule_has_an_id_a_message_and_a_source() -> None:
    assert set(RULES) >= {
        "max-25-percent-per-14-days",
        "initial-reduction-5-10-percent",
        "min-7-days-per-step",
        "plausible-daily-dose",
        "no-increase-outside-crossover",
        "crossover-above-start",
        "final-stop",
        "return-to-previous-dose",
        "sources-disagree",
        "unverified-figure",
        "off-licence-split",
        "step-lengthened",
    }
    assert RULES["max-25-percent-per-14-days"].source == "asam-2025"
    assert RULES["min-7-days-per-step"].source == "asam-pt-2025"
    assert RULES["final-stop"].source == "cks"
    assert all(rule.message and rule.source and rule.source_label for rule in RULES.values())


def test_the_14_day_window_sums_consecutive_cuts() -> None:
    # 20 -> 17 -> 14 every 7 days: 15% a step, 30% in 14 days
    assert window(make_steps(("20", 7), ("17", 7), ("14", 7)), "20") == [3]
    # the same cuts every 14 days are fine
    assert window(make_steps(("20", 14), ("17", 14), ("14.45", 14)), "20") == []
    # exactly 25% is allowed; more is not
    assert window(make_steps(("20", 14), ("15", 14)), "20") == []
    assert window(make_steps(("20", 14), ("14.99", 14)), "20") == [2]


def test_the_first_14_days_compare_with_the_start() -> None:
    assert window(
        make_steps(
            ("14", 14),
        ),
        "20",
    ) == [1]


def test_a_lower_configured_limit_is_used() -> None:
    assert window(make_steps(("20", 14), ("18", 14)), "20", limit="5") == [2]


def test_the_final_stop_from_the_threshold_is_exempt_and_warned() -> None:
    steps = make_steps(("1", 14), ("stop", 0))
    violations, warnings = check_plan(
        steps, start_equivalent=D(1), max_reduction_percent=D(25), stop_threshold=D(1)
    )
    assert violations == []
    assert rules(warnings) == [("final-stop", 2)]
    assert warnings[0].source == "NICE CKS"
    # from above the threshold the stop is a violation
    assert window(make_steps(("2", 14), ("stop", 0)), "2") == [2]


def test_max_reduction_violation_message(ref: Reference) -> None:
    plan = build(
        ref, regimen=[{"drug": "diazepam", "doses": {"night": "20"}}], reduction_percent="30"
    )
    violation = plan.violations[0]
    assert (violation.rule, violation.step) == ("max-25-percent-per-14-days", 2)
    assert violation.message.startswith(
        "Step 2: the daily diazepam-equivalent falls from 20 mg to 14 mg within 14 days (30%), "
        "more than the 25% limit."
    )
    assert violation.source == "ASAM 2025"


def test_initial_reduction_above_10_percent_warns(ref: Reference) -> None:
    plan = build(ref, reduction_percent="20")
    assert ("initial-reduction-5-10-percent", 2) in rules(plan.warnings)
    assert "20%" in next(w.message for w in plan.warnings if w.rule.startswith("initial"))
    assert "initial-reduction-5-10-percent" not in [w.rule for w in build(ref).warnings]


def test_steps_shorter_than_7_days_warn(ref: Reference) -> None:
    plan = build(ref, interval_days=5)
    short = [w for w in plan.warnings if w.rule == "min-7-days-per-step"]
    assert short and all(w.step is not None for w in short)
    assert "lasts 5 days" in short[0].message
    assert [
        w for w in build(ref, interval_days=7).warnings if w.rule == "min-7-days-per-step"
    ] == []


def test_an_implausible_daily_dose_is_a_violation(ref: Reference) -> None:
    plan = build(
        ref,
        regimen=[{"drug": "alprazolam", "doses": {"morning": "4", "midday": "4", "night": "4"}}],
        reduction_percent="5",
    )
    found = [v for v in plan.violations if v.rule == "plausible-daily-dose"]
    assert rules(found) == [("plausible-daily-dose", None)]
    assert "Alprazolam 12 mg a day is above 10 mg a day" in found[0].message


def test_no_increase_and_crossover_above_start_are_reported(ref: Reference) -> None:
    plan = build(ref, edits=[{"index": 3, "doses": {"night": "10", "morning": "10"}}])
    assert ("no-increase-outside-crossover", 3) in rules(plan.violations)
    plan = build(
        ref,
        regimen=[{"drug": "lorazepam", "doses": {"morning": "1", "night": "1"}}],
        switch_to_diazepam=True,
        edits=[{"index": 2, "doses": {"morning": "15"}}],
    )
    assert ("crossover-above-start", 2) in rules(plan.violations)


def test_off_licence_splits_are_warned_once_per_product_with_their_steps(ref: Reference) -> None:
    # Without a liquid the off-licence half stays (with a liquid, the liquid makes 1 mg).
    tablets_only = Reference(
        sources=ref.sources,
        drugs=ref.drugs,
        figures=ref.figures,
        products=tuple(p for p in ref.products if not (p.drug == "diazepam" and p.is_liquid)),
        version="test",
    )
    plan = build(
        tablets_only,
        regimen=[{"drug": "diazepam", "doses": {"night": "5"}}],
        strategy="linear",
        step_mg="1",
    )
    found = [w for w in plan.warnings if w.rule == "off-licence-split"]
    assert len(found) == 1
    assert found[0].message.startswith("diazepam-2mg-tablet is split in steps 3, 5;")
    assert "PrescQIPP" in found[0].message and found[0].source == "PrescQIPP"


def test_violations_are_reported_not_fixed(ref: Reference) -> None:
    plan = build(ref, reduction_percent="50")
    assert [s.equivalent_mg for s in plan.steps[:3]] == [D(20), D(10), D(5)]
    assert {v.rule for v in plan.violations} == {"max-25-percent-per-14-days"}
