"""Due reminders in bulk for the fan-out fault tests, and the count of what was e-mailed."""

from __future__ import annotations

import collections
import datetime
from pathlib import Path

from django.utils import timezone

from checkins.models import Invitation
from patients.models import Patient
from schedules.models import TaperPlan
from tests.factories import ClinicFactory, PatientFactory, PrescriberFactory

#: What beat sends every TAPER_REMINDER_PASS_SECONDS: create due invitations, queue their sends.
DUE_PASS = "checkins.tasks.enqueue_due_reminders"


def due_invitations(count: int) -> list[int]:
    """``count`` patients with an e-mail address, each with one queued invitation due now.

    Bulk inserts, as ``bench/fanout.py`` does: the invitations hang on one plan row (the due pass
    decides from the invitations, not the plans, once they exist)."""
    clinic = ClinicFactory(name="Riverside")
    prescriber = PrescriberFactory(clinic=clinic)
    plan = TaperPlan.objects.create(patient=PatientFactory(clinic=clinic), created_by=prescriber)
    patients = Patient.objects.bulk_create(
        Patient(
            clinic=clinic,
            mrn=f"F-{n}",
            first_name="P",
            last_name=str(n),
            date_of_birth=datetime.date(1970, 1, 1),
            email=f"patient{n}@example.org",
        )
        for n in range(count)
    )
    now = timezone.now()
    week = timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday())
    invitations = Invitation.objects.bulk_create(
        Invitation(
            patient=patient,
            plan=plan,
            week_start=week,
            due_at=now - datetime.timedelta(minutes=1),
            expires_at=now + datetime.timedelta(days=7),
        )
        for patient in patients
    )
    return [invitation.pk for invitation in invitations]


def emails_by_recipient(mail_dir: Path) -> collections.Counter[str]:
    """How many reminder e-mails each address got (the file e-mail backend's output)."""
    counts: collections.Counter[str] = collections.Counter()
    for path in mail_dir.iterdir():
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("To: "):
                counts[line.removeprefix("To: ").strip()] += 1
    return counts


def sent() -> int:
    return Invitation.objects.filter(status=Invitation.Status.SENT).count()
