"""``manage.py demo_code prescriber``: the current two-factor code of a demo user (DEBUG only).

The demo prescribers and the demo clinic admin have an authenticator device with a published
key (``clinic.demo.DEMO_TOTP_KEY``); this prints what an app with that key shows now. It never
prints a code for a device that is not the demo one.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from clinic.demo import demo_code


class Command(BaseCommand):
    help = "Print the current two-factor code of a demo user (DEBUG only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", nargs="?", default="prescriber")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo_code refuses to run with DEBUG off.")
        user = User.objects.filter(username=options["username"]).first()
        code = demo_code(user) if user is not None else None
        if code is None:
            raise CommandError(
                f"{options['username']} has no demo authenticator: run `manage.py seed_demo`."
            )
        self.stdout.write(code)
