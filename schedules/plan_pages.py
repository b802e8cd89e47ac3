"""What the builder and the plan page show: forms, engine output and plan state shaped for the
templates. Views call these and render; no view computes.

The plan page follows one order: the schedule in force first, today's step, the actions; a draft
below it, marked as a draft, with its controls for prescribers only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from accounts.clinic_time import clinic_today
from accounts.models import User
from catalogue import selectors as catalogue_selectors
from catalogue.labels import ProductLabel
from medications import selectors as medication_selectors
from patients.models import Patient
from schedules import selectors
from schedules.documents.charts import dose_chart_svg
from schedules.exports.dispensing import dispensing_summary
from schedules.exports.wording import regimen_drugs
from schedules.forms import (
    REGIMEN_ROWS,
    SLOT_LABELS,
    SLOTS,
    DispensingForm,
    HoldForm,
    PlanForm,
    ReturnForm,
    SignForm,
    SlowForm,
    override_key,
)
from schedules.models import PlanRevision
from schedules.plan_serializers import revision_dict, step_dict
from schedules.presenters import (
    dates_text,
    history_rows,
    plan_issues,
    step_rows,
    stop_rows,
    strategy_text,
)
from schedules.services import plans as plan_services
from schedules.services.plans import OverrideInput

DOCUMENT_STATUS_TEMPLATE = "schedules/_document_status.html"
DEFAULT_PERIOD_DAYS = 28


def chart_svg(steps: list[dict[str, Any]]) -> SafeString | None:
    """The inline SVG of the diazepam-equivalent dose over time."""
    if not steps:
        return None
    # SVG built by our own code, every text escaped there (charts.py).
    return mark_safe(dose_chart_svg(steps))  # noqa: S308  # nosec B308 B703


class PeriodView:
    """A supply period as the page shows it: the period's own fields, and ``dates``, its dates
    and day count worded once (:func:`schedules.presenters.dates_text`)."""

    def __init__(self, period: Any) -> None:
        self.period = period
        self.dates = dates_text("", period.start_date, period.end_date, period.days)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.period, name)


def dispensing_periods(
    revision: PlanRevision, period_days: int, products: Mapping[str, ProductLabel] | None = None
) -> list[Any]:
    """The supply periods for ``revision``: the one dispensing calculation
    (:func:`schedules.exports.dispensing.dispensing_summary`), as the API and the PDF show it."""
    periods = dispensing_summary(
        revision_dict(revision),
        products=products or catalogue_selectors.product_labels(revision.country),
        period_days=period_days,
    )
    return [PeriodView(period) for period in periods]


# --- the builder ------------------------------------------------------------------------------


@dataclass
class BuilderResult:
    """The builder's form checked and built: ``ok`` when the engine accepted it."""

    output: dict[str, Any] | None = None
    body: dict[str, Any] | None = None
    ok: bool = False
    equivalence: dict[str, Any] | None = None
    country: str = "GB"


def build_preview(form: PlanForm, *, patient: Patient, country: str) -> BuilderResult:
    """Validate the form and ask the engine for the plan (rejected edits are shown beside the
    step, with the plan built without them)."""
    result = BuilderResult(country=country)
    if not form.is_bound:
        return result
    valid = form.is_valid()
    regimen = form.regimen_daily()
    source = form.cleaned_data.get("equivalence_source") or "ashton-2007"
    result.country = form.cleaned_data.get("country") or country
    if regimen:
        result.equivalence = selectors.regimen_equivalence(regimen, source)
    if not valid:
        return result
    result.body = form.engine_body()
    today = clinic_today(patient.clinic)
    try:
        result.output = plan_services.plan_preview(result.body, today=today)
        result.ok = True
    except plan_services.PlanError as exc:
        form.add_plan_errors(exc.errors)
        if result.body.get("edits") and all(key.startswith("edits") for key in exc.errors):
            try:
                result.output = plan_services.plan_preview({**result.body, "edits": []})
            except plan_services.PlanError:
                result.output = None
    return result


def builder_context(
    form: PlanForm, *, patient: Patient, country: str, result: BuilderResult | None = None
) -> dict[str, Any]:
    """Everything the builder template and its htmx preview partial print."""
    result = result or build_preview(form, patient=patient, country=country)
    output = result.output
    rows: list[dict[str, Any]] = []
    if output is not None:
        edits = {edit["index"]: edit for edit in (result.body or {}).get("edits", [])}
        rows = step_rows(
            output["steps"],
            violations=output["violations"],
            warnings=output["warnings"],
            products=catalogue_selectors.product_labels(result.country),
            drug_names=catalogue_selectors.drug_names(),
            edits=edits,
            before=regimen_drugs(result.body or {}),
        )
    field_names = [name for name in form.fields if name != "holds"]
    field_names += [f"drug_{row}_doses" for row in REGIMEN_ROWS]
    in_force = selectors.in_force_for_patient(patient)
    return {
        "form": form,
        "patient": patient,
        "output": output,
        "ok": result.ok,
        "rows": rows,
        "slots": [s for s in SLOTS if rows and any(c["slot"] == s for c in rows[0]["cells"])],
        "slot_labels": SLOT_LABELS,
        "plan_violations": plan_issues(output["violations"]) if output else [],
        "plan_warnings": plan_issues(output["warnings"]) if output else [],
        "end_date": rows[-1]["end_date"] if rows else None,
        "equivalence": result.equivalence,
        "override_values": form.override_values() if form.is_bound else {},
        "edit_values": form.edit_values() if form.is_bound else {},
        "chart": chart_svg(output["steps"]) if output else None,
        "error_slots": field_names,
        "extra_errors": form.extra_errors,
        "regimen_fields": [
            {
                "drug": form[f"drug_{row}"],
                "form": form[f"drug_{row}_form"],
                "slots": [form[f"drug_{row}_{slot}"] for slot in SLOTS],
                "doses_slot": f"drug_{row}_doses",
            }
            for row in REGIMEN_ROWS
        ],
        "all_slots": SLOTS,
        "in_force": in_force,
    }


def overrides_for(form: PlanForm, output: dict[str, Any] | None) -> list[OverrideInput]:
    """Typed override reasons that match a violation of the plan as built now."""
    if output is None:
        return []
    known = {(v["rule"], v.get("step")) for v in output["violations"]}
    return [o for o in form.overrides() if (o.rule, o.step) in known]


def add_service_errors(
    form: PlanForm, overrides: list[OverrideInput], exc: plan_services.PlanError
) -> None:
    """``overrides.N.reason`` → the textarea of the N-th override sent; the rest by field."""
    rest = {}
    for key, messages_ in exc.errors.items():
        parts = key.split(".")
        if parts[0] == "overrides" and len(parts) >= 2 and parts[1].isdigit():
            position = int(parts[1])
            if position < len(overrides):
                item = overrides[position]
                form.extra_errors.setdefault(override_key(item.rule, item.step), []).extend(
                    messages_
                )
                continue
        rest[key] = messages_
    form.add_plan_errors(rest)


def form_data_from_initial(initial: dict[str, Any]) -> dict[str, Any]:
    """Initial values as submitted form data, so a stored draft is checked like a POST."""
    data: dict[str, Any] = {}
    for key, value in initial.items():
        if value is None:
            continue
        if isinstance(value, list | tuple):
            data[key] = [str(item) for item in value]
            continue
        data[key] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return data


# --- the plan page ----------------------------------------------------------------------------


@dataclass
class PlanForms:
    """The plan page's forms, bound when a POST failed so their errors show."""

    sign: SignForm | None = None
    hold: HoldForm | None = None
    slow: SlowForm | None = None
    return_: ReturnForm | None = None
    open_panel: str = ""
    conflict: plan_services.PlanConflict | None = None
    errors: list[str] = field(default_factory=list)
    reauth: Callable[[str], bool] | None = None  # the sign form asks to re-authenticate


def _slots(rows: list[dict[str, Any]]) -> list[str]:
    return [cell["slot"] for cell in rows[0]["cells"]] if rows else []


def _slow_initial(revision: PlanRevision | None) -> dict[str, Any]:
    if revision is None:
        return {}
    request = revision.request
    return {key: request.get(key) for key in ("strategy", "reduction_percent", "step_mg")} | {
        "interval_days": request.get("interval_days")
    }


def form_error_messages(form: Any) -> list[str]:
    """Every message of a bound form, for the summary at the top of the page."""
    if form is None or not form.is_bound:
        return []
    return [message for messages in form.errors.values() for message in messages]


class _StepDicts:
    """Each revision's steps as the presenters' dicts, built once per page (the schedule's are
    shown by the table, the stop lines and the chart)."""

    def __init__(self) -> None:
        self._built: dict[int | None, list[dict[str, Any]]] = {}

    def __call__(self, revision: PlanRevision) -> list[dict[str, Any]]:
        if revision.pk not in self._built:
            self._built[revision.pk] = [step_dict(step) for step in revision.steps.all()]
        return self._built[revision.pk]


def _history_revisions(state: selectors.PlanState) -> list[PlanRevision]:
    """The plan's revisions in number order for the history, without loading any steps twice:
    those :func:`selectors.plan_state` loaded with their steps are reused; the others come
    without steps (the history reads a previous revision's steps only to name the step a hold
    began on)."""
    loaded = {r.pk: r for r in (state.in_force, state.draft, state.last_signed) if r is not None}
    return [loaded.get(r.pk, r) for r in selectors.revision_history(state.plan)]


def plan_page_context(
    *,
    user: User,
    state: selectors.PlanState,
    forms: PlanForms,
    dispensing_form: DispensingForm,
    period_days: int,
) -> dict[str, Any]:
    """The plan page: the schedule in force first, a draft (if any) below it."""
    plan = state.plan
    schedule, draft = state.schedule, state.draft
    revisions = _history_revisions(state)
    country = (schedule or draft or revisions[-1]).country
    products = catalogue_selectors.product_labels(country)
    names = catalogue_selectors.drug_names()
    steps = _StepDicts()

    def rows_for(revision: PlanRevision | None, *, in_force: bool) -> list[dict[str, Any]]:
        """Rows of a revision; only the schedule in force marks "today" (a draft is not)."""
        if revision is None:
            return []
        return step_rows(
            steps(revision),
            violations=revision.violations,
            warnings=revision.warnings,
            products=products,
            drug_names=names,
            today=state.today if in_force else None,
            before=regimen_drugs(revision.request),
        )

    schedule_rows = rows_for(schedule, in_force=schedule is state.in_force)
    draft_rows = rows_for(draft, in_force=False)
    sign_form = forms.sign
    if draft is not None and sign_form is None:
        sign_form = SignForm(
            violations=draft.violations,
            stored={(o.rule, o.step): o.reason for o in draft.overrides.all()},
            reauth=forms.reauth,
        )
    shown = schedule or draft
    document = selectors.document_for(schedule)
    return {
        "plan": plan,
        "patient": plan.patient,
        "state": state,
        "schedule": schedule,
        "in_force": state.in_force,
        "draft": draft,
        "draft_is_stale": state.draft_is_stale,
        "schedule_rows": schedule_rows,
        "schedule_prescribing": selectors.prescriber_for(schedule, revisions) if schedule else None,
        "schedule_stops": stop_rows(steps(schedule), names, regimen_drugs(schedule.request))
        if schedule
        else [],
        "draft_rows": draft_rows,
        "schedule_slots": _slots(schedule_rows),
        "draft_slots": _slots(draft_rows),
        "slot_labels": SLOT_LABELS,
        "today_row": next((row for row in schedule_rows if row["is_today"]), None),
        "today_state": state.timing,
        "chart": chart_svg(steps(shown)) if shown else None,
        "draft_chart": chart_svg(steps(draft)) if draft else None,
        "sign_form": sign_form,
        "sign_violations": [
            (v, sign_form[override_key(v["rule"], v.get("step"))])
            for v in (draft.violations if draft else [])
        ]
        if sign_form
        else [],
        "hold_form": forms.hold or HoldForm(),
        "slow_form": forms.slow or SlowForm(initial=_slow_initial(state.in_force)),
        "return_form": forms.return_ or ReturnForm(),
        "open_panel": forms.open_panel,
        "conflict": forms.conflict,
        "form_errors": forms.errors,
        "history": history_rows(revisions),
        "superseded_by": list(plan.superseded_by.all()),
        "document": document,
        "document_template": DOCUMENT_STATUS_TEMPLATE if schedule else None,
        "dispensing": dispensing_periods(
            state.in_force, period_days, products if state.in_force.country == country else None
        )
        if state.in_force
        else None,
        "dispensing_form": dispensing_form,
        "can_prescribe": user.is_prescriber,
        "can_hold": (user.is_prescriber or user.is_nurse) and state.in_force is not None,
        "strategy": strategy_text(shown.request) if shown else "",
        "schedule_violations": plan_issues(schedule.violations) if schedule else [],
        "schedule_warnings": plan_issues(schedule.warnings) if schedule else [],
        "draft_plan_violations": plan_issues(draft.violations) if draft else [],
        "draft_plan_warnings": plan_issues(draft.warnings) if draft else [],
        "fhir_url": reverse("api-plan-fhir", args=[plan.pk]),
        "record_snapshot": plan.record_snapshot,
        "snapshot_regimen": medication_selectors.snapshot_regimen(plan.record_snapshot),
        "record_changed_on": medication_selectors.changed_since(
            plan.patient, state.last_signed.signed_at if state.last_signed else None
        ),
        "ics_url": reverse("api-plan-calendar", args=[plan.pk]),
    }
