"""JSON API (DRF) for the schedules app."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.http import staff_user
from accounts.permissions import IsNurseOrPrescriber, IsPrescriber
from accounts.scoping import get_for_clinic_or_404
from patients import selectors as patient_selectors
from schedules import selectors
from schedules.models import TaperPlan
from schedules.plan_serializers import plan_dict
from schedules.services import plans as plan_services


def _body(request: Request) -> dict[str, Any]:
    """The JSON object in the body, or a 400 that says what is wrong with it."""
    length = request.META.get("CONTENT_LENGTH") or "0"
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if length.isdigit() and int(length) > limit:
        raise ValidationError({"body": [f"The request body is too large (at most {limit} bytes)."]})
    try:
        data = request.data
    except RequestDataTooBig as exc:
        raise ValidationError({"body": ["The request body is too large."]}) from exc
    if not isinstance(data, dict):
        raise ValidationError({"body": ["Send a JSON object."]})
    return dict(data)


def _plan_error(exc: plan_services.PlanError) -> ValidationError:
    return ValidationError(exc.errors)


class SchedulePreviewView(APIView):
    """The plan the engine would build for this request. Saves nothing."""

    permission_classes = [IsPrescriber]

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def post(self, request: Request) -> Response:
        try:
            return Response(plan_services.plan_preview(_body(request)))
        except plan_services.PlanError as exc:
            raise _plan_error(exc) from exc


class PatientPlanCreateView(APIView):
    """Create a draft plan for a patient from a preview body plus ``overrides``."""

    permission_classes = [IsPrescriber]

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request, patient_id: int) -> Response:
        patient = patient_selectors.patient_get(user=staff_user(request), patient_id=patient_id)
        try:
            revision = plan_services.plan_create(
                patient=patient, user=staff_user(request), data=_body(request)
            )
        except plan_services.PlanError as exc:
            raise _plan_error(exc) from exc
        plan = revision.plan
        return Response(plan_dict(plan, selectors.revisions_for(plan)), status=201)


def _plan_for(request: Request, plan_id: int) -> TaperPlan:
    return get_for_clinic_or_404(selectors.plan_queryset(), request.user, pk=plan_id)


class PlanDetailView(APIView):
    """A plan with its revision in force, any draft, and the revision history."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, plan_id: int) -> Response:
        plan = _plan_for(request, plan_id)
        return Response(plan_dict(plan, selectors.revisions_for(plan)))


class PlanSignView(APIView):
    """Sign the draft: ``{confirm: true, overrides: [{rule, step, reason}]}``."""

    permission_classes = [IsPrescriber]

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def post(self, request: Request, plan_id: int) -> Response:
        plan = _plan_for(request, plan_id)
        body = _body(request)
        draft = plan.revisions.filter(status="draft").order_by("-number").first()
        if draft is None:
            raise ValidationError({"plan": ["There is no draft to sign."]})
        try:
            plan_services.revision_sign(
                revision=draft,
                user=staff_user(request),
                confirm=body.get("confirm") is True,
                overrides=body.get("overrides"),
            )
        except plan_services.PlanError as exc:
            raise _plan_error(exc) from exc
        return Response(plan_dict(plan, selectors.revisions_for(plan)))


class PlanHoldView(APIView):
    """Hold the current step: ``{days, reason}`` makes a new revision; later steps shift."""

    permission_classes = [IsNurseOrPrescriber]

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request, plan_id: int) -> Response:
        plan = _plan_for(request, plan_id)
        body = _body(request)
        try:
            plan_services.plan_hold(
                plan=plan,
                user=staff_user(request),
                days=body.get("days"),
                reason=body.get("reason"),
            )
        except plan_services.PlanError as exc:
            raise _plan_error(exc) from exc
        return Response(plan_dict(plan, selectors.revisions_for(plan)), status=201)
