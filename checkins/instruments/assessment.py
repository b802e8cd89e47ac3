"""One check-in assessed: score, red flags and urgency together, as the API answers it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from checkins.instruments.red_flags import (
    RedFlags,
    Urgency,
    parse_flag,
    parse_red_flags,
    urgency,
)
from checkins.instruments.scoring import ErrorBag, InstrumentInputError, score
from checkins.instruments.types import Band, Instrument, Score

__all__ = ["Assessment", "assess"]


@dataclass(frozen=True, slots=True)
class Assessment:
    """A scored check-in. :meth:`to_dict` is the DESIGN.md response body."""

    instrument: Instrument
    score: Score
    red_flags: RedFlags
    alert: bool | None
    urgency: Urgency

    @property
    def total(self) -> int:
        return self.score.total

    @property
    def max(self) -> int:
        return self.score.max

    @property
    def partial(self) -> bool:
        return self.score.partial

    @property
    def band(self) -> Band | None:
        return self.score.band

    @property
    def urgent(self) -> bool:
        return self.urgency.urgent

    def to_dict(self) -> dict[str, Any]:
        """``total``, ``max``, ``band`` (key or None), ``partial``, ``urgent``, and the detail."""
        return {
            "instrument": self.instrument.id,
            "version": self.instrument.version,
            "total": self.total,
            "max": self.max,
            "band": self.band.key if self.band else None,
            "partial": self.partial,
            "urgent": self.urgent,
            "urgent_reasons": [
                {"key": r.key, "message": r.message, "source": r.source}
                for r in self.urgency.reasons
            ],
            "items": self.score.values,
            "missing": list(self.score.missing),
            "red_flags": self.red_flags.to_dict(),
            "alert": self.alert,
        }


def assess(
    instrument: Instrument,
    answers: object,
    observed: object = None,
    red_flags: object = None,
    *,
    alert: object = None,
    allow_missing: bool = False,
) -> Assessment:
    """Validate and assess one check-in body.

    Args:
        instrument: the instrument answered.
        answers, observed, allow_missing: as for :func:`~checkins.instruments.scoring.score`.
        red_flags: ``{"seizure": false, "confusion": false, "hallucinations": false,
            "suicidal_thoughts": false}`` (required; ``chest_pain`` optional).
        alert: the observer's yes/no to the instrument's consciousness check, or None.

    Raises:
        InstrumentInputError: every problem in the body, by path.
    """
    errors = ErrorBag()
    scored: Score | None = None
    flags: RedFlags | None = None
    awake: bool | None = None
    try:
        scored = score(instrument, answers, observed, allow_missing=allow_missing)
    except InstrumentInputError as exc:
        errors.merge(exc)
    try:
        flags = parse_red_flags(red_flags)
    except InstrumentInputError as exc:
        errors.merge(exc)
    if alert is not None:
        if not instrument.consciousness_check:
            errors.add("alert", f"{instrument.name} has no consciousness check.")
        else:
            try:
                awake = parse_flag(alert)
            except ValueError as exc:
                errors.add("alert", str(exc))
    if errors.items or scored is None or flags is None:
        raise InstrumentInputError(errors.items)
    return Assessment(
        instrument=instrument,
        score=scored,
        red_flags=flags,
        alert=awake,
        urgency=urgency(instrument, scored, flags, alert=awake),
    )
