"""The switch to diazepam: substitute diazepam for the current drug slot by slot.

Two paces (request field ``crossover_pace``):

``chosen`` (the default): **the switch follows the prescriber.** It is equivalence-preserving:
one slot at a time, NIGHT FIRST (then morning, midday, evening), one 1-week stage per slot,
each slot's dose replaced by the diazepam dose that is equivalent with the CHOSEN source
(rounded DOWN to a makeable diazepam dose, so the only fall is rounding, less than one
makeable step). No reduction is made during the switch; the reductions start after it, at
the chosen strategy's pace (``reduction_percent`` per ``interval_days`` etc.), so nothing
during or after the switch cuts faster than the prescriber chose. The diazepam dose the
switch ends on depends on the daily dose only, not on how it was split: alprazolam 2 mg a
day ends on diazepam 40 mg (ashton-2007) whether taken 0.5 mg four times a day, 1 mg twice
or 2 mg at night. Sources: ASAM 2025 Rec 7 ("transitioning patients ... to a comparable dose
of a longer-acting BZD") and Table 7 note (over 1-2 weeks rather than 1-2 days); SCOT
(switch, review at 5-7 days, then reduce every 2-4 weeks); Ashton (one dose at a time,
usually the evening/night dose first).

``ashton``: **Ashton's schedule pace** (Ashton Manual substitution schedules, clinical
reference section 3), fixed 10 mg DE stages. The planner names the pace and shows each
stage's percentage cut (``ashton-crossover-stage`` warnings). Stage rules, chosen to
reproduce Ashton's schedules stage by stage where the reference gives them:

1. The *unit* of substitution for a slot is one *piece*, the dose of the drug equivalent to
   diazepam 10 mg (alprazolam 0.5 mg at ashton-2007), or half a piece (5 mg DE) when the
   slot holds 10 mg DE or less (Ashton's half-swaps: lorazepam 1 mg -> lorazepam 0.5 mg +
   diazepam 5 mg; clonazepam 0.5 mg -> 0.25 mg + diazepam 5 mg). A slot of 5 mg DE or less
   is swapped whole.
2. **First pass, 7-day stages, DE unchanged.** Round 1: in slot order night, morning,
   midday, evening, swap units 1:1 until half of the slot's DE is diazepam. Round 2: swap
   the rest of each slot, night first, unit by unit. The pass ends, wherever it is, before
   the diazepam total would exceed 40 mg (:data:`DIAZEPAM_CAP`, what Schedule 1 reaches
   after its four 1-week stages).
3. **Second pass, 14-day stages, DE falling.** Each stage takes the first slot still holding
   the drug, slots without diazepam first, then night, morning, midday, evening. It removes
   one piece (two from a slot that has no diazepam yet while the diazepam total is below the
   endpoint, as Schedule 1 stage 5 does at midday) and adds diazepam towards the endpoint
   (:func:`ashton_endpoint`), never more than it removed, and at least as much as keeps the
   fall within one piece (10 mg DE), the ``max_reduction_percent`` limit over 14 days, and
   the target.
4. **Consolidation.** Once on diazepam alone, doses are moved to morning and night (Ashton
   Schedule 1 stage 12: 20 / 10 / 20 -> 25 / 25), as evenly as makeable, night >= morning.

The ashton endpoint is a function of the daily DE only: ``min(start, 40) + 10 * floor((start
- 40) / 80)`` mg diazepam (an app rule fitted to Schedule 1: 120 mg DE -> 50 mg), so it does
not depend on the split either.

Several drugs are switched one after the other, shortest-acting first; the 40 mg cap counts
all diazepam in the regimen. Both paces end with the consolidation step.

Worked example (ashton pace; alprazolam 2 mg morning, midday and night; ashton-2007)::

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
Lorazepam 3 mg (1 mg x 3): stage 1 is 1 / 1 / (0.5 + DZ 5) and stage 2 (0.5 + DZ 5) / 1 /
(0.5 + DZ 5), as Ashton, then weekly to DZ 10 / 10 / 10. Clonazepam 1.5 mg (0.5 mg x 3):
stage 1 is Ashton's 0.5 / 0.5 / (0.25 + DZ 5); stage 2 then half-swaps the morning dose where
Ashton completes the night dose first (the same one-slot-a-week order as lorazepam 3 mg); it
ends, as Ashton, on DZ 10 / 10 / 10 after six weekly stages.

With the NHS Scotland example (lorazepam 1 mg twice daily, nhs-scotland-2024) the chosen
pace gives their two steps exactly: lorazepam 1 mg morning + diazepam 10 mg night, then
diazepam 10 mg + 10 mg.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from schedules.engine.formulations import Formulary
from schedules.engine.reference import DIAZEPAM
from schedules.engine.types import SLOTS, CrossoverPace, Slot
from schedules.engine.units import HUNDRED, TEN, ZERO, div

__all__ = [
    "CROSSOVER_ORDER",
    "DIAZEPAM_CAP",
    "FIRST_PASS_DAYS",
    "PIECE_EQUIVALENT",
    "SECOND_PASS_DAYS",
    "CrossoverStage",
    "State",
    "ashton_endpoint",
    "plan_crossover",
]

#: Slots in the order they are switched (night first).
CROSSOVER_ORDER: tuple[Slot, ...] = (Slot.NIGHT, Slot.MORNING, Slot.MIDDAY, Slot.EVENING)
#: The unit of substitution, mg DE (Ashton: alprazolam 0.5 mg for diazepam 10 mg).
PIECE_EQUIVALENT = TEN
HALF_PIECE = Decimal(5)
#: Above the cap, the ashton endpoint gains one piece per this many mg DE (Schedule 1 fit).
ENDPOINT_STEP_EQUIVALENT = Decimal(80)
#: The first pass stops before the diazepam total would pass this (mg/day).
DIAZEPAM_CAP = Decimal(40)
FIRST_PASS_DAYS = 7
SECOND_PASS_DAYS = 14
WINDOW_DAYS = 14
ROUNDING_SLACK = Decimal("1E-12")
#: Chosen pace: the most a stage may win back of earlier slots' rounding (mg DE, exclusive).
MAX_REGAIN = Decimal("0.5")

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
        self.endpoint = ashton_endpoint(start_equivalent)
        self.carry = ZERO  # chosen pace: diazepam rounding carried to the next slot

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
        self,
        slot: Slot,
        removed: Decimal,
        fall: Decimal,
        *,
        preserve: bool,
        wanted: Decimal = ZERO,
    ) -> Decimal:
        """The slot's new diazepam dose after ``removed`` mg DE of the old drug goes.

        The DE may fall by at most ``fall`` and must not rise. ``preserve`` (first pass) adds
        as much as makeable; otherwise ``wanted`` mg (towards the endpoint), kept within the
        bounds, as makeable.
        """
        current = self.state.get(slot, {}).get(DIAZEPAM, ZERO)
        highest = current + removed
        lowest = current + max(ZERO, removed - fall)
        if preserve:
            candidate = self.dz.floor(highest)
            if candidate >= lowest:
                return candidate
        aim = min(highest, max(lowest, current + wanted))
        found = self.dz.ceil(aim)
        if found is not None and found <= highest:
            return found
        below = self.dz.floor(highest)
        return below  # coarse products: a larger fall, which guardrails report

    def _unit(self, slot_equivalent: Decimal) -> Decimal | None:
        """The DE swapped per stage in a slot (None: swap the slot whole)."""
        if slot_equivalent <= HALF_PIECE:
            return None
        if slot_equivalent <= PIECE_EQUIVALENT:
            return HALF_PIECE
        return PIECE_EQUIVALENT

    def _swap(self, slot: Slot, drug: str, unit: Decimal | None) -> bool:
        """Swap one unit of ``drug`` in ``slot`` 1:1 for diazepam (a 7-day stage). Returns
        False (and changes nothing) when the diazepam cap would be passed."""
        figure = self.figures[drug]
        mg = self.state[slot].get(drug, ZERO)
        new_mg = ZERO if unit is None else self.formularies[drug].floor(mg - unit * figure / TEN)
        removed = div((mg - new_mg) * TEN, figure)
        diazepam = self.diazepam_for(slot, removed, self.allowed_fall(), preserve=True)
        added = diazepam - self.state[slot].get(DIAZEPAM, ZERO)
        if self.diazepam_total() + added > DIAZEPAM_CAP:
            return False
        self.set(slot, drug, new_mg)
        self.set(slot, DIAZEPAM, diazepam)
        self.push(FIRST_PASS_DAYS)
        return True

    def first_pass(self, drug: str) -> bool:
        """Ashton pace, 7-day stages at the same DE. Returns False when the cap ended it."""
        figure = self.figures[drug]
        units: dict[Slot, Decimal | None] = {}
        for slot in CROSSOVER_ORDER:  # round 1: half of each slot
            start_mg = self.state.get(slot, {}).get(drug, ZERO)
            if start_mg <= 0:
                continue
            slot_equivalent = div(start_mg * TEN, figure)
            unit = self._unit(slot_equivalent)
            units[slot] = unit
            count = 1 if unit is None else max(1, int(slot_equivalent / 2 / unit))
            for _ in range(count):
                if self.state[slot].get(drug, ZERO) <= 0:
                    break
                if not self._swap(slot, drug, unit):
                    return False
        for slot, unit in units.items():  # round 2: the rest, night first, up to the cap
            while self.state[slot].get(drug, ZERO) > 0:
                if not self._swap(slot, drug, unit):
                    return False
        return True

    def chosen_pass(self, drug: str) -> None:
        """Chosen pace: each slot swapped whole for its equivalent diazepam, one per week.

        Each slot's diazepam is rounded down to a makeable dose; what rounding took off is
        carried to the next slot swapped (``self.carry``), so the total the switch ends on is
        the whole regimen's equivalent rounded once, whatever the split. A stage wins back
        less than :data:`MAX_REGAIN` (0.5 mg DE) of it: where the makeable doses have a hole
        (at most four tablets, no liquid) one slot may lose more, and the switch then ends
        lower rather than step back up (never more than the equivalent, never a rise).
        """
        figure = self.figures[drug]
        scale = self.figures[DIAZEPAM] / TEN
        for slot in CROSSOVER_ORDER:
            mg = self.state.get(slot, {}).get(drug, ZERO)
            if mg <= 0:
                continue
            current = self.state[slot].get(DIAZEPAM, ZERO)
            swapped = current + div(mg * TEN, figure) * scale
            exact = swapped + self.carry
            # 1E-12: thirds (oxazepam 10 mg at 30 mg == diazepam 10 mg) summed back to whole
            # doses fall short in the 28th digit; no dose is that fine.
            # A stage wins back less than MAX_REGAIN of earlier rounding; the rest is carried
            # on (a hole in the makeable doses, e.g. at most four tablets and no liquid, can
            # make one slot's rounding lose more than that; the DE then never jumps back up).
            bound = swapped + MAX_REGAIN * scale - ROUNDING_SLACK
            diazepam = self.dz.floor(min(exact + ROUNDING_SLACK, bound))
            self.carry = exact - diazepam
            self.set(slot, drug, ZERO)
            self.set(slot, DIAZEPAM, diazepam)
            self.push(FIRST_PASS_DAYS)

    def second_pass(self, drug: str) -> None:
        figure = self.figures[drug]
        formulary = self.formularies[drug]
        while True:
            holding = [s for s in CROSSOVER_ORDER if self.state.get(s, {}).get(drug, ZERO) > 0]
            if not holding:
                return
            bare = [s for s in holding if self.state[s].get(DIAZEPAM, ZERO) <= 0]
            slot = bare[0] if bare else holding[0]
            short = self.endpoint - self.diazepam_total()
            pieces = 2 if bare and short > 0 else 1
            mg = self.state[slot][drug]
            new_mg = formulary.floor(mg - pieces * figure)
            removed = div((mg - new_mg) * TEN, figure)
            diazepam = self.diazepam_for(
                slot,
                removed,
                self.allowed_fall(),
                preserve=False,
                wanted=max(ZERO, min(removed, short)),
            )
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
    pace: CrossoverPace = CrossoverPace.CHOSEN,
) -> list[CrossoverStage]:
    """The cross-over stages that move ``state`` onto diazepam alone.

    Args:
        state: the current regimen, slot -> drug -> mg.
        drugs: the drugs to switch, in order (shortest half-life first).
        figures: each drug's equivalence figure (mg == diazepam 10 mg), diazepam included.
        formularies: each drug's formulary, diazepam included.
        start_equivalent: DE of ``state``.
        target: the plan's target DE; the cross-over never goes below it.
        max_reduction_percent: the 14-day limit the ashton second pass keeps to.
        pace: ``chosen`` (equivalence-preserving) or ``ashton`` (Ashton's 10 mg DE stages).

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
    if pace is CrossoverPace.CHOSEN:
        for drug in drugs:
            run.chosen_pass(drug)
    else:
        capped = False
        for drug in drugs:
            if not capped:
                capped = not run.first_pass(drug)
            run.second_pass(drug)
    run.consolidate()
    return run.stages


def ashton_endpoint(start_equivalent: Decimal) -> Decimal:
    """The diazepam total (mg/day) the ashton pace moves towards: a function of the daily DE
    only. Example: 40 -> 40; 60 -> 40; 120 -> 50 (Ashton Schedule 1)."""
    capped = min(start_equivalent, DIAZEPAM_CAP)
    extra = max(ZERO, start_equivalent - DIAZEPAM_CAP)
    return capped + PIECE_EQUIVALENT * int(extra / ENDPOINT_STEP_EQUIVALENT)
