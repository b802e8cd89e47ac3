"""export_statements: the app's regimen -> a FHIR R4 Bundle of MedicationStatements."""

from __future__ import annotations

import datetime
from decimal import Decimal

from .types import SLOTS
from .vocabulary import RXNORM, Vocabulary, load_vocabulary

UCUM = "http://unitsofmeasure.org"
SLOT_EVENTS = {"morning": "MORN", "midday": "NOON", "evening": "EVE", "night": "NIGHT"}
SLOT_WORDS = {"morning": "in the morning", "midday": "at midday", "evening": "in the evening",
              "night": "at night"}  # fmt: skip


def _number(value: Decimal) -> int | Decimal:
    """An int when whole (so JSON shows 2, not 2.0), else the Decimal itself."""
    return int(value) if value == value.to_integral_value() else value


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _ingredient_coding(slug: str, vocabulary: Vocabulary) -> dict | None:
    for code, medicine in vocabulary.rxnorm.items():
        if medicine.slug == slug and vocabulary.is_ingredient(code):
            return {"system": RXNORM, "code": code, "display": vocabulary.display_for(RXNORM, code)}
    return None


def export_statements(
    regimen: list[dict],
    other: list[dict],
    *,
    patient_reference: str,
    since: datetime.date | None = None,
    vocabulary: Vocabulary | None = None,
) -> dict:
    """A FHIR R4 Bundle (type "collection") with one active MedicationStatement per medicine.

    ``regimen`` items: ``{"drug": slug, "doses": {"morning": "1", "night": "2"}, "form": "ir"}``
    (mg as decimal strings); ``other`` items: ``{"name": str, "kind": str}``.
    Dose values are ``int`` or ``Decimal``, never float: dump the result with a Decimal-aware
    JSON encoder (DRF's encoder is one; ``json.dumps`` alone is not).
    """
    vocabulary = vocabulary or load_vocabulary()
    names = {m.slug: m.name for m in vocabulary.medicines if m.slug}
    entries: list[dict] = []
    for item in regimen:
        slug = item["drug"]
        name = names.get(slug, slug)
        if item.get("form") == "er":
            name = f"{name} (extended-release)"
        concept: dict = {"text": name}
        coding = _ingredient_coding(slug, vocabulary)
        if coding:
            concept["coding"] = [coding]
        dosages = []
        doses = item.get("doses") or {}
        for slot in SLOTS:
            if doses.get(slot) in (None, ""):
                continue
            mg = Decimal(str(doses[slot]))
            if mg <= 0:
                continue
            dosages.append(
                {
                    "text": f"{_plain(mg)} mg {SLOT_WORDS[slot]}",
                    "timing": {
                        "repeat": {
                            "frequency": 1,
                            "period": 1,
                            "periodUnit": "d",
                            "when": [SLOT_EVENTS[slot]],
                        }
                    },
                    "doseAndRate": [
                        {
                            "doseQuantity": {
                                "value": _number(mg),
                                "unit": "mg",
                                "system": UCUM,
                                "code": "mg",
                            }
                        }
                    ],
                }
            )
        entries.append(_statement(concept, dosages, patient_reference, since))
    for item in other:
        entries.append(_statement({"text": item["name"]}, [], patient_reference, since))
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def _statement(
    concept: dict, dosages: list[dict], patient_reference: str, since: datetime.date | None
) -> dict:
    statement: dict = {
        "resourceType": "MedicationStatement",
        "status": "active",
        "medicationCodeableConcept": concept,
        "subject": {"reference": patient_reference},
    }
    if since is not None:
        statement["effectivePeriod"] = {"start": since.isoformat()}
    if dosages:
        statement["dosage"] = dosages
    return {"resource": statement}
