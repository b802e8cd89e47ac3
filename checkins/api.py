"""Check-in API: the nurse's queue, reviews, and check-ins recorded by phone."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import Action, allows
from accounts.http import staff_user
from accounts.scoping import get_for_clinic_or_404
from checkins import selectors, services
from checkins.models import CheckIn, Invitation
from checkins.serializers import (
    CheckinResponseSerializer,
    PhoneCheckinSerializer,
    QueueSerializer,
    ReviewResponseSerializer,
    ReviewSerializer,
)
from patients import selectors as patient_selectors
from schedules.services.plans import MAX_HOLD_DAYS

PAGE_SIZE = 50


def _body(request: Request) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise ValidationError({"body": ["Send a JSON object."]})
    return dict(request.data)


def _check_review_shape(body: dict[str, Any]) -> None:
    """The review body's types, as the schema states them (the services check the rest)."""
    errors: dict[str, list[str]] = {}
    if body.get("kind", "checkin") not in ("checkin", "missed"):
        errors["kind"] = ['Use "checkin" or "missed".']
    for name in ("action", "note"):
        if name in body and not isinstance(body[name], str):
            errors[name] = ["Give text."]
    days = body.get("days", services.DEFAULT_HOLD_DAYS)
    if isinstance(days, bool) or not isinstance(days, int):
        errors["days"] = ["A whole number of days."]
    elif not 1 <= days <= MAX_HOLD_DAYS:
        errors["days"] = [f"A whole number of days from 1 to {MAX_HOLD_DAYS}."]
    if errors:
        raise ValidationError(errors)


class QueueView(APIView):
    """``GET /api/v1/checkins/queue/?page=N``: urgent, then missed, then by band, oldest first."""

    permission_classes = [allows(Action.REVIEW_CHECKINS)]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "page",
                {"type": "integer", "minimum": 1, "maximum": 999999},
                description="page number (past the last page: the last page)",
            )
        ],
        responses={200: QueueSerializer},
    )
    def get(self, request: Request) -> Response:
        rows = selectors.review_queue(staff_user(request))
        raw = request.query_params.get("page", "1")
        if not (raw.isascii() and raw.isdigit() and 0 < int(raw) < 10**6):
            raise ValidationError({"page": ["Give a page number: 1, 2, ..."]})
        page = Paginator(rows, PAGE_SIZE).get_page(int(raw))
        return Response(
            {
                "count": page.paginator.count,
                "page": page.number,
                "pages": page.paginator.num_pages,
                "results": [row.as_dict() for row in page.object_list],
            }
        )


class ReviewView(APIView):
    """``POST /api/v1/checkins/{id}/review/`` ``{action, note, days?}``; ``kind: "missed"`` with
    an invitation's id for a missed check-in."""

    permission_classes = [allows(Action.REVIEW_CHECKINS)]

    @extend_schema(request=ReviewSerializer, responses={201: ReviewResponseSerializer})
    def post(self, request: Request, checkin_id: int) -> Response:
        user, body = staff_user(request), _body(request)
        _check_review_shape(body)
        subject: CheckIn | Invitation
        if body.get("kind") == "missed":
            subject = get_for_clinic_or_404(Invitation.objects.all(), user, pk=checkin_id)
        else:
            subject = get_for_clinic_or_404(CheckIn.objects.all(), user, pk=checkin_id)
        days = body.get("days", services.DEFAULT_HOLD_DAYS)
        data = services.ReviewInput(str(body.get("action", "")), str(body.get("note", "")), days)
        try:
            review = services.review(user=user, subject=subject, data=data)
        except services.CheckInError as exc:
            raise ValidationError(exc.errors) from exc
        revision = review.resulting_revision
        return Response(
            {
                "id": review.pk,
                "action": review.action,
                "resulting_revision": revision.pk if revision else None,
            },
            status=201,
        )


class PatientCheckinView(APIView):
    """``POST /api/v1/patients/{id}/checkins/`` ``{instrument, answers, red_flags, observed}``."""

    permission_classes = [allows(Action.REVIEW_CHECKINS)]

    @extend_schema(request=PhoneCheckinSerializer, responses={201: CheckinResponseSerializer})
    def post(self, request: Request, patient_id: int) -> Response:
        user = staff_user(request)
        patient = patient_selectors.patient_get(user=user, patient_id=patient_id)
        try:
            checkin = services.record_phone_checkin(user=user, patient=patient, data=_body(request))
        except services.CheckInError as exc:
            raise ValidationError(exc.errors) from exc
        return Response(
            {
                "id": checkin.pk,
                "instrument": checkin.instrument,
                "total": checkin.total,
                "max": checkin.max,
                "band": checkin.band or None,
                "band_label": checkin.band_label or None,
                "partial": checkin.partial,
                "urgent": checkin.urgent,
                "suggestion": {
                    "action": checkin.suggested_action,
                    "rule": checkin.suggested_rule,
                    "reason": checkin.suggestion_reason,
                },
            },
            status=201,
        )
