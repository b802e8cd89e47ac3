"""The clinic admin's page to reset a staff member's authenticator (a lost phone), linked from
the member's page in the admin site. Rules and recording: :mod:`accounts.two_factor_reset`."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts import reauth, two_factor, two_factor_reset
from accounts.access import Action, action_required
from accounts.forms import ReauthForm
from accounts.http import staff_user
from accounts.models import User
from accounts.permissions import may_manage_staff
from accounts.scoping import get_for_clinic_or_404


@never_cache
@action_required(Action.RESET_TWO_FACTOR)
@require_http_methods(["GET", "POST"])
def reset_two_factor(request: HttpRequest, staff_id: int) -> HttpResponse:
    """GET: what a reset does, for whom; POST: reset (with the admin's password or code when
    their last authentication is older than the window). Another clinic's member is a 404; the
    admin's own account or a superuser's a 403."""
    admin = staff_user(request)
    member = get_for_clinic_or_404(User.objects.all(), admin, pk=staff_id)
    if not two_factor_reset.may_reset(admin, member):
        raise PermissionDenied(_("You may not reset this account's authenticator."))
    form = None
    if reauth.needs_reauth(request):
        form = ReauthForm(request.POST) if request.method == "POST" else ReauthForm()
    if request.method == "POST":
        confirmed = form is None or (
            form.is_valid() and reauth.confirm(request, admin, form.cleaned_data["reauth"])
        )
        if confirmed:
            two_factor_reset.reset(actor=admin, target=member)
            messages.success(
                request,
                _("%(name)s's authenticator was reset: they set up a new one at the next login.")
                % {"name": member.display_name()},
            )
            return redirect(_back(admin, member))
        if form is not None and form.is_valid():
            form.add_error("reauth", reauth.WRONG)
    context = {
        "member": member,
        "enrolled": two_factor.is_enrolled(member),
        "codes_left": two_factor.recovery_codes_left(member),
        "last_reset": two_factor_reset.last_reset(member),
        "form": form,
        "back": _back(admin, member),
    }
    status = 400 if form is not None and form.errors else 200
    return render(request, "accounts/reset_two_factor.html", context, status=status)


def _back(admin: User, member: User) -> str:
    """The member's page in the admin site, for an admin who has it; else the dashboard."""
    if may_manage_staff(admin):
        return reverse("admin:accounts_user_change", args=[member.pk])
    return reverse("dashboard")
