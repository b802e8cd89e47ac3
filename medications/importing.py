"""Importing a medication record from another system's FHIR R4 Bundle.

The pure reader (:mod:`medications.fhir`) says what each entry is; this module turns that into
a proposed record (the current benzodiazepines and z-drugs as the regimen, opioids,
gabapentinoids and other sedatives as other medicines), shows what it will do with every entry,
and saves only when the prescriber confirms and every current benzodiazepine was read. A bundle
that is not valid FHIR, or one with a dose the reader could not read, changes nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from accounts.clinic_time import clinic_today
from accounts.models import User
from medications import fhir, selectors, services
from medications.models import MedicationRecord
from medications.record import RecordInputError, parse_record
from patients.models import Patient
from schedules.engine.units import fmt

BENZODIAZEPINES = frozenset({"benzodiazepine", "z-drug"})
FLAGS = {"opioid": "opioids", "gabapentinoid": "gabapentinoids", "sedative": "sedatives"}
#: What the import does with an entry, in the words the preview shows.
ACTIONS = {
    "regimen": "goes into what the patient takes now",
    "other-medicine": "listed under other medicines",
    "not-current": "not current (status {status}): not imported",
    "not-read": "could not be read: record it by hand",
    "not-relevant": "does not change the taper: not imported",
}


class ImportRefused(ValueError):
    """Invalid FHIR, or a confirm with entries the reader could not read: ``errors`` per key."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))


@dataclass(frozen=True)
class EntryView:
    entry: fhir.ImportedEntry
    action: str

    @property
    def action_text(self) -> str:
        return ACTIONS[self.action].format(status=self.entry.status)

    @property
    def doses(self) -> dict[str, str]:
        return {dose.slot: fmt(dose.mg) for dose in self.entry.doses}

    def to_dict(self) -> dict[str, Any]:
        e = self.entry
        return {
            "index": e.index,
            "resource_type": e.resource_type,
            "source_text": e.source_text,
            "name": e.name,
            "kind": e.kind,
            "drug": e.drug,
            "matched_by": e.matched_by,
            "form": e.form,
            "doses": self.doses,
            "understood": e.understood,
            "problems": list(e.problems),
            "status": e.status,
            "current": e.current,
            "as_needed": e.as_needed,
            "since": e.since.isoformat() if e.since else None,
            "action": self.action,
            "action_text": self.action_text,
        }


@dataclass(frozen=True)
class ImportPreview:
    entries: tuple[EntryView, ...]
    ignored: tuple[tuple[int, str], ...]
    proposed: dict[str, Any]
    problems: dict[str, list[str]]

    @property
    def can_confirm(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "entries": [view.to_dict() for view in self.entries],
            "ignored": [{"index": i, "resource_type": kind} for i, kind in self.ignored],
            "proposed": self.proposed,
            "can_confirm": self.can_confirm,
            "problems": self.problems,
        }


def _action(entry: fhir.ImportedEntry) -> str:
    if not entry.current:
        return "not-current"
    if entry.kind in BENZODIAZEPINES:
        return "regimen" if entry.understood and entry.drug else "not-read"
    if entry.kind in FLAGS:
        return "other-medicine"
    return "not-relevant"


def _merge_doses(target: dict[str, Decimal], entry: fhir.ImportedEntry) -> None:
    for dose in entry.doses:
        target[dose.slot] = target.get(dose.slot, Decimal(0)) + dose.mg


def _proposal(
    current: dict[str, Any], views: list[EntryView]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The record body the import would save (the current record with the imported regimen
    and other medicines), and the problems that stop a confirm, keyed per entry."""
    problems: dict[str, list[str]] = {}
    regimen: dict[tuple[str, str], dict[str, Decimal]] = {}
    since: list[datetime.date] = []
    for view in views:
        entry = view.entry
        if view.action == "not-read":
            reasons = "; ".join(entry.problems) or "the dose could not be read"
            problems[f"entry.{entry.index}"] = [
                f"{entry.name or 'This medicine'}: {reasons}. Nothing is guessed: record its "
                "dose by hand on the record page."
            ]
        if view.action == "regimen" and entry.drug:
            _merge_doses(regimen.setdefault((entry.drug, entry.form), {}), entry)
            if entry.since:
                since.append(entry.since)
    drugs = [drug for drug, _form in regimen]
    for drug in {d for d in drugs if drugs.count(d) > 1}:
        problems.setdefault("regimen", []).append(
            f"{drug} appears as both immediate- and extended-release; record it by hand."
        )
    body: dict[str, Any] = {
        "regimen": [
            {"drug": drug, "form": form, "doses": {slot: fmt(mg) for slot, mg in doses.items()}}
            for (drug, form), doses in regimen.items()
        ],
        "use": dict(current["use"]),
        "outside_prescriber": current["outside_prescriber"],
        "other": {key: value for key, value in current["other"].items() if key != "medicines"},
        "factors": list(current["factors"]),
        "previous_tapers": list(current["previous_tapers"]),
    }
    medicines = list(current["other"]["medicines"])
    known = {item["name"].casefold() for item in medicines}
    for view in views:
        entry = view.entry
        if view.action != "other-medicine":
            continue
        body["other"][FLAGS[entry.kind]] = True
        if entry.name.casefold() not in known:
            medicines.append({"name": entry.name[:200], "kind": entry.kind})
            known.add(entry.name.casefold())
    body["other"]["medicines"] = medicines
    if not body["use"].get("since") and since:
        body["use"]["since"] = min(since).isoformat()
    return body, problems


def import_preview(*, patient: Patient, user: User, bundle: object) -> ImportPreview:
    """What importing ``bundle`` would do. Raises :class:`ImportRefused` for invalid FHIR."""
    services.require_prescriber(user, patient)
    try:
        result = fhir.parse_bundle(bundle)
    except fhir.BundleError as exc:
        raise ImportRefused(exc.errors) from exc
    today = clinic_today(patient.clinic)
    views = [EntryView(entry, _action(entry)) for entry in result.entries]
    current = selectors.record_data(selectors.record_view(patient, today))
    proposed, problems = _proposal(current, views)
    try:
        parse_record(
            proposed,
            reference=selectors.reference(),
            today=today,
            age=selectors.age_on(patient, today),
        )
    except RecordInputError as exc:
        for key, messages in exc.errors.items():
            problems.setdefault(key, []).extend(messages)
    if not result.entries:
        problems["bundle"] = ["The bundle has no MedicationStatement or MedicationRequest."]
    return ImportPreview(tuple(views), result.ignored, proposed, problems)


def import_confirm(
    *, patient: Patient, user: User, bundle: object, reason: str = ""
) -> tuple[ImportPreview, MedicationRecord]:
    """Save the imported record, or refuse (:class:`ImportRefused`) and change nothing."""
    preview = import_preview(patient=patient, user=user, bundle=bundle)
    if not preview.can_confirm:
        raise ImportRefused(preview.problems)
    count = sum(1 for view in preview.entries if view.action in ("regimen", "other-medicine"))
    why = f"Imported from another system's FHIR record ({count} entries)"
    if reason.strip():
        why = f"{why}: {reason.strip()}"
    record, _changed = services.record_save(
        patient=patient, user=user, data={**preview.proposed, "reason": why[:500]}
    )
    return preview, record
