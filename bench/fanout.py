"""Benchmark the weekly reminder fan-out: N due reminders, 2 real Celery worker processes, real
Redis, real PostgreSQL, e-mail written to files. Reports the wall time and checks exactly once.

    .venv/bin/python bench/fanout.py [--reminders 10000] [--workers 2]

Creates (or empties) the database ``taper_bench_fanout`` on 127.0.0.1:5432 and uses Redis
database 7. Seeds one clinic, N patients with an e-mail address and one queued, due invitation
each (bulk inserts), queues one ``send_checkin_reminder`` task per invitation, then starts the
workers and times until every invitation is sent. Exactly once: the number of e-mails written
equals N and every invitation is ``sent`` exactly once (its claim counter says how many workers
tried). Figures only; never asserts times.
"""

from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_NAME = "taper_bench_fanout"
REDIS_URL = "redis://127.0.0.1:6379/7"


def configure(mail_dir: Path) -> dict[str, str]:
    env = {
        "DJANGO_SETTINGS_MODULE": "taper_clinic.settings",
        "DJANGO_READ_DOT_ENV_FILE": "False",
        "DJANGO_DEBUG": "False",  # as production: the cached template loader, no query log
        "DJANGO_SECRET_KEY": "bench-only-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "clinic.example.org",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
        "REDIS_URL": REDIS_URL,
        "EMAIL_URL": f"filemail:///{mail_dir}",  # django-environ drops one leading slash
        "DJANGO_LOG_LEVEL": "WARNING",
        "TAPER_SITE_URL": "https://clinic.example.org",
    }
    os.environ.update(env)
    return env


def recreate_database() -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        db.execute(f"CREATE DATABASE {DB_NAME}")


def seed(count: int) -> list[int]:
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import Clinic, User
    from checkins.models import Invitation
    from patients.models import Patient
    from schedules.engine import default_request
    from schedules.services import plans as plan_services

    call_command("migrate", verbosity=0)
    clinic = Clinic.objects.create(name="Fan-out clinic", phone="020 7946 0000")
    prescriber = User.objects.create_user(
        "fanout-prescriber", clinic=clinic, role=User.Role.PRESCRIBER
    )
    born = datetime.date(1970, 1, 1)
    first = Patient.objects.create(
        clinic=clinic,
        mrn="F-0",
        first_name="A",
        last_name="B",
        date_of_birth=born,
        email="f0@example.org",
    )
    today = timezone.localdate()
    draft = plan_services.plan_create(
        patient=first, user=prescriber, data=default_request(start_date=today.isoformat())
    )
    overrides = [
        plan_services.OverrideInput(v["rule"], v.get("step"), "Benchmark") for v in draft.violations
    ]
    plan_services.revision_sign(revision=draft, user=prescriber, confirm=True, overrides=overrides)
    plan = draft.plan
    patients = Patient.objects.bulk_create(
        [
            Patient(
                clinic=clinic,
                mrn=f"F-{i}",
                first_name="P",
                last_name=f"{i}",
                date_of_birth=born,
                email=f"p{i}@example.org",
            )
            for i in range(1, count + 1)
        ],
        batch_size=2000,
    )
    now = timezone.now()
    week = today - datetime.timedelta(days=today.weekday())
    invitations = Invitation.objects.bulk_create(
        [
            Invitation(
                patient=p,
                plan=plan,
                week_start=week,
                due_at=now,
                expires_at=now + datetime.timedelta(days=7),
            )
            for p in patients
        ],
        batch_size=2000,
    )
    return [i.pk for i in invitations]


def count_mail(mail_dir: Path) -> int:
    return sum(path.read_text().count("\nSubject: ") for path in mail_dir.glob("*.log"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        mail_dir = Path(folder) / "mail"
        mail_dir.mkdir()
        env = configure(mail_dir)
        recreate_database()
        import django

        django.setup()
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
        from checkins.models import Invitation
        from checkins.tasks import send_checkin_reminder

        started = time.perf_counter()
        ids = seed(args.reminders)
        seeded = time.perf_counter() - started
        started = time.perf_counter()
        for invitation_id in ids:
            send_checkin_reminder.delay(invitation_id)
        queued = time.perf_counter() - started

        workers = [
            subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "taper_clinic",
                    "worker",
                    "--pool",
                    "solo",
                    "-n",
                    f"bench{n}@%h",
                    "--loglevel",
                    "WARNING",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                ],
                cwd=ROOT,
                env={**os.environ, **env},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for n in range(args.workers)
        ]
        started = time.perf_counter()
        sent = 0
        try:
            while time.perf_counter() - started < 600:
                sent = Invitation.objects.filter(status=Invitation.Status.SENT).count()
                if sent >= len(ids):
                    break
                time.sleep(0.25)
            wall = time.perf_counter() - started
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(timeout=30)
        mails = count_mail(mail_dir)
        claims = list(Invitation.objects.values_list("attempts", flat=True))
    print(
        f"reminder fan-out: {len(ids)} due reminders, {args.workers} worker processes (solo pool)"
    )
    print(f"  seed (bulk)            {seeded:8.1f} s")
    print(f"  queue {len(ids)} tasks     {queued:8.1f} s")
    rate = len(ids) / wall
    print(f"  send all (wall)        {wall:8.1f} s   goal <= 60 s   ({rate:.0f} per second)")
    print(f"  invitations sent       {sent:8d}   of {len(ids)}")
    print(f"  e-mails written        {mails:8d}   (exactly once: {mails == len(ids) == sent})")
    lost, duplicates = len(ids) - sent, mails - sent
    print(f"  claims per invitation  max {max(claims)}, lost {lost}, duplicates {duplicates}")


if __name__ == "__main__":
    main()
