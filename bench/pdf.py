"""Benchmark the printable schedule: render times, overhead over WeasyPrint, memory growth.

    .venv/bin/python bench/pdf.py [--repeat 7] [--renders 200]

Prints figures and never asserts times. The plans are built by the engine from the reference
files (no database): ``schedules.pdf`` takes plain data.

- median render time of 12-, 26- and 52-week plans (context + template + WeasyPrint + PDF);
- the ratio of that total to WeasyPrint alone on the same pre-rendered HTML (goal <= 1.15);
- the worker's RSS growth over ``--renders`` renders (goal <= 50 MB).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "taper_clinic.test_settings")

import django

django.setup()

import weasyprint  # noqa: E402

from schedules.documents import pdf  # noqa: E402
from schedules.documents import render as document_render  # noqa: E402

WEEKS = (12, 26, 52)


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def weasyprint_alone(html: str) -> bytes:
    """What WeasyPrint does with the same HTML, stylesheet and fetcher, and nothing of ours."""
    return weasyprint.HTML(
        string=html, base_url=pdf.base_url(), url_fetcher=pdf.StaticOnlyURLFetcher()
    ).write_pdf(stylesheets=[pdf.stylesheet()], font_config=pdf.font_config())


def timed(fn, *args) -> float:
    started = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="renders per plan for the medians")
    parser.add_argument("--renders", type=int, default=200, help="renders for the memory figure")
    args = parser.parse_args()

    load = os.getloadavg()[0]
    print(f"WeasyPrint {weasyprint.__version__}, {os.cpu_count()} CPUs, load average {load:.2f}")
    plans = {weeks: document_render.demo_schedule_data(weeks=weeks) for weeks in WEEKS}
    pdf.render_pdf(plans[12])  # warm up: fonts, stylesheet, template

    print(
        f"\n{'plan':>8} {'pages':>5} {'total ms':>9} {'html ms':>8} {'weasy ms':>9} "
        f"{'ratio':>6} {'ratio of min':>13}"
    )
    for weeks, data in plans.items():
        totals, htmls, alones = [], [], []
        pages = pdf.render_pdf(data).page_count
        for _ in range(args.repeat):  # interleaved, so machine noise hits both alike
            totals.append(timed(pdf.render_pdf, data))
            started = time.perf_counter()
            html = pdf.render_html(data)
            htmls.append((time.perf_counter() - started) * 1000)
            alones.append(timed(weasyprint_alone, html))
        total, alone = statistics.median(totals), statistics.median(alones)
        # Medians as asked; the ratio of the fastest runs is steadier on a busy machine.
        print(
            f"{weeks:>5} wk {pages:>5} {total:>9.0f} {statistics.median(htmls):>8.0f} "
            f"{alone:>9.0f} {total / alone:>6.2f} {min(totals) / min(alones):>13.2f}"
        )

    gc.collect()
    data = plans[12]
    for _ in range(10):  # let caches (fonts, glyphs, templates) fill first
        pdf.render_pdf(data)
    gc.collect()
    before = rss_mb()
    started = time.perf_counter()
    for _ in range(args.renders):
        pdf.render_pdf(data)
    gc.collect()
    after = rss_mb()
    elapsed = time.perf_counter() - started
    print(
        f"\nmemory: RSS {before:.0f} MB -> {after:.0f} MB after {args.renders} renders of the "
        f"12-week plan: growth {after - before:+.1f} MB (goal <= 50 MB); "
        f"{elapsed / args.renders * 1000:.0f} ms per render"
    )


if __name__ == "__main__":
    main()
