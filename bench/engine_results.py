"""Run ``bench/engine.py`` as it is (its own detail printed unchanged) and write its headline
figures to ``var/bench/engine.json`` for ``bench/report.py``.

    .venv/bin/python bench/engine_results.py [the arguments of bench/engine.py]

``bench/engine.py`` belongs to the engine's work and only prints; this wrapper records what its
``measure_tapers``, ``measure_engine`` and ``measure_preview_api`` return while its ``main``
runs. The reference of the engine rows is the calibration line (``sum(range(1000))``, timed in
rounds interleaved with each case), so each figure is also a multiple of it.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import engine
from bench.results import Row, write

RECORDED: dict[str, Any] = {}
GOAL_RATIO = 28.0
GOAL_PREVIEW_P95_MS = 30.0
GOAL_PREVIEW_QUERIES = 5

#: The issue's three kinds of plan, as cases of ``engine.CASES`` (first match by name).
KINDS = (
    ("engine: one-drug proportional", "proportional"),
    ("engine: cross-over", "cross-over"),
    ("engine: two-drug", "+"),
)


def recording(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = function(*args, **kwargs)
        RECORDED[name] = copy.deepcopy(result)  # engine.main pops the calibration from its copy
        return result

    return wrapper


def rows() -> list[Row]:
    found: list[Row] = []
    tapers = dict(RECORDED.get("measure_tapers") or {})
    calibration = (tapers.get("calibration") or {}).get("preview_us")
    direct = {name: row for name, row in tapers.items() if name != "calibration"}
    if direct and calibration:
        worst = max(direct.values(), key=lambda row: row["ratio"])
        found.append(
            Row(
                "engine: worst of 10 direct tapers, preview path",
                worst["preview_us"],
                "us/plan",
                reference=worst["preview_us"] / worst["ratio"],
                reference_label="calibration line",
                target=f"<= {GOAL_RATIO:.0f}x calibration",
                met=worst["ratio"] <= GOAL_RATIO,
            )
        )
        found.append(
            Row(
                "engine: median of 10 direct tapers, preview path",
                statistics.median(row["preview_us"] for row in direct.values()),
                "us/plan",
                reference=calibration,
                reference_label="calibration line",
            )
        )
    cases = dict(RECORDED.get("measure_engine") or {})
    for label, marker in KINDS:
        case = next((row for name, row in cases.items() if marker in name), None)
        if case is None:
            continue
        found.append(
            Row(
                label,
                case["preview_us"],
                "us/plan",
                reference=calibration,
                reference_label="calibration line",
                target=f"<= {GOAL_RATIO:.0f}x calibration" if calibration else "",
                met=case["preview_us"] / calibration <= GOAL_RATIO if calibration else None,
            )
        )
    api = RECORDED.get("measure_preview_api")
    if api:
        found.append(
            Row(
                "preview API, test client",
                api["p95_ms"],
                "ms p95",
                target=f"p95 <= {GOAL_PREVIEW_P95_MS:.0f} ms",
                met=api["p95_ms"] <= GOAL_PREVIEW_P95_MS,
            )
        )
        if "queries" in api:
            found.append(
                Row(
                    "preview API queries",
                    api["queries"],
                    "queries",
                    target=f"<= {GOAL_PREVIEW_QUERIES}",
                    met=api["queries"] <= GOAL_PREVIEW_QUERIES,
                )
            )
    return found


def preview_api(requests: int = 300) -> dict[str, float]:
    """The preview API's p50/p95 ms and queries, as ``engine.measure_preview_api`` measures them
    but with the prescriber's session past the two-factor check (a prescriber's API call needs
    it since the two-factor merge). Django is set up by ``engine.measure_preview_api`` already,
    or here with the same settings."""
    import json
    import os
    import time

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "taper_clinic.test_settings")
    os.environ["DATABASE_URL"] = "sqlite://:memory:"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import Clinic, User

    if "measure_preview_api" not in RECORDED:  # engine.py's attempt set this up already
        with contextlib.suppress(RuntimeError):  # already set up
            setup_test_environment()
    call_command("migrate", verbosity=0)
    clinic = Clinic.objects.create(name="Bench preview", phone="0")
    user = User.objects.create_user("bench-preview", clinic=clinic, role=User.Role.PRESCRIBER)
    device = TOTPDevice.objects.create(user=user, name="Benchmark", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    body = json.dumps(engine.CASES["alprazolam 1 mg tds, cross-over, proportional 10%"])
    url = "/api/v1/schedules/preview/"
    timings = []
    for i in range(requests + 20):
        started = time.perf_counter()
        response = client.post(url, body, content_type="application/json")
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"preview answered {response.status_code}: {response.content[:200]!r}")
        if i >= 20:  # warm caches first, as a running server would be
            timings.append(elapsed)
    with CaptureQueriesContext(connection) as queries:
        client.post(url, body, content_type="application/json")
    timings.sort()
    return {
        "p50_ms": statistics.median(timings),
        "p95_ms": timings[int(len(timings) * 0.95) - 1],
        "requests": float(len(timings)),
        "queries": float(len(queries)),
    }


def main() -> None:
    for name in ("measure_tapers", "measure_engine", "measure_preview_api"):
        if hasattr(engine, name):
            setattr(engine, name, recording(name, getattr(engine, name)))
    try:
        engine.main()
    except SystemExit as stop:  # its last part failed: keep the figures measured before it
        print(f"bench/engine.py stopped: {stop}", file=sys.stderr)
    if "measure_preview_api" not in RECORDED or "queries" not in RECORDED["measure_preview_api"]:
        api = preview_api()
        RECORDED["measure_preview_api"] = api
        print(
            f"preview API (test client, past the two-factor check, {int(api['requests'])} "
            f"requests): p50 {api['p50_ms']:.1f} ms, p95 {api['p95_ms']:.1f} ms, "
            f"{int(api['queries'])} queries (goal p95 <= 30 ms, <= 5 queries)"
        )
    write("engine", rows())


if __name__ == "__main__":
    main()
