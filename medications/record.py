"""Reading a medication record body (the API's and the form's shape) into model fields.

One parser for the page and the API, so both refuse the same things with the same words. The
regimen is checked by the taper engine (:func:`schedules.engine.parse_regimen`): the record
and every plan agree on what a valid dose is.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from medications.models import Alcohol, Indication, OtherKind, TaperOutcome
from schedules import engine
from schedules.engine.units import fmt

#: Times of day in day order: the engine's, as a regimen's dose keys.
SLOT_NAMES: tuple[str, ...] = tuple(slot.value for slot in engine.SLOTS)
#: The engine's patient factors a record stores; the others come from elsewhere in the record.
STORED_FACTORS = {
    "liver-disease": "liver_disease",
    "epilepsy": "epilepsy",
    "pregnancy": "pregnancy",
    "withdrawal-seizure-history": "withdrawal_seizure_history",
}
DERIVED_FACTORS = {
    "age-65-plus": "comes from the date of birth",
    "opioids": 'comes from "other.opioids"',
    "alcohol": 'comes from "other.alcohol" (above guidelines or dependence)',
}
FIELDS = frozenset(
    {"regimen", "use", "outside_prescriber", "other", "factors", "previous_tapers", "reason"}
)
MAX_OTHER_MEDICINES = 30
MAX_PREVIOUS_TAPERS = 10
MAX_NAME = 200
EARLIEST_USE = datetime.date(1950, 1, 1)


class RecordInputError(ValueError):
    """Bad input: ``errors`` maps a field path to its messages."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items()))


@dataclass
class RecordInput:
    """Model field values for :class:`medications.models.MedicationRecord`."""

    values: dict[str, Any] = field(default_factory=dict)


def _choices(kind: type[Any]) -> tuple[str, ...]:
    return tuple(str(value) for value in kind.values)


def parse_record(
    data: object, *, reference: engine.Reference, today: datetime.date, age: int | None
) -> RecordInput:
    """Check ``data`` and return the model's values, or raise :class:`RecordInputError` with
    every problem found. ``age`` (from the date of birth) checks a sent ``age-65-plus``."""
    if not isinstance(data, Mapping):
        raise RecordInputError({"non_field_errors": ["Expected a JSON object."]})
    errors: dict[str, list[str]] = {}

    def add(path: str, message: str) -> None:
        errors.setdefault(path, []).append(message)

    for key in data:
        if key not in FIELDS:
            add(str(key)[:40], f"Unknown field. Known: {', '.join(sorted(FIELDS))}.")
    values: dict[str, Any] = {}
    try:
        regimen = engine.parse_regimen(data.get("regimen", []), reference)
        values["regimen"] = [
            {
                "drug": item.drug,
                "doses": {slot.value: fmt(mg) for slot, mg in item.doses},
                "form": item.form,
            }
            for item in regimen
        ]
    except engine.PlanInputError as exc:
        for key, messages in exc.errors.items():
            for message in messages:
                add(key, message)
    _parse_use(data.get("use"), values, add, today)
    prescriber = data.get("outside_prescriber", "")
    if prescriber is None:
        prescriber = ""
    if not isinstance(prescriber, str) or len(prescriber) > MAX_NAME:
        add(
            "outside_prescriber",
            f"Give a name and practice as text, at most {MAX_NAME} characters.",
        )
    else:
        values["outside_prescriber"] = prescriber.strip()
    _parse_other(data.get("other"), values, add)
    _parse_factors(data.get("factors"), values, add, age)
    _parse_tapers(data.get("previous_tapers"), values, add, today)
    if errors:
        raise RecordInputError(errors)
    return RecordInput(values)


def _parse_use(raw: object, values: dict[str, Any], add: Any, today: datetime.date) -> None:
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        add("use", 'Expected {"since": "YYYY-MM-DD", "days_per_week": 1-7, "indication": ...}.')
        return
    for key in raw:
        if key not in ("since", "days_per_week", "indication"):
            add(
                f"use.{str(key)[:40]}",
                'Unknown field; use has "since", "days_per_week", "indication".',
            )
    since = raw.get("since")
    if since in (None, ""):
        values["since"] = None
    elif isinstance(since, str):
        try:
            day = datetime.date.fromisoformat(since)
        except ValueError:
            add("use.since", "Enter the date as YYYY-MM-DD, e.g. 2021-03-01.")
        else:
            if day > today:
                add("use.since", "The patient cannot have started in the future.")
            elif day < EARLIEST_USE:
                add("use.since", f"Enter a date from {EARLIEST_USE.year} on.")
            else:
                values["since"] = day
    else:
        add("use.since", "Enter the date as YYYY-MM-DD, e.g. 2021-03-01.")
    days = raw.get("days_per_week")
    if days is None:
        values["days_per_week"] = None
    elif isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 7:
        add("use.days_per_week", "Give the days a week as a whole number from 1 to 7.")
    else:
        values["days_per_week"] = days
    indication = raw.get("indication") or ""
    known = _choices(Indication)
    if indication and indication not in known:
        add("use.indication", f"Unknown indication. Known: {', '.join(known)}.")
    else:
        values["indication"] = indication


def _parse_other(raw: object, values: dict[str, Any], add: Any) -> None:
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        add(
            "other",
            'Expected {"opioids": false, "gabapentinoids": false, "sedatives": false, '
            '"alcohol": "none", "medicines": []}.',
        )
        return
    keys = {"opioids", "gabapentinoids", "sedatives", "alcohol", "medicines"}
    for key in raw:
        if key not in keys:
            add(f"other.{str(key)[:40]}", f"Unknown field. Known: {', '.join(sorted(keys))}.")
    for key, column in (
        ("opioids", "opioids"),
        ("gabapentinoids", "gabapentinoids"),
        ("sedatives", "other_sedatives"),
    ):
        value = raw.get(key, False)
        if not isinstance(value, bool):
            add(f"other.{key}", "Expected true or false.")
        else:
            values[column] = value
    alcohol = raw.get("alcohol", Alcohol.UNKNOWN.value)
    known = _choices(Alcohol)
    if alcohol not in known:
        add("other.alcohol", f"Unknown alcohol use. Known: {', '.join(known)}.")
    else:
        values["alcohol"] = alcohol
    medicines = raw.get("medicines", [])
    if not isinstance(medicines, list) or len(medicines) > MAX_OTHER_MEDICINES:
        add(
            "other.medicines",
            f'Expected a list of at most {MAX_OTHER_MEDICINES} {{"name", "kind"}}.',
        )
        return
    kinds = _choices(OtherKind)
    parsed = []
    for i, item in enumerate(medicines):
        path = f"other.medicines.{i}"
        if not isinstance(item, Mapping) or set(item) - {"name", "kind"}:
            add(path, 'Expected {"name": "...", "kind": "opioid"}.')
            continue
        name, kind = item.get("name"), item.get("kind", "other")
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
            add(f"{path}.name", f"Give the medicine's name, at most {MAX_NAME} characters.")
            continue
        if kind not in kinds:
            add(f"{path}.kind", f"Unknown kind. Known: {', '.join(kinds)}.")
            continue
        parsed.append({"name": name.strip(), "kind": kind})
    flags = {"opioid": "opioids", "gabapentinoid": "gabapentinoids", "sedative": "sedatives"}
    for item in parsed:
        flag = flags.get(item["kind"])
        if flag and raw.get(flag) is not True:
            add(
                f"other.{flag}",
                f'{item["name"]} is listed as {item["kind"]}; set "{flag}" to true, or '
                "correct its kind.",
            )
    values["other_medicines"] = parsed


def _parse_factors(raw: object, values: dict[str, Any], add: Any, age: int | None) -> None:
    if raw is None:
        raw = []
    known = engine.PATIENT_FACTORS
    if not isinstance(raw, list):
        add("factors", f"Expected a list, any of: {', '.join(known)}.")
        return
    for column in STORED_FACTORS.values():
        values[column] = False
    for i, item in enumerate(raw):
        if item in STORED_FACTORS:
            values[STORED_FACTORS[item]] = True
        elif item in DERIVED_FACTORS:
            if item == "age-65-plus" and age is not None and age < 65:
                add(f"factors.{i}", f"age-65-plus {DERIVED_FACTORS[item]} (age {age}).")
        else:
            add(f"factors.{i}", f'Unknown factor "{str(item)[:40]}". Known: {", ".join(known)}.')
    if "opioids" in raw and values.get("opioids") is False:
        add("factors", f"opioids {DERIVED_FACTORS['opioids']}, which is false.")
    if "alcohol" in raw and values.get("alcohol") not in (Alcohol.ABOVE, Alcohol.DEPENDENCE, None):
        add("factors", f"alcohol {DERIVED_FACTORS['alcohol']}.")


def _parse_tapers(raw: object, values: dict[str, Any], add: Any, today: datetime.date) -> None:
    if raw is None:
        raw = []
    if not isinstance(raw, list) or len(raw) > MAX_PREVIOUS_TAPERS:
        add(
            "previous_tapers",
            f'Expected a list of at most {MAX_PREVIOUS_TAPERS} {{"year", "outcome"}}.',
        )
        return
    outcomes = _choices(TaperOutcome)
    parsed = []
    for i, item in enumerate(raw):
        path = f"previous_tapers.{i}"
        if not isinstance(item, Mapping) or set(item) - {"year", "outcome"}:
            add(path, 'Expected {"year": 2022, "outcome": "completed"}.')
            continue
        year, outcome = item.get("year"), item.get("outcome")
        if (
            isinstance(year, bool)
            or not isinstance(year, int)
            or not EARLIEST_USE.year <= year <= today.year
        ):
            add(
                f"{path}.year",
                f"Give the year as a number from {EARLIEST_USE.year} to {today.year}.",
            )
            continue
        if outcome not in outcomes:
            add(f"{path}.outcome", f"Unknown outcome. Known: {', '.join(outcomes)}.")
            continue
        parsed.append({"year": year, "outcome": outcome})
    values["previous_tapers"] = parsed
