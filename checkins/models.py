"""Weekly check-ins: the invitation (a reminder with a single-use link), the answers, the review.

The link's token is never stored: only its SHA-256 (``token_hash``). ``CheckIn`` and ``Review``
keep their history (django-simple-history), so every change and every review is audited.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from checkins.instruments import INSTRUMENTS
from checkins.instruments import RULES as SUGGESTION_RULES


def band_label(instrument_id: str, band_key: str) -> str:
    """A band key in its instrument's words; empty for no band (a partial total)."""
    instrument = INSTRUMENTS.get(instrument_id)
    if instrument is None or not band_key:
        return ""
    band = next((b for b in instrument.bands if b.key == band_key), None)
    return band.label if band is not None else ""


class Invitation(models.Model):
    """One week's check-in for one patient (unique per patient and week)."""

    CLINIC_PATH = "patient__clinic"

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        ANSWERED = "answered", _("Answered")
        MISSED = "missed", _("Missed")
        EXPIRED = "expired", _("Expired")

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="checkin_invitations"
    )
    plan = models.ForeignKey("schedules.TaperPlan", on_delete=models.CASCADE, related_name="+")
    week_start = models.DateField(help_text=_("The Monday of the patient's local week."))
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    due_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    sent_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    digest = models.ForeignKey(
        "Digest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitations",
        help_text=_("The nurse's daily e-mail that counted this missed check-in."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "week_start"], name="one_invitation_per_patient_week"
            )
        ]
        indexes = [
            # The beat's reads (due to send, sent and now missed, expired) look only at the
            # invitations still in flight: a partial index keeps it small, and keeps the planner
            # from walking every missed invitation ever reviewed in due_at order to find the few
            # the queue shows (it estimates the partial index below badly, 14,000 for 110 rows).
            models.Index(
                fields=["status", "due_at"],
                condition=models.Q(status__in=["queued", "sending", "sent"]),
                name="invitation_in_flight_due",
            ),
            models.Index(fields=["status", "reviewed_at"], name="invitation_missed_queue"),
            # The review queue's missed part, in its order: only the rows still to review.
            models.Index(
                fields=["due_at", "id"],
                condition=models.Q(status="missed", reviewed_at__isnull=True),
                name="invitation_missed_unreviewed",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation #{self.pk}"


class CheckIn(models.Model):
    """One answered check-in: raw answers, the score as assessed, and the suggestion."""

    CLINIC_PATH = "patient__clinic"

    class Source(models.TextChoices):
        SELF = "self", _("Patient (link)")
        PHONE = "phone", _("Phone call with a nurse")

    invitation = models.OneToOneField(
        Invitation, on_delete=models.PROTECT, null=True, blank=True, related_name="checkin"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="checkins"
    )
    revision = models.ForeignKey(
        "schedules.PlanRevision", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    instrument = models.CharField(max_length=20)
    instrument_version = models.CharField(max_length=20)
    answers = models.JSONField(default=dict)
    observed = models.JSONField(default=dict)
    red_flags = models.JSONField(default=dict)
    total = models.PositiveSmallIntegerField()
    max = models.PositiveSmallIntegerField()
    band = models.CharField(max_length=20, blank=True)
    partial = models.BooleanField()
    urgent = models.BooleanField()
    severity = models.PositiveSmallIntegerField(
        default=0,
        help_text=_("Queue order: the band the total is at least in (0 none ... 4 very severe)."),
    )
    took_as_scheduled = models.BooleanField(null=True, blank=True)
    extra_doses = models.BooleanField(null=True, blank=True)
    hours_slept = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    comment = models.TextField(blank=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    step_index = models.PositiveIntegerField(null=True, blank=True)
    daily_mg = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    last_reduction = models.DateField(null=True, blank=True)
    previous_total = models.PositiveSmallIntegerField(null=True, blank=True)
    previous_max = models.PositiveSmallIntegerField(null=True, blank=True)
    suggested_action = models.CharField(max_length=10, blank=True)
    suggested_rule = models.CharField(max_length=40, blank=True)
    suggestion_reason = models.TextField(blank=True)
    suggestion_source = models.CharField(max_length=200, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        # The full-table checkin_review_queue index (reviewed_at, urgent, severity, created_at)
        # was dropped in 0005: no query used it once the partial index below served the queue
        # (EXPLAIN on seed_load's 5,000 patients, docs/scaling.md), and it cost 11 MB and a
        # write on every check-in.
        indexes = [
            models.Index(fields=["patient", "created_at"], name="checkin_patient_history"),
            # The review queue, in its order (urgent part, then the rest): a partial index of
            # the unreviewed rows only, a few thousand of a network's hundreds of thousands. It
            # carries patient_id (PostgreSQL INCLUDE) so the queue's counts, scoped to the
            # clinic through the patient, are index-only scans.
            models.Index(
                models.F("urgent"),
                models.F("severity").desc(),
                models.F("created_at"),
                models.F("id"),
                condition=models.Q(reviewed_at__isnull=True),
                include=["patient"],
                name="checkin_unreviewed_queue",
            ),
        ]

    def __str__(self) -> str:
        return f"Check-in #{self.pk}"

    @property
    def suggested_rule_text(self) -> str:
        """The suggestion rule in plain words (pages never show its key)."""
        rule = next((r for r in SUGGESTION_RULES if r.key == self.suggested_rule), None)
        return rule.description if rule is not None else ""

    @property
    def band_label(self) -> str:
        """The band in the instrument's words ("Moderate withdrawal"); pages never show its key."""
        return band_label(self.instrument, self.band)


class Review(models.Model):
    """A nurse's (or prescriber's) decision on a check-in or a missed invitation."""

    CLINIC_PATH = "patient__clinic"

    class Action(models.TextChoices):
        CONTINUE = "continue", _("Continue")
        HOLD = "hold", _("Hold the current step")
        SLOW = "slow", _("Ask the prescriber to slow down")
        ESCALATE = "escalate", _("Escalate now")

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    checkin = models.ForeignKey(
        CheckIn, on_delete=models.PROTECT, null=True, blank=True, related_name="reviews"
    )
    invitation = models.ForeignKey(
        Invitation, on_delete=models.PROTECT, null=True, blank=True, related_name="reviews"
    )
    nurse = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=10, choices=Action.choices)
    note = models.TextField()
    days = models.PositiveSmallIntegerField(null=True, blank=True)
    resulting_revision = models.ForeignKey(
        "schedules.PlanRevision", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    needs_prescriber = models.BooleanField(
        default=False, help_text=_("A slow-down request or escalation on the prescriber's list.")
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution_note = models.TextField(
        blank=True, help_text=_("What the prescriber did about the request.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["needs_prescriber", "resolved_at"], name="review_open")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(checkin__isnull=False) | models.Q(invitation__isnull=False),
                name="review_has_a_subject",
            )
        ]

    def __str__(self) -> str:
        return f"Review #{self.pk}"


class Digest(models.Model):
    """A nurse's daily "N check-ins were missed" e-mail: one row per nurse per clinic day, so a
    second pass the same day sends nothing (the unique constraint decides)."""

    nurse = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    on = models.DateField(help_text=_("The clinic's date the e-mail was sent."))
    count = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["nurse", "on"], name="one_digest_per_nurse_day")
        ]

    def __str__(self) -> str:
        return f"Digest #{self.pk}"
