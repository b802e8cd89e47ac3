"""Benchmark the pure taper engine: median microseconds per plan for a fixed set of regimens.

    .venv/bin/python bench/engine.py [--repeat 2000] [--rounds 7]

Prints figures and never asserts times. The goal is under 300 us per plan for the one-drug
proportional taper (``build_plan`` on a parsed request). Each row also shows the full preview
path: parse + build + ``to_dict()``. Reference data comes from ``catalogue/data`` (no
database). ``measure_engine()`` returns the numbers for other scripts. The last line is the
preview API's p50/p95 through Django's test client (``measure_preview_api()``).

Each body is previewed many times, as a running server warmed by earlier previews would: the
formularies' memo of one-drug tapers answers the repeats (it is keyed on everything the taper
loop reads, so a builder changing the start date, interval, holds or edits hits it too).
``--cold`` empties that memo before every preview (the formularies' dose grids, one per
product set, stay built): the figure for a request never seen, as a peer without a memo
measures.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import time
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from schedules.engine import (
    Reference,
    build_plan,
    default_request,
    load_reference,
    parse_plan_request,
)
from schedules.engine.formulations import Formulary

BASE: dict[str, Any] = default_request()

CASES: dict[str, dict[str, Any]] = {
    "diazepam 20 mg, proportional 10% / 14 d": {
        **BASE,
        "regimen": [{"drug": "diazepam", "doses": {"night": "20"}}],
        "strategy": "proportional",
        "reduction_percent": "10",
    },
    "alprazolam 1 mg tds, cross-over, proportional 10%": {
        **BASE,
        "regimen": [{"drug": "alprazolam", "doses": {"morning": "1", "midday": "1", "night": "1"}}],
        "strategy": "proportional",
        "reduction_percent": "10",
        "switch_to_diazepam": True,
    },
    "clonazepam 0.5 mg bd + zolpidem 10 mg, direct": {
        **BASE,
        "regimen": [
            {"drug": "clonazepam", "doses": {"morning": "0.5", "midday": "0.5"}},
            {"drug": "zolpidem", "doses": {"night": "10"}},
        ],
        "strategy": "proportional",
        "reduction_percent": "10",
        "equivalence_source": "nhs-scotland-2024",
    },
    "lorazepam 1 mg bd, NHS Scotland linear 1 mg": {
        **BASE,
        "regimen": [{"drug": "lorazepam", "doses": {"morning": "1", "night": "1"}}],
        "strategy": "linear",
        "step_mg": "1",
        "switch_to_diazepam": True,
        "equivalence_source": "nhs-scotland-2024",
    },
    "diazepam 40 mg, CKS banded (lower), 7 d": {
        **BASE,
        "regimen": [{"drug": "diazepam", "doses": {"morning": "20", "night": "20"}}],
        "strategy": "banded",
        "interval_days": 7,
    },
}


#: Issue 9: ten direct tapers, 10% every 14 days to zero, GB; the preview path of each is
#: reported as a multiple of the calibration line (goal <= 28x).
TAPERS: dict[str, dict[str, Any]] = {
    f"{drug} {mg} mg": {
        **BASE,
        "regimen": [{"drug": drug, "doses": doses}],
        "strategy": "proportional",
        "reduction_percent": "10",
    }
    for drug, mg, doses in (
        ("alprazolam", "6", {"morning": "2", "midday": "2", "night": "2"}),
        ("alprazolam", "1", {"night": "1"}),
        ("lorazepam", "2", {"morning": "1", "night": "1"}),
        ("lorazepam", "6", {"morning": "2", "midday": "2", "night": "2"}),
        ("clonazepam", "1.5", {"morning": "0.5", "night": "1"}),
        ("diazepam", "40", {"morning": "20", "night": "20"}),
        ("diazepam", "5", {"night": "5"}),
        ("temazepam", "20", {"night": "20"}),
        ("chlordiazepoxide", "75", {"morning": "25", "midday": "25", "night": "25"}),
        ("oxazepam", "90", {"morning": "30", "midday": "30", "night": "30"}),
    )
}


def measure_tapers(
    repeat: int = 500, rounds: int = 7, cold: bool = False
) -> dict[str, dict[str, float]]:
    """Preview-path us per plan for each of :data:`TAPERS`, and its multiple of the
    calibration line. The calibration is timed the same way (median of ``rounds``) in the
    rounds interleaved with each case's, so machine load affects both alike. ``cold``: the
    memos are emptied before each preview (see the module docstring)."""
    reference = load_reference()
    results: dict[str, dict[str, float]] = {}
    calibrations: list[float] = []
    for name, body in TAPERS.items():
        steps = len(build_plan(parse_plan_request(body, reference), reference).steps)
        preview_fn = functools.partial(_cold_preview if cold else _preview, body, reference)
        preview_fn()
        previews: list[float] = []
        calibration: list[float] = []
        for _ in range(rounds):
            calibration.append(_calibration_round())
            previews.append(_median_us(preview_fn, repeat, 1, warm=False))
        preview = statistics.median(previews)
        line = statistics.median(calibration)
        calibrations.append(line)
        results[name] = {"steps": float(steps), "preview_us": preview, "ratio": preview / line}
    results["calibration"] = {
        "steps": 0.0,
        "preview_us": statistics.median(calibrations),
        "ratio": 1.0,
    }
    return results


def _calibration_round(number: int = 2000) -> float:
    """One timing of the calibration line, in us per call."""
    return timeit.timeit("sum(range(1000))", number=number) / number * 1e6


def _median_us(fn: Callable[[], object], repeat: int, rounds: int, warm: bool = True) -> float:
    """The median over ``rounds`` of the mean time of ``repeat`` calls, in microseconds."""
    if warm:
        fn()  # warm the caches (formularies, makeable-dose memos) as a running server would be
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(repeat):
            fn()
        samples.append((time.perf_counter() - started) / repeat * 1e6)
    return statistics.median(samples)


def _preview(body: dict[str, Any], reference: Reference) -> dict[str, Any]:
    """What the preview API does with a body."""
    return build_plan(parse_plan_request(body, reference), reference).to_dict()


def _cold_preview(body: dict[str, Any], reference: Reference) -> dict[str, Any]:
    """:func:`_preview` after emptying the formularies' memo of one-drug tapers."""
    for value in reference.cache.values():
        if isinstance(value, Formulary):
            value.trajectories.clear()
    return _preview(body, reference)


def measure_engine(repeat: int = 2000, rounds: int = 7) -> dict[str, dict[str, float]]:
    """Median us per plan for each case: ``build`` (engine only) and ``preview`` (parse +
    build + to_dict), with the plan's step count."""
    reference = load_reference()
    results: dict[str, dict[str, float]] = {}
    for name, body in CASES.items():
        request = parse_plan_request(body, reference)
        steps = len(build_plan(request, reference).steps)
        build = _median_us(functools.partial(build_plan, request, reference), repeat, rounds)
        preview = _median_us(
            functools.partial(_preview, body, reference), max(1, repeat // 2), rounds
        )
        results[name] = {"steps": float(steps), "build_us": build, "preview_us": preview}
    return results


def measure_preview_api(requests: int = 300) -> dict[str, float]:
    """p50/p95 ms and the query count of ``POST /api/v1/schedules/preview/`` through Django's
    test client, for the alprazolam cross-over body, on an in-memory SQLite database with a
    prescriber logged in past the two-factor check (a prescriber's API call needs it)."""
    import json
    import os

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

    setup_test_environment()
    call_command("migrate", verbosity=0)
    clinic = Clinic.objects.create(name="Bench", phone="0")
    user = User.objects.create_user("bench", clinic=clinic, role=User.Role.PRESCRIBER)
    device = TOTPDevice.objects.create(user=user, name="Benchmark", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    body = json.dumps(CASES["alprazolam 1 mg tds, cross-over, proportional 10%"])
    url = "/api/v1/schedules/preview/"
    timings = []
    for i in range(requests + 20):
        started = time.perf_counter()
        response = client.post(url, body, content_type="application/json")
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"preview answered {response.status_code}: {response.content[:200]!r}")
        if i >= 20:  # the first requests warm caches, as a running server would be
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


def calibration_us() -> float:
    """A fixed pure-Python workload, to compare figures across machines."""
    return min(timeit.repeat("sum(range(1000))", number=2000, repeat=5)) / 2000 * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2000, help="plans per timing round")
    parser.add_argument("--rounds", type=int, default=7, help="rounds; the median is printed")
    parser.add_argument(
        "--tapers-only", action="store_true", help="only the ten direct tapers (issue 9)"
    )
    parser.add_argument(
        "--cold", action="store_true", help="only the cold figures of the ten tapers"
    )
    args = parser.parse_args()
    # Cold first: the figure for a request never seen, the one the goal is about.
    for cold in (True, False) if not args.cold else (True,):
        tapers = measure_tapers(max(1, args.repeat // 4), args.rounds, cold=cold)
        calibration = tapers.pop("calibration")["preview_us"]
        width = max(len(name) for name in tapers)
        title = "direct taper, 10% / 14 d, GB" + (" (cold)" if cold else " (warm)")
        print(f"{title:<{width}}  steps  preview us  x calibration")
        for name, row in tapers.items():
            print(
                f"{name:<{width}}  {int(row['steps']):>5}  {row['preview_us']:>10.0f}  "
                f"{row['ratio']:>13.1f}"
            )
        worst = max(row["ratio"] for row in tapers.values())
        print(
            f"calibration sum(range(1000)) = {calibration:.1f} us; worst {worst:.1f}x"
            + (" (goal <= 28x)\n" if cold else " (memo of one-drug tapers warm)\n")
        )
    if args.tapers_only:
        return
    results = measure_engine(args.repeat, args.rounds)
    width = max(len(name) for name in results)
    print(f"{'case':<{width}}  steps  build us/plan  preview us/plan")
    for name, row in results.items():
        print(
            f"{name:<{width}}  {int(row['steps']):>5}  {row['build_us']:>13.0f}  "
            f"{row['preview_us']:>15.0f}"
        )
    first = next(iter(results.values()))
    print(f"goal: one-drug proportional build < 300 us; measured {first['build_us']:.0f} us")
    api = measure_preview_api()
    print(
        f"preview API (test client, cross-over body, {int(api['requests'])} requests): "
        f"p50 {api['p50_ms']:.1f} ms, p95 {api['p95_ms']:.1f} ms, {int(api['queries'])} queries "
        "(goal p95 <= 30 ms, <= 5 queries)"
    )
    print(
        f"machine calibration: sum(range(1000)) takes {calibration_us():.1f} us here "
        "(about 8-10 us on a current laptop); scale the figures above accordingly"
    )


if __name__ == "__main__":
    main()
