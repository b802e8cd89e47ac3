"""Writes for medication records: only prescribers write, every change keeps who, when and why.

The record never touches a plan: a plan keeps a snapshot of the record it was built from, and
its page says when the record changed after signing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.clinic_time import clinic_today
from accounts.models import User
from medications import selectors
from medications.models import MedicationRecord
from medications.record import RecordInputError, parse_record
from patients.models import Patient

MAX_REASON = 500


def require_prescriber(user: User, patient: Patient) -> None:
    if not user.is_clinic_staff or user.role != User.Role.PRESCRIBER:
        raise PermissionDenied("Only a prescriber may change the medication record.")
    if patient.clinic_id != user.clinic_id:
        raise PermissionDenied("Another clinic's patient.")


def _check_reason(reason: object, *, first: bool) -> str:
    text = reason.strip() if isinstance(reason, str) else ""
    if isinstance(reason, str) and len(reason) > MAX_REASON:
        raise RecordInputError({"reason": [f"Keep the reason under {MAX_REASON} characters."]})
    if not text and not first:
        raise RecordInputError(
            {"reason": ["Say why the record changes (e.g. “dose confirmed with the GP”)."]}
        )
    return text or "first recorded"


@transaction.atomic
def record_save(
    *, patient: Patient, user: User, data: Mapping[str, Any]
) -> tuple[MedicationRecord, bool]:
    """Replace the patient's record with ``data`` (the API's body, ``reason`` included).

    Returns the record and whether anything changed: saving the same record again keeps no
    new version. Bad input raises :class:`RecordInputError` and changes nothing.
    """
    require_prescriber(user, patient)
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    today = clinic_today(patient.clinic)
    record = MedicationRecord.objects.filter(patient=patient).first()
    parsed = parse_record(
        data,
        reference=selectors.reference(),
        today=today,
        age=selectors.age_on(patient, today),
    )
    reason = _check_reason(data.get("reason"), first=record is None)
    if record is None:
        record = MedicationRecord(patient=patient)
    elif all(getattr(record, k) == v for k, v in parsed.values.items()):
        return record, False
    for key, value in parsed.values.items():
        setattr(record, key, value)
    record.updated_by = user
    record._history_user = user  # type: ignore[attr-defined]
    record._change_reason = reason  # type: ignore[attr-defined]
    record.save()
    return record, True
