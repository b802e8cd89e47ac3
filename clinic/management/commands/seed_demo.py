"""``manage.py seed_demo``: demo clinics, staff and patients. Idempotent; DEBUG only."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from clinic.demo import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Create demo clinics, staff (password 'demo-password') and patients. DEBUG only."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo refuses to run with DEBUG off: demo accounts have a known password."
            )
        created = seed_demo()
        self.stdout.write(
            self.style.SUCCESS(
                "Demo data ready ({clinics} clinics, {users} users, {patients} patients, "
                "{plans} plans created). "
                "Log in as 'prescriber', 'nurse' or 'admin' with password '{password}'.".format(
                    **created, password=DEMO_PASSWORD
                )
            )
        )
