"""parse_bundle: a FHIR R4 Bundle of MedicationStatement / MedicationRequest -> ImportResult."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal

from .dosage import (
    PRN_PROBLEM,
    Strengths,
    dose_in_mg,
    read_text,
    read_timing,
    slot_order,
    strengths_in,
    text_says_prn,
    to_decimal,
    unit_kind,
)
from .types import BundleError, ImportedDose, ImportedEntry, ImportResult
from .validate import MEDICATION_TYPES, validate_bundle
from .vocabulary import Match, Vocabulary, load_vocabulary

CURRENT = {
    "MedicationStatement": frozenset({"active", "intended", "on-hold"}),
    "MedicationRequest": frozenset({"active", "on-hold"}),
}
TAPERED_KINDS = ("benzodiazepine", "z-drug")
PART_PRN_PROBLEM = "part of the dose is as needed (PRN): the regular daily dose is not certain"
_ER = re.compile(
    r"\b(er|xr|xl|sr|cr|mr|la|extended|modified|24 hr)\b"
    r"|\b(prolonged|sustained|controlled|slow)[- ]release\b",
    re.IGNORECASE,
)


def _tidy(value: Decimal) -> Decimal:
    """0.50 -> 0.5 and 5.0 -> 5, without turning 10 into 1E+1."""
    normal = value.normalize()
    return normal if normal.as_tuple().exponent <= 0 else value.quantize(Decimal(1))  # type: ignore[operator]


@dataclass
class _Medicine:
    texts: list[str]  # text and coding displays, for names, strengths and ER
    codings: list[tuple[str, str]]  # (system, code)
    problems: list[str]
    form_texts: list[str] = field(default_factory=list)  # Medication.form, for ER only


def _concept_parts(concept: dict) -> tuple[list[str], list[tuple[str, str]]]:
    texts: list[str] = []
    codings: list[tuple[str, str]] = []
    if concept.get("text"):
        texts.append(concept["text"])
    for coding in concept.get("coding", []):
        if coding.get("display"):
            texts.append(coding["display"])
        if coding.get("code"):
            codings.append((coding.get("system", ""), coding["code"]))
    return texts, codings


def _resolve(resource: dict, by_url: dict[str, dict]) -> _Medicine:
    concept = resource.get("medicationCodeableConcept")
    if concept is not None:
        texts, codings = _concept_parts(concept)
        return _Medicine(texts, codings, [])
    reference = resource.get("medicationReference") or {}
    ref = reference.get("reference", "")
    display = [reference["display"]] if reference.get("display") else []
    target: dict | None = None
    if ref.startswith("#"):
        for contained in resource.get("contained", []):
            if contained.get("resourceType") == "Medication" and contained.get("id") == ref[1:]:
                target = contained
    elif ref:
        target = by_url.get(ref)
    if target is None:
        shown = f'"{ref}"' if ref else "(empty)"
        problem = f"medicationReference {shown} does not point to a Medication in this bundle"
        return _Medicine(display, [], [problem])
    texts, codings = _concept_parts(target.get("code") or {})
    form_texts, _ = _concept_parts(target.get("form") or {})
    return _Medicine(texts + display, codings, [], form_texts)


def _index_medications(entries: list) -> dict[str, dict]:
    by_url: dict[str, dict] = {}
    for entry in entries:
        resource = entry["resource"]
        if resource["resourceType"] != "Medication":
            continue
        if entry.get("fullUrl"):
            by_url[entry["fullUrl"]] = resource
            tail = re.search(r"Medication/[^/]+$", entry["fullUrl"])
            if tail:
                by_url.setdefault(tail.group(0), resource)
        if isinstance(resource.get("id"), str):
            by_url.setdefault(f"Medication/{resource['id']}", resource)
    return by_url


def _recognise(medicine: _Medicine, vocabulary: Vocabulary) -> tuple[Match | None, list[str]]:
    """The medicine by code first, then by name; extra texts (code displays) to read strengths."""
    extra: list[str] = []
    found: Match | None = None
    for system, code in medicine.codings:
        match = vocabulary.by_code(system, code)
        display = vocabulary.display_for(system, code)
        if match and display:
            extra.append(display)
        if match and found is None:
            found = match
    if found is not None:
        if found.medicine.kind in TAPERED_KINDS:
            for text in medicine.texts:
                for other in vocabulary.by_name(text):
                    problem = f"the code says {found.medicine.name} but the name says {other.name}"
                    conflict = other.kind in TAPERED_KINDS and other != found.medicine
                    if conflict and problem not in medicine.problems:
                        medicine.problems.append(problem)
        return found, extra
    for text in medicine.texts:
        named = vocabulary.by_name(text)
        tapered = [m for m in named if m.kind in TAPERED_KINDS]
        if tapered:
            return Match(tapered[0], "name"), extra
        if named:
            found = found or Match(named[0], "name")
    return found, extra


def _since(resource: dict) -> datetime.date | None:
    raw = (
        (resource.get("effectivePeriod") or {}).get("start")
        or resource.get("effectiveDateTime")
        or resource.get("authoredOn")
    )
    if not raw or len(raw) < 10:
        return None
    try:
        return datetime.date.fromisoformat(raw[:10])
    except ValueError:
        return None


def _summary(dosage: dict) -> str:
    if dosage.get("text"):
        return dosage["text"]
    parts: list[str] = []
    for dose_and_rate in dosage.get("doseAndRate", []):
        quantity = dose_and_rate.get("doseQuantity") or {}
        if "value" in quantity:
            unit = quantity.get("unit") or quantity.get("code") or ""
            parts.append(f"{to_decimal(quantity['value'])} {unit}".strip())
    timing = dosage.get("timing") or {}
    repeat = timing.get("repeat") or {}
    if "frequency" in repeat:
        every = f"{repeat.get('period', 1)} {repeat.get('periodUnit', '')}".strip()
        parts.append(f"{repeat['frequency']} times every {every}")
    if repeat.get("when"):
        parts.append(" ".join(repeat["when"]))
    for coding in (timing.get("code") or {}).get("coding", []):
        if coding.get("code"):
            parts.append(coding["code"])
    return ", ".join(parts) or "(no dosage text)"


def _read_dosage(
    dosage: dict, strengths: Strengths
) -> tuple[list[tuple[str, Decimal]], list[str], list[str]]:
    """(slot, mg) pairs, blocking problems, notes for one Dosage."""
    quantities = [
        d["doseQuantity"]
        for d in dosage.get("doseAndRate", [])
        if d.get("doseQuantity") is not None
    ]
    if any(d.get("doseRange") is not None for d in dosage.get("doseAndRate", [])):
        return [], ["dose given as a range: not one amount"], []
    if len(quantities) > 1:
        return [], ["more than one dose amount given for one instruction"], []
    text = dosage.get("text", "")
    if not quantities:
        if text:
            return read_text(text, strengths)
        return [], ["no dose amount stated"], []
    quantity = quantities[0]
    if "value" not in quantity:
        return [], ["dose quantity has no value"], []
    code, unit = quantity.get("code", ""), quantity.get("unit", "")
    if code and unit and unit_kind(code) != unit_kind(unit) and "?" not in (unit_kind(code),):
        return [], [f'dose unit "{unit}" and unit code "{code}" disagree'], []
    mg, problem = dose_in_mg(to_decimal(quantity["value"]), code or unit, strengths)
    if mg is None:
        return [], [problem], []
    timing = read_timing(dosage.get("timing"))
    if timing.slots is None:
        if "timing" not in dosage and text:
            pairs, _, notes = read_text(text, strengths)
            if pairs and all(dose == mg for _, dose in pairs):
                return pairs, [], notes
        return [], timing.problems, []
    return [(slot, mg) for slot in timing.slots], [], timing.notes


def _entry(
    index: int, resource: dict, medicine: _Medicine, vocabulary: Vocabulary
) -> ImportedEntry:
    resource_type = resource["resourceType"]
    dosages = resource.get("dosage") or resource.get("dosageInstruction") or []
    match, extra_texts = _recognise(medicine, vocabulary)
    texts = medicine.texts + extra_texts
    problems = list(medicine.problems)
    kind = match.medicine.kind if match else "other"
    name = (
        medicine.texts[0]
        if medicine.texts
        else (match.medicine.name if match else "Unnamed medicine")
    )
    form = "er" if _ER.search(" ".join(texts + medicine.form_texts)) else "ir"
    prn = [
        d.get("asNeededBoolean") is True
        or d.get("asNeededCodeableConcept") is not None
        or text_says_prn(d.get("text", ""))
        for d in dosages
    ]
    as_needed = any(prn)
    doses: tuple[ImportedDose, ...] = ()
    understood = False
    if kind not in TAPERED_KINDS:
        if kind == "other":
            problems.append("not recognised as a benzodiazepine or z-drug")
        else:
            problems.append(f"{kind}: not part of the taper; listed for the prescriber")
    elif medicine.problems:
        pass
    elif as_needed:
        problems.append(PRN_PROBLEM if all(prn) else PART_PRN_PROBLEM)
    elif not dosages:
        problems.append("no dosage given")
    else:
        strengths = strengths_in(texts)
        sequences = {d.get("sequence") for d in dosages if "sequence" in d}
        totals: dict[str, Decimal] = {}
        blocking: list[str] = []
        notes: list[str] = []
        if len(sequences) > 1:
            blocking.append(
                "the dose changes over time (several dosage steps): "
                "which one is current is not stated"
            )
        else:
            for dosage in dosages:
                pairs, dosage_problems, dosage_notes = _read_dosage(dosage, strengths)
                blocking.extend(dosage_problems)
                notes.extend(n for n in dosage_notes if n not in notes)
                for slot, mg in pairs:
                    totals[slot] = totals.get(slot, Decimal(0)) + mg
        if blocking or not totals:
            problems.extend(blocking or ["no dose could be read"])
        else:
            understood = True
            problems.extend(notes)
            doses = tuple(
                ImportedDose(slot, _tidy(totals[slot])) for slot in sorted(totals, key=slot_order)
            )
    status = resource["status"]
    source = " — ".join(part for part in (name, "; ".join(_summary(d) for d in dosages)) if part)
    return ImportedEntry(
        index=index,
        resource_type=resource_type,
        source_text=source,
        kind=kind,
        drug=match.medicine.slug if match and kind in TAPERED_KINDS else None,
        name=name,
        matched_by=match.matched_by if match else "",
        form=form,
        doses=doses,
        understood=understood,
        problems=tuple(problems),
        status=status,
        current=status in CURRENT[resource_type],
        since=_since(resource),
        as_needed=as_needed,
    )


def parse_bundle(
    data: object, vocabulary: Vocabulary | None = None, *, max_entries: int = 200
) -> ImportResult:
    """Read a FHIR R4 Bundle (already JSON-decoded; floats or Decimals both fine).

    All or nothing: structurally invalid data raises BundleError listing every problem.
    Every MedicationStatement / MedicationRequest comes back in bundle order, understood or
    not; other resource types are listed in ``ignored``. A dose is never guessed.
    """
    validate_bundle(data, max_entries)
    if not isinstance(data, dict):  # validate_bundle has already refused it; for the type checker
        raise BundleError({"bundle": ["Not a JSON object."]})
    vocabulary = vocabulary or load_vocabulary()
    entries = data["entry"]
    by_url = _index_medications(entries)
    imported: list[ImportedEntry] = []
    ignored: list[tuple[int, str]] = []
    for index, entry in enumerate(entries):
        resource = entry["resource"]
        if resource["resourceType"] in MEDICATION_TYPES:
            medicine = _resolve(resource, by_url)
            imported.append(_entry(index, resource, medicine, vocabulary))
        else:
            ignored.append((index, resource["resourceType"]))
    return ImportResult(tuple(imported), tuple(ignored))
