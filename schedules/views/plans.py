"""Staff pages for taper plans: the live builder, the plan page and its revisions.

Thin views: parse a form, call a service (``schedules.services``) or a selector, render. The
builder's preview is an htmx partial (``_builder_preview.html``) that also swaps the regimen's
equivalence card and every field's error slot out of band, so the prescriber keeps typing in
the same inputs while the plan below changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.models import User
from accounts.permissions import role_required
from accounts.scoping import get_for_clinic_or_404
from catalogue import selectors as catalogue_selectors
from catalogue.labels import ProductLabel
from patients import selectors as patient_selectors
from patients.models import Patient
from schedules import selectors
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
    default_initial,
    initial_from_request,
    override_key,
)
from schedules.models import PlanRevision, TaperPlan
from schedules.plan_serializers import revision_dict, step_dict
from schedules.presenters import (
    history_rows,
    plan_issues,
    step_rows,
    stop_rows,
    strategy_text,
)
from schedules.services import plans as plan_services

PRESCRIBER = User.Role.PRESCRIBER
NURSE = User.Role.NURSE
DOCUMENT_STATUS_TEMPLATE = "schedules/_document_status.html"

prescriber_required = role_required(PRESCRIBER)
clinician_required = role_required(PRESCRIBER, NURSE)


# --- helpers ----------------------------------------------------------------------------------


def _plan(request: AuthenticatedHttpRequest, plan_id: int) -> TaperPlan:
    return get_for_clinic_or_404(selectors.plan_queryset(), request.user, pk=plan_id)


def chart_svg(steps: list[dict[str, Any]]) -> SafeString | None:
    """The PDF developer's inline SVG of the equivalent dose over time (None until it exists)."""
    try:
        from schedules.documents.charts import dose_chart_svg
    except ImportError:
        return None
    if not steps:
        return None
    return mark_safe(dose_chart_svg(steps))  # noqa: S308 - SVG built by our own code, escaped there


def dispensing_periods(
    revision: PlanRevision, period_days: int, products: Mapping[str, ProductLabel] | None = None
) -> list[Any]:
    """The supply periods for ``revision``: the one dispensing calculation
    (:func:`schedules.exports.dispensing.dispensing_summary`), as the API and the PDF show it."""
    return list(
        dispensing_summary(
            revision_dict(revision),
            products=products or catalogue_selectors.product_labels(revision.country),
            period_days=period_days,
        )
    )


def document_status_template() -> str | None:
    """The PDF developer's status partial, once it and the URLs it links to exist."""
    try:
        get_template(DOCUMENT_STATUS_TEMPLATE)
        reverse("documents:status", args=[0])
    except (TemplateDoesNotExist, NoReverseMatch):
        return None
    return DOCUMENT_STATUS_TEMPLATE


# --- the builder ------------------------------------------------------------------------------


def _builder_context(form: PlanForm, *, patient: Patient, country: str) -> dict[str, Any]:
    """Validate the form, ask the engine for the plan, and shape both for the templates."""
    output: dict[str, Any] | None = None
    body: dict[str, Any] | None = None
    ok = False
    equivalence = None
    if form.is_bound:
        valid = form.is_valid()
        regimen = form.regimen_daily()
        source = form.cleaned_data.get("equivalence_source") or "ashton-2007"
        country = form.cleaned_data.get("country") or country
        if regimen:
            equivalence = selectors.regimen_equivalence(regimen, source)
        if valid:
            body = form.engine_body()
            try:
                output = plan_services.plan_preview(body)
                ok = True
            except plan_services.PlanError as exc:
                form.add_plan_errors(exc.errors)
                if body.get("edits") and all(key.startswith("edits") for key in exc.errors):
                    # Show the plan without the rejected edits, the message beside the edit.
                    try:
                        output = plan_services.plan_preview({**body, "edits": []})
                    except plan_services.PlanError:
                        output = None
    rows: list[dict[str, Any]] = []
    if output is not None:
        edits = {edit["index"]: edit for edit in (body or {}).get("edits", [])}
        rows = step_rows(
            output["steps"],
            violations=output["violations"],
            warnings=output["warnings"],
            products=catalogue_selectors.product_labels(country),
            drug_names=catalogue_selectors.drug_names(),
            edits=edits,
            before=regimen_drugs(body),
        )
    field_names = [name for name in form.fields if name != "holds"]
    for row in REGIMEN_ROWS:
        field_names.append(f"drug_{row}_doses")
    return {
        "form": form,
        "patient": patient,
        "output": output,
        "ok": ok,
        "rows": rows,
        "slots": [s for s in SLOTS if rows and any(c["slot"] == s for c in rows[0]["cells"])] or [],
        "slot_labels": SLOT_LABELS,
        "plan_violations": plan_issues(output["violations"]) if output else [],
        "plan_warnings": plan_issues(output["warnings"]) if output else [],
        "end_date": rows[-1]["end_date"] if rows else None,
        "equivalence": equivalence,
        "override_values": form.override_values() if form.is_bound else {},
        "edit_values": form.edit_values() if form.is_bound else {},
        "chart": chart_svg(output["steps"]) if output else None,
        "error_slots": field_names,
        "extra_errors": form.extra_errors,
        "regimen_fields": [
            {
                "drug": form[f"drug_{row}"],
                "slots": [form[f"drug_{row}_{slot}"] for slot in SLOTS],
                "doses_slot": f"drug_{row}_doses",
            }
            for row in REGIMEN_ROWS
        ],
        "all_slots": SLOTS,
    }


def _overrides_for(form: PlanForm, output: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Typed override reasons that match a violation of the plan as built now."""
    if output is None:
        return []
    known = {(v["rule"], v.get("step")) for v in output["violations"]}
    return [o for o in form.overrides() if (o["rule"], o["step"]) in known]


def _add_override_errors(form: PlanForm, overrides: list[dict[str, Any]], exc: Any) -> None:
    """``overrides.N.reason`` → the textarea of the N-th override sent."""
    rest = {}
    for key, messages_ in exc.errors.items():
        parts = key.split(".")
        if parts[0] == "overrides" and len(parts) >= 2 and parts[1].isdigit():
            position = int(parts[1])
            if position < len(overrides):
                item = overrides[position]
                form.extra_errors.setdefault(override_key(item["rule"], item["step"]), []).extend(
                    messages_
                )
                continue
        rest[key] = messages_
    form.add_plan_errors(rest)


@prescriber_required
def plan_new(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """The live builder for a new plan; POST saves it as a draft."""
    patient = patient_selectors.patient_get(user=request.user, patient_id=patient_id)
    drugs = list(catalogue_selectors.drug_list().order_by("name"))
    country = patient.clinic.country
    if request.method == "POST":
        form = PlanForm(request.POST, drugs=drugs)
        context = _builder_context(form, patient=patient, country=country)
        if context["ok"]:
            overrides = _overrides_for(form, context["output"])
            try:
                revision = plan_services.plan_create(
                    patient=patient,
                    user=request.user,
                    data={**form.engine_body(), "overrides": overrides},
                )
            except plan_services.PlanError as exc:
                _add_override_errors(form, overrides, exc)
            else:
                messages.success(request, _("Draft saved. Review it and sign below."))
                return redirect("schedules:plan", revision.plan_id)
    else:
        form = PlanForm(initial=default_initial(country=country), drugs=drugs)
        context = _builder_context(form, patient=patient, country=country)
    context.update(
        preview_url=reverse("schedules:preview", args=[patient.pk]),
        title=_("New plan"),
        submit_label=_("Save draft"),
    )
    return render(request, "schedules/plan_builder.html", context)


@prescriber_required
@require_POST
def builder_preview(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """The htmx partial: the plan the engine would build for the builder's fields."""
    patient = patient_selectors.patient_get(user=request.user, patient_id=patient_id)
    drugs = list(catalogue_selectors.drug_list().order_by("name"))
    form = PlanForm(request.POST, drugs=drugs)
    context = _builder_context(form, patient=patient, country=patient.clinic.country)
    context["oob"] = True
    return render(request, "schedules/_builder_preview.html", context)


def _draft(plan: TaperPlan, revision_id: int) -> PlanRevision:
    revision = plan.revisions.filter(pk=revision_id).first()
    if revision is None:
        raise Http404("No such revision.")
    return revision


@prescriber_required
def draft_edit(request: AuthenticatedHttpRequest, plan_id: int, revision_id: int) -> HttpResponse:
    """The builder again, for a draft revision (new plan, slow-down or return)."""
    plan = _plan(request, plan_id)
    revision = _draft(plan, revision_id)
    if revision.status != PlanRevision.Status.DRAFT:
        messages.error(request, _("That revision is signed; it can no longer be changed."))
        return redirect("schedules:plan", plan.pk)
    patient = patient_selectors.patient_get(user=request.user, patient_id=plan.patient_id)
    drugs = list(catalogue_selectors.drug_list().order_by("name"))
    if request.method == "POST":
        form = PlanForm(request.POST, drugs=drugs)
        context = _builder_context(form, patient=patient, country=revision.country)
        if context["ok"]:
            overrides = _overrides_for(form, context["output"])
            try:
                plan_services.draft_update(
                    revision=revision,
                    user=request.user,
                    data={**form.engine_body(), "overrides": overrides},
                )
            except plan_services.PlanError as exc:
                _add_override_errors(form, overrides, exc)
            else:
                messages.success(request, _("Draft updated. Review it and sign below."))
                return redirect("schedules:plan", plan.pk)
    else:
        initial = initial_from_request(revision.request)
        stored = {override_key(o.rule, o.step): o.reason for o in revision.overrides.all()}
        form = PlanForm({**_as_data(initial), **stored}, drugs=drugs)
        context = _builder_context(form, patient=patient, country=revision.country)
    context.update(
        preview_url=reverse("schedules:preview", args=[patient.pk]),
        title=_("Edit draft (revision %(number)s)") % {"number": revision.number},
        submit_label=_("Save draft"),
        plan=plan,
        revision=revision,
    )
    return render(request, "schedules/plan_builder.html", context)


def _as_data(initial: dict[str, Any]) -> dict[str, str]:
    """Initial values as submitted form data, so a stored draft is checked like a POST."""
    data = {}
    for key, value in initial.items():
        if value is None:
            continue
        data[key] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return data


# --- the plan page ----------------------------------------------------------------------------


def _period_days(request: AuthenticatedHttpRequest) -> tuple[DispensingForm, int]:
    form = DispensingForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return form, form.cleaned_data["period_days"]
    return form, 28


def _plan_context(
    request: AuthenticatedHttpRequest,
    plan: TaperPlan,
    *,
    sign_form: SignForm | None = None,
    hold_form: HoldForm | None = None,
    slow_form: SlowForm | None = None,
    return_form: ReturnForm | None = None,
    open_panel: str = "",
) -> dict[str, Any]:
    revisions = selectors.revisions_for(plan)
    signed = [r for r in revisions if r.status == PlanRevision.Status.SIGNED]
    drafts = [r for r in revisions if r.status == PlanRevision.Status.DRAFT]
    current = signed[-1] if signed else None
    draft = drafts[-1] if drafts else None
    shown = current or draft or revisions[-1]  # a plan whose only draft was discarded
    products = catalogue_selectors.product_labels(shown.country)
    names = catalogue_selectors.drug_names()
    today = plan_services.clinic_today(plan)

    def rows_for(revision: PlanRevision) -> list[dict[str, Any]]:
        return step_rows(
            [step_dict(step) for step in revision.steps.all()],
            violations=revision.violations,
            warnings=revision.warnings,
            products=products,
            drug_names=names,
            today=today,
            before=regimen_drugs(revision.request),
        )

    current_rows = rows_for(current) if current else []
    draft_rows = rows_for(draft) if draft else []
    if draft is not None and sign_form is None:
        sign_form = SignForm(
            violations=draft.violations,
            stored={(o.rule, o.step): o.reason for o in draft.overrides.all()},
        )
    dispensing_form, period_days = _period_days(request)
    user = request.user
    can_prescribe = user.is_prescriber
    today_row = next((row for row in current_rows if row["is_today"]), None)
    return {
        "plan": plan,
        "patient": plan.patient,
        "current": current,
        "draft": draft,
        "current_rows": current_rows,
        "current_prescribing": selectors.prescriber_for(current, revisions) if current else None,
        "current_stops": stop_rows(
            [step_dict(s) for s in current.steps.all()], names, regimen_drugs(current.request)
        )
        if current
        else [],
        "draft_rows": draft_rows,
        "current_slots": _slots(current_rows),
        "draft_slots": _slots(draft_rows),
        "slot_labels": SLOT_LABELS,
        "today_row": today_row,
        "today_state": "step"
        if today_row
        else ("before" if current and today < current.start_date else "after"),
        "chart": chart_svg([step_dict(s) for s in shown.steps.all()]),
        "sign_form": sign_form,
        "sign_violations": [
            (v, sign_form[override_key(v["rule"], v.get("step"))])
            for v in (draft.violations if draft else [])
        ]
        if sign_form
        else [],
        "hold_form": hold_form or HoldForm(),
        "slow_form": slow_form or SlowForm(initial=_slow_initial(current)),
        "return_form": return_form or ReturnForm(),
        "open_panel": open_panel,
        "history": history_rows(revisions),
        "document": selectors.document_for(current),
        "document_template": document_status_template() if current else None,
        "dispensing": dispensing_periods(
            current, period_days, products if current.country == shown.country else None
        )
        if current
        else None,
        "dispensing_form": dispensing_form,
        "can_prescribe": can_prescribe,
        "can_hold": user.is_prescriber or user.is_nurse,
        "strategy": strategy_text(shown.request),
        "current_plan_violations": plan_issues(current.violations) if current else [],
        "current_plan_warnings": plan_issues(current.warnings) if current else [],
        "draft_plan_violations": plan_issues(draft.violations) if draft else [],
        "draft_plan_warnings": plan_issues(draft.warnings) if draft else [],
        "fhir_url": reverse("api-plan-fhir", args=[plan.pk]),
        "ics_url": reverse("api-plan-calendar", args=[plan.pk]),
    }


def _slots(rows: list[dict[str, Any]]) -> list[str]:
    return [cell["slot"] for cell in rows[0]["cells"]] if rows else []


def _slow_initial(current: PlanRevision | None) -> dict[str, Any]:
    if current is None:
        return {}
    request = current.request
    return {
        "strategy": request.get("strategy"),
        "reduction_percent": request.get("reduction_percent"),
        "step_mg": request.get("step_mg"),
        "interval_days": request.get("interval_days"),
    }


@clinician_required
@require_GET
def plan_detail(request: AuthenticatedHttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan(request, plan_id)
    return render(request, "schedules/plan_detail.html", _plan_context(request, plan))


@clinician_required
@require_GET
def plan_dispensing(request: AuthenticatedHttpRequest, plan_id: int) -> HttpResponse:
    """htmx partial: the dispensing summary for another supply period."""
    plan = _plan(request, plan_id)
    current = plan_services.current_revision(plan)
    form, period_days = _period_days(request)
    if current is not None:
        current = next(r for r in selectors.revisions_for(plan) if r.pk == current.pk)
    return render(
        request,
        "schedules/_dispensing.html",
        {
            "plan": plan,
            "dispensing": dispensing_periods(current, period_days) if current else None,
            "dispensing_form": form,
        },
    )


def _render_plan(request: AuthenticatedHttpRequest, plan: TaperPlan, **forms: Any) -> HttpResponse:
    return render(
        request, "schedules/plan_detail.html", _plan_context(request, plan, **forms), status=400
    )


@prescriber_required
@require_POST
def plan_sign(request: AuthenticatedHttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan(request, plan_id)
    draft = plan.revisions.filter(status=PlanRevision.Status.DRAFT).order_by("-number").first()
    if draft is None:
        messages.error(request, _("There is no draft to sign."))
        return redirect("schedules:plan", plan.pk)
    form = SignForm(request.POST, violations=draft.violations, stored={})
    if form.is_valid():
        try:
            plan_services.revision_sign(
                revision=draft, user=request.user, confirm=True, overrides=form.overrides()
            )
        except plan_services.PlanError as exc:
            for key, messages_ in exc.errors.items():
                for message in messages_:
                    form.add_error("confirm" if key == "confirm" else None, message)
        else:
            messages.success(
                request,
                _("Revision %(number)s signed. The printable schedule is being prepared.")
                % {"number": draft.number},
            )
            return redirect("schedules:plan", plan.pk)
    return _render_plan(request, plan, sign_form=form, open_panel="sign")


@prescriber_required
@require_POST
def plan_discard(request: AuthenticatedHttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan(request, plan_id)
    draft = plan.revisions.filter(status=PlanRevision.Status.DRAFT).order_by("-number").first()
    if draft is None:
        messages.error(request, _("There is no draft to discard."))
    else:
        plan_services.draft_discard(revision=draft, user=request.user)
        messages.success(
            request, _("Draft revision %(number)s discarded.") % {"number": draft.number}
        )
        if plan_services.current_revision(plan) is None:
            return redirect("patients:detail", plan.patient_id)
    return redirect("schedules:plan", plan.pk)


def _errors_to_form(form: Any, exc: plan_services.PlanError) -> None:
    for key, messages_ in exc.errors.items():
        for message in messages_:
            form.add_error(key if key in form.fields else None, message)


@clinician_required
@require_POST
def plan_hold(request: AuthenticatedHttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan(request, plan_id)
    form = HoldForm(request.POST)
    if form.is_valid():
        try:
            revision = plan_services.plan_hold(
                plan=plan,
                user=request.user,
                days=form.cleaned_data["days"],
                reason=form.cleaned_data["reason"],
            )
        except plan_services.PlanError as exc:
            _errors_to_form(form, exc)
        except PermissionDenied:
            raise
        else:
            if revision.is_signed:
                messages.success(
                    request,
                    _("Hold recorded as revision %(number)s; later steps moved by %(days)s days.")
                    % {"number": revision.number, "days": form.cleaned_data["days"]},
                )
            else:
                messages.warning(
                    request,
                    _(
                        "The hold makes a plan that breaks a guardrail, so it is saved as a "
                        "draft for a prescriber to review and sign."
                    ),
                )
            return redirect("schedules:plan", plan.pk)
    return _render_plan(request, plan, hold_form=form, open_panel="hold")


@prescriber_required
@require_POST
def plan_slow(request: AuthenticatedHttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan(request, plan_id)
    form = SlowForm(request.POST)
    if form.is_valid():
        try:
            plan_services.plan_slow(
                plan=plan,
                user=request.user,
                data=form.service_data(),
                reason=form.cleaned_data["reason"],
            )
        except plan_services.PlanError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(
                request, _("Slower plan saved as a draft from today's dose. Review and sign it.")
            )
            return redirect("schedules:plan", plan.pk)
    return _render_plan(request, plan, slow_form=form, open_panel="slow")


@prescriber_required
@require_POST
def plan_return(request: AuthenticatedHttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan(request, plan_id)
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            plan_services.plan_return_to_previous(
                plan=plan, user=request.user, reason=form.cleaned_data["reason"]
            )
        except plan_services.PlanError as exc:
            _errors_to_form(form, exc)
        else:
            messages.warning(
                request,
                _(
                    "Return to the previous dose saved as a draft. It is flagged: going back "
                    "up is less common than holding or slowing. Review and sign it."
                ),
            )
            return redirect("schedules:plan", plan.pk)
    return _render_plan(request, plan, return_form=form, open_panel="return")
