"""The patient's printable schedule: plain data in, PDF bytes out (WeasyPrint).

No database and no side effects: :mod:`schedules.documents` loads the rows into a
:class:`ScheduleData` and stores what :func:`render_pdf` returns. The pieces are separate so the
benchmark can time them: :func:`build_context` (weekly rows, pictograms, pharmacy totals),
:func:`render_html` (the Django template) and :func:`html_to_pdf` (WeasyPrint alone).

WeasyPrint fetches nothing from the network: :class:`StaticOnlyURLFetcher` serves the app's own
static files (through the staticfiles finders) and refuses every other URL, ``file://`` and
``data:`` included. The stylesheet is read from disk, never over HTTP.

All patient-facing words are marked for translation; :func:`render_html` renders in
``data.language``.
"""

from __future__ import annotations

import datetime
import functools
import logging
import math
import mimetypes
import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import weasyprint
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from catalogue.labels import ProductLabel, num
from schedules.documents.charts import FONT, dose_chart_svg
from schedules.exports.dispensing import dispensing_summary
from schedules.exports.wording import (
    count_words,
    dose_words,
    product_for,
    stop_lines,
    stops_on,
    unit_words,
)

# WeasyPrint logs every layout step at INFO; a worker renders many documents, so keep warnings
# (refused fetches, unsupported CSS) and drop the progress chatter.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

__all__ = [
    "STATIC_ORIGIN",
    "STYLESHEET",
    "TEMPLATE",
    "FetchRefused",
    "RenderedPdf",
    "ScheduleData",
    "StaticOnlyURLFetcher",
    "build_context",
    "html_to_pdf",
    "render_html",
    "render_pdf",
]

TEMPLATE = "pdf/taper_plan.html"
STYLESHEET = "pdf/taper_plan.css"
#: The pretend origin relative URLs resolve against; only our fetcher understands it.
STATIC_ORIGIN = "https://static.taper-clinic.invalid"
PAGE_SIZES = {"GB": "A4", "US": "letter"}
#: The chart's labels in the stylesheet's embedded face (``@font-face`` in the stylesheet), the
#: installed DejaVu Sans after it.
CHART_FONT = f"Taper Sans, {FONT}"
SLOTS = ("morning", "midday", "evening", "night")
LIQUID_UNITS = frozenset({"mL", "ml"})
DAYS_PER_ROW = 7
#: A step's weeks share one row of the table, up to this many: the doses are printed once and
#: each week gets its own dated row of tick boxes. Two keeps a row well inside a page.
WEEKS_PER_ROW = 2


# --- Input -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleData:
    """Everything the printable schedule shows, already loaded (no model instances)."""

    patient_name: str
    patient_dob: datetime.date
    patient_mrn: str
    clinic_name: str
    clinic_country: str
    clinic_phone: str
    prescriber_name: str
    prescriber_professional_id: str
    revision_number: int
    signed_on: datetime.date
    effective_from: datetime.date
    steps: Sequence[Mapping[str, Any]]
    products: Mapping[str, ProductLabel]
    drug_names: Mapping[str, str]
    replaces_signed_on: datetime.date | None = None
    target_mg: Decimal = Decimal(0)
    period_days: int = 28
    language: str = "en-gb"
    #: What the patient took before the plan, ``(drug slug, mg a day)``: the summary's "from"
    #: when the plan opens with a cross-over (its first step already has some diazepam).
    start_regimen: Sequence[tuple[str, Decimal]] | None = None
    #: Who recorded this revision when it was not the prescriber (a nurse's hold): the
    #: prescriber line then reads "Dr A; hold recorded by Nurse B".
    hold_recorded_by: str = ""


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    page_count: int


def _date(value: Any) -> datetime.date:
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value))


# --- Formatting helpers ----------------------------------------------------------------------


def _num(value: Decimal) -> str:
    """``Decimal("10.00")`` -> ``"10"``; ``Decimal("0.50")`` -> ``"0.5"``."""
    return num(value)


def _day(value: datetime.date) -> str:
    return formats.date_format(value, "j M Y")


def _short_day(value: datetime.date) -> str:
    return formats.date_format(value, "j M")


def _weekday(value: datetime.date) -> str:
    return formats.date_format(value, "D")


def slot_label(slot: str) -> str:
    return {
        "morning": _("Morning"),
        "midday": _("Midday"),
        "evening": _("Evening"),
        "night": _("Night"),
    }.get(slot, slot)


def _form_noun(form: str, n: int) -> str:
    if form == "capsule":
        return ngettext("capsule", "capsules", n)
    if form == "odt":
        return ngettext("orally disintegrating tablet", "orally disintegrating tablets", n)
    if form == "er_tablet":
        return ngettext("extended-release tablet", "extended-release tablets", n)
    return ngettext("tablet", "tablets", n)


def _and_join(parts: Sequence[str]) -> str:
    if not parts:
        return ""
    text = parts[0]
    for part in parts[1:-1]:
        text = _("%(first)s, %(second)s") % {"first": text, "second": part}
    if len(parts) > 1:
        text = _("%(first)s and %(second)s") % {"first": text, "second": parts[-1]}
    return text


# --- Pictograms (static SVG files, black and white) --------------------------------------------

#: The pictogram files under ``static/pdf/pictograms/``, referenced by ``<img>`` (through
#: :class:`StaticOnlyURLFetcher`) rather than inlined: a 52-week schedule repeats a handful of
#: drawings a hundred times, and an inline ``<svg>`` is parsed, styled and laid out as a tree of
#: elements on every occurrence, an ``<img>`` as one replaced box. The ``<img>`` is the PNG
#: made from each SVG at 600 dpi (``static/pdf/pictograms/README.md``): WeasyPrint writes a
#: raster image into the PDF once and points every occurrence at it, where it draws an SVG
#: again, element by element, at every occurrence.
PICTOGRAM_DIR = "pdf/pictograms"
#: kind -> (file stem, width, height in CSS px).
_PICTOGRAMS = {
    "whole": ("tablet-whole", 18, 18),
    "whole-scored": ("tablet-whole-scored", 18, 18),
    "half": ("tablet-half", 18, 18),
    "quarter": ("tablet-quarter", 18, 18),
    "three_quarter": ("tablet-three-quarters", 18, 18),
    "capsule": ("capsule", 25, 18),
    "syringe": ("syringe", 33, 18),
}


@functools.cache
def _pictogram(kind: str) -> str:
    stem, width, height = _PICTOGRAMS[kind]
    css_class = "whole" if kind == "whole-scored" else kind
    return (
        f'<img class="pill {css_class}" src="{PICTOGRAM_DIR}/{stem}.png" '
        f'width="{width}" height="{height}" alt="">'
    )


def _piece_svg(kind: str, scored: bool) -> str:
    return _pictogram("whole-scored" if scored and kind == "whole" else kind)


_SYRINGE = _pictogram("syringe")


@functools.cache
def _pieces(count: Decimal, form: str, scored: bool) -> SafeString:
    """The pictograms for ``count`` tablets: whole circles, then a ¾, ½ or ¼ piece."""
    if form == "capsule":
        return mark_safe(_pictogram("capsule") * max(int(count), 1))  # noqa: S308  # nosec B308 B703 (constant markup)
    whole = int(count)
    rest = count - whole
    parts = [_piece_svg("whole", scored)] * whole
    kind = {Decimal("0.75"): "three_quarter", Decimal("0.5"): "half", Decimal("0.25"): "quarter"}
    if rest in kind:
        parts.append(_piece_svg(kind[rest], scored))
    elif rest:
        parts.append(_piece_svg("half", scored))
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308 B703 (constant markup, no input text)


def _legend() -> list[dict[str, Any]]:
    return [
        {"svg": _pieces(Decimal(1), "tablet", False), "text": _("a whole tablet")},
        {"svg": _pieces(Decimal("0.5"), "tablet", False), "text": _("half a tablet")},
        {"svg": _pieces(Decimal("0.25"), "tablet", False), "text": _("a quarter of a tablet")},
        {"svg": mark_safe(_SYRINGE), "text": _("liquid: measure the mL with the oral syringe")},  # noqa: S308  # nosec B308 B703
    ]


# --- Context ---------------------------------------------------------------------------------


def _unit_view(unit: Mapping[str, Any], product: ProductLabel) -> dict[str, Any]:
    """Pictogram, caption and words of one part of a dose; the words are
    :func:`schedules.exports.wording.unit_words`, as on every other output."""
    count = Decimal(str(unit["count"]))
    words = unit_words(unit, product)
    if product.is_liquid or unit.get("unit") in LIQUID_UNITS:
        return {
            "svg": mark_safe(_SYRINGE),  # noqa: S308  # nosec B308 B703 (constant markup)
            "caption": _("%(volume)s mL") % {"volume": _num(count)},
            "words": words,
            "liquid": True,
        }
    form = product.form if unit.get("unit") != "capsule" else "capsule"
    return {
        "svg": _pieces(count, form, bool(product.scored)),
        "caption": product.strength,
        "words": words,
        "liquid": False,
    }


def _dose_lines(step: Mapping[str, Any], data: ScheduleData) -> list[dict[str, Any]]:
    doses = sorted(
        step.get("doses") or (),
        key=lambda d: (SLOTS.index(d["slot"]) if d["slot"] in SLOTS else 9, d["drug"]),
    )
    lines = []
    previous_slot = None
    for dose in doses:
        drug_name = data.drug_names.get(dose["drug"], dose["drug"])
        units = [
            _unit_view(u, product_for(u, dose["drug"], data.products))
            for u in dose.get("units") or ()
        ]
        lines.append(
            {
                "slot": dose["slot"],
                "slot_label": slot_label(dose["slot"]),
                "same_slot": dose["slot"] == previous_slot,
                "drug_name": drug_name,
                "mg": _("%(mg)s mg") % {"mg": _num(Decimal(str(dose["mg"])))},
                "units": units,
                "words": dose_words(dose, data.products),
            }
        )
        previous_slot = dose["slot"]
    return lines


def _daily_totals(step: Mapping[str, Any], data: ScheduleData) -> list[tuple[str, Decimal]]:
    totals: dict[str, Decimal] = {}
    for dose in step.get("doses") or ():
        totals[dose["drug"]] = totals.get(dose["drug"], Decimal(0)) + Decimal(str(dose["mg"]))
    return [(data.drug_names.get(drug, drug), mg) for drug, mg in totals.items()]


def _totals_text(totals: list[tuple[str, Decimal]]) -> str:
    return _and_join(
        [_("%(drug)s %(mg)s mg") % {"drug": name, "mg": _num(mg)} for name, mg in totals]
    )


def _signature(step: Mapping[str, Any]) -> tuple[tuple[str, str, str], ...]:
    return tuple(
        sorted((d["slot"], d["drug"], _num(Decimal(str(d["mg"])))) for d in step.get("doses") or ())
    )


def _shown_steps(data: ScheduleData) -> list[Mapping[str, Any]]:
    """Steps from the revision's effective date on; earlier ones were on the previous sheet."""
    steps = sorted(data.steps, key=lambda s: (_date(s["start_date"]), int(s.get("index", 0))))
    shown = []
    for step in steps:
        start = _date(step["start_date"])
        days = int(step.get("days") or 0)
        end = start + datetime.timedelta(days=max(days, 1) - 1)
        if end >= data.effective_from or step.get("phase") == "stop":
            shown.append(step)
    return shown or steps


def _cell(text: str, width: int = 5) -> str:
    """Centre ``text`` in ``width`` monospace characters (the day labels over the tick boxes)."""
    return text[:width].center(width)


def _week_strip(start: datetime.date, days: int) -> dict[str, Any]:
    """One row of seven tick boxes from ``start``, the first ``days`` of them in use."""
    dates = [start + datetime.timedelta(days=i) for i in range(DAYS_PER_ROW)]
    end = dates[days - 1]
    return {
        "start": start,
        "end": end,
        # Days after the step's end print as blanks, over the greyed-out boxes.
        "weekday_line": "".join(_cell(_weekday(d) if d <= end else "") for d in dates),
        "day_line": "".join(_cell(formats.date_format(d, "j") if d <= end else "") for d in dates),
        "active_days": days,
        "off_days": DAYS_PER_ROW - days,
    }


def _week_rows(steps: list[Mapping[str, Any]], data: ScheduleData) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    stops = stop_lines(
        data.steps, data.drug_names, [drug for drug, _mg in data.start_regimen or ()]
    )
    previous_signature: tuple[tuple[str, str, str], ...] | None = None
    week_count = 0
    for step in steps:
        start = _date(step["start_date"])
        phase = str(step.get("phase") or "taper")
        signature = _signature(step)
        changed = previous_signature is not None and signature != previous_signature
        previous_signature = signature
        if phase == "stop" or not step.get("doses"):
            rows.append(
                {
                    "stop": True,
                    "start": _day(start),
                    "week": week_count + 1,
                    "change": True,
                    "drugs": "",
                    "stops": stops_on(stops, start),
                }
            )
            week_count += 1
            continue
        lines = _dose_lines(step, data)
        totals = _totals_text(_daily_totals(step, data))
        days = int(step.get("days") or 0)
        chunks = max(1, math.ceil(days / DAYS_PER_ROW))
        weeks: list[tuple[int, dict[str, Any]]] = []
        for chunk in range(chunks):
            c_start = start + datetime.timedelta(days=chunk * DAYS_PER_ROW)
            c_days = min(DAYS_PER_ROW, days - chunk * DAYS_PER_ROW)
            if c_start + datetime.timedelta(days=c_days - 1) >= data.effective_from:
                weeks.append((chunk, _week_strip(c_start, c_days)))
        blocks = [weeks[i : i + WEEKS_PER_ROW] for i in range(0, len(weeks), WEEKS_PER_ROW)]
        for number, block in enumerate(blocks):
            first_chunk, first = block[0]
            last = block[-1][1]
            week = week_count + 1
            week_count += len(block)
            rows.append(
                {
                    "stop": False,
                    # Counted in rows of 7 days, not calendar maths: steps may be 10 days.
                    "week": week,
                    "week_label": _("Week %(week)s") % {"week": week}
                    if len(block) == 1
                    else _("Weeks %(first)s\u2013%(last)s") % {"first": week, "last": week_count},
                    "start": _day(first["start"]),
                    "end": _day(last["end"]),
                    "dates": _("%(start)s to %(end)s")
                    % {"start": _short_day(first["start"]), "end": _day(last["end"])},
                    "change": first_chunk == 0 and changed,
                    "phase": phase,
                    "phase_label": {
                        "crossover": _("Switching to diazepam"),
                        "hold": _("Hold: same dose as before"),
                    }.get(phase, ""),
                    "lines": lines,
                    "totals": totals,
                    "weeks": [strip for _chunk, strip in block],
                    # One strip: its dates head the first dose line's boxes, as on a calendar.
                    # More: each strip of every dose line carries its own dates.
                    "dated_strips": len(block) > 1,
                    "weekday_line": first["weekday_line"],
                    "day_line": first["day_line"],
                    "hold_row": number == len(blocks) - 1,
                    "step_index": step.get("index"),
                    "stops": stops_on(stops, start) if first_chunk == 0 else [],
                }
            )
    return rows


def _summary(steps: list[Mapping[str, Any]], data: ScheduleData) -> dict[str, Any]:
    dosing = [s for s in steps if s.get("doses")]
    if not dosing:
        return {}
    first, last = dosing[0], dosing[-1]
    start = max(_date(first["start_date"]), data.effective_from)
    stop = next((s for s in steps if s.get("phase") == "stop"), None)
    end_day = (
        _date(stop["start_date"])
        if stop
        else _date(last["start_date"]) + datetime.timedelta(days=int(last["days"]))
    )
    weeks = max(1, math.ceil((end_day - start).days / DAYS_PER_ROW))
    if data.start_regimen and first.get("phase") == "crossover":
        from_text = _totals_text(
            [(data.drug_names.get(drug, drug), mg) for drug, mg in data.start_regimen]
        )
    else:
        from_text = _totals_text(_daily_totals(first, data))
    if stop:
        to_text = _("stopping completely")
    else:
        to_text = _("%(totals)s a day") % {"totals": _totals_text(_daily_totals(last, data))}
    as_of = max(data.signed_on, start)
    next_change = None
    previous = None
    for step in steps:
        signature = _signature(step)
        if previous is not None and signature != previous and _date(step["start_date"]) > as_of:
            next_change = _date(step["start_date"])
            break
        previous = signature
    switching = [s for s in dosing if s.get("phase") == "crossover"]
    switch_from = sorted(
        {
            data.drug_names.get(d["drug"], d["drug"])
            for s in switching
            for d in s.get("doses") or ()
            if d["drug"] != "diazepam"
        }
    )
    return {
        "from": _("%(totals)s a day") % {"totals": from_text},
        "to": to_text,
        "weeks": weeks,
        "start": _day(start),
        "end": _day(end_day),
        "next_change": _day(next_change) if next_change else None,
        "switch_from": _and_join(switch_from) if switch_from else None,
        "switch_to": data.drug_names.get("diazepam", "diazepam"),
        "starts_later": start > data.signed_on,
    }


def _medicines(steps: Sequence[Mapping[str, Any]], data: ScheduleData) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for step in steps:
        for dose in step.get("doses") or ():
            for unit in dose.get("units") or ():
                slug = unit["product"]
                if slug in seen:
                    continue
                product = product_for(unit, dose["drug"], data.products)
                seen[slug] = {
                    "slug": slug,
                    "name": product.label,
                    "unit": "mL" if product.is_liquid else _form_noun(product.form, 2),
                    "note": _("scored: may be halved along the line")
                    if product.scored
                    else (_("measure with an oral syringe") if product.is_liquid else ""),
                }
    return list(seen.values())


def _pharmacy(data: ScheduleData) -> list[dict[str, Any]]:
    """The pharmacy page's periods: :func:`schedules.exports.dispensing.dispensing_summary`,
    the one dispensing calculation the plan page and the API show too."""
    periods = dispensing_summary(
        {"steps": list(data.steps), "effective_from": data.effective_from.isoformat()},
        products=data.products,
        period_days=data.period_days,
    )
    out = []
    for period in periods:
        lines = []
        for item in period.items:
            if item.is_liquid:
                quantity = _("%(volume)s mL") % {"volume": _num(item.quantity)}
                supply = quantity
            else:
                noun = _form_noun(item.unit if item.unit == "capsule" else "tablet", 2)
                quantity = f"{count_words(item.quantity)} {noun}"
                supply = f"{_num(item.dispense)} {noun}"
            lines.append({"product": item.label, "quantity": quantity, "supply": supply})
        out.append(
            {
                "number": period.index,
                "dates": _("%(start)s to %(end)s")
                % {"start": _day(period.start_date), "end": _day(period.end_date)},
                "days": period.days,
                "lines": lines,
            }
        )
    return out


def build_context(data: ScheduleData) -> dict[str, Any]:
    """The template's context: every value already formatted (templates format, never compute)."""
    steps = _shown_steps(data)
    medicines = _medicines(steps, data)
    rows = _week_rows(steps, data)
    last_drugs = sorted(
        {
            data.drug_names.get(d["drug"], d["drug"])
            for s in steps
            if s.get("doses")
            for d in s["doses"]
        }
    )
    for row in rows:
        if row["stop"]:
            row["drugs"] = _and_join(last_drugs)
    country = data.clinic_country if data.clinic_country in PAGE_SIZES else "GB"
    return {
        "page_size": PAGE_SIZES[country],
        "country": country,
        "patient": {
            "name": data.patient_name,
            "dob": _day(data.patient_dob),
            "mrn": data.patient_mrn,
        },
        "clinic": {"name": data.clinic_name, "phone": data.clinic_phone},
        "prescriber": {
            "name": data.prescriber_name,
            "professional_id": data.prescriber_professional_id,
            "hold_recorded_by": data.hold_recorded_by,
        },
        "version": data.revision_number,
        "signed_on": _day(data.signed_on),
        "replaces": _day(data.replaces_signed_on) if data.replaces_signed_on else None,
        "summary": _summary(steps, data),
        "rows": rows,
        "two_week_rows": any(row.get("dated_strips") for row in rows),
        "medicines": medicines,
        "legend": _legend(),
        "chart": mark_safe(  # noqa: S308  # nosec B308 B703 (escaped by the chart)
            dose_chart_svg(steps, width=680, height=230, font_family=CHART_FONT)
        ),
        "pharmacy": _pharmacy(data),
        "period_days": data.period_days,
        "note_lines": range(16),
    }


def render_html(data: ScheduleData) -> str:
    """The schedule as HTML, in ``data.language``."""
    with translation.override(data.language):
        return render_to_string(TEMPLATE, build_context(data))


# --- WeasyPrint ------------------------------------------------------------------------------


class FetchRefused(ValueError):
    """WeasyPrint asked for a URL that is not one of the app's static files."""


class StaticOnlyURLFetcher(URLFetcher):
    """Serve ``/static/...`` from the staticfiles finders; refuse everything else.

    Relative URLs resolve against :data:`STATIC_ORIGIN` (the ``base_url`` we give WeasyPrint),
    so ``pdf/x.svg`` and ``/static/pdf/x.svg`` both land here. ``http(s)`` to anywhere else,
    ``file://``, ``data:`` and path tricks (``..``) raise :class:`FetchRefused` before any I/O.
    """

    def __init__(self) -> None:
        super().__init__(timeout=1, allowed_protocols=("https",), allow_redirects=False)

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        path = self.static_path(url)
        if path is None:
            raise FetchRefused(f"Refused to fetch {url[:80]!r}: only the app's static files.")
        content_type = mimetypes.guess_type(str(path))[0] or "application/octet-stream"
        return URLFetcherResponse(
            url,
            body=path.read_bytes(),
            headers={"Content-Type": content_type},
        )

    @staticmethod
    def static_path(url: str) -> Path | None:
        """The file behind ``url`` when it is one of our static files, else ``None``."""
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != STATIC_ORIGIN or parts.query:
            return None
        prefix = _static_prefix()
        path = unquote(parts.path)
        if not path.startswith(prefix):
            return None
        relative = path[len(prefix) :]
        if not relative or relative != posixpath.normpath(relative) or ".." in relative.split("/"):
            return None
        if relative.startswith("/") or "\\" in relative or "\x00" in relative:
            return None
        try:
            found = finders.find(relative)
        except Exception:  # SuspiciousFileOperation and friends: refuse, never raise through
            return None
        if not found or isinstance(found, list):
            return None
        candidate = Path(found)
        return candidate if candidate.is_file() else None


def _static_prefix() -> str:
    from django.conf import settings

    path = urlsplit(settings.STATIC_URL or "/static/").path or "/static/"
    path = "/" + path.lstrip("/")
    return path if path.endswith("/") else path + "/"


def base_url() -> str:
    return STATIC_ORIGIN + _static_prefix()


@functools.cache
def _stylesheet(path: str, mtime: float, base: str) -> weasyprint.CSS:
    # Read from disk, but resolve the stylesheet's own url(...)s against the static origin so
    # they go through the restricted fetcher like everything else.
    return weasyprint.CSS(
        string=Path(path).read_text(encoding="utf-8"),
        base_url=base + posixpath.dirname(STYLESHEET) + "/",
        url_fetcher=StaticOnlyURLFetcher(),
        font_config=font_config(),
    )


def stylesheet() -> weasyprint.CSS:
    """The print stylesheet, read from disk through the finders and parsed once per change."""
    found = finders.find(STYLESHEET)
    if not found or isinstance(found, list):
        raise FileNotFoundError(STYLESHEET)
    return _stylesheet(found, Path(found).stat().st_mtime, base_url())


@functools.cache
def font_config() -> FontConfiguration:
    """One Fontconfig setup per process, shared by every render.

    A new one per document re-reads every installed font (slow) and is what makes a long-lived
    worker's memory creep (WeasyPrint recommends sharing it). Celery's prefork workers render
    one document at a time per process.
    """
    return FontConfiguration()


def html_to_pdf(html: str) -> RenderedPdf:
    """WeasyPrint alone: lay out ``html`` with the print stylesheet and write the PDF."""
    document = weasyprint.HTML(
        string=html, base_url=base_url(), url_fetcher=StaticOnlyURLFetcher()
    ).render(stylesheets=[stylesheet()], font_config=font_config())
    return RenderedPdf(content=document.write_pdf(), page_count=len(document.pages))


def render_pdf(data: ScheduleData) -> RenderedPdf:
    """The printable schedule of ``data`` as PDF bytes and the number of pages."""
    return html_to_pdf(render_html(data))
