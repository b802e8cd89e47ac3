"""Patients API: list (``?q=``), create, detail, partial update.

``clinic.api`` serves these views with the current plan and latest check-in added to the detail.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.http import staff_user
from patients import selectors, services
from patients.models import Patient
from patients.serializers import PatientSerializer


def _save(call: Any) -> Patient:
    try:
        return call()
    except DjangoValidationError as exc:
        raise ValidationError(exc.message_dict) from exc


def patient_detail_data(patient: Patient) -> dict[str, Any]:
    """The patient's own fields. The clinic layer adds the current plan and latest check-in."""
    return dict(PatientSerializer(patient).data)


class _PatientDetailMixin:
    def detail(self, patient: Patient) -> dict[str, Any]:
        return patient_detail_data(patient)


class PatientListCreateView(_PatientDetailMixin, APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="part of the MRN, first or last name"),
        ],
        responses={200: PatientSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        patients = selectors.patient_list(
            user=request.user, query=request.query_params.get("q", "")
        )
        return Response(PatientSerializer(patients, many=True).data)

    @extend_schema(request=PatientSerializer, responses={201: PatientSerializer})
    def post(self, request: Request) -> Response:
        serializer = PatientSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        patient = _save(
            lambda: services.patient_create(
                user=staff_user(request), data=serializer.validated_data
            )
        )
        return Response(self.detail(patient), status=201)


class PatientDetailView(_PatientDetailMixin, APIView):
    @extend_schema(responses={200: PatientSerializer})
    def get(self, request: Request, patient_id: int) -> Response:
        patient = selectors.patient_get(user=request.user, patient_id=patient_id)
        return Response(self.detail(patient))

    @extend_schema(request=PatientSerializer, responses={200: PatientSerializer})
    def patch(self, request: Request, patient_id: int) -> Response:
        patient = selectors.patient_get(user=request.user, patient_id=patient_id)
        serializer = PatientSerializer(patient, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        patient = _save(
            lambda: services.patient_update(
                user=staff_user(request), patient=patient, data=serializer.validated_data
            )
        )
        return Response(self.detail(patient))
