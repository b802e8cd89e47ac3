"""Staff accounts and the clinics they belong to.

Every staff user belongs to exactly one clinic (superusers may have none). Everything a user can
reach is scoped to that clinic through :mod:`accounts.scoping`.
"""

from __future__ import annotations

import unicodedata
import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin
from simple_history.models import HistoricalRecords

from accounts import recovery_codes


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


# Control characters (CR, LF, tab, NUL...) and line/paragraph separators: a name with one breaks
# the headers and one-line fields it reaches (e-mail subjects, the .ics calendar name).
NOT_ONE_LINE = frozenset({"Cc", "Zl", "Zp"})


def validate_one_line(value: str) -> None:
    if any(unicodedata.category(char) in NOT_ONE_LINE for char in value):
        raise ValidationError(
            _("Use one line of text: no line breaks, tabs or other control characters.")
        )


class Clinic(models.Model):
    class Country(models.TextChoices):
        GB = "GB", _("United Kingdom")
        US = "US", _("United States")

    name = models.CharField(max_length=200, validators=[validate_one_line])
    country = models.CharField(
        max_length=2,
        choices=Country.choices,
        default=Country.GB,
        help_text=_("Decides which products are offered and the paper size of documents."),
    )
    time_zone = models.CharField(
        max_length=64, default="Europe/London", validators=[validate_time_zone]
    )
    phone = models.CharField(
        max_length=40,
        validators=[validate_one_line],
        help_text=_("Shown on patient documents as the number to call."),
    )
    hold_needs_cosign = models.BooleanField(
        _("holds need a prescriber's signature"),
        default=False,
        help_text=_(
            "When on, a hold a nurse records is saved as a draft for a prescriber to sign "
            "instead of taking effect at once."
        ),
    )
    nurses_need_2fa = models.BooleanField(
        _("nurses need two-factor authentication"),
        default=False,
        help_text=_(
            "When on, nurses must confirm each login with a code from an authenticator app, "
            "as prescribers and clinic admins always do."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):  # type: ignore[django-manager-missing]  # django-otp devices
    class Role(models.TextChoices):
        PRESCRIBER = "prescriber", _("Prescriber")
        NURSE = "nurse", _("Nurse")
        CLINIC_ADMIN = "clinic_admin", _("Clinic admin")

    clinic = models.ForeignKey(
        Clinic, on_delete=models.PROTECT, null=True, blank=True, related_name="staff"
    )
    role = models.CharField(max_length=20, choices=Role.choices, blank=True)
    professional_id = models.CharField(
        max_length=40,
        blank=True,
        help_text=_("Registration number shown to the pharmacy (GMC, NMC, GPhC, NPI...)."),
    )
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role="") | models.Q(clinic__isnull=False),
                name="staff_role_needs_clinic",
            )
        ]

    @property
    def is_prescriber(self) -> bool:
        return self.role == self.Role.PRESCRIBER

    @property
    def is_nurse(self) -> bool:
        return self.role == self.Role.NURSE

    @property
    def is_clinic_admin(self) -> bool:
        return self.role == self.Role.CLINIC_ADMIN

    @property
    def is_clinic_staff(self) -> bool:
        return bool(self.role) and self.clinic_id is not None and self.is_active

    @property
    def needs_two_factor(self) -> bool:
        """Prescribers, clinic admins and superusers always; nurses when their clinic says so."""
        if self.is_superuser or self.is_prescriber or self.is_clinic_admin:
            return True
        return self.is_nurse and self.clinic is not None and self.clinic.nurses_need_2fa

    def display_name(self) -> str:
        return self.get_full_name() or self.username


class RecoveryCodeDevice(ThrottlingMixin, Device):
    """A user's single-use recovery codes, as a django-otp device. Only a keyed hash of each code
    is kept (:mod:`accounts.recovery_codes`); a code is deleted when it is used."""

    def get_throttle_factor(self) -> int:
        return 1

    def verify_token(self, token: object) -> bool:
        if not isinstance(token, str):
            return False
        allowed, _info = self.verify_is_allowed()
        if not allowed:
            return False
        match = next(
            (
                row
                for row in self.codes.all()
                if recovery_codes.matches(token, row.salt, row.digest)
            ),
            None,
        )
        # Deleting by primary key is the use: of two requests with the same code, one wins.
        if match is not None and RecoveryCode.objects.filter(pk=match.pk).delete()[0] == 1:
            self.throttle_reset(commit=False)
            self.save()
            return True
        self.throttle_increment()
        return False


class RecoveryCode(models.Model):
    """One unused recovery code: its salt and keyed hash, never the code."""

    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    salt = models.CharField(max_length=32)
    digest = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"Recovery code #{self.pk}"
