"""Shared bodies for check-in tests."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.core import mail

from checkins.models import Invitation

#: Wednesday of step 2 of the default plan (diazepam 10 mg twice daily from 4 Jan 2027).
IN_STEP_2 = datetime.datetime(2027, 1, 20, 10, tzinfo=datetime.UTC)
NO_FLAGS = {
    "seizure": False,
    "confusion": False,
    "hallucinations": False,
    "suicidal_thoughts": False,
}


def answers(value: int = 2, count: int = 17) -> dict[str, int]:
    return {str(n): value for n in range(1, count + 1)}


def form_data(
    value: int = 1, *, flags: dict[str, bool] | None = None, count: int = 17, **extra: Any
) -> dict[str, str]:
    """What the patient's browser posts."""
    data = {f"item_{n}": str(value) for n in range(1, count + 1)}
    for key, yes in {**NO_FLAGS, **(flags or {})}.items():
        data[f"flag_{key}"] = "yes" if yes else "no"
    data.update({"took_as_scheduled": "yes", "extra_doses": "no", "hours_slept": "6.5"})
    data.update({k: str(v) for k, v in extra.items()})
    return data


def sent_invitation(patient: Any, plan: Any, token: str, **fields: Any) -> Invitation:
    from tests.factories import InvitationFactory

    return InvitationFactory(patient=patient, plan=plan, token=token, **fields)


def link_token(message: mail.EmailMessage) -> str:
    """The token in a reminder's link."""
    found = re.search(r"/c/([A-Za-z0-9_\-]+)/", message.body)
    assert found, message.body
    return found.group(1)
