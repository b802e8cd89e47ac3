"""A verdict table: realistic cases through the pure engine, and whether each plan can be signed.

    .venv/bin/python bench/cases.py

No Django: the reference data comes from ``catalogue/data``. Every strategy (proportional,
linear, banded, custom), GB and US products, switches (both cross-over paces) and direct
tapers, one and two drugs, doses from the smallest tablet to the plausible maximum. Columns:

* ``steps``, ``weeks``: the plan's length;
* ``max14``: the largest fall of the daily diazepam-equivalent within any 14 days, in % (the
  exempt final stop from 1 mg or less left out; the guardrail's own window);
* ``V`` / ``W``: violations / warnings;
* ``verdict``: ``sign as is`` when the plan has no violation and none of the warnings that
  question its shape (:data:`SHAPE_WARNINGS`: over 3 years, a step over 8 weeks, products
  too coarse, diazepam above 40 mg after the switch), else ``needs hand edit: why`` (those
  rules, with their steps), computed from the plan, not written by hand.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from schedules.engine import (
    Phase,
    Plan,
    PlanInputError,
    build_plan,
    default_request,
    load_reference,
    parse_plan_request,
)

BASE: dict[str, Any] = default_request()


def case(
    name: str, regimen: dict[str, dict[str, str]], **changes: Any
) -> tuple[str, dict[str, Any]]:
    body = {
        **BASE,
        "regimen": [{"drug": drug, "doses": doses} for drug, doses in regimen.items()],
    }
    body.update(changes)
    if body["strategy"] != "proportional":
        body.pop("reduction_percent", None)
    return name, body


SWITCH = {"switch_to_diazepam": True}
ASHTON = {"switch_to_diazepam": True, "crossover_pace": "ashton"}
BANDED = {"strategy": "banded"}
LINEAR_1 = {"strategy": "linear", "step_mg": "1"}
SLOW = {"reduction_percent": "5", "interval_days": 28}
US = {"country": "US"}
SCOT = {"equivalence_source": "nhs-scotland-2024"}
TDS = ("morning", "midday", "night")


def split(mg: str, slots: tuple[str, ...] = TDS) -> dict[str, str]:
    return dict.fromkeys(slots, mg)


CASES: list[tuple[str, dict[str, Any]]] = [
    # diazepam, direct
    case("GB diazepam 2 mg nocte, 10%/2w", {"diazepam": {"night": "2"}}),
    case("GB diazepam 10 mg bd, 10%/2w", {"diazepam": {"morning": "10", "night": "10"}}),
    case(
        "GB diazepam 40 mg bd, banded lower",
        {"diazepam": {"morning": "20", "night": "20"}},
        **BANDED,
    ),
    case(
        "US diazepam 40 mg bd, banded upper",
        {"diazepam": {"morning": "20", "night": "20"}},
        **BANDED,
        band_profile="upper",
        **US,
    ),
    case("US diazepam 20 mg, linear 1 mg", {"diazepam": {"night": "20"}}, **LINEAR_1, **US),
    case(
        "GB diazepam 200 mg/day qds, 10%/2w",
        {"diazepam": split("50", ("morning", "midday", "evening", "night"))},
    ),
    case(
        "GB diazepam 30 mg, custom 2 mg/2w",
        {"diazepam": {"morning": "15", "night": "15"}},
        strategy="custom",
        custom_steps=[{"mg": str(m), "days": 14} for m in range(28, 0, -2)] + [{"mg": "0"}],
    ),
    case(
        "GB diazepam 10 mg, 65+, 10%/2w",
        {"diazepam": {"morning": "5", "night": "5"}},
        patient_factors=["age-65-plus"],
    ),
    case(
        "GB diazepam 10 mg, 65+, 5%/4w",
        {"diazepam": {"night": "10"}},
        patient_factors=["age-65-plus"],
        **SLOW,
    ),
    case("GB diazepam 5 mg, stop threshold 5", {"diazepam": {"night": "5"}}, stop_threshold_mg="5"),
    # lorazepam
    case(
        "GB lorazepam 1 mg bd, SCOT switch, linear 1",
        {"lorazepam": {"morning": "1", "night": "1"}},
        **SWITCH,
        **LINEAR_1,
        **SCOT,
    ),
    case("GB lorazepam 1 mg bd, direct 10%/2w", {"lorazepam": {"morning": "1", "night": "1"}}),
    case("US lorazepam 0.5 mg nocte, direct 10%", {"lorazepam": {"night": "0.5"}}, **US),
    case(
        "US lorazepam 2 mg tds, switch, banded", {"lorazepam": split("2")}, **SWITCH, **BANDED, **US
    ),
    case(
        "GB lorazepam 20 mg/day qds, switch 10%",
        {"lorazepam": split("5", ("morning", "midday", "evening", "night"))},
        **SWITCH,
    ),
    case(
        "GB lorazepam 1 mg tds, Ashton pace, banded",
        {"lorazepam": split("1")},
        **ASHTON,
        **BANDED,
    ),
    case(
        "GB lorazepam 2 mg bd, seizure history",
        {"lorazepam": {"morning": "1", "night": "1"}},
        **SWITCH,
        patient_factors=["withdrawal-seizure-history"],
    ),
    # alprazolam
    case("US alprazolam 0.25 mg nocte, direct 10%", {"alprazolam": {"night": "0.25"}}, **US),
    case("US alprazolam 2 mg nocte, switch 10%", {"alprazolam": {"night": "2"}}, **SWITCH, **US),
    case(
        "US alprazolam 0.5 mg qds, switch 10%",
        {"alprazolam": split("0.5", ("morning", "midday", "evening", "night"))},
        **SWITCH,
        **US,
    ),
    case(
        "GB alprazolam 2 mg tds, Ashton Schedule 1", {"alprazolam": split("2")}, **ASHTON, **BANDED
    ),
    case("GB alprazolam 2 mg tds, switch 5%/4w", {"alprazolam": split("2")}, **SWITCH, **SLOW),
    case(
        "US alprazolam 10 mg/day, Ashton pace 10%",
        {"alprazolam": split("2.5", ("morning", "midday", "evening", "night"))},
        **ASHTON,
        **US,
    ),
    # clonazepam, clobazam
    case(
        "GB clonazepam 0.5 mg tds, Ashton, banded", {"clonazepam": split("0.5")}, **ASHTON, **BANDED
    ),
    case("US clonazepam 0.125 mg ODT, direct 10%", {"clonazepam": {"night": "0.125"}}, **US),
    case("US clonazepam 2 mg bd, direct 10%", {"clonazepam": {"morning": "2", "night": "2"}}, **US),
    case(
        "GB clonazepam 0.5 mg bd, direct linear 1",
        {"clonazepam": {"morning": "0.5", "night": "0.5"}},
        **LINEAR_1,
    ),
    case(
        "GB clobazam 10 mg bd, direct 10%, epilepsy",
        {"clobazam": {"morning": "10", "night": "10"}},
        patient_factors=["epilepsy"],
    ),
    # temazepam, z-drugs
    case("US temazepam 15 mg, direct 10%", {"temazepam": {"night": "15"}}, **US),
    case("US temazepam 30 mg, switch 10%", {"temazepam": {"night": "30"}}, **SWITCH, **US),
    case("GB zopiclone 7.5 mg, direct 10%", {"zopiclone": {"night": "7.5"}}, **SCOT),
    case("GB zopiclone 7.5 mg, switch 10%", {"zopiclone": {"night": "7.5"}}, **SWITCH, **SCOT),
    case("GB zolpidem 10 mg, direct linear 1", {"zolpidem": {"night": "10"}}, **LINEAR_1),
    case(
        "US zolpidem 10 mg, switch, banded", {"zolpidem": {"night": "10"}}, **SWITCH, **BANDED, **US
    ),
    case("US triazolam 0.25 mg, switch 10%", {"triazolam": {"night": "0.25"}}, **SWITCH, **US),
    # two drugs
    case(
        "GB clonazepam 0.5 bd + zolpidem 10, switch",
        {"clonazepam": {"morning": "0.5", "midday": "0.5"}, "zolpidem": {"night": "10"}},
        **SWITCH,
        **SCOT,
    ),
    case(
        "GB diazepam 5 + lorazepam 1, direct 10%",
        {"diazepam": {"morning": "5"}, "lorazepam": {"night": "1"}},
    ),
    case(
        "US alprazolam 0.5 bd + zolpidem 10, banded",
        {"alprazolam": {"morning": "0.5", "midday": "0.5"}, "zolpidem": {"night": "10"}},
        **SWITCH,
        **BANDED,
        **US,
    ),
]


def max_14_day_cut(plan: Plan) -> Decimal:
    """The largest fall within 14 days, in %: each step's first day against 14 days earlier
    (values never rise in these plans, so that is the window's maximum). The final stop from
    1 mg or less (the cited CKS stop) is left out."""
    starts: list[int] = []
    day = 0
    for step in plan.steps:
        starts.append(day)
        day += step.days
    worst = Decimal(0)
    exact = [step.equivalent_exact for step in plan.steps]
    start = Decimal(plan.start_equivalent_mg)
    for i, step in enumerate(plan.steps):
        if step.phase is Phase.STOP and i and exact[i - 1] <= 1:
            continue
        earlier = start
        for j in range(i):
            if starts[j] <= starts[i] - 14 and plan.steps[j].days:
                earlier = exact[j]
        if earlier > 0:
            worst = max(worst, (earlier - exact[i]) * 100 / earlier)
    return worst.quantize(Decimal("0.1"))


#: Warnings that say the plan's shape needs the prescriber's decision before signing.
SHAPE_WARNINGS = frozenset(
    {
        "plan-over-3-years",
        "step-over-8-weeks",
        "consider-switch-to-diazepam",
        "diazepam-above-40-mg-after-switch",
    }
)


def verdict(plan: Plan) -> str:
    flagged = [*plan.violations, *(w for w in plan.warnings if w.rule in SHAPE_WARNINGS)]
    if not flagged:
        return "sign as is"
    found: dict[str, list[str]] = {}
    for issue in flagged:
        found.setdefault(issue.rule, []).append("plan" if issue.step is None else str(issue.step))
    why = "; ".join(f"{rule} ({', '.join(where)})" for rule, where in found.items())
    return f"needs hand edit: {why}"


def main() -> int:
    reference = load_reference()
    rows: list[tuple[str, ...]] = []
    for name, body in CASES:
        try:
            plan = build_plan(parse_plan_request(body, reference), reference)
        except PlanInputError as exc:
            rows.append((name, "-", "-", "-", "-", "-", f"refused: {exc}"))
            continue
        rows.append(
            (
                name,
                str(len(plan.steps)),
                f"{plan.total_days / 7:.1f}",
                str(max_14_day_cut(plan)),
                str(len(plan.violations)),
                str(len(plan.warnings)),
                verdict(plan),
            )
        )
    header = ("case", "steps", "weeks", "max14%", "V", "W", "verdict")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(6)]
    print(" | ".join(h.ljust(w) for h, w in zip(header[:6], widths, strict=True)) + " | verdict")
    print("-+-".join("-" * w for w in widths) + "-+--------")
    for row in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(row[:6], widths, strict=True)) + " | " + row[6])
    signable = sum(1 for row in rows if row[6] == "sign as is")
    print(f"\n{len(rows)} cases: {signable} sign as is, {len(rows) - signable} need a hand edit.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
