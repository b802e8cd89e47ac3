"""Ashton-style cross-over: substitute diazepam for the current drug slot by slot.

Principles (clinical reference section 3; ashton-2007 / Ashton Manual schedules, ASAM 2025
Table 7 note, PrescQIPP, nhs-scotland-2024):

* One dose at a time, NIGHT FIRST, then morning, then midday, then evening.
* The daily diazepam-equivalent (DE) is never above the start and never rises from one
  stage to the next.
* It is not a 1:1 swap of the whole equivalent: Ashton Schedule 1 goes from alprazolam 6 mg
  (120 mg DE) to diazepam 50 mg, removing the alprazolam faster than diazepam is added.
* Stages last 7 days in the first pass and 14 days later ("over 1-2 weeks rather than 1-2
  days", ASAM 2025 Table 7 note; Ashton: 1-week stages, then 2-week stages).

The algorithm (stage rules chosen to reproduce Ashton Schedule 1, stage by stage; the cap
and the piece size are app choices derived from that schedule):

1. A *piece* is the dose of the drug equivalent to diazepam 10 mg (its figure: alprazolam
   0.5 mg at ashton-2007), Ashton's unit of substitution ("alprazolam 0.5 mg -> diazepam 10
   mg").
2. **First pass, 7-day stages, DE unchanged.** In slot order night, morning, midday, evening,
   swap pieces 1:1 for diazepam until half of the slot's DE is diazepam (a slot of one piece
   or less is swapped whole). The pass ends, wherever it is, before the diazepam total would
   exceed 40 mg (:data:`DIAZEPAM_CAP`, what Schedule 1 reaches after its four 1-week stages).
3. **Second pass, 14-day stages, DE falling.** Each stage takes the first slot still holding
   the drug, slots without diazepam first, then night, morning, midday, evening. It removes
   one piece (two from a slot that has no diazepam yet, as Schedule 1 stage 5 does at
   midday) and adds only as much diazepam as keeps the fall within one piece (10 mg DE), the
   ``max_reduction_percent`` limit over 14 days, and the target.
4. **Consolidation.** Once on diazepam alone, doses are moved to morning and night (Ashton
   Schedule 1 stage 12: 20 / 10 / 20 -> 25 / 25), as evenly as makeable, night >= morning.

The cross-over keeps Ashton's own pace (at most one piece, 10 mg DE, per 14 days, and never
more than ``max_reduction_percent`` in 14 days); the chosen strategy (proportional, linear,
banded) starts once the patient is on diazepam alone. Several drugs are switched one after
the other, shortest-acting first; the 40 mg cap counts all diazepam in the regimen.

Worked example (alprazolam 2 mg morning, midday and night; ashton-2007; GB products)::

    stage  days  morning          midday           night            DE
    1      7     alp 2            alp 2            alp 1.5 + DZ 10  120
    2      7     alp 2            alp 2            alp 1 + DZ 20    120
    3      7     alp 1.5 + DZ 10  alp 2            alp 1 + DZ 20    120
    4      7     alp 1 + DZ 20    alp 2            alp 1 + DZ 20    120
    5      14    alp 1 + DZ 20    alp 1 + DZ 10    alp 1 + DZ 20    110
    6      14    alp 1 + DZ 20    alp 1 + DZ 10    alp 0.5 + DZ 20  100
    7      14    alp 1 + DZ 20    alp 1 + DZ 10    DZ 20            90
    8      14    alp 0.5 + DZ 20  alp 1 + DZ 10    DZ 20            80
    9      14    DZ 20            alp 1 + DZ 10    DZ 20            70
    10     14    DZ 20            alp 0.5 + DZ 10  DZ 20            60
    11     14    DZ 20            DZ 10            DZ 20            50
    12     14    DZ 25            -                DZ 25            50

Stages 1-5, 11 and 12 are Ashton's; stages 9 and 10 take the midday alprazolam before the
last morning piece (Ashton takes them in a different order; the totals are the same).
With the NHS Scotland example (lorazepam 1 mg twice daily, nhs-scotland-2024) the same
rules give their two steps exactly: lorazepam 1 mg morning + diazepam 10 mg night, then
diazepam 10 mg + 10 mg.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from schedules.engine.formulations import Formulary
from schedules.engine.reference import DIAZEPAM
from schedules.engine.types import SLOTS, Slot
from schedules.engine.units import HUNDRED, TEN, ZERO, div

__all__ = [
    "CROSSOVER_ORDER",
    "DIAZEPAM_CAP",
    "FIRST_PASS_DAYS",
    "PIECE_EQUIVALENT",
    "SECOND_PASS_DAYS",
    "CrossoverStage",
    "State",
    "plan_crossover",
]

#: Slots in the order they are switched (night first).
CROSSOVER_ORDER: tuple[Slot, ...] = (Slot.NIGHT, Slot.MORNING, Slot.MIDDAY, Slot.EVENING)
#: The unit of substitution, mg DE (Ashton: alprazolam 0.5 mg for diazepam 10 mg).
PIECE_EQUIVALENT = TEN
#: The first pass stops before the diazepam total would pass this (mg/day).
DIAZEPAM_CAP = Decimal(40)
FIRST_PASS_DAYS = 7
SECOND_PASS_DAYS = 14
WINDOW_DAYS = 14

#: slot -> drug -> mg per dose
State = dict[Slot, dict[str, Decimal]]


@dataclass(frozen=True, slots=True)
class CrossoverStage:
    """One stage: the regimen (slot, drug, mg) and its length in days."""

    doses: tuple[tuple[Slot, str, Decimal], ...]
    days: int
    equivalent: Decimal


class _Run:
    def __init__(
        self,
        state: State,
        figures: Mapping[str, Decimal],
        formularies: Mapping[str, Formulary],
        start_equivalent: Decimal,
        target: Decimal,
        max_reduction_percent: Decimal,
        drug_order: Sequence[str],
    ) -> None:
        self.state: State = {slot: dict(doses) for slot, doses in state.items()}
        self.figures = figures
        self.formularies = formularies
        self.start = start_equivalent
        self.target = target
        self.keep = (HUNDRED - max_reduction_percent) / HUNDRED
        self.drug_order = {drug: i for i, drug in enumerate(drug_order)}
        self.stages: list[CrossoverStage] = []
        self.timeline: list[tuple[int, Decimal]] = []
        self.day = 0
        self.dz = formularies[DIAZEPAM]
        self._equivalent: Decimal | None = None

    def equivalent(self) -> Decimal:
        """DE of the current state: per-drug daily totals, summed in slug order (cached until
        the state changes)."""
        cached = self._equivalent
        if cached is not None:
            return cached
        totals: dict[str, Decimal] = {}
        for doses in self.state.values():
            for drug, mg in doses.items():
                totals[drug] = totals.get(drug, ZERO) + mg
        figures = self.figures
        value = sum((div(totals[d] * TEN, figures[d]) for d in sorted(totals)), ZERO)
        self._equivalent = value
        return value

    def diazepam_total(self) -> Decimal:
        return sum((doses.get(DIAZEPAM, ZERO) for doses in self.state.values()), ZERO)

    def equivalent_at(self, day: int) -> Decimal:
        if day < 0 or not self.timeline:
            return self.start
        found = self.start
        for start_day, value in self.timeline:
            if start_day > day:
                break
            found = value
        return found

    def allowed_fall(self) -> Decimal:
        """The most the next stage may lower the DE: one piece, the 14-day limit, the target."""
        now = self.equivalent()
        reference = self.equivalent_at(self.day - WINDOW_DAYS)
        by_limit = now - reference * self.keep
        fall = min(PIECE_EQUIVALENT, by_limit, now - self.target)
        return fall if fall > 0 else ZERO

    def push(self, days: int) -> None:
        rank = self.drug_order
        last = len(rank)
        doses = tuple(
            sorted(
                (
                    (slot, drug, mg)
                    for slot, slot_doses in self.state.items()
                    for drug, mg in slot_doses.items()
                    if mg > 0
                ),
                key=lambda item: (_SLOT_RANK[item[0]], rank.get(item[1], last), item[1]),
            )
        )
        value = self.equivalent()
        self.stages.append(CrossoverStage(doses=doses, days=days, equivalent=value))
        self.timeline.append((self.day, value))
        self.day += days

    def set(self, slot: Slot, drug: str, mg: Decimal) -> None:
        self._equivalent = None
        doses = self.state.setdefault(slot, {})
        if mg > 0:
            doses[drug] = mg
        else:
            doses.pop(drug, None)

    def diazepam_for(
        self, slot: Slot, removed: Decimal, fall: Decimal, *, preserve: bool
    ) -> Decimal:
        """The slot's new diazepam dose after ``removed`` mg DE of the old drug goes.

        The DE may fall by at most ``fall`` and must not rise. ``preserve`` (first pass) adds
        as much as makeable; otherwise as little as the bound allows.
        """
        current = self.state.get(slot, {}).get(DIAZEPAM, ZERO)
        highest = current + removed
        lowest = current + max(ZERO, removed - fall)
        if preserve:
            candidate = self.dz.floor(highest)
            if candidate >= lowest:
                return candidate
        found = self.dz.ceil(lowest)
        if found is not None and found <= highest:
            return found
        return self.dz.floor(highest)  # coarse products: a larger fall, which guardrails report

    def first_pass(self, drug: str) -> bool:
        """Returns False when the diazepam cap ended the pass."""
        figure = self.figures[drug]
        formulary = self.formularies[drug]
        for slot in CROSSOVER_ORDER:
            start_mg = self.state.get(slot, {}).get(drug, ZERO)
            if start_mg <= 0:
                continue
            slot_equivalent = div(start_mg * TEN, figure)
            whole = slot_equivalent <= PIECE_EQUIVALENT
            pieces = 1 if whole else max(1, int(slot_equivalent / (2 * PIECE_EQUIVALENT)))
            for _ in range(pieces):
                mg = self.state[slot].get(drug, ZERO)
                if mg <= 0:
                    break
                new_mg = ZERO if whole else formulary.floor(mg - figure)
                removed = div((mg - new_mg) * TEN, figure)
                diazepam = self.diazepam_for(slot, removed, self.allowed_fall(), preserve=True)
                added = diazepam - self.state[slot].get(DIAZEPAM, ZERO)
                if self.diazepam_total() + added > DIAZEPAM_CAP:
                    return False
                self.set(slot, drug, new_mg)
                self.set(slot, DIAZEPAM, diazepam)
                self.push(FIRST_PASS_DAYS)
        return True

    def second_pass(self, drug: str) -> None:
        figure = self.figures[drug]
        formulary = self.formularies[drug]
        while True:
            holding = [s for s in CROSSOVER_ORDER if self.state.get(s, {}).get(drug, ZERO) > 0]
            if not holding:
                return
            bare = [s for s in holding if self.state[s].get(DIAZEPAM, ZERO) <= 0]
            slot = bare[0] if bare else holding[0]
            pieces = 2 if bare else 1
            mg = self.state[slot][drug]
            new_mg = formulary.floor(mg - pieces * figure)
            removed = div((mg - new_mg) * TEN, figure)
            diazepam = self.diazepam_for(slot, removed, self.allowed_fall(), preserve=False)
            self.set(slot, drug, new_mg)
            self.set(slot, DIAZEPAM, diazepam)
            self.push(SECOND_PASS_DAYS)

    def consolidate(self) -> None:
        """Move diazepam to morning + night (Ashton Schedule 1 stage 12)."""
        slots = [s for s, doses in self.state.items() if doses.get(DIAZEPAM, ZERO) > 0]
        if all(s in (Slot.MORNING, Slot.NIGHT) for s in slots):
            return
        if any(drug != DIAZEPAM for doses in self.state.values() for drug in doses):
            return
        total = self.diazepam_total()
        split = split_morning_night(total, self.dz)
        if split is None:
            return
        morning, night = split
        self.state = {}
        self._equivalent = None
        self.set(Slot.MORNING, DIAZEPAM, morning)
        self.set(Slot.NIGHT, DIAZEPAM, night)
        self.push(SECOND_PASS_DAYS)


_SLOT_RANK = {slot: i for i, slot in enumerate(SLOTS)}


def split_morning_night(total: Decimal, formulary: Formulary) -> tuple[Decimal, Decimal] | None:
    """Split a daily diazepam dose into morning + night, night >= morning, as even as makeable.

    Tablet-only splits are preferred to ones that need liquid. Example: 50 -> (25, 25);
    45 -> (22, 23) with GB tablets (whole mg pieces).
    """
    half = total / 2
    solids = formulary.solid_values
    for i in range(bisect_right(solids, half) - 1, -1, -1):
        morning = solids[i]
        if formulary.is_solid(total - morning):
            return morning, total - morning
    morning = formulary.floor(half)
    for _ in range(400):
        if morning <= 0:
            break
        if formulary.is_makeable(total - morning):
            return morning, total - morning
        morning = formulary.below(morning)
    if formulary.is_makeable(total):
        return ZERO, total
    return None


def plan_crossover(
    state: State,
    drugs: Sequence[str],
    *,
    figures: Mapping[str, Decimal],
    formularies: Mapping[str, Formulary],
    start_equivalent: Decimal,
    target: Decimal,
    max_reduction_percent: Decimal,
) -> list[CrossoverStage]:
    """The cross-over stages that move ``state`` onto diazepam alone.

    Args:
        state: the current regimen, slot -> drug -> mg.
        drugs: the drugs to switch, in order (shortest half-life first).
        figures: each drug's equivalence figure (mg == diazepam 10 mg), diazepam included.
        formularies: each drug's formulary, diazepam included.
        start_equivalent: DE of ``state``.
        target: the plan's target DE; the cross-over never goes below it.
        max_reduction_percent: the 14-day limit the second pass keeps to.

    Returns:
        Stages in order; the last one is on diazepam only (its length is set by the planner,
        which makes it the stabilisation step before the first reduction).
    """
    run = _Run(
        state,
        figures,
        formularies,
        start_equivalent,
        target,
        max_reduction_percent,
        [*drugs, DIAZEPAM],
    )
    capped = False
    for drug in drugs:
        if not capped:
            capped = not run.first_pass(drug)
        run.second_pass(drug)
    run.consolidate()
    return run.stages
