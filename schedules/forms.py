"""Forms for the plan builder and the plan page. Input cleaning only: they turn what the
prescriber typed into the engine's request body (DESIGN.md, preview API) and put the
services' ``PlanError`` messages beside the fields they name. The engine and services decide
what is clinically allowed."""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from catalogue.models import Drug
from schedules.engine.defaults import DEFAULT_PLAN_REQUEST
from schedules.presenters import rule_title
from schedules.services import plans as plan_services
from schedules.services.plans import OverrideInput

SLOTS = ("morning", "midday", "evening", "night")
SLOT_LABELS = {
    "morning": _("Morning"),
    "midday": _("Midday"),
    "evening": _("Evening"),
    "night": _("Night"),
}
REGIMEN_ROWS = (1, 2)
EQUIVALENCE_SOURCES = (
    ("ashton-2007", "Ashton 2007"),
    ("va-dod-2021", "VA/DoD 2021"),
    ("nhs-scotland-2024", "NHS Scotland 2024"),
    ("who-2009", "WHO 2009"),
    ("sps", "SPS (UK)"),
    ("medscape", "Medscape"),
)
STRATEGIES = (
    ("proportional", _("Proportional: a share of the current dose (hyperbolic)")),
    ("linear", _("Linear: a fixed mg step")),
    ("banded", _("Banded: Ashton/CKS mg steps by dose band")),
)
COUNTRIES = (("GB", _("United Kingdom")), ("US", _("United States")))
RELEASE_FORMS = (("ir", _("Immediate")), ("er", _("Extended")))
#: The engine's ``patient_factors`` (DESIGN.md), with the words the builder shows.
PATIENT_FACTOR_CHOICES = (
    ("age-65-plus", _("Age 65 or over")),
    ("liver-disease", _("Liver disease")),
    ("epilepsy", _("Epilepsy")),
    ("opioids", _("Takes opioids")),
    ("alcohol", _("Alcohol above guidelines")),
    ("pregnancy", _("Pregnant")),
    ("withdrawal-seizure-history", _("Previous withdrawal seizures")),
)
EDIT_FIELD = re.compile(r"^edit_(\d+)_(days|morning|midday|evening|night|return|drug|replan)$")
OVERRIDE_FIELD = re.compile(r"^override__([a-z0-9-]+)__(\d+|plan)$")
DECIMAL_TEXT = re.compile(r"^\d+(\.\d+)?$")
MAX_HOLDS_JSON = 4000  # the builder's hidden list of holds; longer is not the builder's


def parse_mg(value: str, *, label: str) -> str:
    """A non-negative decimal string (the engine parses it again; no float anywhere)."""
    text = value.strip().replace(",", ".")
    if not DECIMAL_TEXT.match(text):
        raise ValidationError(
            _("Enter %(label)s as a number of mg, like 0.5 or 10.") % {"label": label}
        )
    try:
        Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the regex already guards this
        raise ValidationError(_("Enter a number.")) from exc
    return text


class MgField(forms.CharField):
    def __init__(self, *args: Any, what: Any = "", **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
        )
        self.what = what
        super().__init__(*args, **kwargs)

    def clean(self, value: Any) -> str:
        text = super().clean(value)
        if not text:
            return ""
        return parse_mg(text, label=str(self.what or self.label or "the dose"))


class PlanForm(forms.Form):
    """The builder: current regimen (1-2 drugs, mg per slot) and the taper parameters.

    Hand edits of steps (``edit_<step>_<days|slot|return>``) and override reasons
    (``override__<rule>__<step|plan>``) arrive as extra fields and are read from ``data``.
    """

    drug_1 = forms.ChoiceField(label=_("Drug"))
    drug_2 = forms.ChoiceField(label=_("Second drug (optional)"), required=False)
    strategy = forms.ChoiceField(
        choices=STRATEGIES, widget=forms.RadioSelect, initial="proportional"
    )
    reduction_percent = MgField(label=_("Reduction per step (%)"), what=_("the reduction"))
    step_mg = MgField(label=_("Step (mg diazepam-equivalent)"), what=_("the step"))
    band_profile = forms.ChoiceField(
        label=_("Band profile"),
        choices=(
            ("lower", _("Smaller cuts (lower end of CKS ranges)")),
            ("upper", _("Larger cuts (upper end)")),
        ),
        initial="lower",
        required=False,
    )
    interval_days = forms.IntegerField(
        label=_("Days per step"),
        min_value=1,
        max_value=365,
        initial=14,
        error_messages={
            "required": _("Enter how many days each step lasts, e.g. 14."),
            "invalid": _("Enter the days per step as a whole number, e.g. 14."),
            "min_value": _("A step lasts at least 1 day."),
            "max_value": _("A step lasts at most 365 days."),
        },
    )
    switch_to_diazepam = forms.TypedChoiceField(
        label=_("Approach"),
        choices=(
            ("yes", _("Cross over to diazepam first")),
            ("no", _("Taper the current drug directly")),
        ),
        widget=forms.RadioSelect,
        initial="yes",
        coerce=lambda v: v == "yes",
    )
    crossover_pace = forms.ChoiceField(
        label=_("Switch pace"),
        choices=(
            ("chosen", _("Keep the full equivalent, then reduce at the chosen pace")),
            ("ashton", _("Ashton's stages (10 mg diazepam-equivalent steps, Schedule 1)")),
        ),
        initial="chosen",
        required=False,
    )
    target_mg = MgField(label=_("Finish on (mg DE a day)"), what=_("the target"), initial="0")
    start_date = forms.DateField(
        label=_("Start date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": _("Choose the day the plan starts."),
            "invalid": _("Enter the start date as a date."),
        },
    )
    country = forms.ChoiceField(label=_("Products available in"), choices=COUNTRIES)
    equivalence_source = forms.ChoiceField(
        label=_("Equivalence source"), choices=EQUIVALENCE_SOURCES, initial="ashton-2007"
    )
    max_reduction_percent = MgField(
        label=_("Max reduction in 14 days (%)"), what=_("the limit"), initial="25"
    )
    stop_threshold_mg = MgField(
        label=_("Stop from (mg DE a day)"), what=_("the stop threshold"), initial="1"
    )
    holds = forms.CharField(widget=forms.HiddenInput, required=False)
    allow_past_start = forms.BooleanField(
        label=_("Yes, this plan starts in the past (up to 14 days ago)"), required=False
    )
    supersede = forms.BooleanField(
        label=_("This new plan replaces the plan in force"), required=False
    )
    patient_factors = forms.MultipleChoiceField(
        label=_("Patient factors"),
        choices=PATIENT_FACTOR_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("They switch on the engine's cautions for this plan."),
    )

    def __init__(self, *args: Any, drugs: Sequence[Drug], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(d.slug, d.name) for d in drugs]
        self.fields["drug_1"].choices = [("", _("Choose a drug…")), *choices]  # type: ignore[attr-defined]
        self.fields["drug_2"].choices = [("", _("— none —")), *choices]  # type: ignore[attr-defined]
        self.fields["drug_1"].error_messages["required"] = _("Choose the drug the patient takes.")
        for row in REGIMEN_ROWS:
            self.fields[f"drug_{row}_form"] = forms.ChoiceField(
                label=_("Release"), choices=RELEASE_FORMS, initial="ir", required=False
            )
            for slot in SLOTS:
                self.fields[f"drug_{row}_{slot}"] = MgField(
                    label=SLOT_LABELS[slot],
                    what=_("the %(slot)s dose") % {"slot": str(SLOT_LABELS[slot]).lower()},
                )
        self._edit_positions: list[int] = []

    # --- building the request -----------------------------------------------------------------

    def regimen(self) -> list[dict[str, Any]]:
        """The regimen rows that have a drug and at least one dose (valid fields only)."""
        data = getattr(self, "cleaned_data", {})
        rows = []
        for row in REGIMEN_ROWS:
            drug = data.get(f"drug_{row}")
            doses = {s: data[f"drug_{row}_{s}"] for s in SLOTS if data.get(f"drug_{row}_{s}")}
            if drug and doses:
                item: dict[str, Any] = {"drug": drug, "doses": doses}
                if data.get(f"drug_{row}_form") == "er":
                    item["form"] = "er"
                rows.append(item)
        return rows

    def regimen_daily(self) -> list[tuple[str, Decimal]]:
        return [
            (item["drug"], sum((Decimal(mg) for mg in item["doses"].values()), Decimal(0)))
            for item in self.regimen()
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for row in REGIMEN_ROWS:
            drug = data.get(f"drug_{row}")
            has_dose = any(data.get(f"drug_{row}_{s}") for s in SLOTS)
            has_error = any(f"drug_{row}_{s}" in self.errors for s in SLOTS)
            if drug and not has_dose and not has_error:
                self.add_error(
                    f"drug_{row}_morning" if row == 1 else f"drug_{row}_night",
                    _("Enter at least one dose (mg) for this drug."),
                )
            if not drug and has_dose and row == 2:
                self.add_error("drug_2", _("Choose the second drug, or clear its doses."))
        if data.get("drug_1") and data.get("drug_1") == data.get("drug_2"):
            self.add_error("drug_2", _("The second drug is the same as the first."))
        strategy = data.get("strategy")
        missing = not data.get("reduction_percent") and "reduction_percent" not in self.errors
        if strategy == "proportional" and missing:
            self.add_error("reduction_percent", _("Enter the reduction per step, e.g. 10."))
        missing = not data.get("step_mg") and "step_mg" not in self.errors
        if strategy == "linear" and missing:
            self.add_error("step_mg", _("Enter the mg to take off at each step, e.g. 2."))
        return data

    def edits(self) -> list[dict[str, Any]]:
        """Hand edits of steps, from ``edit_<step>_*`` fields (blank fields are no edit)."""
        found: dict[int, dict[str, Any]] = {}
        for key, value in self.data.items():
            match = EDIT_FIELD.match(key)
            if not match or not str(value).strip():
                continue
            index, part = int(match.group(1)), match.group(2)
            found.setdefault(index, {})[part] = str(value).strip()
        edits = []
        self._edit_positions = []
        for index in sorted(found):
            raw = found[index]
            edit: dict[str, Any] = {"index": index}
            if raw.get("days"):
                edit["days"] = raw["days"]
            doses = {s: raw[s].replace(",", ".") for s in SLOTS if raw.get(s)}
            if doses:
                edit["doses"] = doses
                if raw.get("drug"):
                    edit["drug"] = raw["drug"]
                # Re-planning the later steps from an edited dose is the default: one edit
                # should not leave a later step above it or a cut the strategy would not make.
                if raw.get("replan", "1") != "0":
                    edit["replan"] = True
            if raw.get("return"):
                edit["return_to_previous"] = True
            if len(edit) > 1 and not (len(edit) == 2 and "drug" in edit):
                edits.append(edit)
                self._edit_positions.append(index)
        return edits

    def overrides(self) -> list[OverrideInput]:
        """Override reasons typed beside violations (blank ones are left out)."""
        result = []
        for key, value in self.data.items():
            match = OVERRIDE_FIELD.match(key)
            if match and str(value).strip():
                step = None if match.group(2) == "plan" else int(match.group(2))
                result.append(OverrideInput(match.group(1), step, str(value).strip()))
        return result

    def override_values(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.data.items() if OVERRIDE_FIELD.match(k)}

    def edit_values(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.data.items() if EDIT_FIELD.match(k)}

    def engine_body(self) -> dict[str, Any]:
        """The preview/plan request body. Call only when ``is_valid()``."""
        data = self.cleaned_data
        strategy = data["strategy"]
        body: dict[str, Any] = {
            "regimen": self.regimen(),
            "strategy": strategy,
            "reduction_percent": data["reduction_percent"] or None,
            "step_mg": data["step_mg"] or None,
            "interval_days": data["interval_days"],
            "switch_to_diazepam": data["switch_to_diazepam"],
            "target_mg": data["target_mg"] or "0",
            "equivalence_source": data["equivalence_source"],
            "country": data["country"],
            "start_date": data["start_date"].isoformat(),
        }
        if strategy != "proportional":
            body["reduction_percent"] = None
        if strategy != "linear":
            body["step_mg"] = None
        if strategy == "banded" and data.get("band_profile"):
            body["band_profile"] = data["band_profile"]
        if data.get("max_reduction_percent"):
            body["max_reduction_percent"] = data["max_reduction_percent"]
        if data.get("stop_threshold_mg"):
            body["stop_threshold_mg"] = data["stop_threshold_mg"]
        if data.get("allow_past_start"):
            body["allow_past_start"] = True
        if data["switch_to_diazepam"] and data.get("crossover_pace") == "ashton":
            body["crossover_pace"] = "ashton"
        if data.get("patient_factors"):
            body["patient_factors"] = list(data["patient_factors"])
        edits = self.edits()
        if edits:
            body["edits"] = edits
        holds = self._holds()
        if holds:
            body["holds"] = holds
        return body

    def _holds(self) -> list[dict[str, Any]]:
        raw = self.cleaned_data.get("holds") or ""
        if not raw or len(raw) > MAX_HOLDS_JSON:
            return []
        try:
            holds = json.loads(raw)
            json.dumps(holds, ensure_ascii=False).encode()  # no lone surrogates
        except (ValueError, RecursionError):  # UnicodeEncodeError is a ValueError
            return []
        return holds if isinstance(holds, list) else []

    # --- errors from the services -------------------------------------------------------------

    def add_plan_errors(self, errors: Mapping[str, Sequence[str]]) -> None:
        """Put ``PlanError.errors`` beside the fields they concern.

        ``regimen.0.doses.night`` → ``drug_1_night``; ``edits.2.days`` → the third edited
        step's row; a field the form does not have → the form's own error list.
        """
        for key, messages in errors.items():
            target = self._field_for(key)
            for message in messages:
                if target and target in self.fields:
                    self.add_error(target, message)
                elif target:
                    self.extra_errors.setdefault(target, []).append(message)
                else:
                    self.add_error(None, message)

    @property
    def extra_errors(self) -> dict[str, list[str]]:
        if not hasattr(self, "_extra_errors"):
            self._extra_errors: dict[str, list[str]] = {}
        return self._extra_errors

    def _field_for(self, key: str) -> str | None:
        parts = key.split(".")
        head = parts[0]
        if head in self.fields and head not in ("holds",):
            return head
        if head == "regimen":
            if len(parts) == 1:
                return "drug_1"
            row = _int(parts[1])
            if row is None or row + 1 not in REGIMEN_ROWS:
                return "drug_1"
            if len(parts) >= 4 and parts[2] == "doses" and parts[3] in SLOTS:
                return f"drug_{row + 1}_{parts[3]}"
            if len(parts) >= 3 and parts[2] == "doses":
                return f"drug_{row + 1}_doses"
            if len(parts) >= 3 and parts[2] == "form":
                return f"drug_{row + 1}_form"
            return f"drug_{row + 1}"
        if head == "edits" and len(parts) >= 2:
            position = _int(parts[1])
            if position is not None and position < len(self._edit_positions):
                return f"edit_{self._edit_positions[position]}"
        return None


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def initial_from_request(request: Mapping[str, Any]) -> dict[str, Any]:
    """Builder fields and edit fields from a stored request (editing a draft)."""
    initial: dict[str, Any] = {}
    for position, item in enumerate(request.get("regimen", [])[: len(REGIMEN_ROWS)]):
        row = position + 1
        initial[f"drug_{row}"] = item.get("drug", "")
        initial[f"drug_{row}_form"] = item.get("form") or "ir"
        for slot, mg in (item.get("doses") or {}).items():
            initial[f"drug_{row}_{slot}"] = mg
    for key in (
        "strategy",
        "reduction_percent",
        "step_mg",
        "band_profile",
        "interval_days",
        "target_mg",
        "country",
        "equivalence_source",
        "max_reduction_percent",
        "stop_threshold_mg",
        "crossover_pace",
    ):
        if request.get(key) not in (None, ""):
            initial[key] = request[key]
    initial["switch_to_diazepam"] = "yes" if request.get("switch_to_diazepam") else "no"
    if request.get("patient_factors"):
        initial["patient_factors"] = list(request["patient_factors"])
    if request.get("start_date"):
        initial["start_date"] = datetime.date.fromisoformat(request["start_date"])
    if request.get("holds"):
        initial["holds"] = json.dumps(request["holds"])
    for edit in request.get("edits") or []:
        index = edit.get("index")
        if edit.get("days") is not None:
            initial[f"edit_{index}_days"] = edit["days"]
        for slot, mg in (edit.get("doses") or {}).items():
            initial[f"edit_{index}_{slot}"] = mg
        if edit.get("drug"):
            initial[f"edit_{index}_drug"] = edit["drug"]
        if edit.get("return_to_previous"):
            initial[f"edit_{index}_return"] = "1"
        if edit.get("doses"):
            initial[f"edit_{index}_replan"] = "1" if edit.get("replan") else "0"
    return initial


def default_initial(*, country: str, today: datetime.date) -> dict[str, Any]:
    """The builder's first values: the clinic's default request (a switch to diazepam offered
    first), starting tomorrow."""
    default = DEFAULT_PLAN_REQUEST
    return {
        "strategy": default["strategy"],
        "reduction_percent": default["reduction_percent"],
        "interval_days": default["interval_days"],
        "switch_to_diazepam": "yes",
        "target_mg": default["target_mg"],
        "country": country,
        "equivalence_source": default["equivalence_source"],
        "start_date": today + datetime.timedelta(days=1),
        "band_profile": "lower",
        "max_reduction_percent": "25",
        "stop_threshold_mg": "1",
    }


def override_key(rule: str, step: int | None) -> str:
    return f"override__{rule}__{'plan' if step is None else step}"


class SignForm(forms.Form):
    """Sign a draft: explicit confirmation and a reason for every violation."""

    confirm = forms.BooleanField(
        label=_("I have reviewed every step, dose and date of this plan."),
        error_messages={
            "required": _("Tick the box to confirm you have reviewed every step before signing.")
        },
    )

    def __init__(
        self,
        *args: Any,
        violations: Sequence[Mapping[str, Any]],
        stored: Mapping[tuple[str, int | None], str],
        reauth: Callable[[str], bool] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.violations = list(violations)
        # Asked when the last login or confirmation is older than 5 minutes (accounts.reauth).
        self._reauth = reauth
        if reauth is not None:
            self.fields["reauth"] = forms.CharField(
                label=_("Your password or a code from your authenticator"),
                strip=False,
                widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
                error_messages={
                    "required": _(
                        "Signing needs your password or a code from your authenticator: "
                        "your last confirmation is more than 5 minutes old."
                    )
                },
            )
        for violation in self.violations:
            key = override_key(violation["rule"], violation.get("step"))
            step = violation.get("step")
            where = _("at step %(step)s") % {"step": step} if step else _("for the plan")
            self.fields[key] = forms.CharField(
                label=_("Reason to override “%(rule)s” %(where)s")
                % {"rule": rule_title(violation["rule"]), "where": where},
                widget=forms.Textarea(attrs={"rows": 2}),
                initial=stored.get((violation["rule"], step), ""),
                min_length=5,
                error_messages={
                    "required": _(
                        "Give the clinical reason for overriding this rule %(where)s, "
                        "or change the plan."
                    )
                    % {"where": where},
                    "min_length": _("Give the clinical reason in at least 5 characters."),
                },
            )

    def overrides(self) -> list[OverrideInput]:
        return [
            OverrideInput(
                v["rule"],
                v.get("step"),
                self.cleaned_data[override_key(v["rule"], v.get("step"))].strip(),
            )
            for v in self.violations
        ]

    def clean_reauth(self) -> str:
        if self._reauth is not None and not self._reauth(self.cleaned_data["reauth"]):
            raise forms.ValidationError(
                _("That is not your password or a current code from your authenticator.")
            )
        return ""  # never kept

    @property
    def reauth_field(self) -> forms.BoundField | None:
        return self["reauth"] if "reauth" in self.fields else None

    def field_for(self, violation: Mapping[str, Any]) -> forms.BoundField:
        return self[override_key(violation["rule"], violation.get("step"))]


class HoldForm(forms.Form):
    days = forms.IntegerField(
        label=_("Hold for (days)"),
        min_value=1,
        max_value=plan_services.MAX_HOLD_DAYS,
        initial=7,
        error_messages={
            "required": _("Enter how many days to hold, e.g. 7."),
            "invalid": _("Enter the days as a whole number."),
            "min_value": _("A hold lasts at least 1 day."),
            "max_value": _("A hold lasts at most %(limit_value)s days."),
        },
    )
    reason = forms.CharField(
        label=_("Why"),
        widget=forms.Textarea(attrs={"rows": 2}),
        min_length=3,
        max_length=plan_services.MAX_REASON_LENGTH,
        error_messages={
            "required": _("Say why, so the team can see it in the history."),
            "min_length": _("Say why in a few words, so the team can see it in the history."),
        },
    )


class SlowForm(forms.Form):
    strategy = forms.ChoiceField(choices=STRATEGIES, initial="proportional")
    replace_draft = forms.BooleanField(required=False, widget=forms.HiddenInput)
    reduction_percent = MgField(label=_("Reduction per step (%)"), what=_("the reduction"))
    step_mg = MgField(label=_("Step (mg DE)"), what=_("the step"))
    interval_days = forms.IntegerField(
        label=_("Days per step"),
        min_value=1,
        max_value=365,
        error_messages={
            "required": _("Enter how many days each step lasts, e.g. 28."),
            "invalid": _("Enter the days per step as a whole number."),
        },
    )
    reason = forms.CharField(
        label=_("Why"),
        widget=forms.Textarea(attrs={"rows": 2}),
        min_length=3,
        max_length=plan_services.MAX_REASON_LENGTH,
        error_messages={
            "required": _("Say why, so the team can see it in the history."),
            "min_length": _("Say why in a few words, so the team can see it in the history."),
        },
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("strategy") == "proportional" and not data.get("reduction_percent"):
            self.add_error("reduction_percent", _("Enter the reduction per step, e.g. 5."))
        if data.get("strategy") == "linear" and not data.get("step_mg"):
            self.add_error("step_mg", _("Enter the mg to take off at each step, e.g. 1."))
        return data

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        out: dict[str, Any] = {"strategy": data["strategy"], "interval_days": data["interval_days"]}
        out["reduction_percent"] = (
            data["reduction_percent"] if data["strategy"] == "proportional" else None
        )
        out["step_mg"] = data["step_mg"] if data["strategy"] == "linear" else None
        return out


class ReturnForm(forms.Form):
    replace_draft = forms.BooleanField(required=False, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Why go back up"),
        widget=forms.Textarea(attrs={"rows": 2}),
        min_length=3,
        max_length=plan_services.MAX_REASON_LENGTH,
        error_messages={
            "required": _("Say why, so the team can see it in the history."),
            "min_length": _("Say why in a few words, so the team can see it in the history."),
        },
    )


class DispensingForm(forms.Form):
    period_days = forms.IntegerField(
        label=_("Supply period (days)"),
        min_value=1,
        max_value=365,
        initial=28,
        error_messages={
            "invalid": _("Enter the supply period as a whole number of days."),
            "min_value": _("A supply period is at least 1 day."),
            "max_value": _("A supply period is at most 365 days."),
        },
    )
