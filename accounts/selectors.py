"""Reading accounts: who was made a prescriber recently (shown to the clinic's prescribers)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from accounts.models import User

#: The history reason the admin site writes when it grants the prescriber role.
PRESCRIBER_GRANTED = "Prescriber role granted by user #{actor}"
GRANT_PREFIX = PRESCRIBER_GRANTED.split(" by ", 1)[0]


@dataclass(frozen=True)
class RoleGrant:
    who: str
    by: str
    at: datetime.datetime


def prescriber_grants(*, clinic_id: Any, days: int = 30) -> list[RoleGrant]:
    """Prescriber roles granted in ``clinic_id`` in the last ``days`` days, newest first."""
    since = timezone.now() - datetime.timedelta(days=days)
    rows = (
        User.history.filter(
            clinic_id=clinic_id,
            history_change_reason__startswith=GRANT_PREFIX,
            history_date__gte=since,
        )
        .select_related("history_user")
        .order_by("-history_date")[:20]
    )
    return [
        RoleGrant(
            who=f"{row.first_name} {row.last_name}".strip() or row.username,
            by=row.history_user.display_name() if row.history_user else "—",
            at=row.history_date,
        )
        for row in rows
    ]
