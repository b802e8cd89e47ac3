"""Benchmark the printable schedule: render times, overhead over WeasyPrint, memory growth.

    .venv/bin/python bench/pdf.py [--repeat 7] [--renders 500] [--warmup 20]

Prints figures and never asserts times. The plans are built by the engine from the reference
files (no database): ``schedules.documents.pdf`` takes plain data.

For 12-, 26- and 52-week plans, medians of ``--repeat`` interleaved runs after a warm-up:

- ``ours``: our code path, :func:`pdf.render_pdf` (context + template + WeasyPrint + PDF);
- ``html``: the context and template alone;
- ``weasy``: WeasyPrint alone on the same HTML, with the same stylesheet object, font
  configuration and fetcher (what ``ours`` spends beyond our own code); ``ratio`` is
  ``ours / weasy`` (goal <= 1.15), ``ratio of min`` the same for the fastest runs (steadier
  on a busy machine);
- ``plain``: WeasyPrint as a caller without our per-process caches would use it on the same
  HTML: a new ``CSS`` from the same stylesheet text and a new font configuration every time.
  (``HTML(string=html).write_pdf()`` with no stylesheet at all would lay out an unstyled page,
  a different document.)

Memory (goal <= 50 MB): a fresh worker process renders ``--warmup`` PDFs, then ``--renders``
more (12-, 26- and 52-week plans in turn, a different patient name each time) and reports its
resident set size before and after. ``--renders 0`` skips it.

Wall times are noisy on a shared machine: compare the ratios, which are measured in the same
run, and the ``cpu`` columns (this process's CPU time, which other processes inflate less).
The 52-week figures and the memory growth also go to ``var/bench/pdf.json`` for
``bench/report.py``; their reference is WeasyPrint alone on the same HTML.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "taper_clinic.test_settings")

import django

django.setup()

import weasyprint  # noqa: E402
from django.contrib.staticfiles import finders  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # noqa: E402

from bench.results import Row, write  # noqa: E402
from schedules.documents import pdf  # noqa: E402
from schedules.documents import render as document_render  # noqa: E402

WEEKS = (12, 26, 52)
GOAL_RATIO = 1.15  # our render over WeasyPrint alone on the same HTML
GOAL_MS = 1500  # a 52-week plan, CPU
GOAL_GROWTH_MB = 50


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def font_subsetter() -> str:
    """Which library WeasyPrint cuts font subsets with (fontTools is much slower)."""
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    if harfbuzz_subset and harfbuzz.hb_version_atleast(4, 1, 0):
        return "HarfBuzz"
    return "fontTools (libharfbuzz-subset0 is not installed)"


def weasyprint_alone(html: str) -> bytes:
    """What WeasyPrint does with the same HTML, stylesheet and fetcher, and nothing of ours."""
    return weasyprint.HTML(
        string=html, base_url=pdf.base_url(), url_fetcher=pdf.StaticOnlyURLFetcher()
    ).write_pdf(stylesheets=[pdf.stylesheet()], font_config=pdf.font_config())


def weasyprint_plain(html: str, css_text: str) -> bytes:
    """WeasyPrint with nothing shared between documents: stylesheet parsed, fonts set up anew."""
    font_config = FontConfiguration()
    fetcher = pdf.StaticOnlyURLFetcher()
    css = weasyprint.CSS(
        string=css_text,
        base_url=pdf.base_url() + "pdf/",
        url_fetcher=fetcher,
        font_config=font_config,
    )
    return weasyprint.HTML(string=html, base_url=pdf.base_url(), url_fetcher=fetcher).write_pdf(
        stylesheets=[css], font_config=font_config
    )


def timed(fn, *args, cpu: list[float] | None = None) -> float:
    """Wall milliseconds of ``fn(*args)``; its CPU milliseconds are appended to ``cpu``."""
    started, cpu_started = time.perf_counter(), time.process_time()
    fn(*args)
    if cpu is not None:
        cpu.append((time.process_time() - cpu_started) * 1000)
    return (time.perf_counter() - started) * 1000


def render_times(repeat: int) -> dict[int, dict[str, float]]:
    plans = {weeks: document_render.demo_schedule_data(weeks=weeks) for weeks in WEEKS}
    css_path = finders.find(pdf.STYLESHEET)
    assert isinstance(css_path, str)
    css_text = Path(css_path).read_text(encoding="utf-8")
    pdf.render_pdf(plans[12])  # warm up: fonts, stylesheet, template
    weasyprint_plain(pdf.render_html(plans[12]), css_text)

    print(
        f"\n{'plan':>8} {'pages':>5} {'kB':>5} {'ours ms':>8} {'html ms':>8} {'weasy ms':>9} "
        f"{'ratio':>6} {'ratio of min':>13} {'plain ms':>9} {'ours/plain':>11} "
        f"{'ours cpu ms':>12} {'weasy cpu ms':>13} {'cpu ratio':>10}"
    )
    results: dict[int, dict[str, float]] = {}
    for weeks, data in plans.items():
        ours, htmls, alones, plains = [], [], [], []
        ours_cpu: list[float] = []
        alones_cpu: list[float] = []
        rendered = pdf.render_pdf(data)
        for _ in range(repeat):  # interleaved, so machine noise hits all alike
            ours.append(timed(pdf.render_pdf, data, cpu=ours_cpu))
            started = time.perf_counter()
            html = pdf.render_html(data)
            htmls.append((time.perf_counter() - started) * 1000)
            alones.append(timed(weasyprint_alone, html, cpu=alones_cpu))
            plains.append(timed(weasyprint_plain, html, css_text))
        total, alone, plain = (statistics.median(x) for x in (ours, alones, plains))
        total_cpu, alone_cpu = statistics.median(ours_cpu), statistics.median(alones_cpu)
        print(
            f"{weeks:>5} wk {rendered.page_count:>5} {len(rendered.content) / 1024:>5.0f} "
            f"{total:>8.0f} {statistics.median(htmls):>8.0f} {alone:>9.0f} "
            f"{total / alone:>6.2f} {min(ours) / min(alones):>13.2f} "
            f"{plain:>9.0f} {total / plain:>11.2f} "
            f"{total_cpu:>12.0f} {alone_cpu:>13.0f} {total_cpu / alone_cpu:>10.2f}"
        )
        results[weeks] = {
            "ours_ms": total,
            "weasy_ms": alone,
            "ours_cpu_ms": total_cpu,
            "weasy_cpu_ms": alone_cpu,
            "pages": float(rendered.page_count),
        }
    return results


def memory_worker(renders: int, warmup: int) -> None:
    """Run in a fresh process: print the RSS before and after ``renders`` renders as JSON."""
    plans = [document_render.demo_schedule_data(weeks=weeks) for weeks in WEEKS]

    def render(i: int) -> None:
        data = plans[i % len(plans)]
        pdf.render_pdf(dataclasses.replace(data, patient_name=f"Patient Number {i}"))

    for i in range(warmup):  # let the caches (fonts, glyphs, stylesheet, templates) fill first
        render(i)
    gc.collect()
    before = rss_mb()
    started = time.perf_counter()
    for i in range(renders):
        render(warmup + i)
    elapsed = time.perf_counter() - started
    gc.collect()
    after = rss_mb()
    print(json.dumps({"before": before, "after": after, "seconds": elapsed}))


def memory_growth(renders: int, warmup: int) -> float:
    started = time.perf_counter()
    worker = subprocess.run(  # noqa: S603 (this script, our own arguments)
        [
            sys.executable,
            __file__,
            "--memory-worker",
            "--renders",
            str(renders),
            "--warmup",
            str(warmup),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(worker.stdout.strip().splitlines()[-1])
    before, after = result["before"], result["after"]
    print(
        f"\nmemory: a fresh worker, {warmup} renders to warm up, then {renders} (12-, 26- and "
        f"52-week plans in turn): RSS {before:.0f} MB -> {after:.0f} MB, growth "
        f"{after - before:+.1f} MB (goal <= 50 MB); {result['seconds'] / renders * 1000:.0f} ms "
        f"per render, {time.perf_counter() - started:.0f} s in all"
    )
    return float(after - before)


def result_rows(
    times: dict[int, dict[str, float]], growth: float | None, renders: int
) -> list[Row]:
    """The table's rows: the 52-week plan's render against WeasyPrint alone on the same HTML
    (wall, the reference measured interleaved in the same run), its CPU time against the 1.5 s
    goal, and the memory growth."""
    rows = []
    weeks = max(times)
    longest = times[weeks]
    rows.append(
        Row(
            f"PDF of a {weeks}-week plan, wall",
            longest["ours_ms"],
            "ms",
            reference=longest["weasy_ms"],
            reference_label="WeasyPrint alone, same HTML",
            target=f"<= {GOAL_RATIO}x WeasyPrint",
            met=longest["ours_ms"] / longest["weasy_ms"] <= GOAL_RATIO,
        )
    )
    rows.append(
        Row(
            f"PDF of a {weeks}-week plan, CPU",
            longest["ours_cpu_ms"],
            "ms",
            reference=longest["weasy_cpu_ms"],
            reference_label="WeasyPrint alone, same HTML",
            target=f"<= {GOAL_MS:,} ms",
            met=longest["ours_cpu_ms"] <= GOAL_MS,
        )
    )
    if growth is not None:
        rows.append(
            Row(
                f"worker memory growth after {renders} PDFs",
                growth,
                "MB",
                target=f"<= {GOAL_GROWTH_MB} MB",
                met=growth <= GOAL_GROWTH_MB,
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="renders per plan for the medians")
    parser.add_argument(
        "--renders", type=int, default=500, help="renders for the memory figure (0: skip it)"
    )
    parser.add_argument("--warmup", type=int, default=20, help="renders before measuring memory")
    parser.add_argument("--memory-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_worker:
        memory_worker(args.renders, args.warmup)
        return

    load = os.getloadavg()[0]
    print(
        f"WeasyPrint {weasyprint.__version__}, font subsets by {font_subsetter()}, "
        f"{os.cpu_count()} CPUs, load average {load:.2f}"
    )
    times = render_times(args.repeat)
    growth = memory_growth(args.renders, args.warmup) if args.renders > 0 else None
    write("pdf", result_rows(times, growth, args.renders), repeat=args.repeat)


if __name__ == "__main__":
    main()
