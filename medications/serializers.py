"""OpenAPI shapes of the medication record. Validation is :func:`medications.record.parse_record`
(one parser for the page and the API); these classes document the body and the response."""

from __future__ import annotations

from rest_framework import serializers

from medications.models import Alcohol, Indication, OtherKind, TaperOutcome


class _Doses(serializers.Serializer[dict[str, str]]):
    morning = serializers.CharField(required=False, help_text="mg, a decimal string")
    midday = serializers.CharField(required=False)
    evening = serializers.CharField(required=False)
    night = serializers.CharField(required=False)


class RegimenItemSerializer(serializers.Serializer[dict[str, object]]):
    drug = serializers.CharField(help_text='catalogue slug, e.g. "alprazolam"')
    doses = _Doses()
    form = serializers.ChoiceField(choices=["ir", "er"], default="ir")


class UseSerializer(serializers.Serializer[dict[str, object]]):
    since = serializers.DateField(allow_null=True, required=False)
    days_per_week = serializers.IntegerField(
        min_value=1, max_value=7, allow_null=True, required=False
    )
    indication = serializers.ChoiceField(
        choices=Indication.choices, allow_blank=True, required=False
    )


class OtherMedicineSerializer(serializers.Serializer[dict[str, str]]):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=OtherKind.choices)


class OtherSerializer(serializers.Serializer[dict[str, object]]):
    opioids = serializers.BooleanField(default=False)
    gabapentinoids = serializers.BooleanField(default=False)
    sedatives = serializers.BooleanField(default=False)
    alcohol = serializers.ChoiceField(choices=Alcohol.choices, default=Alcohol.UNKNOWN)
    medicines = OtherMedicineSerializer(many=True, required=False)


class PreviousTaperSerializer(serializers.Serializer[dict[str, object]]):
    year = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=TaperOutcome.choices)


class MedicationRecordBodySerializer(serializers.Serializer[dict[str, object]]):
    regimen = RegimenItemSerializer(many=True)
    use = UseSerializer(required=False)
    outside_prescriber = serializers.CharField(max_length=200, allow_blank=True, required=False)
    other = OtherSerializer(required=False)
    factors = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="the engine's patient_factors; age-65-plus, opioids and alcohol are computed",
    )
    previous_tapers = PreviousTaperSerializer(many=True, required=False)
    reason = serializers.CharField(
        max_length=500,
        required=False,
        help_text="why the record changes (required after the first save)",
    )


class _Equivalent(serializers.Serializer[dict[str, object]]):
    source = serializers.CharField()  # type: ignore[assignment]
    mg = serializers.CharField(allow_null=True)
    low = serializers.CharField(allow_null=True)
    high = serializers.CharField(allow_null=True)
    band_uses = serializers.CharField()


class _Risk(serializers.Serializer[dict[str, object]]):
    band = serializers.ChoiceField(choices=["rare", "lower", "yes"], allow_null=True)
    row = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]


class _Pace(serializers.Serializer[dict[str, object]]):
    reduction_percent = serializers.CharField()
    interval_days = serializers.IntegerField()
    reasons = serializers.ListField(child=serializers.CharField())
    source = serializers.CharField()  # type: ignore[assignment]


class MedicationRecordSerializer(MedicationRecordBodySerializer):
    daily_equivalent_mg = _Equivalent()
    withdrawal_risk = _Risk()
    suggested_pace = _Pace()
    inpatient_warning = serializers.ListField(child=serializers.CharField())
    updated_at = serializers.DateTimeField(allow_null=True)
    updated_by = serializers.CharField(allow_null=True)


class FhirBundleSerializer(serializers.Serializer[dict[str, object]]):
    """A FHIR R4 Bundle of MedicationStatement / MedicationRequest resources."""

    resourceType = serializers.ChoiceField(choices=["Bundle"])
    type = serializers.CharField(required=False)
    entry = serializers.ListField(
        child=serializers.DictField(), required=False, help_text="{resource: {...}} items"
    )


class ImportResponseSerializer(serializers.Serializer[dict[str, object]]):
    entries = serializers.ListField(
        child=serializers.DictField(),
        help_text="each with source_text, what was understood, problems and the action",
    )
    ignored = serializers.ListField(child=serializers.DictField(), help_text="index, resource_type")
    proposed = serializers.JSONField(allow_null=True, help_text="the record it would save")
    can_confirm = serializers.BooleanField()
    problems = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="what stops the import, by field",
    )
    saved = serializers.BooleanField()
    record = MedicationRecordSerializer(required=False)
