"""Scoring: raw answers in, a :class:`~checkins.instruments.types.Score` out.

Rules (CLINICAL-REFERENCE §4a and §7.13; DESIGN.md check-in contract):

* Items are named by number as strings: self-report items in ``answers``, observer items in
  ``observed``. A value is an ``int`` in the item's range (CIWA-B 0-4) or a string of digits
  (``"3"``). Booleans, floats, other strings, out-of-range values, unknown keys and an item in
  the wrong mapping are errors, each reported under its path (``answers.7``).
* Every self-report item must be answered, unless ``allow_missing=True``; then the missing ones
  make the score partial.
* Observer items come all together or not at all: a subset is an error, so a CIWA-B ``max`` is
  68 (self-report only) or 80, as the API contract says.
* ``total`` is the sum of the answered items; ``max`` the highest total those items could give;
  ``partial`` is True when any scored item is unanswered, and then ``band`` is None: a partial
  total is never banded as if complete. Example: all 17 self-report items at 2 and no observed
  items → total 34, max 68, partial, band None; with observed 1, 1, 1 → total 37, max 80,
  band "moderate".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from checkins.instruments.types import Instrument, Item, ItemValue, Rater, Score

__all__ = ["InstrumentInputError", "parse_item_value", "score"]

_DIGITS = re.compile(r"[0-9]+")
ANSWERS = "answers"
OBSERVED = "observed"


class InstrumentInputError(ValueError):
    """Bad check-in input: ``errors`` maps a path (``answers.7``) to its messages."""

    def __init__(self, errors: Mapping[str, Sequence[str]]) -> None:
        self.errors: dict[str, list[str]] = {key: list(value) for key, value in errors.items()}
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items()))


class ErrorBag:
    """Collects messages per path; raises them all at once."""

    def __init__(self) -> None:
        self.items: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        self.items.setdefault(path, []).append(message)

    def merge(self, error: InstrumentInputError) -> None:
        for path, messages in error.errors.items():
            for message in messages:
                self.add(path, message)

    def raise_if_any(self) -> None:
        if self.items:
            raise InstrumentInputError(self.items)


def parse_item_value(raw: object, item: Item) -> int:
    """``raw`` as the item's value, or ValueError with a message for the patient or nurse.

    Accepts an ``int`` (not a ``bool``) or a string of ASCII digits, within the item's range.
    """
    expected = f"must be a whole number from {item.min_value} to {item.max_value}"
    if isinstance(raw, bool):
        raise ValueError(f"{expected}, not true or false.")
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and _DIGITS.fullmatch(raw):
        value = int(raw)
    else:
        raise ValueError(f"{expected}.")
    if not item.min_value <= value <= item.max_value:
        raise ValueError(f"{expected}; got {value}.")
    return value


def _read(
    raw: object,
    *,
    field: str,
    rater: Rater,
    instrument: Instrument,
    errors: ErrorBag,
) -> dict[str, int]:
    """Valid values of one mapping (``answers`` or ``observed``); errors go to ``errors``."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        errors.add(field, "must be an object mapping item numbers to values.")
        return {}
    keys = {item.key: item for item in instrument.items}
    other = OBSERVED if rater is Rater.PATIENT else ANSWERS
    values: dict[str, int] = {}
    for key, value in raw.items():
        path = f"{field}.{key}"
        if not isinstance(key, str):
            errors.add(path, 'item numbers are strings, for example "7".')
            continue
        item = keys.get(key)
        if item is None:
            errors.add(path, f"{instrument.name} has no item {key}.")
            continue
        if item.rater is not rater:
            errors.add(path, f"item {key} is rated by the {item.rater.value}: send it in {other}.")
            continue
        try:
            values[key] = parse_item_value(value, item)
        except ValueError as exc:
            errors.add(path, str(exc))
    return values


def score(
    instrument: Instrument,
    answers: object,
    observed: object = None,
    *,
    allow_missing: bool = False,
) -> Score:
    """Validate and score one check-in.

    Args:
        instrument: the instrument answered (its data drives everything here).
        answers: self-report item values, ``{"1": 0, ..., "17": "2"}``.
        observed: observer item values (``{"18": 1, "19": 0, "20": 2}``), all or none; None or
            ``{}`` when nobody observed the patient.
        allow_missing: accept unanswered self-report items (the score is then partial).

    Raises:
        InstrumentInputError: every problem found, by path.
    """
    errors = ErrorBag()
    given = _read(answers, field=ANSWERS, rater=Rater.PATIENT, instrument=instrument, errors=errors)
    seen = _read(
        observed, field=OBSERVED, rater=Rater.OBSERVER, instrument=instrument, errors=errors
    )
    self_items = instrument.items_rated_by(Rater.PATIENT)
    observer_items = instrument.items_rated_by(Rater.OBSERVER)
    if isinstance(answers, Mapping) and not allow_missing:
        for item in self_items:
            if item.key not in answers:
                errors.add(f"{ANSWERS}.{item.key}", "missing: every question needs an answer.")
    if isinstance(observed, Mapping) and observed:
        named = ", ".join(item.key for item in observer_items)
        for item in observer_items:
            if item.key not in observed:
                errors.add(f"{OBSERVED}.{item.key}", f"missing: rate all of {named}, or none.")
    if answers is None:
        errors.add(ANSWERS, "required.")
    errors.raise_if_any()

    values = {**given, **seen}
    answered = tuple(
        ItemValue(item.key, values[item.key], item.rater)
        for item in instrument.items
        if item.key in values
    )
    missing = tuple(item.key for item in instrument.items if item.key not in values)
    total = sum(value.value for value in answered)
    maximum = sum(item.max_value for item in instrument.items if item.key in values)
    partial = bool(missing)
    return Score(
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        total=total,
        max=maximum,
        partial=partial,
        band=None if partial else instrument.band_for(total),
        items=answered,
        missing=missing,
    )
