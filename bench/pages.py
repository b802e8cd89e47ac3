"""Benchmark the nurse queue, the patient list with a search, the patient and plan pages and their
JSON APIs on PostgreSQL, at two sizes of ``seed_load`` data.

    .venv/bin/python bench/pages.py [--patients 5000] [--small 500] [--weeks 52] [-n 30]
                                    [--explain]

For each size it uses a database of its own, ``taper_bench_p<N>`` on the server of
``BENCH_DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/taper_bench``): created,
migrated and filled by ``seed_load --patients N --weeks W`` when empty (about a minute per
thousand patients), reused afterwards. Each size runs in a child process (one Django setup per
database) with production-like settings: DEBUG off, no broker, the manifest static storage.

Through Django's test client (the whole middleware stack, no network), logged in as a nurse and
as a prescriber of the first clinic, each URL is fetched 3 times to warm up, then ``n`` times
timed, then once more inside ``CaptureQueriesContext`` for its query count. The reference is a
bare staff-only view (``bench/pages_urls.py``) with the same middleware and login, measured in
the same run. Printed: p50 and p95 at the large size, the ratio of the p50 to the bare view's
p50 (the steadier of the two at a millisecond), and the query count at both sizes (which must
not grow with N; a queue page reads two counts and always three ordered slices). Figures
only; never asserts times. ``--explain`` prints EXPLAIN (ANALYZE, BUFFERS) of every query the
queue page runs. The rows of ``var/bench/pages.json`` (for ``bench/report.py``) give each page's
p95 with the bare view's p95 as its reference.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results import Row, write  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/taper_bench"
GOAL_P95_MS = 150.0
GOAL_BARE_RATIO = 3.0
SEARCH = "Shah"  # one of seed_load's 40 last names: about 1 patient in 40


def database_url(base: str, patients: int) -> str:
    parts = urlsplit(base)
    name = parts.path.lstrip("/") or "taper_bench"
    return urlunsplit(parts._replace(path=f"/{name}_p{patients}"))


def configure(url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "taper_clinic.settings"
    os.environ["DJANGO_READ_DOT_ENV_FILE"] = "False"
    os.environ["DJANGO_DEBUG"] = "False"
    os.environ["DJANGO_SECRET_KEY"] = "bench-only-" + "x" * 40
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "False"
    os.environ["DJANGO_STATIC_ROOT"] = str(ROOT / "var" / "bench-static")
    os.environ["DJANGO_LOG_LEVEL"] = "WARNING"
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)
    os.environ["TAPER_RENDER_IN_BACKGROUND"] = "False"  # no PDF renders during the timings


def ensure_database(url: str) -> None:
    """Create the database if the server lacks it."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


# --- One size, in a child process ------------------------------------------------------------


def prepare(patients: int, weeks: int) -> None:
    from django.core.management import call_command

    from clinic.load_data import already_loaded

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    if not already_loaded():
        print(f"  seeding {patients} patients, {weeks} weeks...", file=sys.stderr, flush=True)
        call_command("seed_load", patients=patients, weeks=weeks, force=True, verbosity=0)


def targets() -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The users and the URLs: a patient of the first clinic with a held plan (the most rows)."""
    from django.urls import reverse

    from accounts.models import User
    from schedules.models import PlanRevision

    users = {
        "nurse": User.objects.get(username="load1-nurse1"),
        "prescriber": User.objects.get(username="load1-prescriber1"),
    }
    held = (
        PlanRevision.objects.signed()
        .filter(kind=PlanRevision.Kind.HOLD, plan__patient__clinic=users["nurse"].clinic)
        .filter(plan__status="active", plan__patient__checkins__isnull=False)
        .select_related("plan")
        .order_by("pk")
        .first()
    )
    assert held is not None, "seed_load made no held plan in the first clinic"
    urls = [
        ("bare view (reference)", "/bench/bare/"),
        ("nurse queue", reverse("checkins:queue")),
        ("patient list", reverse("patients:list")),
        ("patient list ?q=", reverse("patients:list") + f"?q={SEARCH}"),
        ("patient page", reverse("patients:detail", args=[held.plan.patient_id])),
        ("plan page", reverse("schedules:plan", args=[held.plan_id])),
        ("API queue", "/api/v1/checkins/queue/"),
        ("API patients ?q=", f"/api/v1/patients/?q={SEARCH}"),
    ]
    return users, urls


def measure(runs: int, explain: bool) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    results: dict[str, Any] = {}
    with override_settings(ROOT_URLCONF="bench.pages_urls"):
        users, urls = targets()
        for role, user in users.items():
            client = Client()
            client.force_login(user)
            if user.needs_two_factor:  # as after typing the code: the session names the device
                from django_otp import DEVICE_ID_SESSION_KEY
                from django_otp.plugins.otp_totp.models import TOTPDevice

                device, _ = TOTPDevice.objects.get_or_create(
                    user=user, name="Benchmark", defaults={"confirmed": True}
                )
                session = client.session
                session[DEVICE_ID_SESSION_KEY] = device.persistent_id
                session.save()
            for name, url in urls:
                for _ in range(3):
                    response = client.get(url)
                    assert response.status_code == 200, (url, response.status_code)
                millis = []
                for _ in range(runs):
                    started = time.perf_counter()
                    client.get(url)
                    millis.append((time.perf_counter() - started) * 1000)
                with CaptureQueriesContext(connection) as queries:
                    client.get(url)
                results[f"{role}|{name}"] = {
                    "p50": statistics.median(millis),
                    "p95": percentile(millis, 0.95),
                    "queries": len(queries),
                    "url": url,
                }
                if explain and role == "nurse" and name == "nurse queue":
                    print_explain([q["sql"] for q in queries.captured_queries])
    return results


def print_explain(statements: list[str]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in statements:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            print("\n--", sql[:300], file=sys.stderr)
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            for (line,) in cursor.fetchall():
                print("  ", line, file=sys.stderr)


def child(args: argparse.Namespace) -> None:
    url = database_url(args.database_url, args.child)
    ensure_database(url)
    configure(url)
    import django

    django.setup()
    prepare(args.child, args.weeks)
    print(json.dumps(measure(args.n, args.explain)))


# --- The parent: both sizes, one table --------------------------------------------------------


def run_size(args: argparse.Namespace, patients: int, explain: bool) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", str(patients), "--weeks", str(args.weeks)]
    command += ["-n", str(args.n), "--database-url", args.database_url]
    command += ["--explain"] if explain else []
    done = subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603
    sys.stderr.write(done.stderr)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=5000, help="the large size")
    parser.add_argument("--small", type=int, default=500, help="the small size (query counts)")
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("-n", type=int, default=30, help="timed requests per URL")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    small = run_size(args, args.small, explain=False)
    large = run_size(args, args.patients, explain=args.explain)
    print(
        f"Pages on PostgreSQL, seed_load {args.patients:,} patients x {args.weeks} weeks "
        f"(queries also at {args.small:,}); {args.n} timed requests each, test client"
    )
    header = (
        f"{'user':<11}{'page':<23}{'p50 ms':>8}{'p95 ms':>8}{'x bare':>8}"
        f"{'queries@' + str(args.small):>13}{'queries@' + str(args.patients):>14}"
    )
    print(header)
    print("-" * len(header))
    for key, figures in large.items():
        role, name = key.split("|")
        bare = large[f"{role}|bare view (reference)"]["p50"]
        print(
            f"{role:<11}{name:<23}{figures['p50']:>8.1f}{figures['p95']:>8.1f}"
            f"{figures['p50'] / bare:>8.1f}{small[key]['queries']:>13}{figures['queries']:>14}"
        )
    write(
        "pages",
        result_rows(small, large, args.patients, args.small),
        patients=args.patients,
        small=args.small,
        requests=args.n,
    )


def result_rows(
    small: dict[str, Any], large: dict[str, Any], patients: int, size: int
) -> list[Row]:
    """One row per page and user: the p95 at the large size against the bare view's p95 in the
    same run, with the query counts at both sizes (which must be equal) in the note."""
    rows = []
    for key, figures in large.items():
        role, name = key.split("|")
        if name.startswith("bare view"):
            continue
        few, many = small[key]["queries"], figures["queries"]
        rows.append(
            Row(
                f"{name}, {role}, {patients:,} patients",
                figures["p95"],
                "ms p95",
                reference=large[f"{role}|bare view (reference)"]["p95"],
                reference_label="bare view p95",
                target=f"p95 <= {GOAL_P95_MS:.0f} ms, queries constant",
                met=figures["p95"] <= GOAL_P95_MS and many <= few,
                ratio_target=GOAL_BARE_RATIO,
                note=f"queries {few} at {size:,}, {many} at {patients:,}",
            )
        )
    return rows


if __name__ == "__main__":
    main()
