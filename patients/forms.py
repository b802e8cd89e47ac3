"""Patient form: input cleaning only. The service (``patients.services``) writes and has the
last word (MRN unique in the clinic); its ValidationError dict lands on the same fields."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Clinic, User
from patients.models import Patient, validate_date_of_birth, validate_phone
from patients.services import EDITABLE_FIELDS

COMMON_ZONES = ("Europe/London", "America/New_York", "America/Chicago", "America/Los_Angeles")


def _zone_choices() -> list[tuple[str, str]]:
    rest = sorted(zoneinfo.available_timezones() - set(COMMON_ZONES))
    return [(z, z) for z in (*COMMON_ZONES, *rest)]


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.display_name()


class PatientForm(forms.ModelForm):  # type: ignore[type-arg]
    """Create or edit a patient of ``clinic``; prescriber and nurse come from its staff."""

    prescriber = StaffChoiceField(queryset=User.objects.none(), required=False)
    nurse = StaffChoiceField(queryset=User.objects.none(), required=False)
    time_zone = forms.ChoiceField(choices=_zone_choices, initial="Europe/London")

    class Meta:
        model = Patient
        fields = list(EDITABLE_FIELDS)
        labels = {
            "mrn": _("MRN"),
            "date_of_birth": _("Date of birth"),
            "email": _("E-mail"),
            "phone": _("Phone"),
            "reminder_weekday": _("Check-in reminder day"),
            "reminder_time": _("Reminder time"),
            "language": _("Language of reminders and the check-in page"),
        }
        help_texts = {
            "mrn": _("The medical record number; unique within this clinic."),
            "email": _("E-mail or phone: at least one, for check-in reminders."),
        }
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "reminder_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "email": forms.EmailInput(attrs={"autocomplete": "off"}),
            "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        }
        error_messages = {
            "email": {"invalid": _("Enter a valid e-mail address, like name@example.org.")},
            "date_of_birth": {"invalid": _("Enter the date of birth as a date, like 17/05/1970.")},
            "mrn": {"required": _("Enter the patient's MRN.")},
            "first_name": {"required": _("Enter the patient's first name.")},
            "last_name": {"required": _("Enter the patient's last name.")},
        }

    def __init__(self, *args: Any, clinic: Clinic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.clinic = clinic
        staff = User.objects.filter(clinic=clinic, is_active=True).order_by(
            "last_name", "first_name", "username"
        )
        self.fields["prescriber"].queryset = staff.filter(role=User.Role.PRESCRIBER)  # type: ignore[attr-defined]
        self.fields["nurse"].queryset = staff.filter(role=User.Role.NURSE)  # type: ignore[attr-defined]
        self.fields["prescriber"].empty_label = _("— not assigned —")  # type: ignore[attr-defined]
        self.fields["nurse"].empty_label = _("— not assigned —")  # type: ignore[attr-defined]
        self.fields["prescriber"].error_messages["invalid_choice"] = _(
            "Choose a prescriber of this clinic."
        )
        self.fields["nurse"].error_messages["invalid_choice"] = _("Choose a nurse of this clinic.")
        self.fields["language"].required = False

    def clean_language(self) -> str:
        return self.cleaned_data.get("language") or Patient.Language.ENGLISH

    def clean_mrn(self) -> str:
        return self.cleaned_data["mrn"].strip()

    def clean_date_of_birth(self) -> Any:
        value = self.cleaned_data["date_of_birth"]
        if value:
            validate_date_of_birth(value)
        return value

    def clean_phone(self) -> str:
        phone = self.cleaned_data.get("phone", "").strip()
        validate_phone(phone)
        return phone

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in EDITABLE_FIELDS}

    def add_service_errors(self, error: ValidationError) -> None:
        """Put a service's ValidationError dict beside the fields it names."""
        for field, messages in error.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)
