"""Demo medication records: what each demo patient takes now, recorded before their plans so
the plans keep a snapshot of it."""

from __future__ import annotations

from typing import Any

from accounts.models import User
from medications import services as medication_services
from medications.models import MedicationRecord
from patients.models import Patient

#: By position in the clinic's patients (ordered by MRN); matches the demo plans' regimens.
DEMO_RECORDS: tuple[dict[str, Any], ...] = (
    {
        "regimen": [{"drug": "alprazolam", "doses": {"morning": "1", "midday": "1", "night": "1"}}],
        "use": {"since": "2019-04-01", "days_per_week": 7, "indication": "panic"},
        "other": {"alcohol": "within-guidelines"},
        "previous_tapers": [{"year": 2022, "outcome": "stopped-symptoms"}],
    },
    {
        "regimen": [{"drug": "diazepam", "doses": {"morning": "10", "night": "10"}}],
        "use": {"since": "2022-05-01", "days_per_week": 7, "indication": "muscle-spasm"},
        "outside_prescriber": "Dr Okafor, High Street Surgery",
        "other": {
            "opioids": True,
            "medicines": [{"name": "Codeine phosphate 30 mg tablets", "kind": "opioid"}],
            "alcohol": "none",
        },
    },
    {
        "regimen": [{"drug": "temazepam", "doses": {"night": "20"}}],
        "use": {"since": "2024-01-01", "days_per_week": 6, "indication": "insomnia"},
        "other": {"alcohol": "none"},
    },
)


def seed_demo_records(*, prescriber: User, patients: list[Patient]) -> int:
    """Record each demo patient's medicines unless they already have a record."""
    created = 0
    for patient, body in zip(patients, DEMO_RECORDS, strict=False):
        if MedicationRecord.objects.filter(patient=patient).exists():
            continue
        medication_services.record_save(patient=patient, user=prescriber, data=body)
        created += 1
    return created
