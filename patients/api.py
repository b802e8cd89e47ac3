"""Patients API: list (``?q=``, paginated), create, detail, partial update.

``clinic.api`` serves these views with the current plan and latest check-in added to the detail.

The list's body stays a JSON array (integrations read it so); the page is chosen with
``?limit=`` (default 50, at most 200) and ``?offset=``, and told in headers: ``X-Total-Count``
(the patients matching, all pages) and an RFC 8288 ``Link`` with ``rel="next"`` (while there are
more) and ``rel="prev"``. The links keep ``q``, so that the next page is of the same search: a
search term is in the query string anyway, and the access log drops query strings
(``gunicorn.conf.py``, ``DropQueryStrings``); the ``Link`` header itself is never logged.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.http import staff_user
from patients import selectors, services
from patients.models import Patient
from patients.serializers import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_OFFSET,
    MAX_QUERY_LENGTH,
    PatientListQuerySerializer,
    PatientSerializer,
)


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


LIST_PARAMETERS = [
    OpenApiParameter(
        "q",
        {"type": "string", "maxLength": MAX_QUERY_LENGTH, "pattern": "^[^\\u0000]*$"},
        description="part of the MRN, first or last name (no NUL character)",
    ),
    OpenApiParameter(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
        description=f"patients per page (default {DEFAULT_LIMIT}, at most {MAX_LIMIT})",
    ),
    OpenApiParameter(
        "offset",
        {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
        description="how many patients to skip (ordered by last name, first name, id)",
    ),
    OpenApiParameter(
        "X-Total-Count",
        {"type": "integer", "minimum": 0},
        location=OpenApiParameter.HEADER,
        required=True,
        response=[200],
        description="how many patients match, on all pages",
    ),
    OpenApiParameter(
        "Link",
        str,
        location=OpenApiParameter.HEADER,
        response=[200],
        description='RFC 8288 links to the other pages: rel="next" while there are more '
        'patients, rel="prev" after the first page (absent when there is one page)',
    ),
]


def _page_link(request: Request, query: str, limit: int, offset: int, rel: str) -> str:
    params = {"q": query} if query else {}
    params |= {"limit": str(limit), "offset": str(offset)}
    url = request.build_absolute_uri(request.path) + "?" + urlencode(params)
    return f'<{url}>; rel="{rel}"'


def paginate(
    request: Request, patients: QuerySet[Patient], *, query: str, limit: int, offset: int
) -> tuple[list[Patient], dict[str, str]]:
    """One page of ``patients`` and its headers (``X-Total-Count``, ``Link``): two queries
    whatever the page's size."""
    total = patients.count()
    page = list(patients[offset : offset + limit])
    links = []
    if offset + limit < total:
        links.append(_page_link(request, query, limit, offset + limit, "next"))
    if offset > 0:
        links.append(_page_link(request, query, limit, max(offset - limit, 0), "prev"))
    headers = {"X-Total-Count": str(total)}
    if links:
        headers["Link"] = ", ".join(links)
    return page, headers


class PatientListCreateView(_PatientDetailMixin, APIView):
    @extend_schema(parameters=LIST_PARAMETERS, responses={200: PatientSerializer(many=True)})
    def get(self, request: Request) -> Response:
        params = PatientListQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        query, limit, offset = (params.validated_data[k] for k in ("q", "limit", "offset"))
        patients = selectors.patient_list(user=request.user, query=query)
        page, headers = paginate(request, patients, query=query, limit=limit, offset=offset)
        return Response(PatientSerializer(page, many=True).data, headers=headers)

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
