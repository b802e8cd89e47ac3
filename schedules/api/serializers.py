"""Parsing of the plan API's bodies: JSON in, the typed arguments the services take out.

The engine parses the plan request itself (``parse_plan_request``); these parse what is ours:
override reasons, the signing confirmation, holds, and the flags that steer a new plan.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from schedules.engine.validation import PATIENT_FACTORS
from schedules.services.plans import (
    MAX_HOLD_DAYS,
    MAX_REASON_LENGTH,
    MIN_OVERRIDE_REASON,
    OverrideInput,
)
from taper_clinic.api_schema import MG_PATTERN


class StrictIntegerField(serializers.IntegerField):
    """A whole number as JSON gives it (``3``) or as ASCII digits (``"3"``): never ``true``,
    ``3.5``, ``"3.0"`` or other scripts' digits such as ``"٣"``."""

    default_error_messages = {"invalid": "Give a whole number, e.g. 7."}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool | float):
            self.fail("invalid")
        if isinstance(data, str) and not (data.isascii() and data.strip().isdigit()):
            self.fail("invalid")
        return int(super().to_internal_value(data))


@extend_schema_field({"type": "boolean"})
class StrictBooleanField(serializers.BooleanField):
    """JSON ``true`` or ``false`` only."""

    default_error_messages = {"invalid": "Give true or false."}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class OverrideSerializer(serializers.Serializer):
    rule = serializers.CharField(max_length=60)
    step = StrictIntegerField(min_value=1, allow_null=True)
    reason = serializers.CharField(min_length=MIN_OVERRIDE_REASON, max_length=MAX_REASON_LENGTH)


def _overrides(items: list[dict[str, Any]]) -> list[OverrideInput]:
    return [OverrideInput(o["rule"], o["step"], o["reason"]) for o in items]


class SignSerializer(serializers.Serializer):
    """``{confirm: true, overrides: [{rule, step, reason}]}``."""

    confirm = StrictBooleanField()
    overrides = OverrideSerializer(many=True, required=False, default=list)
    #: Re-authentication before signing (issue 11): the password, or a current TOTP code.
    password = serializers.CharField(
        required=False, max_length=128, trim_whitespace=False, help_text="re-authentication"
    )
    otp = serializers.CharField(
        required=False, max_length=12, help_text="re-authentication: a current TOTP code"
    )

    def validate_confirm(self, value: bool) -> bool:
        if value is not True:
            raise serializers.ValidationError(
                "Confirm that you have reviewed every step before signing."
            )
        return value

    def typed_overrides(self) -> list[OverrideInput]:
        return _overrides(self.validated_data["overrides"])


class HoldSerializer(serializers.Serializer):
    """``{days, reason}``: hold the current step that many more days."""

    days = StrictIntegerField(min_value=1, max_value=MAX_HOLD_DAYS)
    reason = serializers.CharField(min_length=3, max_length=MAX_REASON_LENGTH)


class PlanFlagsSerializer(serializers.Serializer):
    """The parts of a new-plan body that are ours, not the engine's."""

    overrides = OverrideSerializer(many=True, required=False, default=list)
    supersede = StrictBooleanField(required=False, default=False)

    def typed_overrides(self) -> list[OverrideInput]:
        return _overrides(self.validated_data["overrides"])


PLAN_FLAGS = ("overrides", "supersede")


# -- OpenAPI documentation of the bodies the engine parses ---------------------------------------
# The engine (``schedules.engine.validation.parse_plan_request``) validates the preview and plan
# bodies with a specific message per field path; these classes describe them for the schema.


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "pattern": MG_PATTERN, "example": "10"},
            {"type": "integer", "minimum": -999999, "maximum": 999999},
        ]
    }
)
class MgField(serializers.CharField):
    """Milligrams (or a percentage): a decimal string such as ``"2.5"`` (a JSON integer is read
    too; a JSON number with a fraction never is)."""


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "minimum": 1, "maximum": 365},
            {"type": "string", "pattern": "^[0-9]{1,3}$"},
        ]
    }
)
class DaysField(serializers.IntegerField):
    """Whole days, 1 to 365 (a JSON integer, or ASCII digits)."""


class PlanDosesSerializer(serializers.Serializer):
    """Doses by time of day; at least one."""

    morning = MgField(required=False)
    midday = MgField(required=False)
    evening = MgField(required=False)
    night = MgField(required=False)


class PlanRegimenItemSerializer(serializers.Serializer):
    drug = serializers.CharField(help_text='catalogue slug (GET /api/v1/drugs/), e.g. "alprazolam"')
    doses = PlanDosesSerializer()
    form = serializers.ChoiceField(choices=["ir", "er"], required=False, allow_null=True)


class EditSerializer(serializers.Serializer):
    """A hand edit of one step."""

    index = serializers.IntegerField(min_value=1)
    days = DaysField(required=False, allow_null=True)
    doses = PlanDosesSerializer(required=False, allow_null=True)
    drug = serializers.CharField(required=False, allow_null=True)
    return_to_previous = serializers.BooleanField(required=False, allow_null=True)
    replan = serializers.BooleanField(required=False, allow_null=True)


class PlanHoldItemSerializer(serializers.Serializer):
    """Hold step ``step`` that many more days; later steps shift."""

    step = serializers.IntegerField(min_value=1)
    days = DaysField()


class CustomStepSerializer(serializers.Serializer):
    mg = MgField(help_text='daily dose of the drug being tapered; "0" (last, no days) stops')
    days = DaysField(required=False, allow_null=True)


class PlanPreviewSerializer(serializers.Serializer):
    """The plan request (DESIGN.md, Public JSON API v1). The engine validates it."""

    regimen = PlanRegimenItemSerializer(many=True, min_length=1, max_length=4)  # type: ignore[call-arg]
    strategy = serializers.ChoiceField(choices=["proportional", "linear", "banded", "custom"])
    reduction_percent = MgField(required=False, allow_null=True, help_text="proportional")
    step_mg = MgField(required=False, allow_null=True, help_text="linear: mg DE per step")
    interval_days = DaysField()
    switch_to_diazepam = serializers.BooleanField(required=False, allow_null=True)
    target_mg = MgField(required=False, allow_null=True)
    equivalence_source = serializers.CharField(help_text='e.g. "ashton-2007"')
    country = serializers.ChoiceField(choices=["GB", "US"], help_text="which products exist")
    start_date = serializers.DateField()
    max_reduction_percent = MgField(required=False, allow_null=True)
    band_profile = serializers.ChoiceField(
        choices=["lower", "upper"], required=False, allow_null=True
    )
    stop_threshold_mg = MgField(required=False, allow_null=True)
    edits = EditSerializer(many=True, required=False, allow_null=True, max_length=500)  # type: ignore[call-arg]
    holds = PlanHoldItemSerializer(many=True, required=False, allow_null=True, max_length=100)  # type: ignore[call-arg]
    crossover_pace = serializers.ChoiceField(
        choices=["chosen", "ashton"], required=False, allow_null=True
    )
    patient_factors = serializers.ListField(
        child=serializers.ChoiceField(choices=list(PATIENT_FACTORS)),
        required=False,
        allow_null=True,
    )
    custom_steps = CustomStepSerializer(many=True, required=False, allow_null=True, max_length=400)  # type: ignore[call-arg]
    allow_past_start = serializers.BooleanField(required=False, allow_null=True)


class PlanCreateSerializer(PlanPreviewSerializer):
    """The preview body, plus ``overrides`` and ``supersede``."""

    overrides = OverrideSerializer(many=True, required=False)
    supersede = serializers.BooleanField(required=False)


@extend_schema_field({"type": "boolean", "enum": [True]})
class ConfirmField(serializers.BooleanField):
    """``true``: the prescriber has reviewed every step."""


class PlanSignSerializer(SignSerializer):
    """``{confirm: true, overrides: [...], password?, otp?}`` as the schema shows it."""

    confirm = ConfirmField()  # type: ignore[assignment]


# -- responses -------------------------------------------------------------------------------------

Mg = serializers.CharField  # a decimal string in every response


class UnitSerializer(serializers.Serializer):
    product = serializers.CharField()
    count = Mg()
    unit = serializers.CharField()
    strength_mg = Mg()


class DoseSerializer(serializers.Serializer):
    slot = serializers.ChoiceField(choices=["morning", "midday", "evening", "night"])
    drug = serializers.CharField()
    mg = Mg()
    units = UnitSerializer(many=True)


class StepSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    days = serializers.IntegerField()
    equivalent_mg = Mg()
    reduction_percent = Mg()
    phase = serializers.ChoiceField(choices=["crossover", "taper", "hold", "stop"])
    doses = DoseSerializer(many=True)


class IssueSerializer(serializers.Serializer):
    """A guardrail violation (needs an override to sign) or a warning (advice)."""

    rule = serializers.CharField()
    step = serializers.IntegerField(allow_null=True, required=False)
    message = serializers.CharField()


class PreviewResponseSerializer(serializers.Serializer):
    algorithm_version = serializers.CharField()
    start_equivalent_mg = Mg()
    equivalence = serializers.DictField(help_text="source, range_note, figures per drug")
    steps = StepSerializer(many=True)
    violations = IssueSerializer(many=True)
    warnings = IssueSerializer(many=True)
    total_days = serializers.IntegerField()
    reviews = serializers.ListField(child=serializers.DictField(), help_text="date, reason, source")


class OverrideOutSerializer(serializers.Serializer):
    rule = serializers.CharField()
    step = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()


class RevisionSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    status = serializers.CharField()
    kind = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)
    effective_from = serializers.DateField()
    created_by = serializers.CharField()
    created_at = serializers.DateTimeField()
    signed_by = serializers.CharField(allow_null=True)
    signed_at = serializers.DateTimeField(allow_null=True)
    based_on = serializers.IntegerField(allow_null=True)
    discarded_by = serializers.CharField(allow_null=True)
    discarded_at = serializers.DateTimeField(allow_null=True)
    discard_reason = serializers.CharField(allow_blank=True)
    overrides = OverrideOutSerializer(many=True)


class RevisionSerializer(RevisionSummarySerializer):
    algorithm_version = serializers.CharField()
    equivalence_source = serializers.CharField()
    country = serializers.CharField()
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    start_equivalent_mg = Mg()
    target_mg = Mg()
    total_days = serializers.IntegerField()
    equivalence = serializers.DictField()
    violations = IssueSerializer(many=True)
    warnings = IssueSerializer(many=True)
    request = serializers.DictField(help_text="the plan request the revision was built from")
    steps = StepSerializer(many=True)


class PlanResponseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    patient = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["draft", "active", "superseded", "abandoned"])
    supersedes = serializers.IntegerField(allow_null=True)
    superseded_by = serializers.ListField(child=serializers.IntegerField())
    ended_on = serializers.DateField(allow_null=True)
    today = serializers.DateField()
    today_step = serializers.IntegerField(allow_null=True)
    in_force = RevisionSerializer(allow_null=True)
    draft = RevisionSerializer(allow_null=True)
    draft_is_stale = serializers.BooleanField()
    revisions = RevisionSummarySerializer(many=True)
