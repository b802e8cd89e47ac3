"""JSON API (DRF) for the schedules app."""

from __future__ import annotations

from typing import Any, TypeVar

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import reauth
from accounts.access import Action, allows
from accounts.clinic_time import clinic_today
from accounts.http import staff_user
from accounts.scoping import get_for_clinic_or_404
from patients import selectors as patient_selectors
from schedules import selectors
from schedules.api.serializers import (
    PLAN_FLAGS,
    HoldSerializer,
    PlanCreateSerializer,
    PlanFlagsSerializer,
    PlanPreviewSerializer,
    PlanResponseSerializer,
    PlanSignSerializer,
    PreviewResponseSerializer,
    SignSerializer,
)
from schedules.models import TaperPlan
from schedules.plan_serializers import plan_dict
from schedules.services import plans as plan_services
from taper_clinic.api_schema import BAD_INPUT, CONFLICT, REAUTH_FORBIDDEN


def _body(request: Request) -> dict[str, Any]:
    """The JSON object in the body, or a 400 that says what is wrong with it."""
    data = request.data  # over the size limit: the API's JSON 400 (taper_clinic.api_errors)
    if not isinstance(data, dict):
        raise ValidationError({"body": ["Send a JSON object."]})
    return dict(data)


class Conflict(APIException):
    """409: the request conflicts with the plan's state. ``payload`` is the body as given
    (``{"errors": ..., "plan": id}``); the project's exception handler returns it as it is."""

    status_code = 409
    default_detail = "This conflicts with the plan's current state."
    default_code = "conflict"

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__()
        self.payload = payload


def _plan_error(exc: plan_services.PlanError) -> APIException:
    """400 with ``{"errors": ...}`` for bad input; 409 for a conflict with the plan's state,
    naming the plan (and revision) it conflicts with."""
    if isinstance(exc, plan_services.PlanConflict):
        detail: dict[str, Any] = {"errors": exc.errors}
        if exc.plan is not None:
            detail["plan"] = exc.plan.pk
        if exc.revision is not None:
            detail["revision"] = exc.revision.pk
        return Conflict(detail)
    return ValidationError(exc.errors)


SerializerT = TypeVar("SerializerT", bound=serializers.Serializer)


def _valid(serializer: SerializerT) -> SerializerT:
    """The serializer, validated: a 400 ``{"errors": ...}`` otherwise."""
    serializer.is_valid(raise_exception=True)
    return serializer


def _plan_response(plan: TaperPlan, status: int = 200) -> Response:
    state = selectors.plan_state(plan)
    return Response(plan_dict(state, selectors.revision_history(plan)), status=status)


class SchedulePreviewView(APIView):
    """The plan the engine would build for this request. Saves nothing."""

    permission_classes = [allows(Action.PLAN)]

    @extend_schema(
        request=PlanPreviewSerializer,
        responses={200: PreviewResponseSerializer, 400: BAD_INPUT},
    )
    def post(self, request: Request) -> Response:
        try:
            return Response(
                plan_services.plan_preview(
                    _body(request), today=clinic_today(staff_user(request).clinic)
                )
            )
        except plan_services.PlanError as exc:
            raise _plan_error(exc) from exc


class PatientPlanCreateView(APIView):
    """Create a draft plan for a patient from a preview body plus ``overrides``."""

    permission_classes = [allows(Action.PLAN)]

    @extend_schema(
        request=PlanCreateSerializer,
        responses={201: PlanResponseSerializer, 400: BAD_INPUT, 409: CONFLICT},
    )
    def post(self, request: Request, patient_id: int) -> Response:
        patient = patient_selectors.patient_get(user=staff_user(request), patient_id=patient_id)
        try:
            body = _body(request)
            flags = _valid(
                PlanFlagsSerializer(data={k: body.pop(k) for k in PLAN_FLAGS if k in body})
            )
            revision = plan_services.plan_create(
                patient=patient,
                user=staff_user(request),
                data=body,
                overrides=flags.typed_overrides(),
                supersede=flags.validated_data["supersede"],
            )
        except plan_services.PlanError as exc:
            raise _plan_error(exc) from exc
        return _plan_response(revision.plan, status=201)


def _plan_for(request: Request, plan_id: int) -> TaperPlan:
    return get_for_clinic_or_404(selectors.plan_queryset(), request.user, pk=plan_id)


class PlanDetailView(APIView):
    """A plan with its revision in force, any draft, and the revision history."""

    permission_classes = [allows(Action.VIEW_CLINICAL)]

    @extend_schema(responses={200: PlanResponseSerializer})
    def get(self, request: Request, plan_id: int) -> Response:
        plan = _plan_for(request, plan_id)
        return _plan_response(plan)


class PlanSignView(APIView):
    """Sign the draft: ``{confirm: true, overrides: [{rule, step, reason}]}``, plus ``password``
    or ``otp`` unless the session's last authentication is recent (always with a token)."""

    permission_classes = [allows(Action.PLAN)]

    @extend_schema(
        request=PlanSignSerializer,
        responses={
            200: PlanResponseSerializer,
            400: BAD_INPUT,
            403: REAUTH_FORBIDDEN,
            409: CONFLICT,
        },
    )
    def post(self, request: Request, plan_id: int) -> Response:
        plan = _plan_for(request, plan_id)
        body = _body(request)
        reauth.require_for_api(request, staff_user(request), body)  # password or otp, see there
        sign = _valid(SignSerializer(data=body))
        draft = selectors.open_draft(plan)
        if draft is None:
            raise ValidationError({"plan": ["There is no draft to sign."]})
        try:
            plan_services.revision_sign(
                revision=draft,
                user=staff_user(request),
                confirm=True,
                overrides=sign.typed_overrides(),
            )
        except plan_services.PlanError as exc:
            raise _plan_error(exc) from exc
        return _plan_response(plan)


class PlanHoldView(APIView):
    """Hold the current step: ``{days, reason}`` makes a new revision; later steps shift."""

    permission_classes = [allows(Action.HOLD)]

    @extend_schema(
        request=HoldSerializer,
        responses={201: PlanResponseSerializer, 400: BAD_INPUT, 409: CONFLICT},
    )
    def post(self, request: Request, plan_id: int) -> Response:
        plan = _plan_for(request, plan_id)
        hold = _valid(HoldSerializer(data=_body(request)))
        try:
            plan_services.plan_hold(
                plan=plan,
                user=staff_user(request),
                days=hold.validated_data["days"],
                reason=hold.validated_data["reason"],
                cosign=plan_services.hold_needs_cosign(plan, staff_user(request)),
            )
        except plan_services.PlanError as exc:
            raise _plan_error(exc) from exc
        return _plan_response(plan, status=201)
