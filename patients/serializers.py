from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from patients.models import Patient


@extend_schema_field({"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"})
class ClockTimeField(serializers.TimeField):
    """A local clock time, ``"09:00"`` or ``"09:00:00"`` (no UTC offset: the patient's zone)."""


class PatientSerializer(serializers.ModelSerializer[Patient]):
    prescriber = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(role=User.Role.PRESCRIBER), allow_null=True, required=False
    )
    nurse = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(role=User.Role.NURSE), allow_null=True, required=False
    )

    reminder_time = ClockTimeField(required=False)

    class Meta:
        model = Patient
        fields = [
            "id",
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
        ]
        validators: list[Any] = []  # uniqueness per clinic is checked by the service
