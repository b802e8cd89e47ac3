"""``python manage.py create_api_token <username> [--days 30]``: an API token for a user.

Tokens are django-rest-knox tokens: only a hash is stored, each expires (30 days by default,
at most 365), and the token is printed once. Use it as ``Authorization: Token <token>``.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from knox.models import AuthToken

from accounts.models import User

MAX_DAYS = 365


class Command(BaseCommand):
    help = "Create an expiring API token for a clinic staff member; prints it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--days", type=int, default=30)

    def handle(self, *args: Any, username: str, days: int, **options: Any) -> None:
        if not 1 <= days <= MAX_DAYS:
            raise CommandError(f"--days must be between 1 and {MAX_DAYS}.")
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None or not user.is_clinic_staff:
            raise CommandError("No active clinic staff member with that username.")
        instance, token = AuthToken.objects.create(user, expiry=datetime.timedelta(days=days))
        self.stdout.write(token)
        self.stderr.write(f"Expires {instance.expiry:%Y-%m-%d %H:%M} UTC. It is not shown again.")
