"""Load test: the web app under gunicorn (2 workers) on loopback, driven by locust (headless):
nurses, prescribers and patient links, 20 concurrent users for 60 s.

    .venv/bin/python bench/load.py [--users 20] [--seconds 60] [--patients 500]

Uses the ``seed_load`` database of ``bench/pages.py`` (``taper_bench_p<N>``; created and seeded
when missing), migrated to the current code. Prepares one clinic's staff to log in (prescribers
get an authenticator with a key the locust users know) and 20 patients' check-in links. gunicorn
runs with DEBUG on: with it off the session cookie is Secure and would not travel over plain
HTTP on loopback. Prints throughput, p50/p95 per page and overall, and the error rate (goal 0).
Figures only; never asserts times.

Every request is logged by the locustfile (``TAPER_LOAD_LOG``), so the figures are split:

- **sign-in**: the login and two-factor POSTs (Argon2 and the code check; each user signs in
  once, during the ramp-up), p50/p95 on their own;
- **steady state**: every other request that started after the last sign-in ended (all users in),
  p95 over all pages (goal <= 300 ms);
- **reference**: the bare staff-only view (``bench/pages_urls.py``, served through
  ``bench/load_settings.py``), requested by the same users in the same steady state: the
  middleware, session and two-factor check under this load with no page work. The steady p95
  is also given as a ratio to its p95.

gunicorn reads the production ``gunicorn.conf.py`` (sync workers, the access log format) with 2
workers instead of 3 and the access log sent to ``/dev/null``.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results import Row, write  # noqa: E402

BIN = Path(sys.executable).parent
PORT = 8765
SIGN_IN = ("login", "two-factor code")
SIGN_IN_PAGES = ("login page", "two-factor page")
REFERENCE = "bare view (reference)"
GOAL_P95_MS = 300.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else 0.0


def split_log(path: Path) -> dict[str, Any]:
    """Sign-in, steady-state and reference figures from the locustfile's request log."""
    entries = []
    for line in path.read_text().splitlines():
        name, start, millis, failed = line.split("\t")
        entries.append((name, float(start), float(millis), failed == "1"))
    sign_ins = [e for e in entries if e[0] in SIGN_IN]
    steady_from = max((start + millis / 1000 for _, start, millis, _ in sign_ins), default=0.0)
    steady = [e for e in entries if e[1] >= steady_from and e[0] not in SIGN_IN + SIGN_IN_PAGES]
    pages = [millis for name, _, millis, _ in steady if name != REFERENCE]
    bare = [millis for name, _, millis, _ in steady if name == REFERENCE]
    last = max((start + millis / 1000 for _, start, millis, _ in entries), default=steady_from)
    return {
        "requests": len(entries),
        "failures": sum(1 for e in entries if e[3]),
        "sign_in": [millis for _, _, millis, _ in sign_ins],
        "steady": pages,
        "bare": bare,
        "steady_seconds": max(last - steady_from, 0.0),
    }


def configure(url: str) -> dict[str, str]:
    env = {
        "DJANGO_SETTINGS_MODULE": "bench.load_settings",
        "DJANGO_READ_DOT_ENV_FILE": "False",
        "DJANGO_DEBUG": "True",
        "DATABASE_URL": url,
        "DJANGO_LOG_LEVEL": "WARNING",
        "TAPER_RENDER_IN_BACKGROUND": "False",
    }
    os.environ.update(env)
    os.environ.pop("REDIS_URL", None)
    return env


def prepare(patients: int, users: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import Clinic, User
    from checkins.models import Invitation
    from checkins.services import hash_token
    from clinic.load_data import LOAD_PASSWORD
    from patients.models import Patient
    from schedules.models import TaperPlan

    call_command("migrate", verbosity=0)
    if not Patient.objects.exists():
        call_command("seed_load", patients=patients, weeks=52, force=True)
    clinic = Clinic.objects.order_by("pk").first()
    assert clinic is not None
    # One login per simulated user: a two-factor code works once, so two users must not share
    # an authenticator.
    password = make_password(LOAD_PASSWORD)
    prescribers: list[dict[str, str]] = []
    nurses: list[dict[str, str]] = []
    for i in range(users):
        for role, logins in ((User.Role.PRESCRIBER, prescribers), (User.Role.NURSE, nurses)):
            user, _ = User.objects.update_or_create(
                username=f"load-{role}-{i}",
                defaults={"clinic": clinic, "role": role, "password": password, "is_active": True},
            )
            login: dict[str, str] = {"username": user.username}
            if user.needs_two_factor:
                device, _ = TOTPDevice.objects.get_or_create(
                    user=user, name="Load test", defaults={"confirmed": True}
                )
                login["key"] = device.key
            logins.append(login)
    active = TaperPlan.objects.filter(patient__clinic=clinic, status=TaperPlan.Status.ACTIVE)
    plans = list(active.order_by("pk").values_list("pk", "patient_id")[:100])
    tokens = []
    now = timezone.now()
    week = datetime.date(2099, 1, 5)  # a Monday far ahead: never one of seed_load's weeks
    for plan_id, patient_id in plans[:20]:
        token = secrets.token_urlsafe(32)
        Invitation.objects.update_or_create(
            patient_id=patient_id,
            week_start=week,
            defaults={
                "plan_id": plan_id,
                "due_at": now - datetime.timedelta(hours=1),
                "expires_at": now + datetime.timedelta(days=7),
                "status": "sent",
                "sent_at": now,
                "token_hash": hash_token(token),
            },
        )
        tokens.append(token)
    return {
        "password": LOAD_PASSWORD,
        "prescribers": prescribers,
        "nurses": nurses,
        "patients": [patient_id for _, patient_id in plans],
        "plans": [plan_id for plan_id, _ in plans],
        "tokens": tokens,
        "search": "Shah",
    }


def wait_until_up(url: str, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 (our own loopback server)
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("gunicorn did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--patients", type=int, default=500)
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/taper_bench")
    args = parser.parse_args()
    url = f"{args.database}_p{args.patients}"
    try:
        import psycopg

        with psycopg.connect(args.database.rsplit("/", 1)[0] + "/postgres", autocommit=True) as db:
            name = url.rsplit("/", 1)[1]
            if not db.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                db.execute(f"CREATE DATABASE {name}")
    except ImportError:
        pass
    env = configure(url)
    targets = prepare(args.patients, args.users)
    with tempfile.TemporaryDirectory() as folder:
        stats = Path(folder) / "load"
        log = Path(folder) / "requests.tsv"
        log.touch()
        server = subprocess.Popen(  # noqa: S603 (our own interpreter's gunicorn)
            [
                str(BIN / "gunicorn"),
                "taper_clinic.wsgi",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{PORT}",
                "--log-level",
                "warning",
                "--access-logfile",  # written as in production (gunicorn.conf.py), not shown
                os.devnull,
            ],
            cwd=ROOT,
            env={**os.environ, **env},
        )
        try:
            wait_until_up(f"http://127.0.0.1:{PORT}/login/")
            subprocess.run(  # noqa: S603
                [
                    str(BIN / "locust"),
                    "-f",
                    str(ROOT / "bench" / "locustfile.py"),
                    "--headless",
                    "-u",
                    str(args.users),
                    "-r",
                    str(max(args.users // 4, 1)),
                    "-t",
                    f"{args.seconds}s",
                    "--host",
                    f"http://127.0.0.1:{PORT}",
                    "--csv",
                    str(stats),
                    "--only-summary",
                    "--loglevel",
                    "WARNING",
                ],
                cwd=ROOT,
                env={
                    **os.environ,
                    "TAPER_LOAD_TARGETS": json.dumps(targets),
                    "TAPER_LOAD_LOG": str(log),
                },
                check=False,
                stdout=subprocess.DEVNULL,
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
        rows = list(csv.DictReader((stats.parent / "load_stats.csv").open()))
        split = split_log(log)
    print(
        f"load: gunicorn 2 workers, {args.users} users for {args.seconds} s, "
        f"{args.patients} patients (seed_load)"
    )
    print(f"{'request':24} {'count':>7} {'fail':>5} {'p50 ms':>7} {'p95 ms':>7} {'req/s':>7}")
    for row in rows:
        print(
            f"{row['Name'][:24]:24} {row['Request Count']:>7} {row['Failure Count']:>5} "
            f"{row['50%']:>7} {row['95%']:>7} {float(row['Requests/s']):7.1f}"
        )
    total = next(row for row in rows if row["Name"] == "Aggregated")
    errors = int(total["Failure Count"]) / max(int(total["Request Count"]), 1)
    print(f"error rate {errors:.2%} (goal 0), p95 of everything {total['95%']} ms")
    sign_in, steady, bare = split["sign_in"], split["steady"], split["bare"]
    print(
        f"sign-in (login and code POSTs, ramp-up): n={len(sign_in)} "
        f"p50 {statistics.median(sign_in) if sign_in else 0:.0f} ms, "
        f"p95 {percentile(sign_in, 0.95):.0f} ms"
    )
    steady_p95, bare_p95 = percentile(steady, 0.95), percentile(bare, 0.95)
    print(
        f"steady state (after the last sign-in, {split['steady_seconds']:.0f} s): "
        f"n={len(steady)} p50 {statistics.median(steady) if steady else 0:.0f} ms, "
        f"p95 {steady_p95:.0f} ms (goal <= {GOAL_P95_MS:.0f} ms); bare view (reference) "
        f"n={len(bare)} p95 {bare_p95:.0f} ms"
    )
    failures = split["failures"]
    rate = len(steady) / max(split["steady_seconds"], 1)
    write(
        "load",
        [
            Row(
                f"load, {args.users} users, steady state after sign-in",
                steady_p95,
                "ms p95",
                reference=bare_p95 or None,
                reference_label="bare view p95, same run",
                target=f"p95 <= {GOAL_P95_MS:.0f} ms",
                met=steady_p95 <= GOAL_P95_MS,
                note=f"{len(steady)} requests, {rate:.1f}/s",
            ),
            Row(
                "load, sign-in (login + two-factor POSTs, ramp-up)",
                percentile(sign_in, 0.95),
                "ms p95",
                note="Argon2 and the code check; not in the steady figure",
            ),
            Row(
                "load, every request incl. sign-in",
                float(total["95%"]),
                "ms p95",
                target=f"p95 <= {GOAL_P95_MS:.0f} ms",
                met=float(total["95%"]) <= GOAL_P95_MS,
            ),
            Row(
                "load, errors",
                float(failures),
                "requests",
                target="0",
                met=failures == 0 and errors == 0,
                note=f"of {split['requests']}",
            ),
        ],
        users=args.users,
        seconds=args.seconds,
        patients=args.patients,
    )


if __name__ == "__main__":
    main()
