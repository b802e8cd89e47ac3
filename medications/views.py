"""The medication record page: a prescriber records what the patient takes now and what else
changes the taper. Thin: the form makes the API's body; the service checks and saves it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.access import Action, action_required
from accounts.clinic_time import clinic_today
from accounts.http import AuthenticatedHttpRequest
from catalogue import selectors as catalogue_selectors
from medications import importing, selectors, services
from medications.forms import ImportForm, RecordForm, initial_from_data
from medications.record import RecordInputError
from patients import selectors as patient_selectors

records_required = action_required(Action.RECORD_MEDICATIONS)


def _posted_rows(post: Any, pattern: str) -> int:
    """How many numbered rows of ``pattern`` the submitted page had."""
    count = 0
    while pattern.format(count + 1) in post:
        count += 1
    return count


def _record_form(data: Any, initial: dict[str, Any], source: dict[str, Any]) -> RecordForm:
    return RecordForm(
        data,
        initial=initial,
        drugs=[(d.slug, d.name) for d in catalogue_selectors.drug_list().order_by("name")],
        regimen_count=len(source["regimen"]),
        other_count=len(source["other"]["medicines"]),
        taper_count=len(source["previous_tapers"]),
    )


@records_required
def record_edit(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_selectors.patient_get(user=request.user, patient_id=patient_id)
    view = selectors.record_view(patient, clinic_today(patient.clinic))
    data = selectors.record_data(view)
    if request.method == "POST" and request.POST.get("from_import"):
        return _record_from_import(request, patient, view)
    if request.method == "POST":
        # The rows the page showed (it may have come from an import, with more rows).
        shown = {
            "regimen": [None] * (_posted_rows(request.POST, "drug_{}") - 1),
            "other": {"medicines": [None] * (_posted_rows(request.POST, "other_{}_name") - 1)},
            "previous_tapers": [None] * (_posted_rows(request.POST, "taper_{}_year") - 1),
        }
        form = _record_form(request.POST, {}, shown)
    else:
        form = _record_form(None, initial_from_data(data) if view.record else {}, data)
    if request.method == "POST" and form.is_valid():
        try:
            _record, changed = services.record_save(
                patient=patient, user=request.user, data=form.body()
            )
        except RecordInputError as exc:
            form.add_record_errors(exc.errors)
        else:
            messages.success(
                request,
                _("Medication record saved.") if changed else _("Nothing changed in the record."),
            )
            return redirect("patients:detail", patient.pk)
    return render(
        request,
        "medications/record_form.html",
        {"form": form, "patient": patient, "record": view, "first": view.record is None},
    )


def _record_from_import(
    request: AuthenticatedHttpRequest, patient: Any, view: selectors.RecordView
) -> HttpResponse:
    """The record form filled in with what an import understood, for the prescriber to finish
    by hand (nothing is saved until they save the form)."""
    form_in = ImportForm(request.POST)
    if not form_in.is_valid():
        return redirect("medications:import", patient.pk)
    try:
        preview = importing.import_preview(
            patient=patient, user=request.user, bundle=form_in.cleaned_data["parsed"]
        )
    except importing.ImportRefused:
        return redirect("medications:import", patient.pk)
    form = _record_form(None, initial_from_data(preview.proposed), preview.proposed)
    unread = [entry for entry in preview.entries if entry.action == "not-read"]
    return render(
        request,
        "medications/record_form.html",
        {
            "form": form,
            "patient": patient,
            "record": view,
            "first": view.record is None,
            "unread": unread,
            "from_import": True,
        },
    )


@records_required
def record_import(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """Paste or upload a FHIR Bundle, see what was understood beside the source text, then
    save it to the record (all or nothing) or finish it in the record form."""
    patient = patient_selectors.patient_get(user=request.user, patient_id=patient_id)
    form = ImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form, "patient": patient}
    if request.method == "POST" and form.is_valid():
        bundle = form.cleaned_data["parsed"]
        try:
            if request.POST.get("action") == "confirm":
                importing.import_confirm(
                    patient=patient,
                    user=request.user,
                    bundle=bundle,
                    reason=form.cleaned_data.get("reason", ""),
                )
                messages.success(request, _("Imported into the medication record."))
                return redirect("patients:detail", patient.pk)
            context["preview"] = importing.import_preview(
                patient=patient, user=request.user, bundle=bundle
            )
        except importing.ImportRefused as exc:
            context["refused"] = exc.errors
        context["bundle_text"] = form.cleaned_data["bundle"]
    return render(request, "medications/import.html", context)
