from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

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


# --- the list's query: search and page ------------------------------------------------------

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_OFFSET = 1_000_000_000
MAX_QUERY_LENGTH = 100
_NUMBER_ERRORS = ("invalid", "min_value", "max_value", "max_string_length")


class _WholeNumberField(serializers.IntegerField):
    """ASCII digits only (``"50"``): never ``"5.0"``, ``"-1"``, ``" 5"`` or other scripts'
    digits (Arabic-Indic five, say), which ``int()`` would take. Given empty (``?limit=``), it
    is refused too, not taken as absent."""

    def get_value(self, dictionary: Any) -> Any:
        return dictionary.get(self.field_name, empty)

    def to_internal_value(self, data: Any) -> int:
        if not (isinstance(data, str) and data.isascii() and data.isdigit()):
            self.fail("invalid")
        return int(super().to_internal_value(data))


class PatientListQuerySerializer(serializers.Serializer[dict[str, Any]]):
    """``GET /api/v1/patients/?q=&limit=&offset=``: a search term and the page's window."""

    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_QUERY_LENGTH,
        default="",
        error_messages={"max_length": f"Search with at most {MAX_QUERY_LENGTH} characters."},
    )
    limit = _WholeNumberField(
        required=False,
        default=DEFAULT_LIMIT,
        min_value=1,
        max_value=MAX_LIMIT,
        error_messages=dict.fromkeys(
            _NUMBER_ERRORS, f"Give a whole number of patients per page, from 1 to {MAX_LIMIT}."
        ),
    )
    offset = _WholeNumberField(
        required=False,
        default=0,
        min_value=0,
        max_value=MAX_OFFSET,
        error_messages=dict.fromkeys(
            _NUMBER_ERRORS,
            f"Give how many patients to skip: a whole number from 0 to {MAX_OFFSET}.",
        ),
    )
