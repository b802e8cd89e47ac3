"""Navigation entries by role, so the nav shows only what the user may do."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts import two_factor


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_clinic_staff", False):
        return {"nav_items": []}
    if two_factor.must_verify(request):  # nothing to navigate to before the code
        return {"nav_items": [], "two_factor_pending": True}
    items = [
        {"label": _("Dashboard"), "url": reverse("dashboard"), "name": "dashboard"},
        {"label": _("Patients"), "url": reverse("patients:list"), "name": "patients"},
    ]
    if user.is_nurse or user.is_prescriber:
        items.append(
            {"label": _("Check-ins"), "url": reverse("checkins:queue"), "name": "checkins"}
        )
    if user.is_clinic_admin or user.is_superuser:
        items.append(
            {
                "label": _("Manage staff"),
                "url": reverse("admin:accounts_user_changelist"),
                "name": "admin",
            }
        )
    return {"nav_items": items}
