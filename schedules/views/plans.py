"""Staff pages for taper plans: the live builder, the plan page and its revisions.

Thin adapters: parse a form, call a service (``schedules.services.plans``) or a selector, and
render what ``schedules.plan_pages`` shapes. The builder's preview is an htmx partial
(``_builder_preview.html``) that also swaps the regimen's equivalence card and every field's
error slot out of band, so the prescriber keeps typing while the plan below changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts import reauth
from accounts.access import Action, action_required
from accounts.clinic_time import clinic_today
from accounts.http import AuthenticatedHttpRequest
from accounts.scoping import get_for_clinic_or_404
from catalogue import selectors as catalogue_selectors
from medications import selectors as medication_selectors
from patients import selectors as patient_selectors
from patients.models import Patient
from schedules import plan_pages, selectors
from schedules.forms import (
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
from schedules.plan_pages import PlanForms
from schedules.services import plans as plan_services
from schedules.services.plans import OverrideInput

plans_required = action_required(Action.PLAN)
clinical_view_required = action_required(Action.VIEW_CLINICAL)
hold_required = action_required(Action.HOLD)
BUILDER = "schedules/plan_builder.html"


def _plan(request: AuthenticatedHttpRequest, plan_id: int) -> TaperPlan:
    return get_for_clinic_or_404(selectors.plan_queryset(), request.user, pk=plan_id)


def _drugs() -> list[Any]:
    return list(catalogue_selectors.drug_list().order_by("name"))


# --- the builder ------------------------------------------------------------------------------


def _save_from_builder(
    form: PlanForm,
    result: plan_pages.BuilderResult,
    save: Callable[[dict[str, Any], list[OverrideInput]], Any],
) -> Any:
    """Call ``save`` with the engine body and the matching override reasons; on a refusal, put
    the messages beside their fields and return ``None``."""
    if not result.ok or result.body is None:
        return None
    overrides = plan_pages.overrides_for(form, result.output)
    try:
        return save(result.body, overrides)
    except plan_services.PlanError as exc:
        plan_pages.add_service_errors(form, overrides, exc)
        return None


def _builder_page(
    request: AuthenticatedHttpRequest, form: PlanForm, patient: Patient, **extra: Any
) -> HttpResponse:
    context = plan_pages.builder_context(form, patient=patient, country=extra.pop("country"))
    context.update(
        preview_url=reverse("schedules:preview", args=[patient.pk]),
        submit_label=_("Save draft"),
        **extra,
    )
    return render(request, BUILDER, context)


@plans_required
def plan_new(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """The live builder for a new plan; POST saves it as a draft (superseding the plan in force
    only when the prescriber ticks that it replaces it)."""
    patient = patient_selectors.patient_get(user=request.user, patient_id=patient_id)
    unsigned = selectors.unsigned_plan_for_patient(patient)
    if unsigned is not None:
        messages.info(request, _("This patient has a draft plan: finish or discard it first."))
        return redirect("schedules:plan", unsigned.pk)
    country = patient.clinic.country
    today = clinic_today(patient.clinic)
    record = medication_selectors.record_view(patient, today)
    if request.method != "POST":
        initial = default_initial(country=country, today=today)
        if record.has_regimen:
            # Filled in from the record and checked at once, so the plan shows straight away.
            initial.update(medication_selectors.builder_initial(record))
            form = PlanForm(plan_pages.form_data_from_initial(initial), drugs=_drugs())
        else:
            form = PlanForm(initial=initial, drugs=_drugs())
        return _builder_page(
            request, form, patient, country=country, title=_("New plan"), record=record
        )
    form = PlanForm(request.POST, drugs=_drugs())
    result = plan_pages.build_preview(form, patient=patient, country=country)
    supersede = bool(form.is_valid() and form.cleaned_data.get("supersede"))
    revision = _save_from_builder(
        form,
        result,
        lambda data, overrides: plan_services.plan_create(
            patient=patient,
            user=request.user,
            data=data,
            overrides=overrides,
            supersede=supersede,
        ),
    )
    if revision is not None:
        messages.success(request, _("Draft saved. Review it and sign below."))
        return redirect("schedules:plan", revision.plan_id)
    return _builder_page(
        request, form, patient, country=country, title=_("New plan"), record=record
    )


@plans_required
@require_POST
def builder_preview(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """The htmx partial: the plan the engine would build for the builder's fields."""
    patient = patient_selectors.patient_get(user=request.user, patient_id=patient_id)
    form = PlanForm(request.POST, drugs=_drugs())
    context = plan_pages.builder_context(form, patient=patient, country=patient.clinic.country)
    context["oob"] = True
    return render(request, "schedules/_builder_preview.html", context)


@plans_required
def draft_edit(request: AuthenticatedHttpRequest, plan_id: int, revision_id: int) -> HttpResponse:
    """The builder again, for the open draft (new plan, slow-down or return)."""
    plan = _plan(request, plan_id)
    revision = plan.revisions.filter(pk=revision_id).first()
    if revision is None:
        raise Http404("No such revision.")
    if revision.status != PlanRevision.Status.DRAFT:
        messages.error(request, _("That revision is signed; it can no longer be changed."))
        return redirect("schedules:plan", plan.pk)
    patient = patient_selectors.patient_get(user=request.user, patient_id=plan.patient_id)
    stored = {override_key(o.rule, o.step): o.reason for o in revision.overrides.all()}
    data = request.POST if request.method == "POST" else None
    initial = plan_pages.form_data_from_initial(initial_from_request(revision.request))
    form = PlanForm(data or {**initial, **stored}, drugs=_drugs())
    result = plan_pages.build_preview(form, patient=patient, country=revision.country)
    if data is not None and _save_from_builder(
        form,
        result,
        lambda body, overrides: plan_services.draft_update(
            revision=revision, user=request.user, data=body, overrides=overrides
        ),
    ):
        messages.success(request, _("Draft updated. Review it and sign below."))
        return redirect("schedules:plan", plan.pk)
    title = _("Edit draft (revision %(number)s)") % {"number": revision.number}
    return _builder_page(
        request, form, patient, country=revision.country, title=title, plan=plan, revision=revision
    )


# --- the plan page ----------------------------------------------------------------------------


def _period_days(request: AuthenticatedHttpRequest) -> tuple[DispensingForm, int]:
    form = DispensingForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return form, form.cleaned_data["period_days"]
    return form, plan_pages.DEFAULT_PERIOD_DAYS


def _plan_page(
    request: AuthenticatedHttpRequest, plan: TaperPlan, forms: PlanForms | None = None
) -> HttpResponse:
    forms = forms or PlanForms()
    forms.reauth = reauth.form_check(request, request.user)
    dispensing_form, period_days = _period_days(request)
    context = plan_pages.plan_page_context(
        user=request.user,
        state=selectors.plan_state(plan),
        forms=forms,
        dispensing_form=dispensing_form,
        period_days=period_days,
    )
    status = 409 if forms.conflict else 400 if forms.errors else 200
    return render(request, "schedules/plan_detail.html", context, status=status)


@clinical_view_required
@require_GET
def plan_detail(request: AuthenticatedHttpRequest, plan_id: int) -> HttpResponse:
    return _plan_page(request, _plan(request, plan_id))


@clinical_view_required
@require_GET
def plan_dispensing(request: AuthenticatedHttpRequest, plan_id: int) -> HttpResponse:
    """htmx partial: the dispensing summary for another supply period."""
    plan = _plan(request, plan_id)
    in_force = selectors.plan_state(plan).in_force
    form, period_days = _period_days(request)
    dispensing = plan_pages.dispensing_periods(in_force, period_days) if in_force else None
    context = {"plan": plan, "dispensing": dispensing, "dispensing_form": form}
    return render(request, "schedules/_dispensing.html", context)


def _refused(form: Any, exc: plan_services.PlanError) -> PlanForms:
    """Put a service's refusal on ``form`` and say which panel to open with it."""
    for key, messages_ in exc.errors.items():
        for message in messages_:
            form.add_error(key if key in form.fields else None, message)
    conflict = exc if isinstance(exc, plan_services.PlanConflict) else None
    return PlanForms(conflict=conflict, errors=plan_pages.form_error_messages(form))


@plans_required
@require_POST
def plan_sign(request: AuthenticatedHttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan(request, plan_id)
    draft = selectors.open_draft(plan)
    if draft is None:
        messages.error(request, _("There is no draft to sign."))
        return redirect("schedules:plan", plan.pk)
    form = SignForm(
        request.POST,
        violations=draft.violations,
        stored={},
        reauth=reauth.form_check(request, request.user),  # password or code if not recent
    )
    if not form.is_valid():
        return _plan_page(request, plan, PlanForms(sign=form, errors=["Check the sign form."]))
    try:
        plan_services.revision_sign(
            revision=draft, user=request.user, confirm=True, overrides=form.overrides()
        )
    except plan_services.PlanError as exc:
        forms = _refused(form, exc)
        forms.sign = form
        return _plan_page(request, plan, forms)
    messages.success(
        request,
        _("Revision %(number)s signed. The printable schedule is being prepared.")
        % {"number": draft.number},
    )
    return redirect("schedules:plan", plan.pk)


@plans_required
@require_POST
def plan_discard(request: AuthenticatedHttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan(request, plan_id)
    draft = selectors.open_draft(plan)
    if draft is None:
        messages.error(request, _("There is no draft to discard."))
        return redirect("schedules:plan", plan.pk)
    plan_services.draft_discard(revision=draft, user=request.user)
    messages.success(request, _("Draft revision %(number)s discarded.") % {"number": draft.number})
    plan.refresh_from_db()
    if plan.status == TaperPlan.Status.ABANDONED:
        return redirect("patients:detail", plan.patient_id)
    return redirect("schedules:plan", plan.pk)


def _revise(
    request: AuthenticatedHttpRequest,
    plan: TaperPlan,
    form: Any,
    panel: str,
    call: Callable[[], PlanRevision],
    done: Callable[[PlanRevision], str],
) -> HttpResponse:
    """Run a revision service for a valid ``form``: on success a message and the plan page; on a
    refusal the page again (status 400, or 409 for a conflict) with ``panel`` open."""
    if form.is_valid():
        try:
            revision = call()
        except plan_services.PlanError as exc:
            forms = _refused(form, exc)
        else:
            messages.success(request, done(revision))
            return redirect("schedules:plan", plan.pk)
    else:
        forms = PlanForms(errors=plan_pages.form_error_messages(form))
    setattr(forms, "return_" if panel == "return" else panel, form)
    forms.open_panel = panel
    return _plan_page(request, plan, forms)


def _hold_done(revision: PlanRevision) -> str:
    if revision.is_signed:
        return _("Hold recorded as revision %(number)s; later steps moved.") % {
            "number": revision.number
        }
    if revision.plan.patient.clinic.hold_needs_cosign:
        return _("The hold is saved as a draft for a prescriber to sign (clinic policy).")
    return _(
        "The hold makes a plan that breaks a guardrail, so it is saved as a draft for a "
        "prescriber to review and sign."
    )


@hold_required
@require_POST
def plan_hold(request: AuthenticatedHttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan(request, plan_id)
    form = HoldForm(request.POST)
    return _revise(
        request,
        plan,
        form,
        "hold",
        lambda: plan_services.plan_hold(
            plan=plan,
            user=request.user,
            days=form.cleaned_data["days"],
            reason=form.cleaned_data["reason"],
            cosign=plan_services.hold_needs_cosign(plan, request.user),
        ),
        _hold_done,
    )


@plans_required
@require_POST
def plan_slow(request: AuthenticatedHttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan(request, plan_id)
    form = SlowForm(request.POST)
    return _revise(
        request,
        plan,
        form,
        "slow",
        lambda: plan_services.plan_slow(
            plan=plan,
            user=request.user,
            data=form.service_data(),
            reason=form.cleaned_data["reason"],
            replace_draft=form.cleaned_data["replace_draft"],
        ),
        lambda _revision: _("Slower plan saved as a draft from today's dose. Review and sign it."),
    )


@plans_required
@require_POST
def plan_return(request: AuthenticatedHttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan(request, plan_id)
    form = ReturnForm(request.POST)
    return _revise(
        request,
        plan,
        form,
        "return",
        lambda: plan_services.plan_return_to_previous(
            plan=plan,
            user=request.user,
            reason=form.cleaned_data["reason"],
            replace_draft=form.cleaned_data["replace_draft"],
        ),
        lambda _revision: _(
            "Return to the previous dose saved as a draft. It is flagged: going back up is less "
            "common than holding or slowing. Review and sign it."
        ),
    )
