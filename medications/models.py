"""The patient's medication record: what they take now, what else changes the taper, and who
changed it, when and why (django-simple-history keeps every version with its reason)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from patients.models import Patient


class Indication(models.TextChoices):
    ANXIETY = "anxiety", _("Anxiety")
    INSOMNIA = "insomnia", _("Insomnia")
    PANIC = "panic", _("Panic disorder")
    SEIZURES = "seizures", _("Seizures")
    MUSCLE_SPASM = "muscle-spasm", _("Muscle spasm")
    OTHER = "other", _("Other")


class Alcohol(models.TextChoices):
    UNKNOWN = "unknown", _("Not asked")
    NONE = "none", _("None")
    WITHIN = "within-guidelines", _("Within guidelines")
    ABOVE = "above-guidelines", _("Above guidelines")
    DEPENDENCE = "dependence", _("Dependence")


class TaperOutcome(models.TextChoices):
    COMPLETED = "completed", _("Completed, stopped the drug")
    STOPPED_SYMPTOMS = "stopped-symptoms", _("Stopped early because of withdrawal symptoms")
    RELAPSED = "relapsed", _("Completed, then started again")
    SEVERE = "severe-withdrawal", _("Severe withdrawal (seizure or delirium)")


class OtherKind(models.TextChoices):
    OPIOID = "opioid", _("Opioid")
    GABAPENTINOID = "gabapentinoid", _("Gabapentinoid")
    SEDATIVE = "sedative", _("Other sedative")
    OTHER = "other", _("Other medicine")


class MedicationRecord(models.Model):
    """One per patient. ``regimen`` has the preview body's shape (``[{"drug", "doses",
    "form"}]``), validated by the engine; ``other_medicines`` is ``[{"name", "kind"}]`` and
    ``previous_tapers`` ``[{"year", "outcome"}]``. Every field is structured so the engine and
    the risk band can use it; services (``medications.services``) are the only writers."""

    patient = models.OneToOneField(
        Patient, on_delete=models.CASCADE, related_name="medication_record"
    )
    regimen = models.JSONField(default=list, blank=True)
    since = models.DateField(_("Taking it since"), null=True, blank=True)
    days_per_week = models.PositiveSmallIntegerField(
        _("Days a week"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(7)],
    )
    indication = models.CharField(max_length=20, choices=Indication.choices, blank=True)
    outside_prescriber = models.CharField(
        _("Prescriber outside the clinic"), max_length=200, blank=True
    )
    opioids = models.BooleanField(default=False)
    gabapentinoids = models.BooleanField(default=False)
    other_sedatives = models.BooleanField(default=False)
    alcohol = models.CharField(max_length=20, choices=Alcohol.choices, default=Alcohol.UNKNOWN)
    other_medicines = models.JSONField(default=list, blank=True)
    liver_disease = models.BooleanField(default=False)
    epilepsy = models.BooleanField(default=False)
    withdrawal_seizure_history = models.BooleanField(default=False)
    pregnancy = models.BooleanField(default=False)
    previous_tapers = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    history = HistoricalRecords()

    def __str__(self) -> str:
        # Not the patient's name: __str__ reaches logs and admin messages.
        return f"Medication record #{self.pk}"
