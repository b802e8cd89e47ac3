"""The dose chart: diazepam-equivalent daily dose over time, as a small inline SVG.

Pure and deterministic: the same steps give the same markup, byte for byte. No database, no
request; every piece of text is escaped. It reads the ``revision_dict()["steps"]`` shape (also
the preview API's ``steps``), so the printable schedule and the plan builder draw the same chart.

Greyscale first: a black step line over light grid lines, cross-over steps hatched, hold steps
dotted, so it reads the same printed in black and white as on screen.

Example:
    >>> svg = dose_chart_svg([{"start_date": "2027-01-04", "end_date": "2027-01-17", "days": 14,
    ...                        "equivalent_mg": "20", "phase": "taper"}])
    >>> svg.startswith("<svg")
    True
"""

from __future__ import annotations

import datetime
import hashlib
import math
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from html import escape
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _

__all__ = ["dose_chart_svg"]

# Candidate y tick spacings, mg: the smallest giving at most MAX_Y_TICKS intervals wins.
_Y_STEPS = (
    Decimal("0.25"),
    Decimal("0.5"),
    Decimal(1),
    Decimal(2),
    Decimal("2.5"),
    Decimal(5),
    Decimal(10),
    Decimal(20),
    Decimal(25),
    Decimal(50),
    Decimal(100),
)
MAX_Y_TICKS = 5
MAX_X_LABELS = 8
FONT = "DejaVu Sans, Verdana, Arial, sans-serif"


def _date(value: Any) -> datetime.date:
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value))


def _mg(value: Any) -> Decimal:
    try:
        mg = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)
    return mg if mg.is_finite() and mg > 0 else Decimal(0)


def _fmt_mg(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _num(value: float) -> str:
    """Coordinates with one decimal place, no trailing ``.0`` (stable output)."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _y_step(top: Decimal) -> Decimal:
    for candidate in _Y_STEPS:
        if top / candidate <= MAX_Y_TICKS:
            return candidate
    return Decimal(10) ** math.ceil(math.log10(float(top)))


def _segments(steps: Sequence[Mapping[str, Any]]) -> list[tuple[datetime.date, int, Decimal, str]]:
    """(start, days, mg, phase) per step, in date order; a stop step lasts 0 days at 0 mg."""
    segments = []
    for step in steps:
        start = _date(step["start_date"])
        phase = str(step.get("phase") or "taper")
        days = int(step.get("days") or 0)
        if not days and phase != "stop":
            days = (_date(step.get("end_date") or start) - start).days + 1
        mg = Decimal(0) if phase == "stop" else _mg(step.get("equivalent_mg"))
        segments.append((start, max(days, 0), mg, phase))
    segments.sort(key=lambda segment: segment[0])
    return segments


def dose_chart_svg(
    steps: Sequence[Mapping[str, Any]],
    *,
    width: int = 640,
    height: int = 220,
    font_family: str = FONT,
) -> str:
    """Return an ``<svg>`` step chart of the daily diazepam-equivalent dose per step.

    Args:
        steps: step mappings with ``start_date``, ``end_date``, ``days``, ``equivalent_mg``
            (decimal string) and ``phase``, as in ``revision_dict()["steps"]``.
        width, height: the drawing's size in CSS pixels; it scales down to its container.
        font_family: the labels' font list; the printable schedule names its own embedded
            fonts first.

    Returns:
        Self-contained SVG markup, safe to insert into HTML (every text is escaped).
    """
    width = max(int(width), 240)
    height = max(int(height), 120)
    title = _("Daily dose over time (diazepam equivalent, mg per day)")
    segments = _segments(steps)
    left, right, top, bottom = 56, 14, 16, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    ident = "dc" + hashlib.sha256(repr((segments, width, height)).encode()).hexdigest()[:10]

    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="dose-chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="{ident}-title" font-family="{escape(font_family)}" font-size="11">',
        f'<title id="{ident}-title">{escape(title)}</title>',
    ]
    if not segments:
        out.append(
            f'<text x="{width // 2}" y="{height // 2}" text-anchor="middle" fill="#333">'
            f"{escape(_('No steps to show yet.'))}</text></svg>"
        )
        return "".join(out)

    first = segments[0][0]
    last_day = max(start + datetime.timedelta(days=days) for start, days, _mg, _p in segments)
    ends_at_zero = segments[-1][2] == 0
    span = max((last_day - first).days, 1)
    # A plan that ends at 0 mg gets a short tail at zero, so the stop is visible.
    span_total = span + (max(3, span // 20) if ends_at_zero else 0)
    top_mg = max(segment[2] for segment in segments)
    if top_mg <= 0:
        top_mg = Decimal(1)
    y_step = _y_step(top_mg)
    y_max = y_step * math.ceil(top_mg / y_step)

    def x(day: datetime.date) -> float:
        return left + plot_w * (day - first).days / span_total

    def y(mg: Decimal) -> float:
        return top + plot_h * (1 - float(mg / y_max))

    out.append(
        f'<defs><pattern id="{ident}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="#8c8c8c" stroke-width="2"/></pattern></defs>'
    )
    out.append(f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>')

    # Horizontal grid and y labels (mg).
    tick = Decimal(0)
    while tick <= y_max:
        ty = _num(y(tick))
        out.append(
            f'<line x1="{left}" y1="{ty}" x2="{left + plot_w}" y2="{ty}" '
            f'stroke="{"#555555" if tick == 0 else "#d4d4d4"}" stroke-width="1"/>'
        )
        label = escape(_("%(mg)s mg") % {"mg": _fmt_mg(tick)})
        out.append(
            f'<text x="{left - 6}" y="{_num(y(tick) + 4)}" text-anchor="end" fill="#222">'
            f"{label}</text>"
        )
        tick += y_step

    # Shaded areas under each step: light grey; cross-over hatched.
    for start, days, mg, phase in segments:
        if days <= 0 or mg <= 0:
            continue
        x0, x1 = x(start), x(start + datetime.timedelta(days=days))
        fill = f"url(#{ident}-hatch)" if phase == "crossover" else "#ececec"
        out.append(
            f'<rect x="{_num(x0)}" y="{_num(y(mg))}" width="{_num(x1 - x0)}" '
            f'height="{_num(y(Decimal(0)) - y(mg))}" fill="{fill}"/>'
        )

    # X labels: dates at evenly spaced weeks from the start.
    weeks = max(1, math.ceil(span_total / 7))
    every = max(1, math.ceil(weeks / MAX_X_LABELS))
    base_y = y(Decimal(0))
    for week in range(0, weeks + 1, every):
        day = first + datetime.timedelta(days=7 * week)
        if (day - first).days > span_total:
            break
        tx = _num(x(day))
        out.append(
            f'<line x1="{tx}" y1="{_num(base_y)}" x2="{tx}" y2="{_num(base_y + 5)}" '
            f'stroke="#555555" stroke-width="1"/>'
        )
        label = formats.date_format(day, "j M")
        if week == 0 or day.year != (day - datetime.timedelta(days=7 * every)).year:
            label = formats.date_format(day, "j M Y")
        # Near the right edge, end the label at the tick so it is not cut off.
        anchor = "end" if x(day) > width - right - 3.5 * len(label) else "middle"
        out.append(
            f'<text x="{tx}" y="{_num(base_y + 17)}" text-anchor="{anchor}" fill="#222">'
            f"{escape(label)}</text>"
        )

    # The step line itself.
    points: list[str] = []
    prev_mg: Decimal | None = None
    for start, days, mg, _phase in segments:
        x0 = x(start)
        if prev_mg is None:
            points.append(f"M{_num(x0)} {_num(y(mg))}")
        elif mg != prev_mg:
            points.append(f"H{_num(x0)} V{_num(y(mg))}")
        if days > 0:
            points.append(f"H{_num(x(start + datetime.timedelta(days=days)))}")
        prev_mg = mg
    if ends_at_zero:
        points.append(f"H{_num(left + plot_w)}")
    out.append(
        f'<path d="{" ".join(points)}" fill="none" stroke="#000000" stroke-width="2.2" '
        f'stroke-linejoin="miter"/>'
    )
    # Hold steps: a dotted overline, so a hold reads as "same dose, longer".
    for start, days, mg, phase in segments:
        if phase == "hold" and days > 0:
            out.append(
                f'<line x1="{_num(x(start))}" y1="{_num(y(mg) - 5)}" '
                f'x2="{_num(x(start + datetime.timedelta(days=days)))}" y2="{_num(y(mg) - 5)}" '
                f'stroke="#000000" stroke-width="1.4" stroke-dasharray="2 3"/>'
            )
    # A dot where each new dose starts.
    prev_mg = None
    for start, _days, mg, _phase in segments:
        if mg != prev_mg:
            out.append(f'<circle cx="{_num(x(start))}" cy="{_num(y(mg))}" r="3" fill="#000000"/>')
        prev_mg = mg

    # Axis caption and legend.
    caption = escape(_("mg per day, diazepam equivalent"))
    out.append(f'<text x="{left}" y="{top - 5}" fill="#222" font-size="10">{caption}</text>')
    legend: list[tuple[str, str]] = []
    if any(phase == "crossover" for _s, _d, _m, phase in segments):
        legend.append(("hatch", _("switching to diazepam")))
    if any(phase == "hold" for _s, _d, _m, phase in segments):
        legend.append(("dots", _("hold (same dose for longer)")))
    lx: float = left + plot_w
    for kind, text in reversed(legend):
        label_w = 6.2 * len(text)
        lx -= label_w
        out.append(
            f'<text x="{_num(lx)}" y="{top - 5}" fill="#222" font-size="10">{escape(text)}</text>'
        )
        lx -= 16
        if kind == "hatch":
            out.append(
                f'<rect x="{_num(lx)}" y="{top - 13}" width="12" height="9" '
                f'fill="url(#{ident}-hatch)" stroke="#555555" stroke-width="0.8"/>'
            )
        else:
            out.append(
                f'<line x1="{_num(lx)}" y1="{top - 8}" x2="{_num(lx + 12)}" y2="{top - 8}" '
                f'stroke="#000000" stroke-width="1.4" stroke-dasharray="2 3"/>'
            )
        lx -= 12
    out.append("</svg>")
    return "".join(out)
