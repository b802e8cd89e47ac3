"""Patients API: list (``?q=``), create, detail with the current plan, partial update."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.http import staff_user
from patients import selectors, services
from patients.models import Patient
from patients.serializers import PatientSerializer
from schedules import selectors as plan_selectors
from schedules.plan_serializers import revision_summary


def _save(call: Any) -> Patient:
    try:
        return call()
    except DjangoValidationError as exc:
        raise ValidationError(exc.message_dict) from exc


def _detail(patient: Patient) -> dict[str, Any]:
    data = dict(PatientSerializer(patient).data)
    plan = plan_selectors.plan_queryset().filter(patient=patient).first()
    if plan is None:
        data["current_plan"] = None
    else:
        # A summary needs neither steps nor doses: don't load them.
        revisions = list(
            plan.revisions.select_related("created_by", "signed_by")
            .prefetch_related("overrides")
            .order_by("number")
        )
        signed = [r for r in revisions if r.status == "signed"]
        data["current_plan"] = {
            "id": plan.pk,
            "status": "signed" if signed else "draft",
            "revision": revision_summary(signed[-1] if signed else revisions[-1]),
        }
    data["latest_checkin"] = None  # check-ins arrive with the nurse workflow
    return data


class PatientListCreateView(APIView):
    @extend_schema(request=PatientSerializer, responses={200: PatientSerializer(many=True)})
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
        return Response(_detail(patient), status=201)


class PatientDetailView(APIView):
    @extend_schema(responses={200: PatientSerializer})
    def get(self, request: Request, patient_id: int) -> Response:
        patient = selectors.patient_get(user=request.user, patient_id=patient_id)
        return Response(_detail(patient))

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
        return Response(_detail(patient))
