"""Benchmark the weekly reminder fan-out: N due reminders, 2 real Celery worker processes, real
Redis, real PostgreSQL, e-mail written to files. Reports the wall time and checks exactly once.

    .venv/bin/python bench/fanout.py [--reminders 10000] [--workers 2] [--concurrency 4]
                                     [--pool prefork] [--reference 1000]

Creates (or empties) the database ``taper_bench_fanout`` on 127.0.0.1:5432 and uses Redis
``BENCH_REDIS_URL`` (default database 7, flushed). Seeds one clinic, N + R patients with an
e-mail address and one queued, due invitation each (bulk inserts).

1. The reference: R of them sent in this process, one batch after another, by the workers' task
   called as a plain function (``checkins.tasks.send_checkin_reminders``), without Celery or
   Redis; the first batch inside ``CaptureQueriesContext`` for the queries per send. Its time
   per send times N is "serial, in-process" in the table: what the fan-out would take with no
   broker and no parallelism, measured in the same run on the same database. The ratio
   fan-out / reference says what Celery and the workers buy (below 1) or cost (above 1).
2. The fan-out: the remaining invitations are queued as beat queues them
   (``checkins.tasks.queue_reminders``: ``send_checkin_reminders`` tasks of ``REMINDER_BATCH``
   ids, each id claimed on its own), then the workers start (``--workers`` processes, each a
   ``--pool`` of ``--concurrency`` children) and the wall time runs until every invitation is
   sent. The wall time includes the workers' start.

Exactly once: the number of e-mails written equals N and every invitation is ``sent`` exactly
once (its claim counter says how many workers tried). Figures only; never asserts times.
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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results import Row, write  # noqa: E402

DB_NAME = "taper_bench_fanout"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
GOAL_SECONDS = 60.0


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


def reference_sends(ids: list[int]) -> tuple[float, float]:
    """Send ``ids`` in this process, one batch after another, by calling the workers' task as a
    plain function (no broker, no worker); return the seconds per send and the queries per send
    (counted on the first batch)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from checkins.tasks import REMINDER_BATCH, send_checkin_reminders

    batches = [ids[i : i + REMINDER_BATCH] for i in range(0, len(ids), REMINDER_BATCH)]
    with CaptureQueriesContext(connection) as queries:
        send_checkin_reminders(batches[0])
    started = time.perf_counter()
    for batch in batches[1:]:
        send_checkin_reminders(batch)
    timed = len(ids) - len(batches[0])
    per_send = (time.perf_counter() - started) / timed if timed else float("nan")
    return per_send, len(queries) / len(batches[0])


def start_workers(count: int, pool: str, concurrency: int, env: dict[str, str]) -> list[Any]:
    return [
        subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "taper_clinic",
                "worker",
                "--pool",
                pool,
                "--concurrency",
                str(concurrency),
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
        for n in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--pool", default="prefork", choices=["prefork", "solo", "threads"])
    parser.add_argument("--concurrency", type=int, default=4, help="children per worker")
    parser.add_argument("--reference", type=int, default=1000, help="serial sends, in-process")
    args = parser.parse_args()
    concurrency = 1 if args.pool == "solo" else args.concurrency
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
        from checkins.tasks import REMINDER_BATCH, queue_reminders

        started = time.perf_counter()
        every = seed(args.reminders + args.reference)
        seeded = time.perf_counter() - started
        reference_ids, ids = every[: args.reference], every[args.reference :]
        per_send, queries = reference_sends(reference_ids)
        reference_mails = count_mail(mail_dir)
        started = time.perf_counter()
        queue_reminders(ids)  # as beat's enqueue_due_reminders does
        queued = time.perf_counter() - started

        from django.db import connection

        connection.close()  # the workers' turn; this process only polls from here
        workers = start_workers(args.workers, args.pool, concurrency, env)
        started = time.perf_counter()
        sent = 0
        sent_before = Invitation.objects.filter(status=Invitation.Status.SENT).count()
        try:
            while time.perf_counter() - started < 900:
                done = Invitation.objects.filter(status=Invitation.Status.SENT).count()
                sent = done - sent_before
                if sent >= len(ids):
                    break
                time.sleep(0.25)
            wall = time.perf_counter() - started
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(timeout=30)
        mails = count_mail(mail_dir) - reference_mails
        claims = list(Invitation.objects.filter(pk__in=ids).values_list("attempts", flat=True))
    serial = per_send * len(ids)
    print(
        f"reminder fan-out: {len(ids)} due reminders, {args.workers} worker processes "
        f"({args.pool} pool, {concurrency} per worker)"
    )
    print(f"  seed (bulk)            {seeded:8.1f} s")
    print(
        f"  reference: {len(reference_ids)} sent serially in-process, {per_send * 1000:.1f} ms "
        f"and {queries:.1f} queries per send; for {len(ids)}: {serial:.1f} s"
    )
    print(f"  queue {len(ids)} sends ({REMINDER_BATCH} a task) {queued:6.1f} s")
    rate = len(ids) / wall
    print(
        f"  send all (wall)        {wall:8.1f} s   goal <= {GOAL_SECONDS:.0f} s   "
        f"({rate:.0f} per second; {wall / serial:.2f}x the serial reference)"
    )
    print(f"  invitations sent       {sent:8d}   of {len(ids)}")
    once = mails == len(ids) == sent and max(claims) == 1
    print(f"  e-mails written        {mails:8d}   (exactly once: {once})")
    lost, duplicates = len(ids) - sent, mails - sent
    print(f"  claims per invitation  max {max(claims)}, lost {lost}, duplicates {duplicates}")
    write(
        "fanout",
        [
            Row(
                f"reminder fan-out of {len(ids):,}, {args.workers} workers x {concurrency}",
                wall,
                "s",
                reference=serial,
                reference_label=f"serial in-process, {len(reference_ids):,} timed",
                target=f"<= {GOAL_SECONDS:.0f} s, exactly once",
                met=wall <= GOAL_SECONDS and once,
                note=f"exactly once: {once}; {lost} lost, {duplicates} duplicates",
            ),
            Row("reminder send, queries", queries, "queries/send"),
        ],
        reminders=len(ids),
        workers=args.workers,
        pool=args.pool,
        concurrency=concurrency,
        queued_seconds=queued,
    )


if __name__ == "__main__":
    main()
