"""Taper plans.

A plan is a series of revisions. A signed revision, its steps and doses are immutable: the
models refuse to save or delete them, so every change goes through a new revision.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from catalogue.models import MG, Drug


class SignedRevisionError(Exception):
    """Raised on any attempt to change a signed (immutable) plan revision or its steps."""


class TaperPlan(models.Model):
    """One patient's taper. Its content lives in revisions; the newest signed one is in force.

    A patient has at most one plan in force (``status`` active), enforced by a unique partial
    index. A new plan that replaces it names it in ``supersedes``; when the new plan is signed the
    old one ends the day before the new one starts (``ended_on``) and becomes superseded.
    """

    CLINIC_PATH = "patient__clinic"

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft, not signed yet")
        ACTIVE = "active", _("In force")
        SUPERSEDED = "superseded", _("Replaced by a newer plan")
        ABANDONED = "abandoned", _("Discarded before signing")

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="plans")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    supersedes = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    ended_on = models.DateField(
        null=True,
        blank=True,
        help_text=_("The last day of this plan, when a newer one replaced it."),
    )
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="plans_created"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    record_snapshot = models.JSONField(
        null=True,
        blank=True,
        help_text=_(
            "The medication record this plan was built from, as it was then (the API's shape)."
        ),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(status="active"),
                name="one_plan_in_force_per_patient",
            ),
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(status="draft"),
                name="one_unsigned_plan_per_patient",
            ),
        ]

    def __str__(self) -> str:
        return f"Plan #{self.pk}"


class PlanRevisionQuerySet(models.QuerySet["PlanRevision"]):
    """The one definition of which revisions are signed, open drafts, and in force."""

    def signed(self) -> PlanRevisionQuerySet:
        return self.filter(status=PlanRevision.Status.SIGNED)

    def drafts(self) -> PlanRevisionQuerySet:
        return self.filter(status=PlanRevision.Status.DRAFT)

    def in_force(self) -> PlanRevisionQuerySet:
        """Each plan's revision in force: its newest signed revision, of a plan that is in force
        (signed revisions form one chain per plan, so the newest is the one every step of the
        present comes from). Ordered newest first; take ``.first()`` for one plan."""
        return self.signed().filter(plan__status=TaperPlan.Status.ACTIVE).order_by("-number")


class PlanRevision(models.Model):
    """A complete, dated schedule. Drafts may change; a signed revision never does.

    ``previous`` is the revision a draft was built from (the revision in force when it was made;
    none for a plan's first revision). A draft can be signed only while that is still the revision
    in force, so signed revisions form one chain per plan: the database refuses two signed
    revisions with the same ``previous``.
    """

    CLINIC_PATH = "plan__patient__clinic"

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SIGNED = "signed", _("Signed")
        DISCARDED = "discarded", _("Discarded")

    class Kind(models.TextChoices):
        INITIAL = "initial", _("New plan")
        HOLD = "hold", _("Hold the current step")
        SLOW = "slow", _("Slow down")
        RETURN = "return", _("Return to the previous dose")
        EDIT = "edit", _("Edited")

    plan = models.ForeignKey(TaperPlan, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.INITIAL)
    reason = models.TextField(blank=True)
    previous = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    request = models.JSONField(help_text=_("The engine input this revision was built from."))
    algorithm_version = models.CharField(max_length=40)
    equivalence_source = models.CharField(max_length=40)
    country = models.CharField(max_length=2)
    start_date = models.DateField()
    end_date = models.DateField()
    effective_from = models.DateField(
        help_text=_("The day this revision takes over; earlier steps happened as before.")
    )
    start_equivalent_mg = models.DecimalField(**MG)
    target_mg = models.DecimalField(**MG)
    total_days = models.PositiveIntegerField()
    equivalence = models.JSONField(default=dict)
    violations = models.JSONField(default=list)
    warnings = models.JSONField(default=list)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    signed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    discarded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    discarded_at = models.DateTimeField(null=True, blank=True)
    discard_reason = models.CharField(max_length=300, blank=True)
    history = HistoricalRecords()

    objects = PlanRevisionQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="revision_number_per_plan"),
            models.UniqueConstraint(
                fields=["plan"], condition=models.Q(status="draft"), name="one_open_draft_per_plan"
            ),
            models.UniqueConstraint(
                fields=["previous"],
                condition=models.Q(status="signed"),
                name="signed_revisions_form_one_chain",
            ),
            models.UniqueConstraint(
                fields=["plan"],
                condition=models.Q(status="signed", previous__isnull=True),
                name="one_first_signed_revision_per_plan",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="signed")
                | models.Q(signed_by__isnull=False, signed_at__isnull=False),
                name="signed_revision_has_signer",
            ),
        ]

    def __str__(self) -> str:
        return f"Plan #{self.plan_id} revision {self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            stored = (
                PlanRevision.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            )
            if stored == self.Status.SIGNED:
                raise SignedRevisionError(
                    f"Revision {self.number} of plan #{self.plan_id} is signed; "
                    "create a new revision."
                )
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self.is_signed:
            raise SignedRevisionError("A signed revision cannot be deleted.")
        return super().delete(*args, **kwargs)

    @property
    def is_signed(self) -> bool:
        return self.status == self.Status.SIGNED


class _ImmutableOnceSigned(models.Model):
    """Rows that belong to a revision refuse changes once that revision is signed."""

    # How to find this row's revision: PlanRevision lookup -> attribute of this row.
    REVISION_LOOKUP: tuple[str, str] = ("pk", "revision_id")

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._revision_signed():
            raise SignedRevisionError("This revision is signed; create a new revision.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self._revision_signed():
            raise SignedRevisionError("This revision is signed; create a new revision.")
        return super().delete(*args, **kwargs)

    def _revision_signed(self) -> bool:
        lookup, attribute = self.REVISION_LOOKUP
        return PlanRevision.objects.filter(
            **{lookup: getattr(self, attribute)}, status=PlanRevision.Status.SIGNED
        ).exists()


class PlanStep(_ImmutableOnceSigned):
    class Phase(models.TextChoices):
        CROSSOVER = "crossover", _("Switching to diazepam")
        TAPER = "taper", _("Reduction")
        HOLD = "hold", _("Hold")
        STOP = "stop", _("Stop")

    revision = models.ForeignKey(PlanRevision, on_delete=models.CASCADE, related_name="steps")
    index = models.PositiveIntegerField()
    start_date = models.DateField()
    end_date = models.DateField()
    days = models.PositiveIntegerField()
    equivalent_mg = models.DecimalField(**MG)
    reduction_percent = models.DecimalField(**MG)
    phase = models.CharField(max_length=12, choices=Phase.choices)

    class Meta:
        ordering = ["revision", "index"]
        constraints = [
            models.UniqueConstraint(fields=["revision", "index"], name="step_index_per_revision"),
        ]

    def __str__(self) -> str:
        return f"Step {self.index}"


class StepDose(_ImmutableOnceSigned):
    step = models.ForeignKey(PlanStep, on_delete=models.CASCADE, related_name="doses")
    slot = models.CharField(max_length=10)
    slot_order = models.PositiveSmallIntegerField()
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, related_name="+")
    mg = models.DecimalField(**MG)
    units = models.JSONField(
        help_text=_("How to make the dose: [{product, count, unit, strength_mg}].")
    )

    class Meta:
        ordering = ["step", "slot_order", "drug__name"]

    REVISION_LOOKUP = ("steps", "step_id")

    def __str__(self) -> str:
        return f"{self.slot}: {self.mg} mg"


class Override(_ImmutableOnceSigned):
    """A prescriber's recorded reason for signing despite a guardrail violation."""

    revision = models.ForeignKey(PlanRevision, on_delete=models.CASCADE, related_name="overrides")
    rule = models.CharField(max_length=60)
    step = models.PositiveIntegerField(null=True, blank=True)
    reason = models.TextField()
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["revision", "step", "rule"]
        constraints = [
            models.UniqueConstraint(
                fields=["revision", "rule", "step"], name="one_override_per_violation"
            ),
        ]

    def __str__(self) -> str:
        return f"Override {self.rule} step {self.step}"


class PlanDocument(models.Model):
    """The printable schedule of one signed revision, stored privately (never under a URL).

    One row per revision (the unique key that makes the render task idempotent).
    """

    CLINIC_PATH = "revision__plan__patient__clinic"

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RENDERING = "rendering", _("Rendering")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    revision = models.OneToOneField(PlanRevision, on_delete=models.PROTECT, related_name="document")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    file = models.FileField(upload_to="plan-documents/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size_bytes = models.PositiveIntegerField(null=True, blank=True)
    page_count = models.PositiveSmallIntegerField(null=True, blank=True)
    algorithm_version = models.CharField(max_length=40, blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)
    render_ms = models.PositiveIntegerField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=200, blank=True, help_text=_("Never patient data."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Document for revision #{self.revision_id}"


@receiver(pre_delete, sender=PlanStep)
@receiver(pre_delete, sender=StepDose)
@receiver(pre_delete, sender=Override)
def _refuse_bulk_delete_of_signed_rows(
    sender: Any, instance: _ImmutableOnceSigned, **kwargs: Any
) -> None:
    """Queryset deletes skip ``delete()`` but still send ``pre_delete``: refuse them too."""
    if instance._revision_signed():
        raise SignedRevisionError("This revision is signed; create a new revision.")


@receiver(pre_delete, sender=PlanRevision)
def _refuse_bulk_delete_of_signed_revision(
    sender: Any, instance: PlanRevision, **kwargs: Any
) -> None:
    if instance.is_signed:
        raise SignedRevisionError("A signed revision cannot be deleted.")
