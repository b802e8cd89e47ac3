"""The engine's value types: frozen dataclasses and enums, each with ``to_dict()``.

``to_dict()`` gives exactly the JSON shape of ``POST /api/v1/schedules/preview/`` in
DESIGN.md: milligrams as normalised decimal strings (``"0.5"``, ``"10"``), dates ISO 8601.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, NamedTuple

from schedules.engine.units import fmt

__all__ = [
    "SLOTS",
    "BandProfile",
    "CrossoverPace",
    "CustomStep",
    "Dose",
    "Edit",
    "EquivalenceSummary",
    "FigureUsed",
    "Hold",
    "Issue",
    "Phase",
    "Plan",
    "PlanRequest",
    "RegimenDrug",
    "Review",
    "Slot",
    "Step",
    "StrategyKind",
    "Unit",
]


class Slot(StrEnum):
    """A time of day a dose is taken, in day order."""

    MORNING = "morning"
    MIDDAY = "midday"
    EVENING = "evening"
    NIGHT = "night"


#: Slots in day order (the order doses are listed in a step).
SLOTS: tuple[Slot, ...] = (Slot.MORNING, Slot.MIDDAY, Slot.EVENING, Slot.NIGHT)
SLOT_INDEX: dict[Slot, int] = {slot: i for i, slot in enumerate(SLOTS)}


class Phase(StrEnum):
    """What a step is for."""

    CROSSOVER = "crossover"
    TAPER = "taper"
    HOLD = "hold"
    STOP = "stop"


class StrategyKind(StrEnum):
    """How the planned next dose is computed (see :mod:`schedules.engine.strategies`)."""

    PROPORTIONAL = "proportional"
    LINEAR = "linear"
    BANDED = "banded"
    CUSTOM = "custom"


class CrossoverPace(StrEnum):
    """How fast the switch to diazepam lowers the dose (see :mod:`schedules.engine.crossover`).

    ``chosen`` (default): equivalence-preserving, one slot a week; reductions start after the
    switch at the prescriber's chosen pace. ``ashton``: Ashton's fixed 10 mg DE stages.
    """

    CHOSEN = "chosen"
    ASHTON = "ashton"


class BandProfile(StrEnum):
    """Which end of the CKS cut ranges the banded strategy uses."""

    LOWER = "lower"
    UPPER = "upper"


@dataclass(frozen=True, slots=True)
class Unit:
    """Part of a dose: ``count`` tablets/capsules (may be 0.5 or 0.25) or mL of one product.

    ``count * strength_mg`` is this unit's mg exactly; for liquids ``strength_mg`` is mg/mL.
    """

    product: str
    count: Decimal
    unit: str  # "tablet" | "capsule" | "mL"
    strength_mg: Decimal

    @property
    def mg(self) -> Decimal:
        return self.count * self.strength_mg

    def to_dict(self) -> dict[str, Any]:
        return {
            "product": self.product,
            "count": fmt(self.count),
            "unit": self.unit,
            "strength_mg": fmt(self.strength_mg),
        }


@dataclass(frozen=True, slots=True)
class Dose:
    """One drug in one slot. A cross-over slot can hold two doses (old drug and diazepam)."""

    slot: Slot
    drug: str
    mg: Decimal
    units: tuple[Unit, ...]
    _form: tuple[dict[str, Any], tuple[dict[str, str], ...]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def to_dict(self) -> dict[str, Any]:
        # Doses are shared between steps and plans (the formulary caches them), so their
        # dicts are made once and copied: every call returns fresh dicts (callers may change
        # them). _steps_to_dicts does the same for each dose of a step, inline.
        form, units = self._form or self._serialise()
        serialised = form.copy()
        serialised["units"] = list(map(dict.copy, units))
        return serialised

    def _serialise(self) -> tuple[dict[str, Any], tuple[dict[str, str], ...]]:
        """The dose's dict with ``"units"`` None (the key in its place) and its units' dicts:
        kept on the dose (it is immutable) and copied for each answer."""
        form = (
            {"slot": self.slot.value, "drug": self.drug, "mg": fmt(self.mg), "units": None},
            tuple(unit.to_dict() for unit in self.units),
        )
        object.__setattr__(self, "_form", form)
        return form


class Step(NamedTuple):
    """A period on one daily regimen (immutable).

    ``end_date`` is inclusive: ``start_date + days - 1``. The stop step (phase ``stop``) has no
    doses, ``days`` 0 and ``start_date == end_date`` == the first day without any dose.
    ``equivalent_mg`` is the diazepam-equivalent daily total shown (0.01, half-even);
    ``equivalent_exact`` the unrounded value the guardrails use (not serialised).

    A named tuple rather than a frozen dataclass: the planner makes one per step of every
    plan it builds (up to 400), and a tuple is made in one call (see bench/engine.py).
    """

    # the field shadows tuple.index (nothing calls it on a step)
    index: int  # type: ignore[assignment]
    start_date: datetime.date
    end_date: datetime.date
    days: int
    equivalent_mg: Decimal
    reduction_percent: Decimal
    phase: Phase
    doses: tuple[Dose, ...]
    equivalent_exact: Decimal

    def __repr__(self) -> str:
        # as the dataclass it was showed it: without the unrounded equivalent
        return (
            f"Step(index={self.index!r}, start_date={self.start_date!r}, "
            f"end_date={self.end_date!r}, days={self.days!r}, "
            f"equivalent_mg={self.equivalent_mg!r}, "
            f"reduction_percent={self.reduction_percent!r}, phase={self.phase!r}, "
            f"doses={self.doses!r})"
        )

    def to_dict(self) -> dict[str, Any]:
        return _steps_to_dicts((self,))[0]


_MEMO_LIMIT = 20_000
#: A date's ISO string.
_DATE_TEXT: dict[datetime.date, str] = {}
#: A figure's :func:`~schedules.engine.units.fmt`, keyed by its ``str()`` (a new Decimal's
#: own hash costs more than its ``str()``; equal strings are equal Decimals, formatted alike).
_FIGURE_TEXT: dict[str, str] = {}
_PHASE_TEXT: dict[Phase, str] = {phase: phase.value for phase in Phase}


#: The planner's memo of a step's figures by its unrounded equivalent's ``str()`` (the
#: single-drug taper's equivalents are grid doses' figures, which recur across steps and
#: plans): ``(its 0.01 rounding, cuts)``, where ``cuts`` maps the next step's equivalent's
#: ``str()`` to the reduction percent. Keyed on figures of the products, not on requests.
STEP_FIGURES: dict[str, tuple[Decimal, dict[str, Decimal]]] = {}

#: ``datetime.date.fromordinal(n)`` by ``n`` (bounded; see :func:`day_of`): a step's dates
#: are the same objects across plans, so their hashes (for :data:`_DATE_TEXT`) are kept too.
DAYS: dict[int, datetime.date] = {}


def day_of(ordinal: int) -> datetime.date:
    """``datetime.date.fromordinal(ordinal)``, kept in :data:`DAYS` (bounded)."""
    if len(DAYS) >= _MEMO_LIMIT:
        DAYS.clear()
    day = DAYS[ordinal] = datetime.date.fromordinal(ordinal)
    return day


def _remember(memo: dict[Any, str], key: Any, text: str) -> str:
    """Store ``text`` in a bounded memo (cleared when full: a long-lived process stays small)."""
    if len(memo) >= _MEMO_LIMIT:
        memo.clear()
    memo[key] = text
    return text


def _date_text(day: datetime.date) -> str:
    """``day.isoformat()``, memoised."""
    text = _DATE_TEXT.get(day)
    return text if text is not None else _remember(_DATE_TEXT, day, day.isoformat())


def _figure_text(value: Decimal) -> str:
    """``fmt(value)``, memoised by ``str(value)``."""
    key = str(value)
    text = _FIGURE_TEXT.get(key)
    return text if text is not None else _remember(_FIGURE_TEXT, key, fmt(value))


def _step_texts(
    start_date: datetime.date, end_date: datetime.date, equivalent: Decimal, reduction: Decimal
) -> tuple[str, str, str, str]:
    """A step's dates and figures as strings, filling the memos with those they lack."""
    return (
        _date_text(start_date),
        _date_text(end_date),
        _figure_text(equivalent),
        _figure_text(reduction),
    )


def _steps_to_dicts(steps: tuple[Step, ...]) -> list[dict[str, Any]]:
    """:meth:`Step.to_dict` of each step, in one loop (a plan has up to 400 steps). Dates
    and figures repeat across steps and plans: their strings are memoised; a dose's dicts
    are kept on the dose and copied (see :meth:`Dose.to_dict`); every dict and list returned
    is fresh."""
    dates = _DATE_TEXT
    figures = _FIGURE_TEXT
    phases = _PHASE_TEXT
    copy = dict.copy
    result: list[dict[str, Any]] = []
    # a step's fields unpacked at once (a named tuple's attributes are one descriptor call each)
    for index, start_date, end_date, days, equivalent, reduction, phase, step_doses, _ in steps:
        doses = []
        for dose in step_doses:
            # Dose.to_dict(dose), inline: its kept dict copied, "units" set in its place
            form, units = dose._form or dose._serialise()
            serialised = copy(form)
            # == [*map(copy, units)], without an iterator for the usual one or two products
            count = len(units)
            serialised["units"] = (
                [copy(units[0])]
                if count == 1
                else [copy(units[0]), copy(units[1])]
                if count == 2
                else [*map(copy, units)]
            )
            doses.append(serialised)
        try:
            # == _step_texts(...) when the memos hold all four (as they nearly always do)
            start = dates[start_date]
            end = dates[end_date]
            equivalent_text = figures[str(equivalent)]
            reduction_text = figures[str(reduction)]
        except KeyError:
            start, end, equivalent_text, reduction_text = _step_texts(
                start_date, end_date, equivalent, reduction
            )
        result.append(
            {
                "index": index,
                "start_date": start,
                "end_date": end,
                "days": days,
                "equivalent_mg": equivalent_text,
                "reduction_percent": reduction_text,
                "phase": phases[phase],
                "doses": doses,
            }
        )
    return result


@dataclass(frozen=True, slots=True)
class Issue:
    """A guardrail violation or a warning: ``step`` is a 1-based index or None (whole plan)."""

    rule: str
    step: int | None
    message: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "step": self.step,
            "message": self.message,
            "source": self.source,
        }


# The slots' own setters: a frozen dataclass's __init__ sets each field through
# object.__setattr__ in a Python frame; the guardrails make several issues per plan.
_SET_RULE = vars(Issue)["rule"].__set__
_SET_STEP = vars(Issue)["step"].__set__
_SET_MESSAGE = vars(Issue)["message"].__set__
_SET_SOURCE = vars(Issue)["source"].__set__


def make_issue(rule: str, step: int | None, message: str, source: str) -> Issue:
    """``Issue(rule, step, message, source)``, the same value, without the Python
    ``__init__`` call."""
    issue: Issue = object.__new__(Issue)
    _SET_RULE(issue, rule)
    _SET_STEP(issue, step)
    _SET_MESSAGE(issue, message)
    _SET_SOURCE(issue, source)
    return issue


@dataclass(frozen=True, slots=True)
class FigureUsed:
    """The equivalence figure a plan used for one drug: ``mg`` of it == diazepam 10 mg."""

    drug: str
    mg: Decimal
    source: str
    verified: bool
    citation: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "drug": self.drug,
            "mg": fmt(self.mg),
            "source": self.source,
            "verified": self.verified,
            "citation": self.citation,
        }


@dataclass(frozen=True, slots=True)
class EquivalenceSummary:
    """Which source converted the regimen, the figures used, and how sources disagree."""

    source: str
    range_note: str
    figures: tuple[FigureUsed, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "range_note": self.range_note,
            "figures": [figure.to_dict() for figure in self.figures],
        }


@dataclass(frozen=True, slots=True)
class Review:
    """A dated clinical review the plan asks for (e.g. 5-7 days after a switch, SCOT)."""

    date: datetime.date
    reason: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {"date": self.date.isoformat(), "reason": self.reason, "source": self.source}


@dataclass(frozen=True, slots=True)
class Plan:
    """The engine's answer: what :func:`schedules.engine.build_plan` returns."""

    algorithm_version: str
    start_equivalent_mg: Decimal
    equivalence: EquivalenceSummary
    steps: tuple[Step, ...]
    violations: tuple[Issue, ...]
    warnings: tuple[Issue, ...]
    total_days: int
    reviews: tuple[Review, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "algorithm_version": self.algorithm_version,
            "start_equivalent_mg": fmt(self.start_equivalent_mg),
            "equivalence": self.equivalence.to_dict(),
            "steps": _steps_to_dicts(self.steps),
            "violations": [issue.to_dict() for issue in self.violations],
            "warnings": [issue.to_dict() for issue in self.warnings],
            "total_days": self.total_days,
            "reviews": [review.to_dict() for review in self.reviews],
        }


@dataclass(frozen=True, slots=True)
class RegimenDrug:
    """A drug the patient takes now: ``doses`` are (slot, mg) in day order.

    ``form`` is ``"ir"`` (immediate-release, the default) or ``"er"`` (extended-release
    tablets): a plan keeps the form it starts on and never mixes the two in one dose
    (clinical reference section 5).
    """

    drug: str
    doses: tuple[tuple[Slot, Decimal], ...]
    form: str = "ir"

    @property
    def daily_mg(self) -> Decimal:
        return sum((mg for _, mg in self.doses), Decimal(0))


@dataclass(frozen=True, slots=True)
class Edit:
    """A prescriber's hand edit of built step ``index`` (1-based, before holds are inserted).

    ``doses`` (slot, mg) replace the listed slots of ``drug`` (mg 0 removes the slot); ``drug``
    may be None when the step holds one drug only. ``return_to_previous`` marks a deliberate
    return to an earlier, higher dose (ASAM patient guide: "less common"). ``replan`` rebuilds
    the steps after this one with the same strategy from the edited doses, so that one edit does
    not leave a later step above it (a rise) or a cut bigger than the strategy's.
    """

    index: int
    days: int | None = None
    doses: tuple[tuple[Slot, Decimal], ...] | None = None
    drug: str | None = None
    return_to_previous: bool = False
    replan: bool = False


@dataclass(frozen=True, slots=True)
class Hold:
    """Insert a hold of ``days`` after built step ``step`` (index before any insertion)."""

    step: int
    days: int


@dataclass(frozen=True, slots=True)
class CustomStep:
    """One step of a ``custom`` strategy: ``mg`` a day of the drug being tapered (diazepam
    after a switch) for ``days`` days; ``mg`` 0 is the stop."""

    mg: Decimal
    days: int


@dataclass(frozen=True, slots=True)
class PlanRequest:
    """A validated request (see :func:`schedules.engine.planner.parse_plan_request`).

    Milligram fields other than the regimen doses are diazepam-equivalent (DE) mg per day.
    ``max_liquid_ml`` is the largest single liquid dose in mL (a clinic setting, default 10).
    """

    regimen: tuple[RegimenDrug, ...]
    strategy: StrategyKind
    interval_days: int
    equivalence_source: str
    country: str
    start_date: datetime.date
    switch_to_diazepam: bool = False
    target_mg: Decimal = Decimal(0)
    reduction_percent: Decimal | None = None
    step_mg: Decimal | None = None
    max_reduction_percent: Decimal = Decimal(25)
    band_profile: BandProfile = BandProfile.LOWER
    stop_threshold_mg: Decimal = Decimal(1)
    edits: tuple[Edit, ...] = ()
    holds: tuple[Hold, ...] = ()
    crossover_pace: CrossoverPace = CrossoverPace.CHOSEN
    patient_factors: tuple[str, ...] = ()
    custom_steps: tuple[CustomStep, ...] = ()
    allow_past_start: bool = False
    max_liquid_ml: Decimal = Decimal(10)
