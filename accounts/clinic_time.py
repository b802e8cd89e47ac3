""" "Today" for a clinic: the one definition every page, selector, service and export uses.

A taper step changes at the clinic's midnight, not the server's, so nothing else in the code calls
``timezone.localdate()`` for clinical dates.
"""

from __future__ import annotations

import datetime
import zoneinfo

from django.utils import timezone

from accounts.models import Clinic


def clinic_today(clinic: Clinic | None) -> datetime.date:
    """Today's date where ``clinic`` is (the server's zone for a user with no clinic)."""
    if clinic is None:
        return timezone.localdate()
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(clinic.time_zone))
