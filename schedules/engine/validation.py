"""Validation of plan requests: JSON-like input in, a :class:`PlanRequest` or errors out.

:func:`parse_plan_request` takes the body exactly as ``POST /api/v1/schedules/preview/``
receives it (DESIGN.md) and raises :class:`PlanInputError` with a specific message per field
path (``"regimen.0.doses.night": ["Dose must be greater than 0 mg."]``); it raises nothing
else, whatever it is given. :func:`validate_request` runs the same checks on a request built
in code (the Django service may build one directly).

Milligram values are decimal strings or JSON integers; JSON numbers with a fraction are
refused (binary floating point cannot hold 0.1 exactly), so are booleans where a number is
expected and dates that do not exist (``"2027-02-30"``).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeGuard

from schedules.engine.equivalence import figure_for, to_equivalent
from schedules.engine.formulations import get_formulary, products_of_form
from schedules.engine.reference import DIAZEPAM, Reference
from schedules.engine.types import (
    SLOTS,
    BandProfile,
    CrossoverPace,
    CustomStep,
    Edit,
    Hold,
    PlanRequest,
    RegimenDrug,
    Slot,
    StrategyKind,
)
from schedules.engine.units import HUNDRED, ZERO, DecimalParseError, fmt, parse_decimal, q2

__all__ = [
    "MAX_DRUGS",
    "MAX_INTERVAL_DAYS",
    "PATIENT_FACTORS",
    "PlanInputError",
    "parse_plan_request",
    "parse_regimen",
    "validate_request",
]

MAX_DRUGS = 4
#: Regimen forms (issue 9): immediate-release (default) or extended-release tablets.
REGIMEN_FORMS = ("ir", "er")
MAX_INTERVAL_DAYS = 365
DAYS_MESSAGE = f"Must be a whole number of days from 1 to {MAX_INTERVAL_DAYS}."
MAX_EDITS = 500
MAX_HOLDS = 100
ASAM_MAX_PERCENT = Decimal(25)
#: Hard limit for ``stop_threshold_mg`` (mg DE): 5 mg is the floor of CKS's last band ("1 mg
#: to 5 mg; then 0.5-1 mg to zero"); stopping from above it would skip a whole band. Between
#: the cited 1 mg and this limit a threshold is accepted but an abrupt stop above 1 mg is a
#: ``stop-above-1-mg`` violation (an override with a reason).
MAX_STOP_THRESHOLD = Decimal(5)
DEFAULT_STOP_THRESHOLD = Decimal(1)
MIN_YEAR, MAX_YEAR = 1900, 2999
#: No plan starts before this date (an app rule: older dates are typing errors).
EARLIEST_START = datetime.date(2000, 1, 1)
#: With ``today``: the furthest ahead a plan may start, and the furthest back with
#: ``allow_past_start``.
MAX_DAYS_AHEAD = 730
MAX_DAYS_PAST = 14
MAX_CUSTOM_STEPS = 400
#: The ``patient_factors`` the engine knows (their cautions: :mod:`schedules.engine.guardrails`).
PATIENT_FACTORS = (
    "age-65-plus",
    "liver-disease",
    "epilepsy",
    "opioids",
    "alcohol",
    "pregnancy",
    "withdrawal-seizure-history",
)

FIELDS = frozenset(
    {
        "regimen",
        "strategy",
        "reduction_percent",
        "step_mg",
        "interval_days",
        "switch_to_diazepam",
        "target_mg",
        "equivalence_source",
        "country",
        "start_date",
        "max_reduction_percent",
        "band_profile",
        "stop_threshold_mg",
        "edits",
        "holds",
        "crossover_pace",
        "patient_factors",
        "custom_steps",
        "allow_past_start",
    }
)
#: Keys the API layer adds to a preview body; the engine ignores them.
IGNORED_FIELDS = frozenset({"overrides", "confirm"})
#: Every key a body may have.
_ALLOWED = FIELDS | IGNORED_FIELDS
REQUIRED = "This field is required."
SLOT_NAMES = ", ".join(slot.value for slot in SLOTS)
#: The members by their text: what ``Slot(text)`` and ``StrategyKind(text)`` return for a
#: known name, without the enum's Python-level lookup (unknown names still go through it).
_SLOT_BY_TEXT: dict[str, Slot] = {slot.value: slot for slot in SLOTS}
_STRATEGY_BY_TEXT: dict[str, StrategyKind] = {kind.value: kind for kind in StrategyKind}


class PlanInputError(ValueError):
    """Bad input: ``errors`` maps a field path to its messages."""

    def __init__(self, errors: Mapping[str, Sequence[str]]) -> None:
        self.errors: dict[str, list[str]] = {key: list(value) for key, value in errors.items()}
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items()))


class _Errors(dict[str, list[str]]):
    """Messages by field path. A dict, so ``path in errors`` and ``if errors`` are the
    dict's own (no Python-level method call on the success path)."""

    __slots__ = ()

    def add(self, path: str, message: str) -> None:
        self.setdefault(path, []).append(message)


def _is_mapping(value: object) -> TypeGuard[Mapping[Any, Any]]:
    """``isinstance(value, Mapping)``; a dict (what JSON gives) is answered without the
    ABC's Python-level check."""
    return type(value) is dict or isinstance(value, Mapping)


def _listing(values: Sequence[str]) -> str:
    return ", ".join(values) if values else "none"


def _key(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:40] + "..."


# -- primitive parsers ------------------------------------------------------------------------


def _decimal(errors: _Errors, path: str, value: object) -> Decimal | None:
    try:
        return parse_decimal(value)
    except DecimalParseError as exc:
        errors.add(path, exc.message)
        return None


def _integer(errors: _Errors, path: str, value: object, message: str) -> int | None:
    if type(value) is int:  # a JSON integer (not a bool): what the checks below return
        return value
    if isinstance(value, bool) or not isinstance(value, int | str):
        errors.add(path, message)
        return None
    if isinstance(value, str):
        if not value or len(value) > 6 or not all(c in "0123456789" for c in value):
            errors.add(path, message)
            return None
        return int(value)
    return value


def _bool(errors: _Errors, path: str, value: object) -> bool | None:
    if not isinstance(value, bool):
        errors.add(path, "Expected true or false.")
        return None
    return value


#: YYYY-MM-DD in ASCII digits.
_DATE_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _date(errors: _Errors, path: str, value: object) -> datetime.date | None:
    if not isinstance(value, str):
        errors.add(path, 'Expected a date as a string "YYYY-MM-DD", e.g. "2027-01-04".')
        return None
    if _DATE_SHAPE.fullmatch(value) is None:
        errors.add(path, f'"{_key(value)}" is not a date in the form YYYY-MM-DD.')
        return None
    try:
        parsed = datetime.date.fromisoformat(value)
    except ValueError:
        errors.add(path, f"{value} is not a real date (check the day and the month).")
        return None
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        errors.add(path, f"Choose a start date between {MIN_YEAR} and {MAX_YEAR}.")
        return None
    return parsed


def _days(errors: _Errors, path: str, value: object) -> int | None:
    days = _integer(errors, path, value, DAYS_MESSAGE)
    if days is not None and not 1 <= days <= MAX_INTERVAL_DAYS:
        errors.add(path, DAYS_MESSAGE + f" Got {days}.")
        return None
    return days


def _slot(errors: _Errors, path: str, value: object) -> Slot | None:
    try:
        return Slot(str(value)) if isinstance(value, str) else Slot("")
    except ValueError:
        errors.add(path, f'Unknown slot "{_key(value)}". Use one of: {SLOT_NAMES}.')
        return None


# -- parse ------------------------------------------------------------------------------------


def parse_plan_request(
    data: Mapping[str, Any], reference: Reference, today: datetime.date | None = None
) -> PlanRequest:
    """Validate a preview request body and return the typed request.

    Field names and shapes are those of DESIGN.md's request example plus optional
    ``max_reduction_percent`` (default 25, at most 25), ``band_profile`` (``"lower"`` or
    ``"upper"``), ``stop_threshold_mg`` (default 1 mg DE), ``edits``, ``holds``,
    ``crossover_pace`` (``"chosen"``, the default, or ``"ashton"``), ``patient_factors``
    (a list of :data:`PATIENT_FACTORS`), ``custom_steps`` (with ``strategy: "custom"``) and
    ``allow_past_start`` (bool, default false). ``overrides`` and ``confirm`` (added by the
    API layer) are ignored.

    The engine has no clock: the caller passes ``today`` (its reference date). A start date
    before 2000 is always refused. With ``today``: a start more than 2 years ahead or more
    than 14 days back is refused, and a start before ``today`` needs ``allow_past_start:
    true`` (an explicit confirmation). Without ``today`` those three checks are skipped.

    Raises:
        PlanInputError: every problem found, keyed by field path.
    """
    try:
        return _parse(data, reference, today)
    except PlanInputError:
        raise
    except Exception as exc:  # pragma: no cover - a safety net: never a 500 for bad input
        raise PlanInputError(
            {"non_field_errors": [f"The request could not be read ({exc})."]}
        ) from exc


def _parse(
    data: Mapping[str, Any], reference: Reference, today: datetime.date | None = None
) -> PlanRequest:
    errors = _Errors()
    if not _is_mapping(data):
        raise PlanInputError(
            {"non_field_errors": ["Expected a JSON object with the plan request fields."]}
        )
    if not _ALLOWED.issuperset(data):  # some key is unknown: find which, in body order
        for key in data:
            if key not in FIELDS and key not in IGNORED_FIELDS:
                errors.add(_key(key), f"Unknown field. Known fields: {', '.join(sorted(FIELDS))}.")

    get: Callable[[str], Any] = data.get

    country = _choice(errors, "country", get("country"), reference.countries, "country")
    source = _choice(
        errors,
        "equivalence_source",
        get("equivalence_source"),
        reference.equivalence_sources,
        "equivalence source",
    )
    strategy: StrategyKind | None = None
    raw_strategy = get("strategy")
    if raw_strategy is None:
        errors.add("strategy", REQUIRED + " Use proportional, linear, banded or custom.")
    else:
        try:
            strategy = (
                _STRATEGY_BY_TEXT.get(raw_strategy) if type(raw_strategy) is str else None
            ) or StrategyKind(raw_strategy)
        except ValueError:
            errors.add(
                "strategy",
                f'Unknown strategy "{_key(raw_strategy)}". Use proportional, linear, banded or '
                "custom.",
            )
    interval = None
    raw = get("interval_days")
    if raw is None:
        errors.add("interval_days", REQUIRED + " Give the days between reductions, e.g. 14.")
    else:
        interval = _days(errors, "interval_days", raw)
    start_date = None
    raw = get("start_date")
    if raw is None:
        errors.add("start_date", REQUIRED + ' Give the first day of the plan, e.g. "2027-01-04".')
    else:
        start_date = _date(errors, "start_date", raw)
    switch = False
    raw = get("switch_to_diazepam")
    if raw is not None:
        switch = _bool(errors, "switch_to_diazepam", raw) or False
    target = ZERO
    raw = get("target_mg")
    if raw is not None:
        target = _decimal(errors, "target_mg", raw) or ZERO
    reduction = step = None
    if strategy is StrategyKind.PROPORTIONAL:
        raw = get("reduction_percent")
        if raw is None:
            errors.add(
                "reduction_percent",
                "Required for the proportional strategy: the share of the current dose to cut "
                'at each step, e.g. "10".',
            )
        else:
            reduction = _decimal(errors, "reduction_percent", raw)
    if strategy is StrategyKind.LINEAR:
        raw = get("step_mg")
        if raw is None:
            errors.add(
                "step_mg",
                "Required for the linear strategy: the diazepam-equivalent mg to cut at each "
                'step, e.g. "1".',
            )
        else:
            step = _decimal(errors, "step_mg", raw)
    limit = ASAM_MAX_PERCENT
    raw = get("max_reduction_percent")
    if raw is not None:
        parsed = _decimal(errors, "max_reduction_percent", raw)
        limit = limit if parsed is None else parsed
    profile = BandProfile.LOWER
    raw = get("band_profile")
    if raw is not None:
        try:
            profile = BandProfile(raw)
        except ValueError:
            errors.add(
                "band_profile",
                f'Unknown band profile "{_key(raw)}". Use "lower" (the lower end '
                'of the CKS ranges, the default) or "upper".',
            )
    threshold = DEFAULT_STOP_THRESHOLD
    raw = get("stop_threshold_mg")
    if raw is not None:
        parsed = _decimal(errors, "stop_threshold_mg", raw)
        threshold = threshold if parsed is None else parsed
    entries = _parse_regimen(errors, get("regimen"))
    raw = get("edits")
    edits = () if raw is None else _parse_edits(errors, raw)
    raw = get("holds")
    holds = () if raw is None else _parse_holds(errors, raw)
    pace = CrossoverPace.CHOSEN
    raw = get("crossover_pace")
    if raw is not None:
        try:
            pace = CrossoverPace(raw)
        except ValueError:
            errors.add(
                "crossover_pace",
                f'Unknown cross-over pace "{_key(raw)}". Use "chosen" (the '
                "switch keeps the dose and the chosen pace starts after it, the default) or "
                '"ashton" (Ashton\'s 10 mg diazepam-equivalent stages).',
            )
    raw = get("patient_factors")
    factors = () if raw is None else _parse_factors(errors, raw)
    custom: tuple[CustomStep, ...] = ()
    raw = get("custom_steps")
    if strategy is StrategyKind.CUSTOM:
        custom = _parse_custom(errors, raw)
    elif raw is not None:
        errors.add("custom_steps", 'Only used with strategy "custom".')
    allow_past = False
    raw = get("allow_past_start")
    if raw is not None:
        allow_past = _bool(errors, "allow_past_start", raw) or False
    if start_date is not None:
        _check_start(errors, start_date, today, allow_past)

    regimen = tuple(entry for _, entry in entries)
    request = PlanRequest(
        regimen=regimen,
        strategy=strategy or StrategyKind.LINEAR,
        interval_days=interval or 14,
        equivalence_source=source or "",
        country=country or "",
        start_date=start_date or datetime.date(2000, 1, 1),
        switch_to_diazepam=switch,
        target_mg=target,
        reduction_percent=reduction,
        step_mg=step,
        max_reduction_percent=limit,
        band_profile=profile,
        stop_threshold_mg=threshold,
        edits=edits,
        holds=holds,
        crossover_pace=pace,
        patient_factors=factors,
        custom_steps=custom,
        allow_past_start=allow_past,
    )
    skip: set[str] = set()
    if errors:  # without errors nothing is skipped: country, source and strategy were read
        skip = {
            name
            for name, value in (
                ("country", country),
                ("equivalence_source", source),
                ("strategy", strategy),
            )
            if value is None
        }
        if "regimen" in errors or any(path.startswith("regimen.") for path in errors):
            skip.add("regimen")
    _check(errors, request, reference, skip=skip, positions=[i for i, _ in entries], parsed=True)
    if errors:
        raise PlanInputError(errors)
    _remember_valid(request, reference)
    return request


def _check_start(
    errors: _Errors, start: datetime.date, today: datetime.date | None, allow_past: bool
) -> None:
    if start < EARLIEST_START:
        errors.add(
            "start_date",
            f"{start.isoformat()} is before {EARLIEST_START.isoformat()}; check the year.",
        )
        return
    if today is None:
        return
    if (start - today).days > MAX_DAYS_AHEAD:
        errors.add(
            "start_date",
            f"{start.isoformat()} is more than 2 years after today ({today.isoformat()}); "
            "check the year.",
        )
    elif (today - start).days > MAX_DAYS_PAST:
        errors.add(
            "start_date",
            f"{start.isoformat()} is more than {MAX_DAYS_PAST} days before today "
            f"({today.isoformat()}); a plan can start at most {MAX_DAYS_PAST} days back.",
        )
    elif start < today and not allow_past:
        errors.add(
            "start_date",
            f"{start.isoformat()} is in the past (today is {today.isoformat()}). Confirm that "
            "the plan starts on a day already past (allow_past_start), or choose today or later.",
        )


def _parse_factors(errors: _Errors, raw: object) -> tuple[str, ...]:
    if raw is None:
        return ()
    known = ", ".join(PATIENT_FACTORS)
    if not isinstance(raw, list):
        errors.add("patient_factors", f"Expected a list of factors, any of: {known}.")
        return ()
    found: list[str] = []
    for i, item in enumerate(raw):
        if not isinstance(item, str) or item not in PATIENT_FACTORS:
            errors.add(
                f"patient_factors.{i}", f'Unknown patient factor "{_key(item)}". Known: {known}.'
            )
        elif item not in found:
            found.append(item)
    return tuple(sorted(found, key=PATIENT_FACTORS.index))


def _parse_custom(errors: _Errors, raw: object) -> tuple[CustomStep, ...]:
    example = 'e.g. [{"mg": "18", "days": 14}, {"mg": "16", "days": 14}, {"mg": "0"}]'
    if raw is None:
        errors.add(
            "custom_steps",
            "Required for the custom strategy: the daily doses of the drug being tapered "
            f"(diazepam after a switch), {example}.",
        )
        return ()
    if not isinstance(raw, list) or not raw or len(raw) > MAX_CUSTOM_STEPS:
        errors.add("custom_steps", f"Expected a list of 1 to {MAX_CUSTOM_STEPS} steps, {example}.")
        return ()
    steps: list[CustomStep] = []
    for i, item in enumerate(raw):
        path = f"custom_steps.{i}"
        if not _is_mapping(item):
            errors.add(path, 'Expected an object like {"mg": "18", "days": 14}.')
            continue
        ok = True
        for key in item:
            if key not in ("mg", "days"):
                errors.add(f"{path}.{_key(key)}", "Unknown field; a custom step has mg and days.")
                ok = False
        mg = None
        if item.get("mg") is None:
            errors.add(f"{path}.mg", REQUIRED + ' The daily dose in mg, e.g. "18".')
        else:
            mg = _decimal(errors, f"{path}.mg", item.get("mg"))
            if mg is not None and mg < 0:
                errors.add(f"{path}.mg", "Must be 0 mg (stop) or more.")
                mg = None
        days: int | None = 0
        if mg is not None and mg == 0:
            if item.get("days") not in (None, 0) or i != len(raw) - 1:
                errors.add(
                    path,
                    "0 mg is the stop: it is the last step and has no days (leave days out).",
                )
                ok = False
        elif item.get("days") is None:
            errors.add(f"{path}.days", REQUIRED + " Give the number of days, e.g. 14.")
            days = None
        else:
            days = _days(errors, f"{path}.days", item.get("days"))
        if ok and mg is not None and days is not None:
            steps.append(CustomStep(mg=mg, days=days))
    return tuple(steps)


def _choice(
    errors: _Errors, path: str, value: object, known: Sequence[str], what: str
) -> str | None:
    if value is None:
        errors.add(path, f"{REQUIRED} Known: {_listing(known)}.")
        return None
    if not isinstance(value, str) or value not in known:
        errors.add(path, f'Unknown {what} "{_key(value)}". Known: {_listing(known)}.')
        return None
    return value


def _parse_regimen(errors: _Errors, raw: object) -> list[tuple[int, RegimenDrug]]:
    if raw is None:
        errors.add("regimen", REQUIRED + ' E.g. [{"drug": "diazepam", "doses": {"night": "10"}}].')
        return []
    if not isinstance(raw, list):
        errors.add(
            "regimen",
            'Expected a list of drugs, e.g. [{"drug": "diazepam", "doses": {"night": "10"}}].',
        )
        return []
    if not raw:
        errors.add("regimen", "Add at least one drug the patient takes now.")
        return []
    if len(raw) > MAX_DRUGS:
        errors.add("regimen", f"At most {MAX_DRUGS} drugs can be planned together.")
        return []
    entries: list[tuple[int, RegimenDrug]] = []
    for i, item in enumerate(raw):
        path = f"regimen.{i}"
        if not _is_mapping(item):
            errors.add(path, 'Expected an object with "drug" and "doses".')
            continue
        ok = True
        for key in item:
            if key not in ("drug", "doses", "form"):
                errors.add(
                    f"{path}.{_key(key)}",
                    'Unknown field; a regimen entry has "drug", "doses" and optionally "form".',
                )
                ok = False
        form = item.get("form", "ir")
        if form is None:
            form = "ir"
        if form not in REGIMEN_FORMS:
            errors.add(
                f"{path}.form",
                f'"{_key(form)}" is not a form; use "ir" (immediate-release, the default) or '
                '"er" (extended-release tablets).',
            )
            ok = False
        drug = item.get("drug")
        if not isinstance(drug, str) or not drug:
            errors.add(f"{path}.drug", 'Give the drug as its name in lower case, e.g. "diazepam".')
            ok = False
        doses = _parse_doses(errors, f"{path}.doses", item.get("doses"), allow_zero=False)
        if doses is None:
            ok = False
        if ok and isinstance(drug, str) and doses is not None:
            entries.append((i, RegimenDrug(drug=drug, doses=doses, form=str(form))))
    return entries


def _parse_doses(
    errors: _Errors, path: str, raw: object, *, allow_zero: bool
) -> tuple[tuple[Slot, Decimal], ...] | None:
    if raw is None or not _is_mapping(raw) or not raw:
        errors.add(path, 'Give at least one dose by time of day, e.g. {"night": "10"}.')
        return None
    parsed: dict[Slot, Decimal] = {}
    ok = True
    for key, value in raw.items():
        # a slot's name (the usual key) needs no error path worked out
        slot = _SLOT_BY_TEXT.get(key) if type(key) is str else None
        if slot is None:
            slot = _slot(errors, f"{path}.{_key(key)}", key)
            if slot is None:
                ok = False
                continue
        try:
            mg = parse_decimal(value)
        except DecimalParseError as exc:
            errors.add(f"{path}.{slot.value}", exc.message)
            ok = False
            continue
        if mg < 0 if allow_zero else mg <= 0:
            errors.add(
                f"{path}.{slot.value}",
                "Dose must be 0 mg or more (0 removes the dose)."
                if allow_zero
                else "Dose must be greater than 0 mg.",
            )
            ok = False
            continue
        parsed[slot] = mg
    if not ok:
        return None
    if len(parsed) == 1:  # one dose is in day order as it is
        return tuple(parsed.items())
    return tuple((slot, parsed[slot]) for slot in SLOTS if slot in parsed)


def _parse_edits(errors: _Errors, raw: object) -> tuple[Edit, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_EDITS:
        errors.add("edits", f"Expected a list of at most {MAX_EDITS} edits.")
        return ()
    edits: list[Edit] = []
    for i, item in enumerate(raw):
        path = f"edits.{i}"
        if not _is_mapping(item):
            errors.add(path, 'Expected an object like {"index": 3, "days": 21}.')
            continue
        ok = True
        for key in item:
            if key not in ("index", "days", "doses", "drug", "return_to_previous", "replan"):
                errors.add(
                    f"{path}.{_key(key)}",
                    "Unknown field; an edit has index, days, doses, drug, return_to_previous "
                    "and replan.",
                )
                ok = False
        index = _integer(
            errors, f"{path}.index", item.get("index"), "Give the step number to edit (1, 2, ...)."
        )
        if index is not None and index < 1:
            errors.add(f"{path}.index", "Step numbers start at 1.")
            index = None
        days = None
        if item.get("days") is not None:
            days = _days(errors, f"{path}.days", item.get("days"))
            ok = ok and days is not None
        doses = None
        if item.get("doses") is not None:
            doses = _parse_doses(errors, f"{path}.doses", item.get("doses"), allow_zero=True)
            ok = ok and doses is not None
        drug = item.get("drug")
        if drug is not None and not isinstance(drug, str):
            errors.add(f"{path}.drug", 'Give the drug the doses are for, e.g. "diazepam".')
            ok = False
        back = False
        if item.get("return_to_previous") is not None:
            value = _bool(errors, f"{path}.return_to_previous", item.get("return_to_previous"))
            ok = ok and value is not None
            back = bool(value)
        replan = False
        if item.get("replan") is not None:
            value = _bool(errors, f"{path}.replan", item.get("replan"))
            ok = ok and value is not None
            replan = bool(value)
        if days is None and doses is None and not back and ok:
            errors.add(path, "An edit needs days or doses (or return_to_previous).")
            ok = False
        if ok and index is not None:
            edits.append(
                Edit(
                    index=index,
                    days=days,
                    doses=doses,
                    drug=drug if isinstance(drug, str) else None,
                    return_to_previous=back,
                    replan=replan,
                )
            )
    return tuple(edits)


def _parse_holds(errors: _Errors, raw: object) -> tuple[Hold, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_HOLDS:
        errors.add("holds", f"Expected a list of at most {MAX_HOLDS} holds.")
        return ()
    holds: list[Hold] = []
    for i, item in enumerate(raw):
        path = f"holds.{i}"
        if not _is_mapping(item):
            errors.add(path, 'Expected an object like {"step": 3, "days": 14}.')
            continue
        unknown = [key for key in item if key not in ("step", "days")]
        for key in unknown:
            errors.add(f"{path}.{_key(key)}", "Unknown field; a hold has step and days.")
        step = _integer(
            errors,
            f"{path}.step",
            item.get("step"),
            "Give the step number the hold follows (1, 2, ...).",
        )
        if step is not None and step < 1:
            errors.add(f"{path}.step", "Step numbers start at 1.")
            step = None
        if item.get("days") is None:
            errors.add(f"{path}.days", REQUIRED + " Give the number of days to hold.")
            days = None
        else:
            days = _days(errors, f"{path}.days", item.get("days"))
        if step is not None and days is not None and not unknown:
            holds.append(Hold(step=step, days=days))
    return tuple(holds)


# -- semantic checks --------------------------------------------------------------------------


#: ``reference.cache`` key of the requests :func:`parse_plan_request` returned for that
#: reference (by identity, kept alive while listed): they passed :func:`_check` with nothing
#: skipped, so :func:`validate_request` does not run it again (the preview path parses, then
#: builds, which validates).
_VALID = "validated-requests"
_VALID_LIMIT = 256


def _remember_valid(request: PlanRequest, reference: Reference) -> None:
    valid = reference.cache.get(_VALID)
    if valid is None or len(valid) >= _VALID_LIMIT:
        valid = reference.cache[_VALID] = {}
    valid[id(request)] = request


def validate_request(request: PlanRequest, reference: Reference) -> None:
    """Check a typed request against the reference data (at once for a request
    :func:`parse_plan_request` returned for ``reference``: it passed these checks).

    Raises:
        PlanInputError: with the same messages :func:`parse_plan_request` gives.
    """
    valid = reference.cache.get(_VALID)
    if valid is not None and valid.get(id(request)) is request:
        return
    errors = _Errors()
    _check(errors, request, reference, skip=set(), positions=list(range(len(request.regimen))))
    if errors:
        raise PlanInputError(errors)


def _check(
    errors: _Errors,
    request: PlanRequest,
    reference: Reference,
    *,
    skip: set[str],
    positions: list[int],
    parsed: bool = False,
) -> None:
    """The semantic checks; ``parsed``: the regimen comes from :func:`_parse_regimen`."""
    country = request.country
    source = request.equivalence_source
    if "country" not in skip and country not in reference.countries:
        errors.add(
            "country", f'Unknown country "{_key(country)}". Known: {_listing(reference.countries)}.'
        )
        skip.add("country")
    if "equivalence_source" not in skip and source not in reference.equivalence_sources:
        errors.add(
            "equivalence_source",
            f'Unknown equivalence source "{_key(source)}". '
            f"Known: {_listing(reference.equivalence_sources)}.",
        )
        skip.add("equivalence_source")
    _check_parameters(errors, request, skip)
    if "regimen" not in skip:
        if not request.regimen:
            errors.add("regimen", "Add at least one drug the patient takes now.")
        elif len(request.regimen) > MAX_DRUGS:
            errors.add("regimen", f"At most {MAX_DRUGS} drugs can be planned together.")
        else:
            _check_regimen(errors, request, reference, skip, positions, parsed)
    if (
        request.switch_to_diazepam
        and "country" not in skip
        and not reference.products_for(DIAZEPAM, country)
    ):
        errors.add(
            "switch_to_diazepam",
            f"No {country} diazepam products are in the reference data, so a switch cannot be "
            "planned.",
        )
    # a target of 0 (the usual) is below any start that passed the checks above (every dose
    # and figure is above 0): only a target above 0 needs the start worked out
    if not errors and request.target_mg > 0 and not skip & {"regimen", "equivalence_source"}:
        start = _start_equivalent(request, reference)
        if request.target_mg >= start:
            errors.add(
                "target_mg",
                f"The target ({fmt(request.target_mg)} mg diazepam-equivalent a day) must be below "
                f"the starting dose, {fmt(q2(start))} mg diazepam-equivalent with {source}.",
            )
    for i, edit in enumerate(request.edits):
        if edit.index < 1:
            errors.add(f"edits.{i}.index", "Step numbers start at 1.")
        if edit.days is not None and not 1 <= edit.days <= MAX_INTERVAL_DAYS:
            errors.add(f"edits.{i}.days", DAYS_MESSAGE)
    for i, hold in enumerate(request.holds):
        if hold.step < 1:
            errors.add(f"holds.{i}.step", "Step numbers start at 1.")
        if not 1 <= hold.days <= MAX_INTERVAL_DAYS:
            errors.add(f"holds.{i}.days", DAYS_MESSAGE)


def _check_parameters(errors: _Errors, request: PlanRequest, skip: set[str]) -> None:
    if "interval_days" not in errors and not 1 <= request.interval_days <= MAX_INTERVAL_DAYS:
        errors.add("interval_days", DAYS_MESSAGE)
    if "strategy" not in skip:
        if request.strategy is StrategyKind.PROPORTIONAL:
            percent = request.reduction_percent
            if percent is None:
                if "reduction_percent" not in errors:
                    errors.add(
                        "reduction_percent",
                        "Required for the proportional strategy: the share of the current dose "
                        'to cut at each step, e.g. "10".',
                    )
            elif not ZERO < percent < HUNDRED:
                errors.add(
                    "reduction_percent",
                    f"Must be greater than 0 and less than 100 (%); got {fmt(percent)}.",
                )
        if request.strategy is StrategyKind.LINEAR:
            step = request.step_mg
            if step is None:
                if "step_mg" not in errors:
                    errors.add(
                        "step_mg",
                        "Required for the linear strategy: the diazepam-equivalent mg to cut at "
                        'each step, e.g. "1".',
                    )
            elif step <= 0:
                errors.add(
                    "step_mg",
                    f"Must be greater than 0 mg diazepam-equivalent; got {fmt(step)}.",
                )
    if "target_mg" not in errors and request.target_mg < 0:
        errors.add("target_mg", "Must be 0 (stop) or more mg diazepam-equivalent a day.")
    limit = request.max_reduction_percent
    if "max_reduction_percent" not in errors and not ZERO < limit <= ASAM_MAX_PERCENT:
        errors.add(
            "max_reduction_percent",
            f"Must be greater than 0 and at most {ASAM_MAX_PERCENT}% (ASAM 2025: typically not "
            "more than 25% every 2 weeks; the limit can be lowered, not raised); "
            f"got {fmt(limit)}.",
        )
    for i, factor in enumerate(request.patient_factors):
        if factor not in PATIENT_FACTORS and f"patient_factors.{i}" not in errors:
            errors.add(
                f"patient_factors.{i}",
                f'Unknown patient factor "{_key(factor)}". Known: {", ".join(PATIENT_FACTORS)}.',
            )
    if "strategy" not in skip and request.strategy is StrategyKind.CUSTOM:
        if not request.custom_steps and not any(p.startswith("custom_steps") for p in errors):
            errors.add("custom_steps", "Required for the custom strategy.")
        switching = request.switch_to_diazepam and any(
            entry.drug != DIAZEPAM for entry in request.regimen
        )
        last = len(request.custom_steps) - 1
        for i, custom in enumerate(request.custom_steps):
            if custom.mg < 0 or (custom.mg == 0 and i != last):
                errors.add(
                    f"custom_steps.{i}.mg",
                    "Must be more than 0 mg; 0 mg (the stop) may only be the last step.",
                )
            elif custom.mg > 0 and not 1 <= custom.days <= MAX_INTERVAL_DAYS:
                errors.add(
                    f"custom_steps.{i}.days",
                    DAYS_MESSAGE,
                )
        if len(request.regimen) > 1 and not switching:
            errors.add(
                "custom_steps",
                "Custom steps are the daily doses of one drug: with several drugs, switch to "
                "diazepam first (switch_to_diazepam: true) or plan them with another strategy.",
            )
    threshold = request.stop_threshold_mg
    if "stop_threshold_mg" not in errors and not ZERO < threshold <= MAX_STOP_THRESHOLD:
        errors.add(
            "stop_threshold_mg",
            f"Must be greater than 0 and at most {MAX_STOP_THRESHOLD} mg diazepam-equivalent "
            f"(CKS: 0.5 to 1 mg, then stop; above 1 mg an abrupt stop needs an override, above "
            f"{MAX_STOP_THRESHOLD} mg it would skip CKS's last band); got {fmt(threshold)}.",
        )


def _check_regimen(
    errors: _Errors,
    request: PlanRequest,
    reference: Reference,
    skip: set[str],
    positions: list[int],
    parsed: bool = False,
) -> None:
    seen: dict[str, int] = {}
    for entry, position in zip(request.regimen, positions, strict=True):
        path = f"regimen.{position}"
        info = reference.drug(entry.drug)
        if info is None:
            errors.add(
                f"{path}.drug",
                f'Unknown drug "{_key(entry.drug)}". Known: {_listing(reference.drug_slugs)}.',
            )
            skip.add("regimen")
            continue
        if entry.drug in seen:
            errors.add(
                f"{path}.drug",
                f"{info.name} is listed twice (also regimen.{seen[entry.drug]}); put all its "
                "doses in one entry.",
            )
            skip.add("regimen")
            continue
        seen[entry.drug] = position
        bad = False
        # a parsed entry has passed these three checks and the form's in _parse_regimen
        if not parsed:
            if not entry.doses:
                errors.add(
                    f"{path}.doses", 'Give at least one dose by time of day, e.g. {"night": "10"}.'
                )
                skip.add("regimen")
                continue
            slots = [slot for slot, _ in entry.doses]
            if len(set(slots)) != len(slots):
                errors.add(f"{path}.doses", "Each time of day may appear once.")
                skip.add("regimen")
                continue
            for slot, mg in entry.doses:
                if mg <= 0:
                    errors.add(f"{path}.doses.{slot.value}", "Dose must be greater than 0 mg.")
                    bad = True
        daily = entry.daily_mg
        if daily > info.hard_max_daily_mg:
            errors.add(
                f"{path}.doses",
                f"{info.name} {fmt(daily)} mg a day is above {fmt(info.hard_max_daily_mg)} mg a "
                "day, more than this app accepts as a real dose (an app rule, about 500 mg "
                "diazepam-equivalent); check the dose and its units.",
            )
            bad = True
        figure = (
            figure_for(reference, entry.drug, request.equivalence_source)
            if "equivalence_source" not in skip
            else None
        )
        if figure is not None and figure.mg <= 0:
            errors.add(
                "equivalence_source",
                f"The {request.equivalence_source} figure for {info.name.lower()} is not usable "
                f"({fmt(figure.mg)} mg); choose another source.",
            )
            bad = True
        elif "equivalence_source" not in skip and figure is None:
            others = [f.source for f in reference.figures_for(entry.drug)]
            errors.add(
                "equivalence_source",
                f"{request.equivalence_source} gives no figure for {info.name.lower()}; "
                f"choose one that does: {_listing(others)}.",
            )
            bad = True
        if not parsed and entry.form not in REGIMEN_FORMS:
            errors.add(f"{path}.form", 'Use "ir" (immediate-release) or "er" (extended-release).')
            bad = True
        if "country" not in skip and not bad:
            marketed = reference.products_for(entry.drug, request.country)
            products = products_of_form(marketed, entry.form)
            if not marketed:
                errors.add(f"{path}.drug", _not_marketed(info.name, entry, request, reference))
                bad = True
            elif not products:
                kind = "extended-release" if entry.form == "er" else "immediate-release"
                errors.add(
                    f"{path}.form",
                    f"{info.name} has no {kind} products in {request.country}; "
                    f'use form "{"ir" if entry.form == "er" else "er"}" or switch to diazepam.',
                )
                bad = True
            else:
                formulary = get_formulary(
                    reference, entry.drug, request.country, entry.form, request.max_liquid_ml
                )
                for slot, mg in entry.doses:
                    if not formulary.is_makeable(mg):
                        errors.add(
                            f"{path}.doses.{slot.value}",
                            f"{info.name} {fmt(mg)} mg cannot be made from {request.country} "
                            f"products ({', '.join(p.slug for p in products)}); "
                            f"{formulary.describe_nearest(mg)}.",
                        )
                        bad = True
        if bad:
            skip.add("regimen")


def _not_marketed(name: str, entry: RegimenDrug, request: PlanRequest, reference: Reference) -> str:
    """Issue 9: a drug with no products in the country cannot be tapered, nor switched
    gradually (the switch's first stages are made from its products): the prescriber enters
    the equivalent diazepam dose and tapers that (clinical reference section 5: "Where a drug
    is not marketed in a country ... the plan offers the switch to diazepam"). The message is
    the same whether or not the switch was asked, and gives the equivalent at the chosen
    source when it has a figure."""
    figure = figure_for(reference, entry.drug, request.equivalence_source)
    equivalent = ""
    if figure is not None and entry.daily_mg > 0:
        diazepam = q2(to_equivalent(entry.daily_mg, figure.mg))
        equivalent = (
            f" ({fmt(entry.daily_mg)} mg of {name.lower()} a day is about {fmt(diazepam)} mg "
            f"of diazepam at the {reference.source_label(request.equivalence_source)} figure)"
        )
    return (
        f"{name} is not marketed in {request.country}, so neither a taper nor a gradual "
        "switch can be made from its products. To switch to diazepam, enter the patient's "
        f"equivalent diazepam dose{equivalent} as the regimen and taper that."
    )


def _start_equivalent(request: PlanRequest, reference: Reference) -> Decimal:
    total = ZERO
    for entry in request.regimen:
        figure = figure_for(reference, entry.drug, request.equivalence_source)
        if figure is not None:
            total += to_equivalent(entry.daily_mg, figure.mg)
    return total


def parse_regimen(raw: object, reference: Reference) -> tuple[RegimenDrug, ...]:
    """Validate a regimen on its own (``[{"drug", "doses", "form"}]``, the preview body's
    ``regimen``), as a medication record holds it: known drugs, each listed once, doses above
    0 mg in known slots, no daily dose above the drug's hard maximum. Unlike a plan request it
    does not ask whether the doses can be made from one country's products: the record says
    what the patient takes, wherever it was dispensed. An empty list is a valid regimen.

    Raises:
        PlanInputError: every problem found, keyed ``regimen.<i>...``.
    """
    errors = _Errors()
    if raw == []:
        return ()
    entries = _parse_regimen(errors, raw)
    seen: dict[str, int] = {}
    for position, entry in entries:
        path = f"regimen.{position}"
        info = reference.drug(entry.drug)
        if info is None:
            errors.add(
                f"{path}.drug",
                f'Unknown drug "{_key(entry.drug)}". Known: {_listing(reference.drug_slugs)}.',
            )
            continue
        if entry.drug in seen:
            errors.add(
                f"{path}.drug",
                f"{info.name} is listed twice (also regimen.{seen[entry.drug]}); put all its "
                "doses in one entry.",
            )
            continue
        seen[entry.drug] = position
        if entry.daily_mg > info.hard_max_daily_mg:
            errors.add(
                f"{path}.doses",
                f"{info.name} {fmt(entry.daily_mg)} mg a day is above "
                f"{fmt(info.hard_max_daily_mg)} mg a day, more than this app accepts as a real "
                "dose (an app rule, about 500 mg diazepam-equivalent); check the dose and its "
                "units.",
            )
    if errors:
        raise PlanInputError(errors)
    return tuple(entry for _, entry in entries)
