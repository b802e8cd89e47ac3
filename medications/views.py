"""The medication record page: a prescriber records what the patient takes now and what else
changes the taper. Thin: the form makes the API's body; the service checks and saves it."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.clinic_time import clinic_today
from accounts.http import AuthenticatedHttpRequest
from accounts.models import User
from accounts.permissions import role_required
from catalogue import selectors as catalogue_selectors
from medications import selectors, services
from medications.forms import RecordForm, initial_from_data
from medications.record import RecordInputError
from patients import selectors as patient_selectors

prescriber_required = role_required(User.Role.PRESCRIBER)


@prescriber_required
def record_edit(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_selectors.patient_get(user=request.user, patient_id=patient_id)
    view = selectors.record_view(patient, clinic_today(patient.clinic))
    data = selectors.record_data(view)
    form = RecordForm(
        request.POST or None,
        initial=initial_from_data(data) if view.record else {},
        drugs=[(d.slug, d.name) for d in catalogue_selectors.drug_list().order_by("name")],
        regimen_count=len(data["regimen"]),
        other_count=len(data["other"]["medicines"]),
        taper_count=len(data["previous_tapers"]),
    )
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
