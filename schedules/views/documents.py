"""Staff views for the printable schedule: status partial (htmx), download, retry, and the API.

A nurse or a prescriber only, as the plan page. Every lookup is scoped to the user's clinic
(another clinic's plan or document is a 404). The PDF is streamed from private storage with
``FileResponse``; it never has a public URL.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import Action, action_required, allows
from accounts.http import AuthenticatedHttpRequest
from accounts.scoping import get_for_clinic_or_404
from schedules import selectors
from schedules.models import PlanDocument, TaperPlan
from schedules.services import documents as document_services

STATUS_TEMPLATE = "schedules/_document_status.html"
PENDING = (PlanDocument.Status.QUEUED, PlanDocument.Status.RENDERING)

clinical_view_required = action_required(Action.VIEW_CLINICAL)


def _plan(user: Any, plan_id: int) -> TaperPlan:
    return get_for_clinic_or_404(selectors.plan_queryset(), user, pk=plan_id)


def _document(user: Any, document_id: int) -> PlanDocument:
    return get_for_clinic_or_404(
        PlanDocument.objects.select_related("revision__plan"), user, pk=document_id
    )


def _filename(document: PlanDocument) -> str:
    # Ids only: a file name ends up in download folders and browser history.
    return f"taper-schedule-plan-{document.revision.plan_id}-v{document.revision.number}.pdf"


def pdf_response(document: PlanDocument) -> FileResponse:
    """Stream a ready document from private storage."""
    try:
        handle = document.file.open("rb")
    except (OSError, ValueError) as exc:
        raise Http404("The document file is missing.") from exc
    response = FileResponse(
        handle, content_type="application/pdf", as_attachment=True, filename=_filename(document)
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _status(request: AuthenticatedHttpRequest, plan: TaperPlan) -> HttpResponse:
    revision, document = document_services.document_for_plan(plan)
    return render(
        request,
        STATUS_TEMPLATE,
        {
            "plan": plan,
            "document": document,
            "no_signed_revision": revision is None,
            "stuck": document_services.document_is_stuck(document),
        },
    )


@require_GET
@never_cache
@clinical_view_required
def document_status(request: AuthenticatedHttpRequest, plan_id: int) -> HttpResponse:
    """The status partial for the plan page; it polls itself while queued or rendering."""
    return _status(request, _plan(request.user, plan_id))


@require_GET
@clinical_view_required
def document_download(request: AuthenticatedHttpRequest, document_id: int) -> HttpResponse:
    document = _document(request.user, document_id)
    if document.status != PlanDocument.Status.READY or not document.file:
        raise Http404("The document is not ready.")
    return pdf_response(document)  # type: ignore[return-value]  # a streaming response


@require_POST
@clinical_view_required
def document_retry(request: AuthenticatedHttpRequest, document_id: int) -> HttpResponse:
    """Queue a failed render again (CSRF-protected POST from the Retry button)."""
    document = document_services.document_retry(document=_document(request.user, document_id))
    plan = document.revision.plan
    if getattr(request, "htmx", False):
        return _status(request, plan)
    return redirect("schedules:plan", plan_id=plan.pk)


class PlanDocumentView(APIView):
    """The PDF of the plan's revision in force, or 202 ``{status}`` while it is being made."""

    permission_classes = [allows(Action.VIEW_CLINICAL)]  # as the plan page

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, "The schedule PDF."),
            202: OpenApiResponse(OpenApiTypes.OBJECT, '{"status": "queued" | "rendering"}'),
            404: OpenApiResponse(description="No such plan, or no signed revision yet."),
            409: OpenApiResponse(OpenApiTypes.OBJECT, '{"status": "failed", "error": code}'),
        }
    )
    def get(self, request: Request, plan_id: int) -> HttpResponseBase:
        plan = _plan(request.user, plan_id)
        revision, document = document_services.document_for_plan(plan)
        if revision is None:
            raise Http404("This plan has no signed revision yet.")
        if document is None:
            return Response({"status": PlanDocument.Status.QUEUED}, status=202)
        if document.status == PlanDocument.Status.READY and document.file:
            return pdf_response(document)
        if document.status == PlanDocument.Status.FAILED:
            return Response({"status": document.status, "error": document.error}, status=409)
        return Response({"status": document.status}, status=202)
