"""Two-factor pages: enrolment (QR code, the secret as text, confirm with a code; then the
recovery codes, shown once), verification after the password, and the Security page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts import reauth, two_factor
from accounts.forms import CodeForm, ReauthForm
from accounts.http import staff_user

WRONG_CODE = _lazy("That code is not right, or it was used already. Try again in a few seconds.")


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("dashboard")


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the QR code (or type the secret), confirm a code."""
    if not two_factor.may_enrol(request):
        if two_factor.must_verify(request):
            return redirect("accounts:two-factor-verify")
        return redirect("accounts:security")
    user = staff_user(request)
    enrolment = two_factor.pending_enrolment(user)
    form = CodeForm(request.POST) if request.method == "POST" else CodeForm()
    if form.is_valid():
        codes = two_factor.confirm_enrolment(request, enrolment.device, form.cleaned_data["code"])
        if codes is not None:
            reauth.mark_authenticated(request)
            context = {"codes": codes, "next": _next_url(request), "first_time": True}
            return render(request, "accounts/recovery_codes.html", context)
        form.add_error(
            "code", _("That code is not right. Check the time on your phone and try again.")
        )
    context = {
        "form": form,
        "qr_svg": enrolment.qr_svg,
        "secret": _grouped(enrolment.secret),
        "next": request.POST.get("next") or request.GET.get("next", ""),
        "required": user.needs_two_factor,
    }
    return render(
        request, "accounts/two_factor_enrol.html", context, status=400 if form.errors else 200
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The second step of logging in: a code from the app, or a recovery code."""
    if not two_factor.must_verify(request):
        return redirect(_next_url(request))
    user = staff_user(request)
    if not two_factor.is_enrolled(user):
        return redirect(reverse("accounts:two-factor-enrol") + "?" + request.GET.urlencode())
    form = CodeForm(request.POST) if request.method == "POST" else CodeForm()
    if form.is_valid():
        if two_factor.verify(request, form.cleaned_data["code"]):
            reauth.mark_authenticated(request)
            return redirect(_next_url(request))
        form.add_error("code", WRONG_CODE)
    context = {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")}
    return render(
        request, "accounts/two_factor_verify.html", context, status=400 if form.errors else 200
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def security(request: HttpRequest) -> HttpResponse:
    """Your two-factor status. Set it up; make new recovery codes; or remove the authenticator
    (a lost phone: log in with a recovery code, remove it, enrol the new one; for a nurse
    without the clinic's policy this turns two-factor off). Both changes ask for the password or
    a code when the last authentication is older than the re-authentication window."""
    user = staff_user(request)
    enrolled = two_factor.is_enrolled(user)
    form = None
    if reauth.needs_reauth(request):
        form = ReauthForm(request.POST) if request.method == "POST" else ReauthForm()
    action = request.POST.get("action")
    if request.method == "POST" and enrolled and action in ("codes", "remove"):
        confirmed = form is None or (
            form.is_valid() and reauth.confirm(request, user, form.cleaned_data["reauth"])
        )
        if not confirmed and form is not None and form.is_valid():
            form.add_error("reauth", reauth.WRONG)
        elif confirmed and action == "codes":
            codes = two_factor.new_recovery_codes(user)
            context = {"codes": codes, "next": reverse("accounts:security"), "first_time": False}
            return render(request, "accounts/recovery_codes.html", context)
        elif confirmed:
            two_factor.remove_devices(user)
            if user.needs_two_factor:
                messages.info(request, _("Authenticator removed. Set up the new one now."))
                return redirect("accounts:two-factor-enrol")
            messages.success(request, _("Two-factor authentication is off."))
            return redirect("accounts:security")
    context = {
        "enrolled": enrolled,
        "required": user.needs_two_factor,
        "codes_left": two_factor.recovery_codes_left(user) if enrolled else 0,
        "form": form,
    }
    status = 400 if form is not None and form.errors else 200
    return render(request, "accounts/security.html", context, status=status)
