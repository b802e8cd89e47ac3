"""The record page's form. It only turns fields into the API's body and puts the parser's
messages back beside the fields: the rules are :func:`medications.record.parse_record`'s."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from medications.models import Alcohol, Indication, OtherKind, TaperOutcome
from medications.record import SLOT_NAMES as SLOTS

SLOT_LABELS = {
    "morning": _("Morning"),
    "midday": _("Midday"),
    "evening": _("Evening"),
    "night": _("Night"),
}
REGIMEN_ROWS = (1, 2, 3, 4)  # the engine plans at most 4 drugs together
OTHER_ROWS = (1, 2, 3)
TAPER_ROWS = (1, 2)
FACTORS = (
    ("liver-disease", _("Liver disease")),
    ("epilepsy", _("Epilepsy")),
    ("withdrawal-seizure-history", _("Previous withdrawal seizures")),
    ("pregnancy", _("Pregnant")),
)


class RecordForm(forms.Form):
    since = forms.DateField(
        label=_("Taking benzodiazepines since"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("An approximate date is fine, e.g. the first of the month."),
    )
    days_per_week = forms.TypedChoiceField(
        label=_("Days a week"),
        choices=[("", "—"), *[(str(n), str(n)) for n in range(1, 8)]],
        coerce=int,
        empty_value=None,
        required=False,
    )
    indication = forms.ChoiceField(
        label=_("Indication"), choices=[("", "—"), *Indication.choices], required=False
    )
    outside_prescriber = forms.CharField(
        label=_("Prescriber outside the clinic"),
        max_length=200,
        required=False,
        help_text=_("Name and practice, if someone else prescribes it."),
    )
    opioids = forms.BooleanField(label=_("Opioids"), required=False)
    gabapentinoids = forms.BooleanField(label=_("Gabapentin or pregabalin"), required=False)
    sedatives = forms.BooleanField(label=_("Other sedatives"), required=False)
    alcohol = forms.ChoiceField(label=_("Alcohol"), choices=Alcohol.choices, required=False)
    factors = forms.MultipleChoiceField(
        label=_("Conditions"),
        choices=FACTORS,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    reason = forms.CharField(
        label=_("Why this change"),
        max_length=500,
        required=False,
        help_text=_("Kept in the record's history, e.g. “dose confirmed with the GP”."),
    )

    def __init__(
        self,
        *args: Any,
        drugs: Sequence[tuple[str, str]],
        regimen_count: int = 0,
        other_count: int = 0,
        taper_count: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.regimen_row_numbers = REGIMEN_ROWS[: max(2, min(len(REGIMEN_ROWS), regimen_count + 1))]
        # One empty row more than the record has, so nothing recorded is ever cut off.
        self.other_row_numbers = tuple(range(1, max(len(OTHER_ROWS), other_count + 1) + 1))
        self.taper_row_numbers = tuple(range(1, max(len(TAPER_ROWS), taper_count + 1) + 1))
        for row in self.regimen_row_numbers:
            self.fields[f"drug_{row}"] = forms.ChoiceField(
                label=_("Drug"), choices=[("", "—"), *drugs], required=False
            )
            self.fields[f"drug_{row}_form"] = forms.ChoiceField(
                label=_("Release"),
                choices=(("ir", _("Immediate-release")), ("er", _("Extended-release"))),
                required=False,
            )
            for slot in SLOTS:
                self.fields[f"drug_{row}_{slot}"] = forms.CharField(
                    label=SLOT_LABELS[slot], required=False, max_length=12
                )
        for row in self.other_row_numbers:
            self.fields[f"other_{row}_name"] = forms.CharField(
                label=_("Medicine"), required=False, max_length=200
            )
            self.fields[f"other_{row}_kind"] = forms.ChoiceField(
                label=_("Kind"),
                choices=[("other", _("Other medicine")), *OtherKind.choices[:-1]],
                required=False,
            )
        for row in self.taper_row_numbers:
            self.fields[f"taper_{row}_year"] = forms.IntegerField(label=_("Year"), required=False)
            self.fields[f"taper_{row}_outcome"] = forms.ChoiceField(
                label=_("How it went"),
                choices=[("", "—"), *TaperOutcome.choices],
                required=False,
            )

    def regimen_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "drug": self[f"drug_{row}"],
                "form": self[f"drug_{row}_form"],
                "doses": [self[f"drug_{row}_{slot}"] for slot in SLOTS],
            }
            for row in self.regimen_row_numbers
        ]

    def other_flags(self) -> list[Any]:
        return [self["opioids"], self["gabapentinoids"], self["sedatives"]]

    def other_rows(self) -> list[tuple[Any, Any]]:
        return [
            (self[f"other_{row}_name"], self[f"other_{row}_kind"]) for row in self.other_row_numbers
        ]

    def taper_rows(self) -> list[tuple[Any, Any]]:
        return [
            (self[f"taper_{row}_year"], self[f"taper_{row}_outcome"])
            for row in self.taper_row_numbers
        ]

    def body(self) -> dict[str, Any]:
        """The API's body for ``medications.services.record_save``. Call after is_valid()."""
        data = self.cleaned_data
        regimen = []
        self._regimen_rows: list[int] = []
        for row in self.regimen_row_numbers:
            drug = data.get(f"drug_{row}")
            doses = {
                slot: data[f"drug_{row}_{slot}"].strip()
                for slot in SLOTS
                if data.get(f"drug_{row}_{slot}", "").strip()
            }
            if drug or doses:
                regimen.append(
                    {"drug": drug, "doses": doses, "form": data.get(f"drug_{row}_form") or "ir"}
                )
                self._regimen_rows.append(row)
        medicines = [
            {"name": data[f"other_{row}_name"], "kind": data.get(f"other_{row}_kind") or "other"}
            for row in self.other_row_numbers
            if data.get(f"other_{row}_name", "").strip()
        ]
        self._other_rows = [
            r for r in self.other_row_numbers if data.get(f"other_{r}_name", "").strip()
        ]
        tapers = [
            {"year": data[f"taper_{row}_year"], "outcome": data.get(f"taper_{row}_outcome")}
            for row in self.taper_row_numbers
            if data.get(f"taper_{row}_year") is not None or data.get(f"taper_{row}_outcome")
        ]
        self._taper_rows = [
            r
            for r in self.taper_row_numbers
            if data.get(f"taper_{r}_year") is not None or data.get(f"taper_{r}_outcome")
        ]
        since = data.get("since")
        return {
            "regimen": regimen,
            "use": {
                "since": since.isoformat() if since else None,
                "days_per_week": data.get("days_per_week"),
                "indication": data.get("indication") or "",
            },
            "outside_prescriber": data.get("outside_prescriber", ""),
            "other": {
                "opioids": bool(data.get("opioids")),
                "gabapentinoids": bool(data.get("gabapentinoids")),
                "sedatives": bool(data.get("sedatives")),
                "alcohol": data.get("alcohol") or Alcohol.UNKNOWN.value,
                "medicines": medicines,
            },
            "factors": list(data.get("factors") or []),
            "previous_tapers": tapers,
            "reason": data.get("reason", ""),
        }

    def add_record_errors(self, errors: Mapping[str, Sequence[str]]) -> None:
        """Put the parser's ``regimen.0.doses.night``-style keys beside their fields."""
        for key, messages in errors.items():
            field = self._field_for(key)
            for message in messages:
                self.add_error(field if field in self.fields else None, message)

    def _field_for(self, key: str) -> str | None:
        parts = key.split(".")
        head = parts[0]
        if head in ("use", "other") and len(parts) >= 2 and parts[1] in self.fields:
            return parts[1]
        if head in self.fields:
            return head
        index = _int(parts[1]) if len(parts) > 1 else None
        if head == "regimen" and index is not None and index < len(self._regimen_rows):
            row = self._regimen_rows[index]
            if len(parts) >= 4 and parts[2] == "doses" and parts[3] in SLOTS:
                return f"drug_{row}_{parts[3]}"
            if len(parts) >= 3 and parts[2] == "form":
                return f"drug_{row}_form"
            return f"drug_{row}"
        if head == "other" and len(parts) >= 3 and parts[1] == "medicines":
            index = _int(parts[2])
            if index is not None and index < len(self._other_rows):
                return f"other_{self._other_rows[index]}_name"
        if head == "previous_tapers" and index is not None and index < len(self._taper_rows):
            row = self._taper_rows[index]
            return f"taper_{row}_outcome" if key.endswith("outcome") else f"taper_{row}_year"
        return None


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def initial_from_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """The form's fields from the API's shape (``medications.selectors.record_data``)."""
    initial: dict[str, Any] = {}
    for position, item in enumerate(data.get("regimen", [])[: len(REGIMEN_ROWS)]):
        row = position + 1
        initial[f"drug_{row}"] = item["drug"]
        initial[f"drug_{row}_form"] = item.get("form", "ir")
        for slot, mg in item["doses"].items():
            initial[f"drug_{row}_{slot}"] = mg
    use = data.get("use", {})
    initial["since"] = use.get("since")
    initial["days_per_week"] = use.get("days_per_week")
    initial["indication"] = use.get("indication", "")
    initial["outside_prescriber"] = data.get("outside_prescriber", "")
    other = data.get("other", {})
    initial["opioids"] = other.get("opioids", False)
    initial["gabapentinoids"] = other.get("gabapentinoids", False)
    initial["sedatives"] = other.get("sedatives", False)
    initial["alcohol"] = other.get("alcohol", Alcohol.UNKNOWN.value)
    for position, item in enumerate(other.get("medicines", [])):
        initial[f"other_{position + 1}_name"] = item["name"]
        initial[f"other_{position + 1}_kind"] = item["kind"]
    stored = {key for key, _label in FACTORS}
    initial["factors"] = [f for f in data.get("factors", []) if f in stored]
    for position, item in enumerate(data.get("previous_tapers", [])):
        initial[f"taper_{position + 1}_year"] = item["year"]
        initial[f"taper_{position + 1}_outcome"] = item["outcome"]
    return initial


MAX_BUNDLE_BYTES = 1024 * 1024


class ImportForm(forms.Form):
    """A FHIR R4 Bundle, pasted or uploaded. Only JSON reading here; the reader decides."""

    bundle = forms.CharField(
        label=_("Paste the FHIR Bundle (JSON)"),
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "mono"}),
        required=False,
    )
    bundle_file = forms.FileField(label=_("or upload the file"), required=False)
    reason = forms.CharField(
        label=_("Why (optional)"),
        max_length=300,
        required=False,
        help_text=_("Added to the record's history, e.g. “GP summary of 2 Dec”."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("bundle_file")
        text = data.get("bundle") or ""
        if upload is not None:
            if upload.size > MAX_BUNDLE_BYTES:
                raise forms.ValidationError(_("The file is larger than 1 MB."))
            try:
                text = upload.read().decode("utf-8")
            except UnicodeDecodeError as exc:
                raise forms.ValidationError(_("The file is not UTF-8 text.")) from exc
        if not text.strip():
            raise forms.ValidationError(_("Paste a FHIR Bundle or upload its file."))
        try:
            data["parsed"] = json.loads(text, parse_float=Decimal)
        except ValueError as exc:
            raise forms.ValidationError(
                _("This is not JSON (%(error)s).") % {"error": str(exc)[:120]}
            ) from exc
        data["bundle"] = text
        return data
