"""Writes for patients. Validation is the model's (``full_clean``), so forms and API agree."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts.models import User
from patients.models import Patient

EDITABLE_FIELDS = (
    "mrn",
    "first_name",
    "last_name",
    "date_of_birth",
    "email",
    "phone",
    "time_zone",
    "reminder_weekday",
    "reminder_time",
    "language",
    "prescriber",
    "nurse",
)


def _require_staff(user: User) -> None:
    if not user.is_clinic_staff:
        raise PermissionDenied("Only clinic staff may change patients.")


def _validate(patient: Patient) -> None:
    # validate_unique reports a clinic+MRN clash as a message on the MRN field.
    patient.full_clean(exclude=["clinic"], validate_unique=False)
    if (
        Patient.objects.filter(clinic_id=patient.clinic_id, mrn=patient.mrn)
        .exclude(pk=patient.pk)
        .exists()
    ):
        raise ValidationError({"mrn": ["Another patient in this clinic already has this MRN."]})


@transaction.atomic
def patient_create(*, user: User, data: Mapping[str, Any]) -> Patient:
    _require_staff(user)
    patient = Patient(clinic=user.clinic, **{k: v for k, v in data.items() if k in EDITABLE_FIELDS})
    _validate(patient)
    patient._history_user = user  # type: ignore[attr-defined]
    patient.save()
    return patient


@transaction.atomic
def patient_update(*, user: User, patient: Patient, data: Mapping[str, Any]) -> Patient:
    _require_staff(user)
    if patient.clinic_id != user.clinic_id:
        raise PermissionDenied("Another clinic's patient.")
    for field, value in data.items():
        if field in EDITABLE_FIELDS:
            setattr(patient, field, value)
    _validate(patient)
    patient._history_user = user  # type: ignore[attr-defined]
    patient.save()
    return patient
