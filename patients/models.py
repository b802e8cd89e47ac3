"""Who is being treated, by whom, and how to reach them for reminders."""

from __future__ import annotations

import datetime
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Clinic, validate_time_zone

# One rule for the phone number and the date of birth, wherever a patient is written: the form,
# the API (ModelSerializer takes the field validators) and the services (``full_clean``).
PHONE_CHARS = re.compile(r"^\+?[0-9 ()\-.]+$")
PHONE_MESSAGE = _("Enter a phone number of 7 to 15 digits, like 07700 900123 or +44 7700 900123.")
EARLIEST_BIRTH_DATE = datetime.date(1900, 1, 1)


def validate_phone(value: str) -> None:
    """Digits, spaces, ``()-.`` and a leading ``+``; 7 to 15 digits (E.164 has at most 15)."""
    if not value:
        return
    digits = re.sub(r"[^0-9]", "", value)
    if not PHONE_CHARS.fullmatch(value) or not 7 <= len(digits) <= 15:
        raise ValidationError(PHONE_MESSAGE, code="invalid_phone")


def validate_date_of_birth(value: datetime.date) -> None:
    """Not in the future (the server's date) and not before 1900."""
    if value > timezone.localdate():
        raise ValidationError(_("Date of birth cannot be in the future."), code="future")
    if value < EARLIEST_BIRTH_DATE:
        raise ValidationError(
            _("Enter a date of birth from 1900 on; check the year."), code="too_early"
        )


class Patient(models.Model):
    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    mrn = models.CharField(_("MRN"), max_length=40, help_text=_("Medical record number."))
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField(validators=[validate_date_of_birth])
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True, validators=[validate_phone])
    time_zone = models.CharField(
        max_length=64, default="Europe/London", validators=[validate_time_zone]
    )
    reminder_weekday = models.PositiveSmallIntegerField(
        choices=Weekday.choices, default=Weekday.MONDAY
    )
    reminder_time = models.TimeField(default=datetime.time(9, 0))

    class Language(models.TextChoices):
        ENGLISH = "en", "English"
        SPANISH = "es", "Español"

    language = models.CharField(
        max_length=8,
        choices=Language.choices,
        default=Language.ENGLISH,
        help_text=_("The language of check-in reminders and the check-in page."),
    )
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="prescriber_patients",
    )
    nurse = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="nurse_patients",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["last_name", "first_name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "mrn"], name="unique_mrn_per_clinic"),
        ]
        indexes = [
            # The clinic's patient list in its order, one page at a time.
            models.Index(
                fields=["clinic", "last_name", "first_name", "id"], name="patient_clinic_list"
            ),
        ]

    def __str__(self) -> str:
        # Deliberately not the name: __str__ ends up in logs and admin messages.
        return f"Patient #{self.pk}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if not self.email and not self.phone:
            errors.setdefault("email", []).append(
                str(_("Give an e-mail address or a phone number for check-in reminders."))
            )
        for role_field, role in (("prescriber", "prescriber"), ("nurse", "nurse")):
            member = getattr(self, role_field)
            if member is not None and (member.clinic_id != self.clinic_id or member.role != role):
                errors.setdefault(role_field, []).append(
                    str(_("Choose a %(role)s of this clinic.") % {"role": role})
                )
        if errors:
            raise ValidationError(errors)
