"""Check-in pages: the patient's link (no login) and the nurse's queue and detail pages."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from accounts.access import Action, action_required
from accounts.clinic_time import clinic_today
from accounts.http import AuthenticatedHttpRequest
from accounts.scoping import get_for_clinic_or_404
from checkins import charts, presenters, selectors, services
from checkins.forms import PatientCheckinForm, ResolveForm, ReviewForm
from checkins.models import CheckIn, Invitation, Review
from patients.links import id_url


def _too_many_posts(request: HttpRequest) -> bool:
    """At most ``TAPER_CHECKIN_POSTS_PER_HOUR`` answers per IP address per hour."""
    key = f"checkin-posts:{request.META.get('REMOTE_ADDR', '')}"
    cache.add(key, 0, 3600)
    return cache.incr(key) > settings.TAPER_CHECKIN_POSTS_PER_HOUR


def _private(response: HttpResponse) -> HttpResponse:
    """No caching, no referrer off-site, and no request log line: Django logs 4xx responses
    with their path, and the path holds the patient's token."""
    response._has_been_logged = True  # type: ignore[attr-defined]
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"  # no-referrer would make the POST Origin null
    return response


def _link_problem(request: HttpRequest, exc: services.TokenError) -> HttpResponse:
    patient = exc.invitation.patient if exc.invitation else None
    with translation.override(patient.language if patient else None):
        context = {"kind": exc.kind, "clinic": patient.clinic if patient else None}
        status = 404 if exc.kind == "unknown" else 410
        return _private(render(request, "checkins/link_problem.html", context, status=status))


def patient_checkin(request: HttpRequest, token: str) -> HttpResponse:
    """``GET, POST /c/<token>/``: the weekly check-in; after it, the doses and what to do."""
    if request.method == "POST" and _too_many_posts(request):
        return _private(render(request, "checkins/too_many.html", status=429))
    try:
        invitation = services.invitation_for_token(token)
    except services.TokenError as exc:
        return _link_problem(request, exc)
    patient = invitation.patient
    with translation.override(patient.language):
        form = PatientCheckinForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            try:
                checkin = services.submit_checkin(token, form.to_data())
            except services.TokenError as exc:
                return _link_problem(request, exc)
            except services.CheckInError as exc:
                form.add_error(None, "; ".join(m for ms in exc.errors.values() for m in ms))
            else:
                context = presenters.after_checkin(checkin, invitation)
                return _private(render(request, "checkins/patient_done.html", context))
        context = {"form": form, "clinic": patient.clinic, "language": patient.language}
        return _private(render(request, "checkins/patient_form.html", context))


def _review_form() -> dict[str, str]:
    """What every review form on a page shares (``checkins/_review_form.html``): its action and
    its words, resolved and translated once per page rather than once per row."""
    return {
        "url": reverse("checkins:review"),
        "note": gettext("Note"),
        "hold_days": gettext("Hold days"),
        "continue": gettext("Continue"),
        "hold": gettext("Hold step"),
        "slow": gettext("Ask to slow"),
        "escalate": gettext("Escalate"),
    }


@dataclass(frozen=True)
class QueueLine:
    """A queue row with its links."""

    row: selectors.QueueRow
    patient_url: str
    checkin_url: str


@action_required(Action.REVIEW_CHECKINS)
def queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    """``/checkins/``: unreviewed check-ins and missed ones, most urgent first."""
    rows = selectors.review_queue(request.user)
    page = Paginator(rows, 25).get_page(request.GET.get("page"))
    today = clinic_today(request.user.clinic)
    patient_url = id_url("patients:detail")
    checkin_url = id_url("checkins:detail")
    lines = [
        QueueLine(row, patient_url(row.patient.pk), checkin_url(row.id) if row.checkin else "")
        for row in page.object_list
    ]
    context = {
        "page": page,
        "lines": lines,
        "today": today,
        "hold_days": services.DEFAULT_HOLD_DAYS,
        "review_form": _review_form(),
    }
    return render(request, "checkins/queue.html", context)


@action_required(Action.VIEW_CLINICAL)
def detail(request: AuthenticatedHttpRequest, checkin_id: int) -> HttpResponse:
    """``/checkins/<id>/``: the answers, and the trend with the dose steps."""
    checkin = selectors.checkin_get(request.user, checkin_id)
    history = selectors.patient_checkins(checkin.patient)
    steps = list(checkin.revision.steps.order_by("index")) if checkin.revision else []
    context = {
        "checkin": checkin,
        "answers": presenters.answer_rows(checkin),
        "flags": presenters.red_flag_rows(checkin),
        "trend": charts.trend_svg(history, steps, zone=checkin.patient.clinic.time_zone),
        "reviews": checkin.reviews.select_related("nurse", "resulting_revision"),
        "hold_days": services.DEFAULT_HOLD_DAYS,
        "review_form": _review_form(),
    }
    return render(request, "checkins/detail.html", context)


@require_POST
@action_required(Action.REVIEW_CHECKINS)
def review(request: AuthenticatedHttpRequest) -> HttpResponse:
    """One-click review from the queue or the detail page."""
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose an action and write a note.")
        return redirect("checkins:queue")
    data = form.cleaned_data
    subject: CheckIn | Invitation
    if data["kind"] == "checkin":
        subject = get_for_clinic_or_404(CheckIn.objects.all(), request.user, pk=data["target"])
    else:
        subject = get_for_clinic_or_404(Invitation.objects.all(), request.user, pk=data["target"])
    entry = services.ReviewInput(data["action"], data["note"], data["days"] or 7)
    try:
        record = services.review(user=request.user, subject=subject, data=entry)
    except services.CheckInError as exc:
        messages.error(request, " ".join(m for ms in exc.errors.values() for m in ms))
    else:
        held = record.resulting_revision
        if held is not None and not held.is_signed:
            messages.success(request, "Hold saved as a draft for a prescriber to sign.")
        else:
            messages.success(request, f"Reviewed: {entry.action}.")
    return redirect("checkins:queue")


@require_POST
@action_required(Action.RESOLVE_REQUESTS)
def resolve(request: AuthenticatedHttpRequest, review_id: int) -> HttpResponse:
    """``POST /checkins/requests/<id>/done/``: the prescriber closes a worklist request."""
    get_for_clinic_or_404(Review.objects.all(), request.user, pk=review_id)  # 404 before the form
    form = ResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write a short note: what you did about the request.")
        return redirect("dashboard")
    try:
        services.resolve_request(
            user=request.user, review_id=review_id, note=form.cleaned_data["note"]
        )
    except Review.DoesNotExist as exc:
        raise Http404 from exc
    except services.CheckInError as exc:
        messages.error(request, " ".join(m for ms in exc.errors.values() for m in ms))
    else:
        messages.success(request, "Request closed.")
    return redirect("dashboard")
