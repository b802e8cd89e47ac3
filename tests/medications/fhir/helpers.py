from decimal import Decimal

from medications.fhir import ImportedEntry


def doses(entry: ImportedEntry) -> dict[str, Decimal]:
    """{slot: mg} of an entry, for short assertions."""
    return {dose.slot: dose.mg for dose in entry.doses}


def mg(text: str) -> Decimal:
    return Decimal(text)
