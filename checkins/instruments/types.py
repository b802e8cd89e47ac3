"""The shapes an instrument is made of: plain frozen dataclasses, no behaviour beyond lookups.

An :class:`Instrument` is data. CIWA-B lives in :mod:`~checkins.instruments.ciwa_b`; another
questionnaire is another module of the same shape, registered in
:mod:`~checkins.instruments.registry`. Nothing in the scoring code names an instrument.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "Anchor",
    "Band",
    "Instrument",
    "Item",
    "ItemValue",
    "Provenance",
    "Rater",
    "Score",
]


class Rater(StrEnum):
    """Who gives an item's value."""

    PATIENT = "patient"  # self-report: sent in ``answers``
    OBSERVER = "observer"  # a clinician rates it: sent in ``observed``


class Provenance(StrEnum):
    """Where a piece of wording or a number comes from."""

    VERBATIM = "verbatim"  # the source's form text, character for character
    ADAPTED = "adapted"  # our plain-words version of the source's text
    UNVERIFIED = "unverified"  # in the reference but marked unverified there: do not ship


@dataclass(frozen=True, slots=True)
class Anchor:
    """One point of an item's scale: ``value``, the words shown next to it, and their source."""

    value: int
    label: str
    provenance: Provenance
    source: str


@dataclass(frozen=True, slots=True)
class Item:
    """A scored item.

    ``key`` is how check-in bodies name it (``"7"``). ``text`` is what we show the patient (or
    the observer); ``form_text`` is the source form's wording, kept beside it so a clinician can
    compare. ``text_provenance`` says whether ``text`` is the form's text verbatim or adapted.
    """

    number: int
    text: str
    form_text: str
    text_provenance: Provenance
    rater: Rater
    anchors: tuple[Anchor, ...]
    note: str = ""

    @property
    def key(self) -> str:
        return str(self.number)

    @property
    def min_value(self) -> int:
        return self.anchors[0].value

    @property
    def max_value(self) -> int:
        return self.anchors[-1].value


@dataclass(frozen=True, slots=True)
class Band:
    """A severity band for a COMPLETE total: ``low`` to ``high`` inclusive.

    ``urgent`` bands make a check-in urgent (CIWA-B severe and very severe; reference §4c).
    """

    key: str
    label: str
    low: int
    high: int
    source: str
    urgent: bool = False

    def contains(self, total: int) -> bool:
        return self.low <= total <= self.high


@dataclass(frozen=True, slots=True)
class Instrument:
    """A questionnaire as data.

    ``validated`` is False when the reference marks the instrument's items or scoring as
    unverified: such an instrument gives totals only (no bands) and is not offered by
    :func:`~checkins.instruments.registry.get_instrument` unless asked for explicitly.
    ``consciousness_check`` is the observer's level-of-consciousness question, if the form has
    one: a "no" makes the check-in urgent.
    """

    id: str
    version: str
    name: str
    citation: tuple[str, ...]
    items: tuple[Item, ...]
    bands: tuple[Band, ...]
    bands_source: str
    validated: bool
    consciousness_check: str = ""
    notes: tuple[str, ...] = ()

    def item(self, key: str) -> Item:
        for candidate in self.items:
            if candidate.key == key:
                return candidate
        raise KeyError(key)

    def items_rated_by(self, rater: Rater) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.rater is rater)

    @property
    def max_total(self) -> int:
        return sum(item.max_value for item in self.items)

    @property
    def urgent_from(self) -> int | None:
        """The lowest total in an urgent band (41 for CIWA-B), or None."""
        lows = [band.low for band in self.bands if band.urgent]
        return min(lows) if lows else None

    def band_for(self, total: int) -> Band | None:
        """The band of a COMPLETE total; never call it with a partial one."""
        for band in self.bands:
            if band.contains(total):
                return band
        return None


@dataclass(frozen=True, slots=True)
class ItemValue:
    """One answered item."""

    key: str
    value: int
    rater: Rater


@dataclass(frozen=True, slots=True)
class Score:
    """A scored questionnaire.

    ``max`` is the highest total the ANSWERED items could give (CIWA-B: 68 for self-report only,
    80 with the three observed items). ``partial`` is True when any scored item is unanswered;
    then ``band`` is None: a partial total is never banded as if complete. ``missing`` lists the
    unanswered item keys.
    """

    instrument_id: str
    instrument_version: str
    total: int
    max: int
    partial: bool
    band: Band | None
    items: tuple[ItemValue, ...]
    missing: tuple[str, ...] = field(default=())

    @property
    def values(self) -> dict[str, int]:
        """Item key → value, for storing the raw answers."""
        return {item.key: item.value for item in self.items}
