"""The planner: regimen + strategy + products -> dated steps, checked by the guardrails.

:func:`build_plan` is pure and deterministic (no clock, no randomness): the same request and
reference give the same :class:`~schedules.engine.types.Plan`.

How a plan is built:

1. **Convert.** Each drug's daily mg becomes diazepam-equivalent (DE) with the chosen source
   (:mod:`schedules.engine.equivalence`); the start equivalent is their sum.
2. **Order.** Drugs are handled one at a time, the shortest-acting first: z-drugs first, then
   by the longest half-life of the drug or its active metabolite (clinical reference 1c).
   Short-acting drugs are the ones that cause inter-dose withdrawal and that PrescQIPP and
   NHS Scotland 2024 advise switching from; doing them first leaves the long-acting drug to
   cover the remaining steps (app choice). Example: clonazepam 0.5 mg morning and midday with
   zolpidem 10 mg at night: zolpidem (2 h) first, then clonazepam (18-50 h).
3. **Step 1.**
   * With ``switch_to_diazepam``: step 1 is the first cross-over stage
     (:mod:`schedules.engine.crossover`): with the default ``crossover_pace`` "chosen" the
     night dose swapped for its equivalent diazepam (same DE, one slot a week); with "ashton"
     Ashton's stages. The last cross-over stage (on diazepam alone, morning + night) is the
     stabilisation step before the first reduction and lasts at least one interval (NHS
     Scotland 2024: review 5-7 days after the switch, "cross tapering may be appropriate as a
     first step to allow assessment of tolerance"). The plan's ``reviews`` carry that review,
     dated :data:`SWITCH_REVIEW_DAYS` days after the first day on diazepam alone.
   * A direct taper (no switch, or diazepam already): step 1 is a *baseline* step, the current
     regimen unchanged for one interval, and the first reduction is step 2. This gives every
     reduction a step before it (so step lengths can follow the realisation rule below) and a
     dated start on the calendar; trials in POTTIE-2018 stabilised for 2 weeks before
     tapering (Vissers 2007, Voshaar 2003). Phase ``taper``, reduction 0%.
4. **Reduce.** The strategy (:mod:`schedules.engine.strategies`) gives the planned next total;
   the cut is taken from the drug being tapered, from the daytime slots first and the night
   dose last (nhs-scotland-2024: lorazepam 1 mg twice daily -> diazepam 10 mg + 10 mg, then
   the morning dose -1 mg per step to stop, then the night dose): in order midday, morning,
   evening, night. Each slot's dose is always makeable. When the slot being cut cannot take
   the asked cut on tablets (at most four a dose) but it and the next slot together can come
   closer, the two share it, the later slot staying the larger (Ashton's tails alternate,
   20/20 -> 18/20 -> 18/18; CKS from 40 mg: 20/20 -> 19/19, as 18 mg would need five GB
   tablets). The sharing never takes the later slots below what lets the slot being cut
   drop its last dose (1 mg DE, or the smallest the products make above it) within
   ``max_reduction_percent``: dropping ``d`` beside ``t`` is a cut of ``d / (d + t)``, so with
   25% the later slots keep at least 3 x that dose; the slot is cut alone or dropped (the
   realisation rule lengthening the step before) instead (US alprazolam 0.5 mg bd +
   zolpidem 10 mg switched, banded: morning 2.5 -> 2 -> 1.5 -> 1 -> 0 beside night 3.5 mg,
   a 22% drop, not beside 2.5 mg, a 28.6% one).
5. **Realisation rule.** The next dose is the smallest makeable daily dose that is >= the
   planned dose and < the previous one: rounding never makes a step bigger than asked.
   "Makeable" follows the products rules of :mod:`schedules.engine.formulations` (issue 9):
   tablets first, then the drug's one liquid, at most once and never back; 0.2-10 mL liquid
   doses; at most four tablets; no slot below 1 mg DE while the drug has several. If
   none exists (coarse products), the next dose is the largest makeable dose below the
   previous one and the PREVIOUS step is lengthened to ``k * interval_days`` days with
   ``k = ceil(actual cut / asked cut)``, so the average pace never exceeds what was asked.
   Example: zopiclone 7.5 mg tablets only, 10% asked (0.75 mg): the next makeable dose is
   3.75 mg, a 3.75 mg cut = 5 x the asked cut, so the step before it lasts 5 intervals.
6. **The end.** The plan ends exactly on ``target_mg``. With target 0 the last step is a
   ``stop`` step: no doses, ``days`` 0 and ``start_date == end_date`` == the first day with no
   dose. Proportional tapers never reach 0 by themselves: once the daily DE is at or below
   ``stop_threshold_mg`` (default 1 mg; CKS / Ashton: 0.5-1 mg, then stop) the next step is
   the stop. Banded tapers stop the same way (their tail slows to at most
   ``max_reduction_percent`` per step, see :mod:`schedules.engine.strategies`). Linear
   tapers go to the target as soon as the planned dose would be at or below it. The
   ``custom`` strategy takes the prescriber's ``custom_steps`` (daily mg of the drug being
   tapered, diazepam after a switch) as they are: each shared over the slots like a cut,
   every slot dose makeable or an input error at ``custom_steps.N.mg``; the last step is
   the stop (mg 0) or equals ``target_mg``. A target above 0 ends on a maintenance step at
   the target, one interval long (ASAM 2025: "maintaining a patient on a lower dose may be
   sufficient").
7. **Edits, then holds.** ``edits`` change built steps by index (1-based); edited doses must
   be makeable (an input error otherwise, never rounding); later steps are not recomputed,
   only re-dated. ``holds`` (``{step, days}``) then insert after built step ``step`` (the
   index before any hold is inserted; holds apply in order, two after one step keep their
   order) a ``hold`` step with the same doses; later steps shift and indices renumber.
8. **Guardrails** (:mod:`schedules.engine.guardrails`) run over the final steps; violations
   are reported, never fixed.

Plans longer than :data:`MAX_STEPS` steps or :data:`MAX_DAYS` days are refused with an input
error asking for a larger reduction (under ``holds`` when holds made it too long), as are
targets the products cannot make.
"""

from __future__ import annotations

import datetime
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, localcontext
from typing import Any, NamedTuple

from schedules.engine.crossover import CrossoverStage, State, plan_crossover
from schedules.engine.equivalence import equivalence_summary, figure_for
from schedules.engine.formulations import Formulary, get_formulary
from schedules.engine.guardrails import (
    CONSIDER_SWITCH,
    LONG_PLAN_DAYS,
    LONG_STEP_DAYS,
    OFF_LICENCE_SPLIT,
    STEP_LENGTHENED,
    check_cautions,
    check_crossover,
    check_lengths,
    check_plan,
    check_slower_pace,
    explain_forced_cuts,
    sort_issues,
)
from schedules.engine.guardrails import (
    UNVERIFIED_PRODUCT as UNVERIFIED_PRODUCT_RULE,
)
from schedules.engine.reference import DIAZEPAM, DrugInfo, Product, Reference
from schedules.engine.strategies import Strategy
from schedules.engine.types import (
    DAYS,
    SLOT_INDEX,
    STEP_FIGURES,
    CrossoverPace,
    Dose,
    Issue,
    Phase,
    Plan,
    PlanRequest,
    Review,
    Slot,
    Step,
    StrategyKind,
    day_of,
)
from schedules.engine.units import (
    CENT,
    CONTEXT,
    HUNDRED,
    TEN,
    TENTH,
    ZERO,
    ceil_int,
    ceil_to,
    div,
    fmt,
    q2,
)
from schedules.engine.validation import PlanInputError, parse_plan_request, validate_request

__all__ = [
    "ALGORITHM_VERSION",
    "MAX_DAYS",
    "MAX_STEPS",
    "REDUCTION_ORDER",
    "PlanInputError",
    "build_plan",
    "parse_plan_request",
    "plan_from_data",
]

#: Stored with every plan; bump when the same input could give a different plan.
#: 2026.12.5: the memo of one-drug tapers is keyed on max_reduction_percent too (a plan no
#: longer depends on the plans the process built before it; a fresh process builds as before).
ALGORITHM_VERSION = "2026.12.5"  # issue 9: switch pace, guardrails, products a patient can follow
MAX_STEPS = 400
MAX_DAYS = 3653  # ten years
#: SCOT: review 5-7 days after the switch; the review is dated this many days after the
#: first day on diazepam alone.
SWITCH_REVIEW_DAYS = 7
#: The order slots give up their dose within a drug (daytime first, night last).
REDUCTION_ORDER: tuple[Slot, ...] = (Slot.MIDDAY, Slot.MORNING, Slot.EVENING, Slot.NIGHT)
#: While a drug has more than one dosing slot, no slot is cut below this many mg
#: diazepam-equivalent; the slot is dropped instead. Ashton's schedules (via NICE CKS, ``cks``)
#: take the daytime dose down in 1 mg steps and then stop it while the night dose holds
#: (morning 5 -> 1 -> 0); the 1 mg floor is this app's reading of them (``taper-clinic``).
MIN_SLOT_DE = Decimal(1)
# Kinds of memoised taper entries (see _Builder._replay).
_STEP, _CUT_STOP, _THRESHOLD_STOP = 0, 1, 2


class _Draft:
    """A step under construction (mutable until the plan is finished)."""

    __slots__ = ("base_days", "days", "doses", "equivalent", "phase", "stretched")

    def __init__(
        self, doses: tuple[Dose, ...], days: int, phase: Phase, equivalent: Decimal
    ) -> None:
        self.doses = doses
        self.days = days
        self.base_days = days
        self.phase = phase
        self.equivalent = equivalent
        self.stretched = 1  # k when the realisation rule lengthened this step


class _SetUp(NamedTuple):
    """What a build reads from the reference data for its regimen (see :func:`_set_up`).
    Shared by the builds of a regimen: read, never changed."""

    order: tuple[str, ...]  # the regimen's drugs in tapering order (drug_order)
    switching: bool  # the plan switches another drug to diazepam
    figures: dict[str, Decimal]  # each drug's figure (mg == diazepam 10 mg), by the source
    formularies: dict[str, Formulary]  # each drug's formulary (its form, the country)
    rank: dict[str, int]  # where a drug's dose sorts within a slot: the order, diazepam last


#: ``reference.cache`` key of :func:`_set_up`'s memo, and the most regimens it keeps.
_SET_UP = "builder-set-ups"
_SET_UP_LIMIT = 256


def _set_up(request: PlanRequest, reference: Reference) -> _SetUp:
    """The reference data a build of ``request`` reads, memoised per reference: it depends
    only on the product set (the regimen's drugs and forms, the country, the liquid limit,
    whether diazepam joins) and the equivalence source, not on the doses or the schedule."""
    key = (
        request.equivalence_source,
        request.country,
        request.max_liquid_ml,
        request.switch_to_diazepam,
        tuple([(entry.drug, entry.form) for entry in request.regimen]),
    )
    memo = reference.cache.get(_SET_UP)
    found = memo.get(key) if memo is not None else None
    if found is None:
        found = _work_out_set_up(request, reference)
        if memo is None or len(memo) >= _SET_UP_LIMIT:
            memo = reference.cache[_SET_UP] = {}
        memo[key] = found
    return found


def _work_out_set_up(request: PlanRequest, reference: Reference) -> _SetUp:
    regimen_drugs = [entry.drug for entry in request.regimen]
    order = drug_order(reference, regimen_drugs)
    switching = request.switch_to_diazepam and any(d != DIAZEPAM for d in regimen_drugs)
    drugs = list(order)
    if switching and DIAZEPAM not in drugs:
        drugs.append(DIAZEPAM)
    figures: dict[str, Decimal] = {}
    formularies: dict[str, Formulary] = {}
    forms = {entry.drug: entry.form for entry in request.regimen}
    for drug in drugs:
        figure = figure_for(reference, drug, request.equivalence_source)
        if figure is None:  # validated already; kept for type narrowing
            raise PlanInputError({"equivalence_source": [f"No figure for {drug}."]})
        figures[drug] = figure.mg
        formularies[drug] = get_formulary(
            reference, drug, request.country, forms.get(drug, "ir"), request.max_liquid_ml
        )
    rank = {drug: i for i, drug in enumerate(d for d in order if d != DIAZEPAM)}
    rank[DIAZEPAM] = len(rank)
    return _SetUp(tuple(order), switching, figures, formularies, rank)


class _Context:
    """What one build needs at hand: figures, formularies, DE per dose (memoised)."""

    def __init__(self, request: PlanRequest, reference: Reference, set_up: _SetUp) -> None:
        self.request = request
        self.reference = reference
        self.figures = set_up.figures
        self.formularies = set_up.formularies
        self.rank = set_up.rank
        self._equivalents: dict[tuple[str, Decimal], Decimal] = {}

    def equivalent_of(self, drug: str, mg: Decimal) -> Decimal:
        key = (drug, mg)
        value = self._equivalents.get(key)
        if value is None:
            value = div(mg * TEN, self.figures[drug])
            self._equivalents[key] = value
        return value

    def equivalent(self, doses: Iterable[Dose]) -> Decimal:
        """The DE of a set of doses, computed one way only (per-drug daily totals, summed in
        slug order), so equal regimens always get equal values."""
        totals: dict[str, Decimal] = {}
        for dose in doses:
            totals[dose.drug] = totals.get(dose.drug, ZERO) + dose.mg
        return self.equivalent_totals(totals)

    def equivalent_totals(self, totals: Mapping[str, Decimal]) -> Decimal:
        if len(totals) == 1:
            for drug, mg in totals.items():
                return self.equivalent_of(drug, mg)
        total = ZERO
        for drug in sorted(totals):
            if totals[drug]:
                total += self.equivalent_of(drug, totals[drug])
        return total

    def sort(self, doses: Iterable[Dose]) -> tuple[Dose, ...]:
        doses = tuple(doses)
        if len(doses) < 2:  # one dose (or none) is in order as it is, as sorted() would leave it
            return doses
        rank = self.rank
        return tuple(
            sorted(doses, key=lambda d: (SLOT_INDEX[d.slot], rank.get(d.drug, 99), d.drug))
        )


def _half_life_key(info: DrugInfo | None, slug: str) -> tuple[int, Decimal, str]:
    if info is None:
        return (2, Decimal(10**6), slug)
    longest = info.longest_half_life_h
    return (0 if info.is_z_drug else 1, longest if longest is not None else Decimal(10**6), slug)


def drug_order(reference: Reference, drugs: Iterable[str]) -> list[str]:
    """Drugs in the order they are switched or tapered: z-drugs, then shortest-acting first."""
    return sorted(drugs, key=lambda slug: _half_life_key(reference.drug(slug), slug))


def plan_from_data(data: Mapping[str, Any], reference: Reference) -> Plan:
    """Parse and build in one call (what the preview API does)."""
    return build_plan(parse_plan_request(data, reference), reference)


def build_plan(request: PlanRequest, reference: Reference) -> Plan:
    """Build the plan for a validated request.

    Args:
        request: from :func:`parse_plan_request` (or built in code; it is re-validated).
        reference: drugs, figures, products and sources.

    Returns:
        The plan: steps, violations, warnings.

    Raises:
        PlanInputError: the request is invalid, the target cannot be made with the products,
            an edit or hold does not fit the plan, or the plan would be too long.
    """
    with localcontext(CONTEXT):
        validate_request(request, reference)
        return _Builder(request, reference).build()


#: bounds of the step figures' memo (STEP_FIGURES) and of each equivalent's cuts in it
_FIGURES_LIMIT = 4096
_CUTS_LIMIT = 64


class _Scan:
    """What :meth:`_Builder._finish` gathers for the warnings in its one pass over the steps."""

    __slots__ = (
        "coarse",
        "forced",
        "longest",
        "reasons",
        "stretched",
        "total_days",
        "uses_diazepam",
    )

    def __init__(self) -> None:
        self.total_days = 0
        self.longest = 0  # the most days of any step
        self.uses_diazepam = False
        self.stretched: list[Issue] = []  # step-lengthened, in step order
        self.reasons: dict[int, str] = {}  # why each step is as long as it is, by index
        self.coarse: dict[str, list[int]] = {}  # drug -> lengthened steps (direct tapers)
        # the steps whose cut the products forced: the first step after a lengthened one
        # (past any hold), whose dose is the largest makeable one below the step before; True
        # where crossing over to diazepam would allow a smaller cut (a direct taper of another drug)
        self.forced: dict[int, bool] = {}


class _Builder:
    def __init__(self, request: PlanRequest, reference: Reference) -> None:
        self.request = request
        self.reference = reference
        set_up = _set_up(request, reference)
        self.order = list(set_up.order)
        self.switching = set_up.switching
        self.ctx = _Context(request, reference, set_up)
        self.strategy = Strategy(
            kind=request.strategy,
            reduction_percent=request.reduction_percent,
            step_mg=request.step_mg,
            band_profile=request.band_profile,
            max_cut_percent=request.max_reduction_percent,
        )
        self.drafts: list[_Draft] = []
        self.edited_days: set[int] = set()  # built indices whose days an edit set
        self.total_days = 0
        self.inserted_before: list[int] = []  # holds inserted before each built step
        self.on_liquid: set[tuple[str, Slot]] = set()  # cross-over slots on the liquid
        self.start_doses = self._doses({entry.drug: dict(entry.doses) for entry in request.regimen})
        self.start_equivalent = self.ctx.equivalent(self.start_doses)

    # -- building -----------------------------------------------------------------------

    def build(self) -> Plan:
        request = self.request
        current: dict[str, dict[Slot, Decimal]] = {
            entry.drug: dict(entry.doses) for entry in request.regimen
        }
        if self.switching:
            current = self._crossover(current)
            finals = {DIAZEPAM: request.target_mg}
            sequence = [DIAZEPAM]
        else:
            self._append(
                _Draft(self.start_doses, request.interval_days, Phase.TAPER, self.start_equivalent)
            )
            finals = self._finals(current)
            sequence = [drug for drug in self.order if finals[drug] < _daily(current[drug])]
        if request.strategy is StrategyKind.CUSTOM:
            self._custom(sequence[0] if sequence else self.order[0], current)
        else:
            for drug in sequence:
                if self._taper(drug, current, finals[drug]):
                    break
            last = self.drafts[-1]
            if last.phase is not Phase.STOP and last.days < request.interval_days:
                self._set_days(last, request.interval_days)
        replan = (  # the first re-planning edit's step; without edits (the usual) there is none
            min((e.index for e in request.edits if e.replan), default=None)
            if request.edits
            else None
        )
        if replan is None:
            edited_back = self._apply_edits()
        else:
            edited_back = self._apply_edits(lambda index: index <= replan)
            self._replan_after(replan, finals)
            edited_back |= self._apply_edits(lambda index: index > replan)
        self._apply_holds()
        return self._finish(edited_back)

    def _replan_after(self, index: int, finals: Mapping[str, Decimal]) -> None:
        """Rebuild the steps after built step ``index`` with the same strategy, from its doses
        (as edited): later steps never sit above it, and each cut is the strategy's again."""
        request = self.request
        if index > len(self.drafts):
            return  # the edit's own index error is already reported
        draft = self.drafts[index - 1]
        if draft.phase is not Phase.TAPER or request.strategy is StrategyKind.CUSTOM:
            raise PlanInputError(
                {
                    "edits": [
                        f"Step {index} cannot re-plan the later steps: only a reduction step of a "
                        "proportional, linear or banded plan can. Untick re-planning, or edit "
                        "a reduction step."
                    ]
                }
            )
        for later in self.drafts[index:]:
            self.total_days -= later.days
        self.drafts = self.drafts[:index]
        current: dict[str, dict[Slot, Decimal]] = {}
        for dose in draft.doses:
            slots = current.setdefault(dose.drug, {})
            slots[dose.slot] = slots.get(dose.slot, ZERO) + dose.mg
        order = [d for d in self.order if d in finals] + [d for d in finals if d not in self.order]
        for drug in order:
            current.setdefault(drug, {})
        current = {drug: slots for drug, slots in current.items() if slots}
        for drug in [d for d in order if d in current and finals[d] < _daily(current[d])]:
            if self._taper(drug, current, finals[drug]):
                break
        last = self.drafts[-1]
        if last.phase is not Phase.STOP and last.days < request.interval_days:
            self._set_days(last, request.interval_days)

    def _crossover(self, current: dict[str, dict[Slot, Decimal]]) -> dict[str, dict[Slot, Decimal]]:
        request = self.request
        state: State = {}
        for drug, slots in current.items():
            for slot, mg in slots.items():
                state.setdefault(slot, {})[drug] = mg
        stages = plan_crossover(
            state,
            [drug for drug in self.order if drug != DIAZEPAM],
            figures=self.ctx.figures,
            formularies=self.ctx.formularies,
            start_equivalent=self.start_equivalent,
            target=request.target_mg,
            max_reduction_percent=request.max_reduction_percent,
            pace=request.crossover_pace,
        )
        for stage in stages:
            doses = self._stage_doses(stage)
            self._append(_Draft(doses, stage.days, Phase.CROSSOVER, self.ctx.equivalent(doses)))
        end = stages[-1]
        ending = self.drafts[-1].equivalent
        if ending < request.target_mg:
            raise PlanInputError(
                {
                    "target_mg": [
                        f"The switch to diazepam ends at {fmt(q2(ending))} mg a day with these "
                        f"products, below the target of {fmt(request.target_mg)} mg; choose a "
                        f"target of at most {fmt(q2(ending))} mg."
                    ]
                }
            )
        diazepam: dict[Slot, Decimal] = {}
        for slot, _, mg in end.doses:
            diazepam[slot] = diazepam.get(slot, ZERO) + mg
        return {DIAZEPAM: diazepam}

    def _stage_doses(self, stage: CrossoverStage) -> tuple[Dose, ...]:
        """A cross-over stage's doses. Once a drug's dose in a slot needs its liquid, later
        stages make that slot's doses with the liquid whenever it can (issue 9: tablets to
        liquid once, never back)."""
        formularies = self.ctx.formularies
        on_liquid = self.on_liquid
        doses = [
            formularies[drug].dose(slot, mg, (drug, slot) in on_liquid)
            for slot, drug, mg in stage.doses
        ]
        for dose in doses:
            if any(unit.unit == "mL" for unit in dose.units):
                on_liquid.add((dose.drug, dose.slot))
        return self.ctx.sort(doses)

    def _doses(self, current: Mapping[str, Mapping[Slot, Decimal]]) -> tuple[Dose, ...]:
        formularies = self.ctx.formularies
        return self.ctx.sort(
            formularies[drug].dose(slot, mg)
            for drug, slots in current.items()
            for slot, mg in slots.items()
            if mg > 0
        )

    def _finals(self, current: Mapping[str, Mapping[Slot, Decimal]]) -> dict[str, Decimal]:
        """Where each drug ends (mg/day): the last-tapered drugs keep as much as the target
        allows. Example: clonazepam 20 mg DE + zolpidem 5 mg DE, target 10: zolpidem 0,
        clonazepam 10 mg DE (0.5 mg)."""
        remaining = self.request.target_mg
        finals: dict[str, Decimal] = {}
        for drug in reversed(self.order):
            daily = _daily(current[drug])
            equivalent = self.ctx.equivalent_of(drug, daily)
            if equivalent <= remaining:
                finals[drug] = daily
                remaining -= equivalent
            else:
                finals[drug] = (
                    ceil_to(remaining * self.ctx.figures[drug] / TEN) if remaining else ZERO
                )
                remaining = ZERO
        return finals

    def _append(self, draft: _Draft) -> None:
        self.drafts.append(draft)
        self.total_days += draft.days
        if len(self.drafts) > MAX_STEPS or self.total_days > MAX_DAYS:
            self._too_long()

    def _set_days(self, draft: _Draft, days: int) -> None:
        self.total_days += days - draft.days
        draft.days = days
        if self.total_days > MAX_DAYS:
            self._too_long()

    def _too_long(self) -> None:
        kind = self.request.strategy
        field = {
            StrategyKind.PROPORTIONAL: "reduction_percent",
            StrategyKind.LINEAR: "step_mg",
            StrategyKind.BANDED: "interval_days",
            StrategyKind.CUSTOM: "custom_steps",
        }[kind]
        raise PlanInputError(
            {
                field: [
                    f"This plan would need more than {MAX_STEPS} steps or 10 years; choose a "
                    "larger reduction per step or a shorter interval."
                ]
            }
        )

    def _taper(self, drug: str, current: dict[str, dict[Slot, Decimal]], final: Decimal) -> bool:
        """Taper ``drug`` to ``final`` mg/day. Returns True when the plan stopped.

        Products (issue 9): the drug starts on tablets (or on its one liquid when a starting
        dose already needs it) and moves to the liquid at most once, never back
        (:meth:`~schedules.engine.formulations.Formulary.next_dose`). A slot whose dose
        changes is made in the current phase; a slot whose dose does not change keeps its
        units. While the drug has more than one dosing slot, no slot is cut below
        :data:`MIN_SLOT_DE`: it is dropped instead, and the realisation rule lengthens the
        step before (Ashton's tails: morning 5 -> 1 -> 0 while night holds).
        """
        request = self.request
        ctx = self.ctx
        formulary = ctx.formularies[drug]
        figure = ctx.figures[drug]
        scale = figure / TEN
        interval = request.interval_days
        slots = current[drug]
        order = [slot for slot in REDUCTION_ORDER if slots.get(slot, ZERO) > ZERO]
        values = [slots[slot] for slot in order]
        count = len(values)
        tails = [sum(values[i + 1 :], ZERO) for i in range(count)]
        others = [
            formulary_dose
            for other, other_slots in current.items()
            if other != drug
            for formulary_dose in (
                ctx.formularies[other].dose(slot, mg) for slot, mg in other_slots.items() if mg > 0
            )
        ]
        others_in_drug = sum((ctx.equivalent_of(d.drug, d.mg) for d in others), ZERO) * scale
        # Proportional and banded tapers stop at the threshold (banded: its tail slows to 25%
        # cuts, see strategies.BANDED_TAIL_RULE, so it would not reach 0 by itself either).
        proportional = request.strategy in (StrategyKind.PROPORTIONAL, StrategyKind.BANDED)
        stop_at = request.stop_threshold_mg * scale if request.target_mg == 0 else None
        minimum = MIN_SLOT_DE * scale
        # Dropping a slot's last dose d with the later slots at t is a cut of d / (d + t):
        # within the limit when t * limit >= (100 - limit) * d.
        limit = request.max_reduction_percent
        keep = HUNDRED - limit if limit < HUNDRED else ZERO
        lowest = formulary.ceil(minimum) if count > 1 else None  # (floor_of needs two slots)

        def floor_of(value: Decimal) -> Decimal:
            """The last dose a slot now at ``value`` reaches before it is dropped."""
            return value if lowest is None or lowest > value else lowest

        def segment(value: Decimal) -> int:
            for i in range(count):
                if tails[i] < value:
                    return i
            return count - 1

        if final > ZERO:
            i = segment(final)
            if not formulary.is_makeable(final - tails[i]):
                self._target_error(drug, final, tails[i], formulary, others_in_drug, scale)

        day_order = sorted(range(count), key=lambda i: SLOT_INDEX[order[i]])
        top = count - 1
        first_slot = order[0]
        other_totals: dict[str, Decimal] = {}
        for dose in others:
            other_totals[dose.drug] = other_totals.get(dose.drug, ZERO) + dose.mg
        single = not others
        factor = self._factor()
        plan_next = self._next_function(scale, factor)
        dose_of = formulary.dose
        dose_cache = formulary.dose_cache
        next_dose = formulary.next_dose
        liquid_values = formulary.liquid_values
        liquid_count = len(liquid_values)
        drafts = self.drafts
        taper = Phase.TAPER
        new_draft = object.__new__
        daily = sum(values, ZERO)
        held = {dose.slot: dose for dose in drafts[-1].doses if dose.drug == drug}
        liquid = False  # any unit of a held dose in mL (a loop: no generator to build)
        for dose in held.values():
            for unit in dose.units:
                if unit.unit == "mL":
                    liquid = True
        last: list[Dose] = list(held.values())
        held_by: list[Dose | None] = [held.get(slot) for slot in order]
        divide = CONTEXT.divide
        equivalents = formulary.equivalents(figure)
        last_doses = formulary.liquid_doses(order[-1])
        # A one-drug taper is a pure function of these; its steps are replayed from a memo
        # on the formulary (the start date, interval, edits and holds do not change them).
        # The memo outlives the request (the formulary is shared by every plan of the
        # process), so the key holds every input the loop reads: the strategy with its
        # max_cut_percent (a banded cut is capped by it) and the limit the slot sharing keeps.
        key: tuple[Any, ...] | None = None
        record: list[tuple[int, tuple[Dose, ...] | None, Decimal, int]] = []
        if single:
            key = (
                tuple(order),
                tuple(values),
                tuple(id(dose) for dose in held_by),
                final,
                stop_at,
                figure,
                self.strategy,
                limit,
            )
            memo = formulary.trajectories.get(key)
            if memo is not None:
                return self._replay(drug, current, memo)
        stop_below = stop_at if proportional else None
        hinted: Decimal | None = None  # the liquid dose made last, liquid_values[hint]
        hint = liquid_count
        while daily > final:
            total = daily if single else daily + others_in_drug
            if stop_below is not None and total <= stop_below:
                self._append(_Draft((), 0, Phase.STOP, ZERO))
                if key is not None:
                    record.append((0, None, ZERO, _THRESHOLD_STOP))
                    formulary.remember(key, (tuple(record), None))
                return True
            planned_total = total * factor if factor is not None else plan_next(total)
            planned = planned_total if single else ceil_to(planned_total - others_in_drug)
            k = 1
            # the cut slot's new dose as a grid value (whose hash the grid object keeps), or
            # None: the slot sharing below looks doses up with it rather than with the equal
            # difference it works out (a new Decimal, hashed afresh)
            grid: Decimal | None = None
            if planned <= final:
                new = final
            else:
                if count == 2:
                    i = 0 if tails[0] < planned else 1
                else:
                    # segment(planned), inline: the first slot whose later slots hold less
                    i = 0
                    while i < top and tails[i] >= planned:
                        i += 1
                tail = tails[i]
                if tail:  # (tail > 0: later slots hold doses)
                    upper = daily - tail
                    target = planned - tail
                    if target < minimum:
                        # a smaller cut than asked, never a token dose (a slot the prescriber
                        # entered below the floor keeps its dose until it is dropped)
                        target = min(minimum, values[i])
                else:  # the last slot: the same values as subtracting 0 (no new Decimals)
                    upper = daily
                    target = planned
                if liquid:  # Formulary.next_dose on the liquid, inline (the long tails)
                    # searched below the current dose when it is the liquid dose made last
                    # (liquid_values[hint] is upper): the same made, or the same None, as a
                    # search of the whole grid (a target >= upper finds upper, refused below)
                    n = bisect_left(
                        liquid_values, target, 0, hint if upper is hinted else liquid_count
                    )
                    made = liquid_values[n] if n < liquid_count else None
                    if made is not None and made >= upper:
                        made = None
                    else:
                        hinted, hint = made, n
                    phase = True
                else:
                    made, phase = next_dose(target, upper, liquid)
                fits = made is not None and made <= values[i]
                pair = None
                if (
                    not liquid
                    and i + 1 < count
                    and (not fits or made != target)
                    and final <= tails[i + 1]
                ):
                    # the slot cannot take the asked cut (a smaller cut, or none): share it
                    # with the next slot when the two make a cut closer to the asked one on
                    # tablets (Ashton's tails alternate: 20/20 -> 18/20 -> 18/18). Not when a
                    # target above 0 still needs the next slot's dose as checked up front.
                    cap = values[i]
                    pair = formulary.rebalance(
                        target + values[i + 1],
                        cap if cap < upper else upper,  # min(upper, cap), without a call
                        values[i + 1],
                        minimum,
                    )
                    if (
                        pair is not None
                        and fits
                        and made is not None
                        and pair[0] + pair[1] - values[i + 1] >= made
                    ):
                        pair = None  # the slot alone makes a cut at least as close
                    left = None if pair is None else pair[1] + tails[i + 1]
                    if left is not None and left * limit < keep * floor_of(values[i]):
                        # the later slots would fall below what lets this slot's last dose
                        # be dropped within the limit: cut this slot alone (or drop it, the
                        # step before lengthened), keep them
                        pair = None
                if pair is not None:
                    values[i + 1] = pair[1]  # the later slot's dose from now on
                    tails[:] = [sum(values[n + 1 :], ZERO) for n in range(count)]
                    new = tails[i] + pair[0]
                    grid = pair[0]
                elif fits and made is not None:
                    # made itself when nothing is below the slot (the same value: grid values
                    # have no positive exponent); the grid's Decimal has its hash worked out
                    new = tail + made if tail else made
                    liquid = phase
                    grid = made
                else:
                    j = segment(daily) if count > 1 else 0
                    base = tails[j]
                    if liquid and not base and daily is hinted and hint:
                        # Formulary.next_below on the liquid, inline: the slot's dose is
                        # liquid_values[hint], so the largest one below it is the one before
                        hint -= 1
                        value = hinted = liquid_values[hint]
                        phase = True
                    else:
                        value, phase = formulary.next_below(daily - base, liquid)
                    if base > 0 and value < minimum:
                        value = ZERO  # drop the slot rather than leave a token dose
                    else:
                        liquid = phase
                    # max(base + value, final), never below the target (value itself when
                    # nothing is below the slot: grid values have no positive exponent)
                    new = base + value if base else value
                    if final > new:
                        new = final
                    k = ceil_int(daily - new, total - planned_total)  # the cut asked
            previous = drafts[-1]
            if k > 1 or previous.days < interval:
                wanted = k * interval
                if previous.days < wanted:
                    self._set_days(previous, max(previous.base_days, wanted))
                previous.stretched = k
            daily = new
            if not new and single:
                current[drug] = {}
                self._append(_Draft((), 0, Phase.STOP, ZERO))
                if key is not None:
                    record.append((k, None, ZERO, _CUT_STOP))
                    formulary.remember(key, (tuple(record), {}))
                return True
            mine: list[Dose] = []
            if count == 1:
                kept = held_by[0]
                if new <= ZERO:
                    held_by[0] = None
                else:
                    if kept is None or kept.mg != new:
                        kept = dose_cache.get((first_slot, new, liquid))
                        if kept is None:
                            kept = dose_of(first_slot, new, liquid)
                        held_by[0] = kept
                    mine.append(kept)
            elif new <= values[top]:
                # All of it in the last slot (the tail of a taper): what the sharing below
                # gives, without its lists (nothing left to consolidate into a later slot).
                for index in range(top):
                    held_by[index] = None
                if new > ZERO:
                    kept = held_by[top]
                    if kept is None or kept.mg != new:
                        if liquid and new is hinted:
                            # dose_cache[(order[top], new, True)], found by new's index in
                            # the liquid grid (no key to hash)
                            kept = last_doses.get(hint)
                            if kept is None:
                                kept = last_doses[hint] = dose_of(order[top], new, True)
                        else:
                            kept = dose_cache.get((order[top], new, liquid))
                            if kept is None:
                                kept = dose_of(order[top], new, liquid)
                        held_by[top] = kept
                    mine.append(kept)
                else:
                    held_by[top] = None
            else:
                # The night keeps its dose longest: slots fill from the last one; only the
                # slot where the daily total runs out gets part of its dose (and only it can
                # be a token dose to consolidate, see _consolidate).
                allocated = [ZERO] * count
                remaining = new
                index = count - 1
                if grid is not None:
                    # the cut slot i takes grid (0 < grid <= values[i]) and the later slots
                    # keep theirs: the loop fills those and stops at i with grid remaining,
                    # as it would after subtracting them
                    allocated[i + 1 :] = values[i + 1 :]
                    index = i
                    remaining = grid
                while index >= 0:
                    value = values[index]
                    if value < remaining:
                        allocated[index] = value
                        remaining -= value
                        index -= 1
                        continue
                    # the equal grid value when it is one (the same dose is looked up)
                    allocated[index] = grid if grid is not None and remaining == grid else remaining
                    if ZERO < remaining < minimum and remaining != value:
                        self._consolidate(allocated, values, minimum, formulary)
                    break
                for index in day_order:
                    value = allocated[index]
                    if value <= ZERO:
                        held_by[index] = None
                        continue
                    kept = held_by[index]
                    if kept is None or kept.mg != value:
                        kept = dose_cache.get((order[index], value, liquid))
                        if kept is None:
                            kept = dose_of(order[index], value, liquid)
                        held_by[index] = kept
                    mine.append(kept)
            if single:
                doses = tuple(mine)
                if new is grid:
                    # divide(new * TEN, figure) as below, worked out once per grid value
                    equivalent = equivalents.get(new)
                    if equivalent is None:
                        equivalent = equivalents[new] = divide(new * TEN, figure)
                else:
                    equivalent = divide(new * TEN, figure)
            else:
                doses = ctx.sort([*others, *mine])
                equivalent = ctx.equivalent_totals({**other_totals, drug: new})
            last = mine
            # _Draft(doses, interval, taper, equivalent), without a Python __init__ call
            draft = new_draft(_Draft)
            draft.doses = doses
            draft.days = draft.base_days = interval
            draft.phase = taper
            draft.equivalent = equivalent
            draft.stretched = 1
            drafts.append(draft)
            if key is not None:
                record.append((k, doses, equivalent, _STEP))
            self.total_days += interval
            if len(drafts) > MAX_STEPS or self.total_days > MAX_DAYS:
                self._too_long()
        current[drug] = {dose.slot: dose.mg for dose in last}
        if key is not None:
            formulary.remember(key, (tuple(record), dict(current[drug])))
        return False

    def _custom(self, drug: str, current: dict[str, dict[Slot, Decimal]]) -> None:
        """The ``custom`` strategy: the prescriber's daily doses of ``drug``, in order.

        Each daily dose is shared over the drug's slots as the other strategies share a cut
        (the night dose kept longest: filled first, up to its current dose; a rise goes to the
        night). Every slot dose must be makeable, else an input error at
        ``custom_steps.N.mg``: nothing is rounded. ``mg`` 0 is the stop step. The plan must
        end where ``target_mg`` says (0: the stop). Pace is left to the guardrails.
        """
        request = self.request
        ctx = self.ctx
        formulary = ctx.formularies[drug]
        info = self.reference.drug(drug)
        name = info.name if info is not None else drug
        interval = request.interval_days
        previous = self.drafts[-1]
        if previous.phase is not Phase.STOP and previous.days < interval:
            self._set_days(previous, interval)  # the baseline / stabilisation step
        slots = current[drug]
        order = [slot for slot in REDUCTION_ORDER if slots.get(slot, ZERO) > 0]
        errors: dict[str, list[str]] = {}
        drafts: list[_Draft] = []
        for n, custom in enumerate(request.custom_steps):
            path = f"custom_steps.{n}.mg"
            if custom.mg == 0:
                drafts.append(_Draft((), 0, Phase.STOP, ZERO))
                continue
            if info is not None and custom.mg > info.hard_max_daily_mg:
                errors.setdefault(path, []).append(
                    f"{name} {fmt(custom.mg)} mg a day is above {fmt(info.hard_max_daily_mg)} mg "
                    "a day, more than this app accepts as a real dose."
                )
                continue
            allocated: dict[Slot, Decimal] = {}
            remaining = custom.mg
            for slot in reversed(order):
                value = min(slots[slot], remaining)
                allocated[slot] = value
                remaining -= value
            if remaining > 0:
                last_slot = order[-1]
                allocated[last_slot] = allocated[last_slot] + remaining
            bad = [
                (slot, mg)
                for slot, mg in allocated.items()
                if mg > 0 and not formulary.is_makeable(mg)
            ]
            if bad:
                parts = "; ".join(
                    f"{slot.value} {fmt(mg)} mg: {formulary.describe_nearest(mg)}"
                    for slot, mg in bad
                )
                errors.setdefault(path, []).append(
                    f"{name} {fmt(custom.mg)} mg a day cannot be made from {request.country} "
                    f"products when shared over the slots as planned ({parts})."
                )
                continue
            doses = ctx.sort(formulary.dose(slot, mg) for slot, mg in allocated.items() if mg > 0)
            drafts.append(_Draft(doses, custom.days, Phase.TAPER, ctx.equivalent(doses)))
        if errors:
            raise PlanInputError(errors)
        last = drafts[-1]
        target = request.target_mg
        if target == 0 and last.phase is not Phase.STOP:
            raise PlanInputError(
                {
                    "custom_steps": [
                        'With target_mg 0 the last custom step is the stop: {"mg": "0"}. To end '
                        "on a maintenance dose, set target_mg to its diazepam-equivalent."
                    ]
                }
            )
        if target > 0 and q2(last.equivalent) != q2(target):
            raise PlanInputError(
                {
                    "custom_steps": [
                        f"The last custom step is {fmt(q2(last.equivalent))} mg "
                        f"diazepam-equivalent a day; it must equal target_mg "
                        f"({fmt(target)} mg)."
                    ]
                }
            )
        for draft in drafts:
            self._append(draft)
        current[drug] = {d.slot: d.mg for d in last.doses}

    def _replay(
        self,
        drug: str,
        current: dict[str, dict[Slot, Decimal]],
        memo: tuple[
            tuple[tuple[int, tuple[Dose, ...] | None, Decimal, int], ...],
            dict[Slot, Decimal] | None,
        ],
    ) -> bool:
        """Append the memoised steps of a one-drug taper exactly as :meth:`_taper` built
        them (the same lengthening of the step before each cut)."""
        entries, ending = memo
        drafts = self.drafts
        interval = self.request.interval_days
        taper = Phase.TAPER
        for k, doses, equivalent, kind in entries:
            if kind == _THRESHOLD_STOP:
                self._append(_Draft((), 0, Phase.STOP, ZERO))
                return True
            previous = drafts[-1]
            if k > 1 or previous.days < interval:
                wanted = k * interval
                if previous.days < wanted:
                    self._set_days(previous, max(previous.base_days, wanted))
                previous.stretched = k
            if kind == _CUT_STOP:
                current[drug] = {}
                self._append(_Draft((), 0, Phase.STOP, ZERO))
                return True
            drafts.append(_Draft(doses or (), interval, taper, equivalent))
            self.total_days += interval
            if len(drafts) > MAX_STEPS or self.total_days > MAX_DAYS:
                self._too_long()
        if ending is not None:
            current[drug] = dict(ending)
        return False

    @staticmethod
    def _consolidate(
        allocated: list[Decimal], values: list[Decimal], minimum: Decimal, formulary: Formulary
    ) -> None:
        """A slot cut to a token dose (below ``minimum`` while a later slot still holds a dose)
        is consolidated into the next slot that does, when the sum is makeable: the daily total
        is unchanged (Ashton's tails; happens when a target above 0 splits that way). Slots
        the prescriber entered below the floor, unchanged, are left alone."""
        count = len(allocated)
        for index in range(count - 1):
            value = allocated[index]
            if not ZERO < value < minimum or value == values[index]:
                continue
            for later in range(index + 1, count):
                if allocated[later] > 0:
                    merged = allocated[later] + value
                    if formulary.is_makeable(merged):
                        allocated[later] = merged
                        allocated[index] = ZERO
                    break

    def _factor(self) -> Decimal | None:
        """A proportional taper's planned next dose is the current one times this."""
        strategy = self.strategy
        if strategy.kind is StrategyKind.PROPORTIONAL:
            return (HUNDRED - (strategy.reduction_percent or ZERO)) / HUNDRED
        return None

    def _next_function(
        self, scale: Decimal, factor: Decimal | None
    ) -> Callable[[Decimal], Decimal]:
        """The strategy's planned-next-dose function, specialised for the hot loop
        (``factor``: :meth:`_factor`, worked out once by the caller)."""
        strategy = self.strategy
        if factor is not None:
            return lambda current: current * factor
        if strategy.kind is StrategyKind.LINEAR:
            step = (strategy.step_mg or ZERO) * scale
            return lambda current: current - step
        return lambda current: strategy.planned(current, scale)

    def _target_error(
        self,
        drug: str,
        final: Decimal,
        tail: Decimal,
        formulary: Formulary,
        others: Decimal,
        scale: Decimal,
    ) -> None:
        low, high = formulary.nearest(final - tail)
        options = [
            f"{fmt(q2((tail + value + others) / scale))} mg"
            for value in (low, high)
            if value is not None
        ]
        info = self.reference.drug(drug)
        name = info.name.lower() if info is not None else drug
        raise PlanInputError(
            {
                "target_mg": [
                    f"A target of {fmt(self.request.target_mg)} mg diazepam-equivalent a day "
                    f"cannot be made from {self.request.country} {name} products in this plan; "
                    f"nearest makeable: {' or '.join(options) if options else 'none'}."
                ]
            }
        )

    # -- edits and holds ----------------------------------------------------------------

    def _apply_edits(self, which: Callable[[int], bool] = lambda index: True) -> set[int]:
        """Apply hand edits (those whose index ``which`` accepts) to built steps; returns the
        built indices flagged as returns."""
        if not self.request.edits:  # nothing to apply: what the loop below gives for no edits
            return set()
        errors: dict[str, list[str]] = {}
        flagged: set[int] = set()
        count = len(self.drafts)
        allowed = {entry.drug for entry in self.request.regimen}
        if self.switching:
            allowed.add(DIAZEPAM)
        for n, edit in enumerate(self.request.edits):
            path = f"edits.{n}"
            if not which(edit.index):
                continue
            if not 1 <= edit.index <= count:
                errors.setdefault(f"{path}.index", []).append(
                    f"There is no step {edit.index}; this plan has {count} steps."
                )
                continue
            draft = self.drafts[edit.index - 1]
            if draft.phase is Phase.STOP and (edit.days is not None or edit.doses is not None):
                errors.setdefault(path, []).append(
                    f"Step {edit.index} is the stop step: it has no doses and no length. Edit the "
                    "step before it, or add a hold."
                )
                continue
            if edit.doses is not None:
                problem = self._edit_doses(draft, edit.doses, edit.drug, allowed, path, errors)
                if problem:
                    continue
            if edit.days is not None:
                self.total_days += edit.days - draft.days
                draft.days = edit.days
                self.edited_days.add(edit.index)
            if edit.return_to_previous:
                flagged.add(edit.index)
        if errors:
            raise PlanInputError(errors)
        return flagged

    def _edit_doses(
        self,
        draft: _Draft,
        doses: tuple[tuple[Slot, Decimal], ...],
        drug: str | None,
        allowed: set[str],
        path: str,
        errors: dict[str, list[str]],
    ) -> bool:
        in_step = sorted({dose.drug for dose in draft.doses})
        if drug is None:
            if len(in_step) != 1:
                errors.setdefault(f"{path}.drug", []).append(
                    f"This step holds {' and '.join(in_step)}; say which drug the doses are for."
                )
                return True
            drug = in_step[0]
        if drug not in allowed:
            errors.setdefault(f"{path}.drug", []).append(
                f'"{drug}" is not a drug of this plan; use one of: {", ".join(sorted(allowed))}.'
            )
            return True
        formulary = self.ctx.formularies[drug]
        info = self.reference.drug(drug)
        name = info.name if info is not None else drug
        bad = False
        for slot, mg in doses:
            if not formulary.is_makeable(mg):
                errors.setdefault(f"{path}.doses.{slot.value}", []).append(
                    f"{name} {fmt(mg)} mg cannot be made from {self.request.country} products; "
                    f"{formulary.describe_nearest(mg)}."
                )
                bad = True
        if bad:
            return True
        changed = dict(doses)
        kept = [d for d in draft.doses if not (d.drug == drug and d.slot in changed)]
        added = [formulary.dose(slot, mg) for slot, mg in changed.items() if mg > 0]
        new = self.ctx.sort([*kept, *added])
        if not new:
            errors.setdefault(f"{path}.doses", []).append(
                "A dosing step needs at least one dose; the plan's stop step is made for you."
            )
            return True
        if info is not None:
            daily = sum((d.mg for d in new if d.drug == drug), ZERO)
            if daily > info.hard_max_daily_mg:
                errors.setdefault(f"{path}.doses", []).append(
                    f"{name} {fmt(daily)} mg a day is above {fmt(info.hard_max_daily_mg)} mg a "
                    "day, more than this app accepts as a real dose."
                )
                return True
        draft.doses = new
        draft.equivalent = self.ctx.equivalent(new)
        return False

    def _apply_holds(self) -> None:
        holds = self.request.holds
        if not holds:
            return
        count = len(self.drafts)
        errors: dict[str, list[str]] = {}
        after: dict[int, list[int]] = {}
        for n, hold in enumerate(holds):
            if not 1 <= hold.step <= count:
                errors.setdefault(f"holds.{n}.step", []).append(
                    f"There is no step {hold.step}; this plan has {count} steps."
                )
            elif self.drafts[hold.step - 1].phase is Phase.STOP:
                errors.setdefault(f"holds.{n}.step", []).append(
                    f"Step {hold.step} is the stop step; hold the step before it instead."
                )
            else:
                after.setdefault(hold.step, []).append(hold.days)
        if errors:
            raise PlanInputError(errors)
        drafts: list[_Draft] = []
        extra = 0
        for index, draft in enumerate(self.drafts, start=1):
            drafts.append(draft)
            self.inserted_before.append(extra)
            for days in after.get(index, ()):
                drafts.append(_Draft(draft.doses, days, Phase.HOLD, draft.equivalent))
                self.total_days += days
                extra += 1
        self.drafts = drafts
        if self.total_days > MAX_DAYS or len(drafts) > MAX_STEPS:
            added = sum(hold.days for hold in holds)
            raise PlanInputError(
                {
                    "holds": [
                        f"With these holds ({len(holds)} hold(s), {added} days in all) the plan "
                        f"would be {self.total_days} days and {len(drafts)} steps, more than "
                        f"the {MAX_DAYS} days (10 years) or {MAX_STEPS} steps a plan may have. "
                        "Use fewer or shorter holds."
                    ]
                }
            )

    # -- finishing ----------------------------------------------------------------------

    def _finish(self, edited_back: set[int]) -> Plan:
        request = self.request
        steps: list[Step] = []
        ordinal = request.start_date.toordinal()
        known_days = DAYS
        stop = Phase.STOP
        # CONTEXT rounds half-even: its quantize is Decimal.quantize(q, ROUND_HALF_EVEN,
        # CONTEXT) without the keyword-argument parsing
        quantize = CONTEXT.quantize
        append = steps.append
        previous = ZERO
        # One pass over the drafts also gathers what the warnings need (lengthened steps, the
        # reasons steps are long, the drugs whose products are too coarse, diazepam in use).
        scan = _Scan()
        interval = request.interval_days
        hold = Phase.HOLD
        taper = Phase.TAPER
        custom = request.strategy is StrategyKind.CUSTOM
        coarse = None if self.switching else scan.coarse
        edited_days = self.edited_days
        # every dose comes from a formulary of the context: without diazepam's, none is diazepam
        look_for_diazepam = DIAZEPAM in self.ctx.formularies
        uses_diazepam = False
        built = 0
        forced_next: bool | None = None  # set by a lengthened step: the next cut was forced
        longest = 0
        make_step = tuple.__new__  # Step is a named tuple: one call, no __new__ in Python
        figures = STEP_FIGURES
        previous_cuts: dict[str, Decimal] = {}
        for index, draft in enumerate(self.drafts, 1):
            equivalent = draft.equivalent
            days = draft.days
            phase = draft.phase
            if look_for_diazepam and not uses_diazepam:
                for dose in draft.doses:
                    if dose.drug == DIAZEPAM:
                        uses_diazepam = True
                        break
            stretched = draft.stretched
            if phase is hold:
                scan.reasons[index] = "a hold was added"
            else:
                if forced_next is not None:
                    scan.forced[index] = forced_next
                    forced_next = None
                # a built step's final index is its position: holds come after their step
                built += 1
                if built in edited_days:
                    scan.reasons[index] = "an edit set its length"
                elif stretched > 1:
                    scan.reasons[index] = (
                        f"the products cannot make a smaller reduction after it, so it was "
                        f"lengthened to {stretched} intervals to keep the average pace (see "
                        "step-lengthened)"
                    )
                elif custom and phase is taper:
                    scan.reasons[index] = "the custom steps set its length"
                if stretched > 1 and coarse is not None:
                    for dose in draft.doses:
                        if dose.drug != DIAZEPAM:
                            entries = coarse.setdefault(dose.drug, [])
                            if index not in entries:
                                entries.append(index)
            if stretched > 1:
                forced_next = coarse is not None and any(
                    dose.drug != DIAZEPAM for dose in draft.doses
                )
                scan.stretched.append(
                    STEP_LENGTHENED.issue(index, k=stretched, interval=interval, days=days)
                )
            # the rounding and the cut are worked out once per equivalent value, memoised by
            # its digits (equal strings are equal Decimals with equal exponents: they round
            # and divide alike); see STEP_FIGURES
            digits = str(equivalent)
            known = figures.get(digits)
            if known is None:
                if len(figures) >= _FIGURES_LIMIT:
                    figures.clear()
                known = figures[digits] = (quantize(equivalent, CENT), {})
            if previous:
                cut = previous_cuts.get(digits)
                if cut is None:
                    # "/" is CONTEXT.divide here (build_plan runs in a copy of CONTEXT),
                    # without its argument parsing
                    cut = quantize((previous - equivalent) * HUNDRED / previous, TENTH)
                    if len(previous_cuts) >= _CUTS_LIMIT:
                        previous_cuts.clear()
                    previous_cuts[digits] = cut
                reduction = cut
            else:
                reduction = ZERO
            previous_cuts = known[1]
            # == datetime.date.fromordinal(...): the day kept in DAYS (a date is never false)
            start = known_days.get(ordinal) or day_of(ordinal)
            append(
                make_step(
                    Step,
                    (
                        index,
                        start,
                        start
                        if phase is stop
                        else known_days.get(ordinal + days - 1) or day_of(ordinal + days - 1),
                        days,
                        known[0],
                        reduction,
                        phase,
                        draft.doses,
                        equivalent,
                    ),
                )
            )
            ordinal += days
            if days > longest:
                longest = days
            previous = equivalent
        scan.uses_diazepam = uses_diazepam
        scan.total_days = ordinal - request.start_date.toordinal()  # the sum of the days
        scan.longest = longest
        step_tuple = tuple(steps)
        summary, equivalence_warnings = equivalence_summary(
            self.reference,
            request.equivalence_source,
            [entry.drug for entry in request.regimen],
        )
        violations, warnings = self._issues(step_tuple, edited_back, equivalence_warnings, scan)
        return Plan(
            algorithm_version=ALGORITHM_VERSION,
            start_equivalent_mg=q2(self.start_equivalent),
            equivalence=summary,
            steps=step_tuple,
            violations=violations,
            warnings=warnings,
            total_days=scan.total_days,
            reviews=self._reviews(step_tuple),
        )

    def _issues(
        self,
        step_tuple: tuple[Step, ...],
        edited_back: set[int],
        equivalence_warnings: list[Issue],
        scan: _Scan,
    ) -> tuple[tuple[Issue, ...], tuple[Issue, ...]]:
        """The plan's violations and warnings, each in order (the guardrails over the
        finished steps, the products and the reasons steps are long)."""
        request = self.request
        shifted = self.inserted_before
        flagged = {index + (shifted[index - 1] if shifted else 0) for index in edited_back}
        names: dict[str, str] = {}
        limits: dict[str, Decimal] = {}
        for drug in self.ctx.figures:
            info = self.reference.drug(drug)
            if info is not None:
                names[drug] = info.name
                limits[drug] = info.plausible_max_daily_mg
        violations, warnings = check_plan(
            step_tuple,
            start_equivalent=self.start_equivalent,
            max_reduction_percent=request.max_reduction_percent,
            stop_threshold=request.stop_threshold_mg,
            return_to_previous=flagged,
            start_daily_mg={entry.drug: entry.daily_mg for entry in request.regimen},
            plausible_max=limits,
            drug_names=names,
        )
        caution_violations, cautions = check_cautions(
            drugs=[entry.drug for entry in request.regimen],
            country=request.country,
            factors=request.patient_factors,
            uses_diazepam=scan.uses_diazepam,
            start_equivalent=self.start_equivalent,
            drug_names=names,
        )
        if scan.forced:
            violations = explain_forced_cuts(violations, scan.forced, step_tuple)
        # check_plan's violations come sorted, and explain_forced_cuts keeps their order,
        # rules and steps: sorting them alone gives them as they are
        if caution_violations:
            violations = sort_issues([*caution_violations, *violations])
        all_warnings = [
            *equivalence_warnings,
            *cautions,
            *self._product_warnings(step_tuple),
            *scan.stretched,
            *[
                CONSIDER_SWITCH.issue(None, drug=names.get(drug, drug), steps=_ranges(indices))
                for drug, indices in scan.coarse.items()
            ],
            # without a step over 8 weeks or a plan over 3 years check_lengths gives nothing
            *(
                check_lengths(step_tuple, scan.reasons, self._default_reason())
                if scan.longest > LONG_STEP_DAYS or scan.total_days > LONG_PLAN_DAYS
                else ()
            ),
            # only a switch makes cross-over stages (_crossover): what check_crossover gives
            # for steps without one
            *(
                check_crossover(
                    step_tuple,
                    ashton=request.crossover_pace is CrossoverPace.ASHTON,
                    start_equivalent=self.start_equivalent,
                )
                if self.switching
                else ()
            ),
            # without patient factors check_slower_pace gives nothing
            *(
                check_slower_pace(
                    step_tuple,
                    start_equivalent=self.start_equivalent,
                    stop_threshold=request.stop_threshold_mg,
                    factors=request.patient_factors,
                )
                if request.patient_factors
                else ()
            ),
            *warnings,
        ]
        return tuple(violations), tuple(sort_issues(all_warnings, by_rule=False))

    def _default_reason(self) -> str:
        return f"the chosen interval is {self.request.interval_days} days"

    def _reviews(self, steps: tuple[Step, ...]) -> tuple[Review, ...]:
        """SCOT: review 5-7 days after the switch to diazepam (dated 7 days after the first
        day on diazepam alone)."""
        if not self.switching:
            return ()
        for step in steps:
            if step.phase is Phase.HOLD:
                continue
            if step.phase is not Phase.CROSSOVER:
                break
            if step.doses and all(dose.drug == DIAZEPAM for dose in step.doses):
                return (
                    Review(
                        date=step.start_date + datetime.timedelta(days=SWITCH_REVIEW_DAYS),
                        reason=(
                            "Review progress and tolerance of the switch to diazepam "
                            "(sedation, withdrawal) 5 to 7 days after it, or sooner, before "
                            "the first reduction."
                        ),
                        source="NHS Scotland 2024",
                    ),
                )
        return ()

    def _product_warnings(self, steps: tuple[Step, ...]) -> list[Issue]:
        """``off-licence-split`` and ``unverified-product`` warnings, one per product with the
        steps that use it. An unverified product (issue 9; clinical reference section 5:
        confirm each against a public source before relying on it) is used only when nothing
        verified makes the dose (:mod:`schedules.engine.formulations`)."""
        off: dict[str, tuple[Product, list[int]]] = {}
        unverified: dict[str, tuple[Product, list[int]]] = {}
        formularies = self.ctx.formularies
        flagged: set[int] = set()
        for formulary in formularies.values():
            flagged |= formulary.flagged
        if not flagged:
            return []
        for step in steps:
            index = step.index
            for dose in step.doses:
                if id(dose) not in flagged:
                    continue
                formulary = formularies[dose.drug]
                flags = (formulary.off_licence_for(dose), formulary.unverified_for(dose))
                for used, products in ((off, flags[0]), (unverified, flags[1])):
                    for product in products:
                        entry = used.setdefault(product.slug, (product, []))
                        if not entry[1] or entry[1][-1] != index:
                            entry[1].append(index)
        issues = [
            OFF_LICENCE_SPLIT.issue(
                indices[0],
                product=product.label or product.slug,
                steps=_ranges(indices),
                note=product.notes,
            )
            for product, indices in off.values()
        ]
        for product, indices in unverified.values():
            issues.append(
                UNVERIFIED_PRODUCT_RULE.issue(
                    indices[0],
                    product=product.label or product.slug,
                    country=product.country,
                    source=self.reference.source_label(product.source)
                    if product.source
                    else "none",
                    steps=_ranges(indices),
                    note=product.notes,
                )
            )
        return issues


def _daily(slots: Mapping[Slot, Decimal]) -> Decimal:
    return sum(slots.values(), ZERO)


def _ranges(indices: list[int]) -> str:
    """[3, 4, 5, 9] -> "3-5, 9"."""
    parts: list[str] = []
    start = prev = indices[0]
    for value in indices[1:]:
        if value == prev + 1:
            prev = value
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = value
    parts.append(str(start) if start == prev else f"{start}-{prev}")
    return ", ".join(parts)
