"""``manage.py pdf_sample``: write the printable schedule of a made-up patient to a file.

Needs no database: the engine builds the plan from the reference files, so the layout can be
checked by eye (``make pdf-sample``, then ``pdftoppm -png -r 60 var/sample.pdf /tmp/sample``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from schedules.documents import pdf
from schedules.documents import render as document_render
from schedules.engine.defaults import default_request

SAMPLES: dict[str, dict[str, Any]] = {
    "crossover": {
        "regimen": [{"drug": "alprazolam", "doses": {"morning": "1", "midday": "1", "night": "1"}}],
        "switch_to_diazepam": True,
    },
    "direct": {
        "regimen": [{"drug": "diazepam", "doses": {"morning": "10", "night": "10"}}],
        "switch_to_diazepam": False,
    },
    "two-drug": {
        "regimen": [
            {"drug": "clonazepam", "doses": {"morning": "0.5", "midday": "0.5"}},
            {"drug": "zolpidem", "doses": {"night": "10"}},
        ],
        "switch_to_diazepam": False,
    },
    "liquid": {
        "regimen": [{"drug": "diazepam", "doses": {"night": "5"}}],
        "switch_to_diazepam": False,
    },
}


class Command(BaseCommand):
    help = "Write a sample printable schedule (demo patient, no database) to a PDF file."
    requires_system_checks: list[str] = []  # needs no database, URLs or models

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", default="var/sample.pdf", help="PDF file to write.")
        parser.add_argument("--plan", choices=sorted(SAMPLES), default="crossover")
        parser.add_argument("--country", choices=["GB", "US"], default="GB")
        parser.add_argument("--html", action="store_true", help="Also write the HTML beside it.")

    def handle(self, *args: Any, **options: Any) -> None:
        body = default_request(country=options["country"], **SAMPLES[options["plan"]])
        data = document_render.demo_schedule_data(country=options["country"], body=body)
        output = Path(options["output"])
        output.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        html = pdf.render_html(data)
        rendered = pdf.html_to_pdf(html)
        elapsed = (time.perf_counter() - started) * 1000
        output.write_bytes(rendered.content)
        if options["html"]:
            output.with_suffix(".html").write_text(html, encoding="utf-8")
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {output} ({options['plan']}, {options['country']}): "
                f"{rendered.page_count} pages, {len(rendered.content) // 1024} KiB, "
                f"{elapsed:.0f} ms."
            )
        )
