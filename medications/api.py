"""The medication record API: read and replace it, import a FHIR Bundle, export it as FHIR.

``GET, PUT /api/v1/patients/{id}/medications/`` (staff read, prescribers write),
``POST .../medications/import/`` (prescribers) and ``GET .../medications/fhir/`` (staff).
"""

from __future__ import annotations

import datetime
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import Action, allows
from accounts.clinic_time import clinic_today
from accounts.http import staff_user
from medications import fhir, importing, selectors, services
from medications.record import RecordInputError
from medications.serializers import (
    FhirBundleSerializer,
    ImportResponseSerializer,
    MedicationRecordBodySerializer,
    MedicationRecordSerializer,
)
from patients import selectors as patient_selectors
from taper_clinic.api_schema import BAD_INPUT

ERRORS = BAD_INPUT


class MedicationRecordView(APIView):
    def get_permissions(self) -> list[BasePermission]:
        action = Action.VIEW_CLINICAL if self.request.method == "GET" else Action.RECORD_MEDICATIONS
        return [allows(action)()]

    def _data(self, request: Request, patient_id: int) -> tuple[Any, dict[str, Any]]:
        patient = patient_selectors.patient_get(user=staff_user(request), patient_id=patient_id)
        view = selectors.record_view(patient, clinic_today(patient.clinic))
        return patient, selectors.record_data(view)

    @extend_schema(responses={200: MedicationRecordSerializer})
    def get(self, request: Request, patient_id: int) -> Response:
        return Response(self._data(request, patient_id)[1])

    @extend_schema(
        request=MedicationRecordBodySerializer,
        responses={200: MedicationRecordSerializer, 400: ERRORS},
    )
    def put(self, request: Request, patient_id: int) -> Response:
        patient = patient_selectors.patient_get(user=staff_user(request), patient_id=patient_id)
        try:
            services.record_save(patient=patient, user=staff_user(request), data=request.data)
        except RecordInputError as exc:
            raise ValidationError(exc.errors) from exc
        return Response(self._data(request, patient_id)[1])


class MedicationImportView(APIView):
    """``POST /api/v1/patients/{id}/medications/import/``: a FHIR R4 Bundle in, what was
    understood out; ``?confirm=true`` saves it (all or nothing)."""

    permission_classes = [allows(Action.RECORD_MEDICATIONS)]

    @extend_schema(
        request=FhirBundleSerializer,
        parameters=[
            OpenApiParameter(
                "confirm", bool, description="save the record (refused unless every entry was read)"
            )
        ],
        responses={200: ImportResponseSerializer, 400: ERRORS},
        description=(
            "Body: a FHIR R4 Bundle of MedicationStatement / MedicationRequest resources. "
            "Response: `entries` (each with `source_text`, what was understood, `problems` and "
            "the `action` the import takes), `proposed` (the record it would save), "
            "`can_confirm`, `problems`; with `?confirm=true` also `record` (the saved record)."
        ),
    )
    def post(self, request: Request, patient_id: int) -> Response:
        user = staff_user(request)
        patient = patient_selectors.patient_get(user=user, patient_id=patient_id)
        raw = request.query_params.get("confirm", "false")
        if raw not in ("true", "false"):
            raise ValidationError(
                {"confirm": ["Use ?confirm=true to save; leave it out (or false) to preview."]}
            )
        confirm = raw == "true"
        bundle = request.data  # over the size limit: the API's JSON 400 (api_errors)
        try:
            if not confirm:
                preview = importing.import_preview(patient=patient, user=user, bundle=bundle)
                return Response({**preview.to_dict(), "saved": False})
            preview, _record = importing.import_confirm(patient=patient, user=user, bundle=bundle)
        except importing.ImportRefused as exc:
            raise ValidationError(exc.errors) from exc
        view = selectors.record_view(patient, clinic_today(patient.clinic))
        return Response({**preview.to_dict(), "saved": True, "record": selectors.record_data(view)})


class MedicationFhirView(APIView):
    """``GET /api/v1/patients/{id}/medications/fhir/``: the record as a FHIR R4 Bundle of
    MedicationStatements (one per medicine), for the patient's other clinicians."""

    permission_classes = [allows(Action.VIEW_CLINICAL)]

    @extend_schema(
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="FHIR R4 Bundle")}
    )
    def get(self, request: Request, patient_id: int) -> Response:
        patient = patient_selectors.patient_get(user=staff_user(request), patient_id=patient_id)
        view = selectors.record_view(patient, clinic_today(patient.clinic))
        data = selectors.record_data(view)
        since = data["use"]["since"]
        bundle = fhir.export_statements(
            data["regimen"],
            data["other"]["medicines"],
            patient_reference=f"Patient/{patient.pk}",
            since=datetime.date.fromisoformat(since) if since else None,
        )
        return Response(bundle)
