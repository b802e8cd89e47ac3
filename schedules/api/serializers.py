"""Parsing of the plan API's bodies: JSON in, the typed arguments the services take out.

The engine parses the plan request itself (``parse_plan_request``); these parse what is ours:
override reasons, the signing confirmation, holds, and the flags that steer a new plan.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from schedules.services.plans import (
    MAX_HOLD_DAYS,
    MAX_REASON_LENGTH,
    MIN_OVERRIDE_REASON,
    OverrideInput,
)


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
