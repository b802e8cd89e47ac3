"""The importer's result types and its one error type (standard library only)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

SLOTS = ("morning", "midday", "evening", "night")

KINDS = ("benzodiazepine", "z-drug", "opioid", "gabapentinoid", "sedative", "other")


@dataclass(frozen=True)
class ImportedDose:
    """mg of the drug per dose in one slot of the day (one of SLOTS)."""

    slot: str
    mg: Decimal


@dataclass(frozen=True)
class ImportedEntry:
    """One MedicationStatement / MedicationRequest, understood or not."""

    index: int
    resource_type: str
    source_text: str
    kind: str
    drug: str | None
    name: str
    matched_by: str
    form: str
    doses: tuple[ImportedDose, ...]
    understood: bool
    problems: tuple[str, ...]
    status: str
    current: bool
    since: datetime.date | None
    as_needed: bool


@dataclass(frozen=True)
class ImportResult:
    entries: tuple[ImportedEntry, ...]
    ignored: tuple[tuple[int, str], ...]


class BundleError(ValueError):
    """The data is not a FHIR Bundle this importer can read; nothing was imported.

    ``errors`` maps a path into the data (``"bundle"`` for the whole thing, else e.g.
    ``"entry.3.resource.dosage.0.doseAndRate.0.doseQuantity.value"``) to plain-English messages.
    """

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        count = sum(len(messages) for messages in errors.values())
        first = next(iter(errors.items()), ("bundle", ["invalid"]))
        super().__init__(f"{count} problem(s) in the FHIR data, first: {first[0]}: {first[1][0]}")
