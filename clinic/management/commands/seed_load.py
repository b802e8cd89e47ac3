"""``manage.py seed_load --patients 5000 --weeks 52``: a clinic network at scale, for benchmarks.

DEBUG only unless ``--force`` (the staff it creates share a known password). Refuses to run twice
on the same database. See :mod:`clinic.load_data` for what it writes.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from clinic.load_data import LOAD_PASSWORD, already_loaded, seed_load


class Command(BaseCommand):
    help = "Write a large synthetic dataset (clinics, patients, plans, check-ins). DEBUG only."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--patients", type=int, default=5000)
        parser.add_argument("--weeks", type=int, default=52, help="Weeks of check-in history.")
        parser.add_argument("--clinics", type=int, default=5)
        parser.add_argument("--seed", type=int, default=12)
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (never in production)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_load refuses to run with DEBUG off: its staff share a known password. "
                "Use --force on a database of your own."
            )
        if options["patients"] < options["clinics"] * 6 or options["weeks"] < 1:
            raise CommandError("Give at least 6 patients per clinic and one week.")
        if already_loaded():
            raise CommandError("This database already holds seed_load's data; use a fresh one.")
        verbose = options["verbosity"] >= 1
        started = time.perf_counter()
        counts = seed_load(
            patients=options["patients"],
            weeks=options["weeks"],
            clinics=options["clinics"],
            seed=options["seed"],
            progress=(lambda m: self.stdout.write(f"  {m}")) if verbose else None,
        )
        elapsed = time.perf_counter() - started
        if verbose:
            for name, n in counts.items():
                self.stdout.write(f"  {name:<34} {n:>9,}")
        self.stdout.write(
            self.style.SUCCESS(
                f"seed_load wrote {sum(counts.values()):,} rows in {elapsed:.1f} s "
                f"(staff usernames load<N>-prescriber1, load<N>-nurse1...; "
                f"password '{LOAD_PASSWORD}')."
            )
        )
