"""A clinic admin resets a staff member's authenticator (a lost phone).

The rule (:func:`may_reset`): the permission table's ``RESET_TWO_FACTOR`` action (clinic admins),
for a member of the admin's own clinic, never the admin's own account (their own lost phone is a
recovery code and the Security page) and never a superuser's. The reset (:func:`reset`) removes
the member's authenticator and recovery codes and ends their open sessions, so that at the next
login they enrol a new authenticator before anything else. It is written in the member's history
(who, whom and when) and logged with ids only. The page asks for the admin's password or code
when their last authentication is older than the re-authentication window (``accounts.views``).
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts import two_factor
from accounts.access import Action, can
from accounts.models import User
from accounts.sessions import end_sessions_of

logger = logging.getLogger(__name__)

#: The history reason written on the member's account.
TWO_FACTOR_RESET = "Two-factor reset by user #{actor}"
RESET_PREFIX = TWO_FACTOR_RESET.split(" by ", 1)[0]


def may_reset(actor: Any, target: User) -> bool:
    """Whether ``actor`` may reset ``target``'s authenticator (module docstring)."""
    return (
        can(actor, Action.RESET_TWO_FACTOR)
        and target.pk != actor.pk
        and not target.is_superuser
        and target.clinic_id is not None
        and target.clinic_id == actor.clinic_id
    )


def reset(*, actor: User, target: User) -> None:
    """Remove ``target``'s two-factor devices and end their sessions, recorded in their history.
    Raises :class:`PermissionDenied` unless :func:`may_reset`."""
    if not may_reset(actor, target):
        raise PermissionDenied("You may not reset this account's authenticator.")
    with transaction.atomic():
        target = User.objects.select_for_update().get(pk=target.pk)
        two_factor.remove_devices(target)
        target._change_reason = TWO_FACTOR_RESET.format(actor=actor.pk)  # type: ignore[attr-defined]
        target._history_user = actor  # type: ignore[attr-defined]
        target.save()  # the history row: who (history_user), whom, when
        ended = end_sessions_of(target.pk)
    logger.warning(
        "User #%s reset the two-factor devices of user #%s (%s sessions ended)",
        actor.pk,
        target.pk,
        ended,
    )


@dataclass(frozen=True)
class Reset:
    by: str
    at: datetime.datetime


def last_reset(target: User) -> Reset | None:
    """The latest reset of ``target``'s authenticator, if any."""
    row = (
        User.history.filter(id=target.pk, history_change_reason__startswith=RESET_PREFIX)
        .select_related("history_user")
        .order_by("-history_date")
        .first()
    )
    if row is None:
        return None
    by = row.history_user.display_name() if row.history_user else "—"
    return Reset(by=by, at=row.history_date or timezone.now())
