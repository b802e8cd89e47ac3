"""``manage.py serve_demo``: ``runserver`` for ``make run``, ending with the URL and the logins.

The same development server (it serves static files too); the only difference is what it prints
once the socket is bound: where to go and who to log in as, as the last lines before serving.
"""

from __future__ import annotations

import sys

from django.contrib.staticfiles.management.commands.runserver import (
    Command as RunserverCommand,
)
from django.db import connection

from accounts.models import User
from clinic.demo import DEMO_CLINICS, DEMO_PASSWORD, DEMO_TOTP_KEY


def demo_banner(url: str) -> str:
    """The lines ``make run`` ends with. Logins are listed only if the demo users exist."""
    lines = [f"Taper Clinic is running at {url}"]
    usernames = {username for demo in DEMO_CLINICS for username, *_ in demo.staff}
    existing = set(User.objects.filter(username__in=usernames).values_list("username", flat=True))
    for demo in DEMO_CLINICS:
        names = [username for username, *_ in demo.staff if username in existing]
        if names:
            lines.append(f"  {demo.name}: log in as {', '.join(names)}")
    if existing:
        lines.append(f"  Password for every demo user: {DEMO_PASSWORD}")
        lines.append(
            "  Prescribers and admin then type a two-factor code: `make demo-code` prints "
            "prescriber's (`make demo-code WHO=admin`),"
        )
        lines.append(f"  or add the demo key {DEMO_TOTP_KEY} to an authenticator app")
    quit_command = "CTRL-BREAK" if sys.platform == "win32" else "CONTROL-C"
    lines.append(f"Development server only, never for production. Quit with {quit_command}.")
    return "\n".join(lines)


class Command(RunserverCommand):
    help = "runserver for `make run`: prints the URL and the demo logins last, once it listens."

    def on_bind(self, server_port: int) -> None:
        addr: str = getattr(self, "addr", "127.0.0.1")  # set by runserver's handle()
        if getattr(self, "_raw_ipv6", False):
            addr = f"[{addr}]"
        elif addr == "0":
            addr = "0.0.0.0"  # noqa: S104  # nosec B104 (only what the user asked for)
        try:
            banner = demo_banner(f"{self.protocol}://{addr}:{server_port}/")
        finally:
            connection.close()  # the server threads open their own
        self.stdout.write(self.style.SUCCESS(banner))
