"""A taper plan revision as a FHIR R4 ``Bundle`` of ``MedicationRequest`` resources.

Shape (validated in the tests with ``fhir.resources.R4B``, the R4-compatible models that
``fhir.resources`` 8 ships beside its default R5 ones; ``Bundle`` and ``MedicationRequest`` are
the same in R4 and R4B):

- A ``collection`` bundle; its ``identifier`` and every request's ``groupIdentifier`` name the
  revision, so a receiver can tell which requests belong together.
- One ``MedicationRequest`` per dosing step and drug: a cross-over step giving the old drug and
  diazepam side by side has two, each with its own doses, so every request has one medication.
- The stop step (no doses) has no request: there is nothing to take, and ``stopped`` would tell
  a receiver the order was halted early. The last requests carry a note with the stop day.
- ``status`` is ``active`` for the revision in force and ``completed`` for a superseded one
  (``draft`` for a draft, ``cancelled`` for a discarded draft).
- ``medicationCodeableConcept`` is text only (drug, form, strength): the catalogue has no
  RxNorm or dm+d codes, and a guessed code is worse than none.
- One ``dosageInstruction`` per slot: daily at the slot's time of day, bounded by the step's
  dates, the dose in mg (UCUM) and how to make it as text, in the words of
  :mod:`schedules.exports.wording` (``"1 x diazepam 10 mg tablet"``, with a multiplication sign).
- ``subject``, ``requester`` (the prescriber) and ``recorder`` (a nurse who recorded a hold) are
  opaque references (``Patient/123``, ``Practitioner/45``): no names, no MRN, no ``display``.

Milligrams stay :class:`~decimal.Decimal` in the returned dict; :func:`bundle_json` writes them
as JSON numbers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from catalogue.labels import ProductLabel
from schedules.exports import (
    SLOT_LABELS,
    SLOT_TIMES,
    dec,
    dosing_steps,
    drug_name,
    fmt,
    iso_date,
)
from schedules.exports.wording import dose_words, product_for

__all__ = ["bundle_json", "plan_bundle"]

UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/medicationrequest-category"
FHIR_VERSION_NOTE = "FHIR R4 (4.0.1); validated against fhir.resources.R4B"

_SLOT_ORDER = {slot: i for i, slot in enumerate(SLOT_TIMES)}
_REFERENCE = {
    "patient_ref": re.compile(r"^Patient/[A-Za-z0-9\-.]{1,64}$"),
    "requester_ref": re.compile(r"^(Practitioner|PractitionerRole)/[A-Za-z0-9\-.]{1,64}$"),
    "recorder_ref": re.compile(r"^(Practitioner|PractitionerRole)/[A-Za-z0-9\-.]{1,64}$"),
}
_STATUS = {"draft": "draft", "discarded": "cancelled"}


def _check_reference(name: str, value: str) -> None:
    if not isinstance(value, str) or not _REFERENCE[name].match(value):
        raise ValueError(
            f"{name} must be an opaque FHIR reference such as "
            f"{'Patient/123' if name == 'patient_ref' else 'Practitioner/45'}, got {value!r}."
        )


def _request_status(revision: Mapping[str, Any], in_force: bool) -> str:
    status = revision.get("status", "signed")
    if status in _STATUS:
        return _STATUS[status]
    return "active" if in_force else "completed"


def _medication_text(
    drug: str, doses: list[Mapping[str, Any]], products: Mapping[str, ProductLabel]
) -> str:
    """The labels of the products used: ``"diazepam 10 mg tablet"``; several products:
    ``"diazepam 5 mg tablet, diazepam 2 mg tablet"`` (solids first, strongest first)."""
    seen: dict[tuple[bool, Decimal, str], str] = {}
    for dose in doses:
        for unit in dose["units"]:
            strength = dec(unit["strength_mg"], field="units.strength_mg")
            product = product_for(unit, drug, products)
            seen.setdefault((product.is_liquid, -strength, product.label), product.label)
    return ", ".join(seen[key] for key in sorted(seen))


def _dosage(
    dose: Mapping[str, Any],
    sequence: int,
    start: str,
    end: str,
    products: Mapping[str, ProductLabel],
) -> dict[str, Any]:
    slot = dose["slot"]
    mg = dec(dose["mg"], field="doses.mg")
    how = dose_words(dose, products)
    return {
        "sequence": sequence,
        "text": how,
        "patientInstruction": f"Take {fmt(mg)} mg {SLOT_LABELS[slot]}: {how}.",
        "timing": {
            "repeat": {
                "boundsPeriod": {"start": start, "end": end},
                "frequency": 1,
                "period": 1,
                "periodUnit": "d",
                "timeOfDay": [SLOT_TIMES[slot].strftime("%H:%M:%S")],
            }
        },
        "route": {
            "coding": [{"system": SNOMED, "code": "26643006", "display": "Oral route"}],
            "text": "by mouth",
        },
        "doseAndRate": [
            {"doseQuantity": {"value": mg, "unit": "mg", "system": UCUM, "code": "mg"}}
        ],
    }


def _stop_day(revision: Mapping[str, Any]) -> str | None:
    stops = [s for s in revision.get("steps") or [] if s.get("phase") == "stop"]
    return (
        iso_date(stops[-1]["start_date"], field="steps.start_date").isoformat() if stops else None
    )


def plan_bundle(
    revision: Mapping[str, Any],
    *,
    patient_ref: str,
    requester_ref: str,
    base_url: str,
    products: Mapping[str, ProductLabel],
    recorder_ref: str | None = None,
    in_force: bool = True,
) -> dict[str, Any]:
    """The revision's dosing steps as a FHIR R4 ``collection`` Bundle (see the module doc).

    Args:
        revision: ``revision_dict()`` of the revision.
        patient_ref: ``"Patient/<id>"``, an opaque id (never a name or MRN).
        requester_ref: ``"Practitioner/<id>"`` (or ``PractitionerRole``) of the prescriber who
            signed the prescribing revision (:func:`schedules.selectors.prescriber_for`): a hold
            recorded by a nurse is not a prescription.
        recorder_ref: who entered this revision when it was not the prescriber (a nurse's
            hold); ``None`` leaves ``recorder`` out.
        products: slug → :class:`catalogue.labels.ProductLabel`, for the dose words.
        base_url: absolute base for ``fullUrl`` and identifier systems, e.g.
            ``"https://clinic.example/fhir"``.
        in_force: whether this revision is the one in force (``active``) or superseded
            (``completed``).

    Raises:
        ValueError: a reference is not an opaque ``Type/id`` or the revision is malformed.
    """
    _check_reference("patient_ref", patient_ref)
    _check_reference("requester_ref", requester_ref)
    if recorder_ref is not None:
        _check_reference("recorder_ref", recorder_ref)
    base = base_url.rstrip("/")
    revision_key = f"rev{revision['id']}"
    group = {"system": f"{base}/plan-revision", "value": revision_key}
    status = _request_status(revision, in_force)
    authored = revision.get("signed_at") or revision.get("created_at")
    steps = dosing_steps(revision)
    stop_day = _stop_day(revision)
    last_index = steps[-1]["index"] if steps else None

    entries: list[dict[str, Any]] = []
    for step in steps:
        start = iso_date(step["start_date"], field="steps.start_date").isoformat()
        end = iso_date(step["end_date"], field="steps.end_date").isoformat()
        by_drug: dict[str, list[Mapping[str, Any]]] = {}
        for dose in step["doses"]:
            by_drug.setdefault(dose["drug"], []).append(dose)
        for drug, doses in by_drug.items():
            doses = sorted(doses, key=lambda d: _SLOT_ORDER[d["slot"]])
            resource_id = f"{revision_key}-step{step['index']}-{drug}"
            notes = [f"Step {step['index']} ({step['phase']}): {start} to {end}."]
            if step["index"] == last_index and stop_day:
                notes.append(f"Last dose on {end}; no {drug_name(drug)} from {stop_day}.")
            request: dict[str, Any] = {
                "resourceType": "MedicationRequest",
                "id": resource_id,
                "status": status,
                "intent": "order",
                "category": [
                    {
                        "coding": [
                            {"system": CATEGORY_SYSTEM, "code": "community", "display": "Community"}
                        ]
                    }
                ],
                "medicationCodeableConcept": {"text": _medication_text(drug, doses, products)},
                "subject": {"reference": patient_ref},
                "requester": {"reference": requester_ref},
                "groupIdentifier": group,
                "note": [{"text": text} for text in notes],
                "dosageInstruction": [
                    _dosage(dose, position, start, end, products)
                    for position, dose in enumerate(doses, start=1)
                ],
            }
            if recorder_ref is not None:
                request["recorder"] = {"reference": recorder_ref}
            if authored:
                request["authoredOn"] = authored
            entries.append(
                {"fullUrl": f"{base}/MedicationRequest/{resource_id}", "resource": request}
            )

    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "id": revision_key,
        "identifier": group,
        "type": "collection",
        "entry": entries,
    }
    if authored:
        bundle["timestamp"] = authored
    return bundle


def _json_number(value: object) -> int | float:
    if isinstance(value, Decimal):
        # Milligrams have at most a few decimals: a float prints them back digit for digit.
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def bundle_json(bundle: Mapping[str, Any]) -> bytes:
    """UTF-8 JSON of a bundle from :func:`plan_bundle` (Decimals as JSON numbers)."""
    return json.dumps(bundle, ensure_ascii=False, default=_json_number).encode()
