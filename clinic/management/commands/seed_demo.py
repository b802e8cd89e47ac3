"""``manage.py seed_demo``: demo clinics, staff, patients and plans. Idempotent; DEBUG only.

Seeding never waits for a PDF. The signed demo plans' documents are created queued; then:

- in background mode (``make run``), the server renders them on its background thread once it
  serves its first request, so the first page is up in seconds and the PDFs follow;
- otherwise (a broker, or the tests' eager mode) they are queued after the summary is printed.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from clinic.demo import DEMO_PASSWORD, seed_demo
from schedules.services import documents as document_services


class Command(BaseCommand):
    help = "Create demo clinics, staff (password 'demo-password') and patients. DEBUG only."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo refuses to run with DEBUG off: demo accounts have a known password."
            )
        with document_services.renders_deferred():
            created = seed_demo()
        self.stdout.write(
            self.style.SUCCESS(
                "Demo data ready ({clinics} clinics, {users} users, {patients} patients, "
                "{plans} plans created; password '{password}').".format(
                    **created, password=DEMO_PASSWORD
                )
            )
        )
        if settings.TAPER_RENDER_IN_BACKGROUND:
            if options["verbosity"] >= 1:
                self.stdout.write(
                    "Printable schedules waiting to be made are rendered in the background "
                    "once the server is up."
                )
        else:
            document_services.enqueue_pending()
