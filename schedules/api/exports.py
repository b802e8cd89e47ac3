"""API views for the outputs beside a plan: dispensing summary, FHIR export, dose calendar.

Each works on the plan's revision in force (the newest signed one); a plan with none is a 404
that says so. Nurses and prescribers only (as the plan page), clinic-scoped through
:func:`schedules.api._plan_for` (another clinic's plan is a 404). The pure builders in
:mod:`schedules.exports` get opaque ids, never the patient's name or MRN.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import Action, allows
from catalogue import selectors as catalogue_selectors
from schedules import selectors
from schedules.api.plans import _plan_for
from schedules.exports import dispensing, fhir, ics, iso_date
from schedules.models import PlanRevision, TaperPlan
from schedules.plan_serializers import revision_dict

#: DRF's ``?format=`` override is not part of the API: clients choose with ``Accept``.
NO_FORMAT_PARAMETER = OpenApiParameter("format", exclude=True)
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
NO_SIGNED_REVISION = "This plan has no signed revision in force."
FHIR_CONTENT_TYPE = "application/fhir+json"
ICS_CONTENT_TYPE = "text/calendar; charset=utf-8"


class _PassThroughRenderer(BaseRenderer):
    """Lets content negotiation accept the media type; the views write the bytes themselves."""

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> Any:
        return data


class FhirJsonRenderer(_PassThroughRenderer):
    media_type = "application/fhir+json"
    format = "fhir"


class CalendarRenderer(_PassThroughRenderer):
    media_type = "text/calendar"
    format = "ics"
    charset = "utf-8"


class _ExportView(APIView):
    """Errors are always JSON (``{"detail": ...}`` or ``{"errors": ...}``), whatever was asked.
    A nurse or a prescriber only, as the plan page."""

    permission_classes = [allows(Action.VIEW_CLINICAL)]

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response


def _revision_in_force(plan: TaperPlan) -> tuple[PlanRevision, dict[str, Any]]:
    revision = selectors.plan_state(plan).in_force
    if revision is None:
        raise NotFound(NO_SIGNED_REVISION)
    return revision, revision_dict(revision)


def _period_days(request: Request) -> int:
    raw = request.query_params.get("period_days")
    if raw is None or raw == "":
        return 28
    if not raw.isascii() or not raw.isdigit():
        raise ValidationError({"period_days": [dispensing.PERIOD_DAYS_NOT_WHOLE]})
    days = int(raw)
    if not dispensing.MIN_PERIOD_DAYS <= days <= dispensing.MAX_PERIOD_DAYS:
        raise ValidationError({"period_days": [dispensing.PERIOD_DAYS_OUT_OF_RANGE]})
    return days


class PlanDispensingView(_ExportView):
    """Quantities of each product per supply period, from the revision in force."""

    @extend_schema(
        operation_id="v1_plans_dispensing_retrieve",
        parameters=[
            OpenApiParameter(
                "period_days",
                {"type": "integer", "minimum": 1, "maximum": 365},
                description="Days per supply period, 1 to 365 (default 28).",
            ),
            OpenApiParameter(
                "from_date",
                OpenApiTypes.DATE,
                description="First day of the first period (default: the revision's start).",
            ),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request, plan_id: int) -> Response:
        plan = _plan_for(request, plan_id)
        period_days = _period_days(request)
        raw_from = request.query_params.get("from_date")
        try:
            if raw_from is not None and not ISO_DATE.fullmatch(raw_from):
                raise ValueError(raw_from)  # "20270104" and "2027-W01-1" are ISO 8601 too
            from_date = iso_date(raw_from, field="from_date") if raw_from else None
        except ValueError as exc:
            raise ValidationError({"from_date": ["Give from_date as YYYY-MM-DD."]}) from exc
        revision, data = _revision_in_force(plan)
        periods = dispensing.dispensing_summary(
            data,
            products=catalogue_selectors.product_labels(revision.country),
            period_days=period_days,
            from_date=from_date,
        )
        return Response(
            {
                "plan": plan.pk,
                "revision": revision.pk,
                "revision_number": revision.number,
                "period_days": period_days,
                "periods": [period.to_dict() for period in periods],
            }
        )


class PlanFhirView(_ExportView):
    """The revision in force as a FHIR R4 Bundle of MedicationRequests (one per step and drug)."""

    renderer_classes = [FhirJsonRenderer, JSONRenderer]

    @extend_schema(
        operation_id="v1_plans_fhir_retrieve",
        parameters=[NO_FORMAT_PARAMETER],
        responses={
            (200, FHIR_CONTENT_TYPE): OpenApiResponse(
                OpenApiTypes.OBJECT, description="FHIR R4 Bundle (type collection)."
            )
        },
    )
    def get(self, request: Request, plan_id: int) -> HttpResponse:
        plan = _plan_for(request, plan_id)
        revision, data = _revision_in_force(plan)
        who = selectors.prescriber_for(revision)
        bundle = fhir.plan_bundle(
            data,
            patient_ref=f"Patient/{plan.patient_id}",
            requester_ref=f"Practitioner/{who.prescriber.pk}",
            recorder_ref=f"Practitioner/{who.recorded_by.pk}" if who.recorded_by else None,
            base_url=request.build_absolute_uri("/fhir"),
            products=catalogue_selectors.product_labels(revision.country),
            in_force=True,
        )
        response = HttpResponse(fhir.bundle_json(bundle), content_type=FHIR_CONTENT_TYPE)
        response["Cache-Control"] = "private, no-store"
        return response


class PlanCalendarView(_ExportView):
    """The revision in force as an iCalendar file of dose reminders for the patient's phone."""

    renderer_classes = [CalendarRenderer, JSONRenderer]

    @extend_schema(
        operation_id="v1_plans_calendar_retrieve",
        parameters=[NO_FORMAT_PARAMETER],
        responses={
            (200, "text/calendar"): OpenApiResponse(
                OpenApiTypes.BINARY, description="iCalendar (RFC 5545) file."
            )
        },
    )
    def get(self, request: Request, plan_id: int) -> HttpResponse:
        plan = _plan_for(request, plan_id)
        revision, data = _revision_in_force(plan)
        body = ics.dose_calendar(
            data,
            time_zone=plan.patient.time_zone,
            clinic_name=plan.patient.clinic.name,
            products=catalogue_selectors.product_labels(revision.country),
        )
        response = HttpResponse(body, content_type=ICS_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="taper-plan-{plan.pk}.ics"'
        response["Cache-Control"] = "private, no-store"
        return response
