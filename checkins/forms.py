"""The patient's check-in form and the nurse's review form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from checkins import instruments as ins
from checkins.models import Review
from checkins.services import DEFAULT_HOLD_DAYS, INSTRUMENT, MAX_REASON_LENGTH

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


def self_report_items() -> tuple[ins.Item, ...]:
    return ins.get_instrument(INSTRUMENT).items_rated_by(ins.Rater.PATIENT)


def asked_red_flags() -> tuple[ins.RedFlag, ...]:
    return ins.RED_FLAGS


class PatientCheckinForm(forms.Form):
    """CIWA-B self-report items (0-4, skipping allowed: the score is then partial), the red-flag
    questions (each must be answered), doses taken, sleep and a comment."""

    took_as_scheduled = forms.ChoiceField(
        label=_("Did you take your doses as scheduled this week?"),
        choices=YES_NO,
        widget=forms.RadioSelect,
        required=False,
    )
    extra_doses = forms.ChoiceField(
        label=_("Did you take any extra doses?"),
        choices=YES_NO,
        widget=forms.RadioSelect,
        required=False,
    )
    hours_slept = forms.DecimalField(
        label=_("About how many hours did you sleep last night?"),
        min_value=0,
        max_value=24,
        decimal_places=1,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.5"}),
    )
    comment = forms.CharField(
        label=_("Anything else you want your care team to know?"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for item in self_report_items():
            self.fields[f"item_{item.key}"] = forms.ChoiceField(
                label=gettext(item.text),
                choices=[(str(a.value), gettext(a.label)) for a in item.anchors],
                widget=forms.RadioSelect,
                required=False,
            )
        for flag in asked_red_flags():
            self.fields[f"flag_{flag.key}"] = forms.ChoiceField(
                label=gettext(flag.question),
                choices=YES_NO,
                widget=forms.RadioSelect,
                required=flag.required,
                error_messages={"required": _("Please answer yes or no.")},
            )

    def item_fields(self) -> list[forms.BoundField]:
        return [self[f"item_{item.key}"] for item in self_report_items()]

    def flag_fields(self) -> list[forms.BoundField]:
        return [self[f"flag_{flag.key}"] for flag in asked_red_flags()]

    def to_data(self) -> dict[str, Any]:
        """The service's body: items by number, red flags by key."""
        data = self.cleaned_data
        return {
            "instrument": INSTRUMENT,
            "answers": {
                item.key: int(data[f"item_{item.key}"])
                for item in self_report_items()
                if data.get(f"item_{item.key}") not in (None, "")
            },
            "red_flags": {
                flag.key: data[f"flag_{flag.key}"] == "yes"
                for flag in asked_red_flags()
                if data.get(f"flag_{flag.key}")
            },
            "took_as_scheduled": data.get("took_as_scheduled") or None,
            "extra_doses": data.get("extra_doses") or None,
            "hours_slept": data.get("hours_slept"),
            "comment": data.get("comment", ""),
        }


class ReviewForm(forms.Form):
    kind = forms.ChoiceField(choices=[("checkin", "checkin"), ("missed", "missed")])
    target = forms.IntegerField(min_value=1)
    action = forms.ChoiceField(choices=Review.Action.choices)
    note = forms.CharField(max_length=MAX_REASON_LENGTH, widget=forms.Textarea(attrs={"rows": 2}))
    days = forms.IntegerField(min_value=1, max_value=56, initial=DEFAULT_HOLD_DAYS, required=False)


class ResolveForm(forms.Form):
    """The prescriber closes a slow-down request or an escalation with a short note."""

    note = forms.CharField(max_length=500)
