from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.models import User
from patients.models import Patient


class PatientSerializer(serializers.ModelSerializer[Patient]):
    prescriber = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(role=User.Role.PRESCRIBER), allow_null=True, required=False
    )
    nurse = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(role=User.Role.NURSE), allow_null=True, required=False
    )

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
