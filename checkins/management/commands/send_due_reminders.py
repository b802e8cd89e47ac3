"""One pass of the reminder work without a broker: create due invitations, send them, mark
missed check-ins and e-mail each nurse's daily digest of them. ``--loop`` repeats every
60 seconds."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from checkins import services


class Command(BaseCommand):
    help = "Send due check-in reminders and mark missed check-ins (one pass, or --loop)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="Repeat every 60 seconds.")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            sent = failed = 0
            for invitation_id in services.create_due_invitations():
                try:
                    sent += int(services.claim_and_send(invitation_id))
                except Exception:  # a failed send is retried on the next pass
                    failed += 1
            missed = services.mark_missed()
            digests = services.send_missed_digests()
            self.stdout.write(
                f"sent {sent}, failed {failed}, marked missed {missed}, digests {digests}"
            )
            if not options["loop"]:
                return
            time.sleep(60)
