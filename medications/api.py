"""``GET, PUT /api/v1/patients/{id}/medications/``: staff read, prescribers write."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.clinic_time import clinic_today
from accounts.http import staff_user
from accounts.permissions import IsClinicStaff, IsPrescriber
from medications import selectors, services
from medications.record import RecordInputError
from medications.serializers import MedicationRecordBodySerializer, MedicationRecordSerializer
from patients import selectors as patient_selectors

ERRORS = OpenApiResponse(description='Bad input: {"errors": {"field": ["message"]}}')


class MedicationRecordView(APIView):
    def get_permissions(self) -> list[BasePermission]:
        return [IsClinicStaff() if self.request.method == "GET" else IsPrescriber()]

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
