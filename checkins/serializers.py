"""OpenAPI shapes of the check-in API. Validation is the services' (``checkins.services`` and the
pure ``checkins.instruments``); these classes document the bodies and the responses."""

from __future__ import annotations

from rest_framework import serializers

from checkins.models import Review
from schedules.services.plans import MAX_HOLD_DAYS


def _items(first: int, last: int) -> serializers.DictField:
    return serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=4),
        help_text=f'item number as a string ("{first}"-"{last}") -> score 0-4',
    )


class RedFlagsSerializer(serializers.Serializer):
    seizure = serializers.BooleanField(required=False)
    confusion = serializers.BooleanField(required=False)
    hallucinations = serializers.BooleanField(required=False)
    suicidal_thoughts = serializers.BooleanField(required=False)


class PhoneCheckinSerializer(serializers.Serializer):
    """``{instrument, answers, red_flags, observed}`` plus the optional extras."""

    instrument = serializers.CharField(required=False, help_text='"ciwa-b" (the default)')
    answers = _items(1, 17)
    observed = _items(18, 20)
    red_flags = RedFlagsSerializer(required=False)
    alert = serializers.BooleanField(required=False, allow_null=True)
    took_as_scheduled = serializers.BooleanField(required=False, allow_null=True)
    extra_doses = serializers.BooleanField(required=False, allow_null=True)
    hours_slept = serializers.CharField(required=False, allow_null=True, help_text="0 to 24")
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class SuggestionSerializer(serializers.Serializer):
    action = serializers.CharField()
    rule = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)
    source = serializers.CharField(allow_blank=True, required=False)  # type: ignore[assignment]


class CheckinResponseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    instrument = serializers.CharField()
    total = serializers.IntegerField()
    max = serializers.IntegerField()
    band = serializers.CharField(allow_null=True)
    band_label = serializers.CharField(allow_null=True)
    partial = serializers.BooleanField()  # type: ignore[assignment]
    urgent = serializers.BooleanField()
    suggestion = SuggestionSerializer()


class ReviewSerializer(serializers.Serializer):
    """``{action, note, days?}``; ``kind: "missed"`` with an invitation's id."""

    action = serializers.ChoiceField(choices=Review.Action.choices)
    note = serializers.CharField(required=False, allow_blank=True)
    days = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_HOLD_DAYS, help_text="hold: days (7)"
    )
    kind = serializers.ChoiceField(choices=["checkin", "missed"], required=False)


class ReviewResponseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    action = serializers.CharField()
    resulting_revision = serializers.IntegerField(allow_null=True)


class QueueRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    patient = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=["checkin", "missed"])
    urgent = serializers.BooleanField()
    total = serializers.IntegerField(allow_null=True, required=False)
    max = serializers.IntegerField(allow_null=True, required=False)
    band = serializers.CharField(allow_null=True, required=False)
    step = serializers.IntegerField(allow_null=True)
    daily_mg_equivalent = serializers.CharField(allow_null=True)
    suggestion = SuggestionSerializer()
    at = serializers.DateTimeField()


class QueueSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    results = QueueRowSerializer(many=True)
