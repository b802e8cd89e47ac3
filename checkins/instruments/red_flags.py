"""Red flags: asked at every check-in, outside any score, and what makes a check-in urgent.

Red flags (CLINICAL-REFERENCE §4c and §7.15, from ASAM-CPG Table 3 and Rec 5 / Rec 12):
seizure, confusion, hallucinations (including paranoia) and suicidal thoughts or self-harm are
required answers at every check-in. ``chest_pain`` is optional (§7.15 lists it as optional; it
is in ASAM-CPG Table 3 as a cardiovascular withdrawal symptom). We keep it because chest pain
needs same-day medical assessment whatever its cause; when not asked it is simply absent.

A check-in is urgent (§4c "Suggested escalation triggers") when:

1. any red flag is answered yes;
2. the observer answers the CIWA-B level-of-consciousness check ("Alert, orientated, obeys
   commands?") with no;
3. the total reaches the lowest urgent band (CIWA-B 41, "severe"). This applies to a partial
   total too: unanswered items only add, so a partial total of 41 or more means the complete
   total is at least 41. Example: self-report 45 of 68 → urgent, band None.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from checkins.instruments.scoring import ErrorBag, InstrumentInputError
from checkins.instruments.types import Instrument, Score

__all__ = [
    "RED_FLAGS",
    "RedFlag",
    "RedFlags",
    "Urgency",
    "UrgentReason",
    "parse_flag",
    "parse_red_flags",
    "urgency",
]

_TRUE = frozenset({"true", "yes"})
_FALSE = frozenset({"false", "no"})
_FLAG_SOURCE = "ASAM-CPG Table 3, Rec 5, Rec 12; CLINICAL-REFERENCE §4c, §7.15"


@dataclass(frozen=True, slots=True)
class RedFlag:
    """A yes/no question asked at every check-in; ``required`` ones must be answered."""

    key: str
    question: str
    source: str
    required: bool = True


RED_FLAGS: tuple[RedFlag, ...] = (
    RedFlag("seizure", "Have you had a seizure or fit?", _FLAG_SOURCE),
    RedFlag(
        "confusion",
        "Have you been confused, or not known where you are or what day it is?",
        _FLAG_SOURCE,
    ),
    RedFlag(
        "hallucinations",
        "Have you seen or heard things that other people could not, or felt that people "
        "were against you?",
        _FLAG_SOURCE,
    ),
    RedFlag(
        "suicidal_thoughts",
        "Have you had thoughts of ending your life or of harming yourself?",
        _FLAG_SOURCE,
    ),
    RedFlag(
        "chest_pain",
        "Have you had pain in your chest?",
        "ASAM-CPG Table 3; CLINICAL-REFERENCE §7.15 (optional)",
        required=False,
    ),
)


@dataclass(frozen=True, slots=True)
class RedFlags:
    """The answers given, in :data:`RED_FLAGS` order; an optional flag not asked is absent."""

    answers: tuple[tuple[str, bool], ...]

    @property
    def yes(self) -> tuple[str, ...]:
        return tuple(key for key, value in self.answers if value)

    @property
    def any(self) -> bool:
        return bool(self.yes)

    def get(self, key: str) -> bool | None:
        return dict(self.answers).get(key)

    def to_dict(self) -> dict[str, bool]:
        return dict(self.answers)


def parse_flag(raw: object) -> bool:
    """A yes/no answer: ``True``/``False``, or the strings true/false/yes/no (any case)."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        word = raw.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    raise ValueError("must be true or false.")


def parse_red_flags(raw: object, *, field: str = "red_flags") -> RedFlags:
    """Validate the red-flag answers.

    Raises:
        InstrumentInputError: not an object, a required flag missing, an unknown key, or a
            value that is not a yes/no answer, each under its path (``red_flags.seizure``).
    """
    if not isinstance(raw, Mapping):
        message = "required: an object with a yes/no answer for each red flag."
        raise InstrumentInputError({field: [message]})
    errors = ErrorBag()
    known = {flag.key for flag in RED_FLAGS}
    for key in raw:
        if key not in known:
            errors.add(f"{field}.{key}", f"unknown red flag; expected one of {sorted(known)}.")
    answers: list[tuple[str, bool]] = []
    for flag in RED_FLAGS:
        if flag.key not in raw:
            if flag.required:
                errors.add(f"{field}.{flag.key}", "required: answer yes or no.")
            continue
        try:
            answers.append((flag.key, parse_flag(raw[flag.key])))
        except ValueError as exc:
            errors.add(f"{field}.{flag.key}", str(exc))
    errors.raise_if_any()
    return RedFlags(tuple(answers))


@dataclass(frozen=True, slots=True)
class UrgentReason:
    """Why a check-in is urgent: ``key`` (``red_flag:seizure``, ``not_alert``,
    ``severe_total``), plain words and the source."""

    key: str
    message: str
    source: str


@dataclass(frozen=True, slots=True)
class Urgency:
    urgent: bool
    reasons: tuple[UrgentReason, ...]


def urgency(
    instrument: Instrument,
    score: Score,
    red_flags: RedFlags,
    *,
    alert: bool | None = None,
) -> Urgency:
    """Whether this check-in needs the care team now (the module docstring lists the rules).

    ``alert`` is the observer's answer to the instrument's consciousness check, or None when
    nobody observed the patient.
    """
    reasons: list[UrgentReason] = []
    questions = {flag.key: flag for flag in RED_FLAGS}
    for key in red_flags.yes:
        flag = questions[key]
        reasons.append(
            UrgentReason(f"red_flag:{key}", f"Answered yes: {flag.question}", flag.source)
        )
    if alert is False and instrument.consciousness_check:
        reasons.append(
            UrgentReason(
                "not_alert",
                f"Observer answered no: {instrument.consciousness_check}",
                "CIWAB-FORM; CLINICAL-REFERENCE §4c",
            )
        )
    threshold = instrument.urgent_from
    if threshold is not None and score.total >= threshold:
        band = instrument.band_for(threshold)
        label = band.label if band else str(threshold)
        of = f" of {score.max} (partial)" if score.partial else f" of {score.max}"
        reasons.append(
            UrgentReason(
                "severe_total",
                f"Total {score.total}{of} is at or above {threshold} ({label}).",
                f"{instrument.bands_source}; CLINICAL-REFERENCE §4c",
            )
        )
    return Urgency(bool(reasons), tuple(reasons))
