"""The score trend over weeks with the dose steps behind it: one SVG built in Python, every text
escaped, no JavaScript (the approach of :mod:`schedules.documents.charts`)."""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Sequence
from decimal import Decimal
from html import escape

from django.utils import formats
from django.utils.translation import gettext as _

from checkins.models import CheckIn
from schedules.models import PlanStep


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def trend_svg(
    checkins: Sequence[CheckIn],
    steps: Sequence[PlanStep],
    *,
    zone: str,
    width: int = 640,
    height: int = 240,
) -> str:
    """Scores (as a share of each check-in's maximum, so 68 and 80 compare) as a line with dots,
    and the daily diazepam-equivalent dose as grey steps behind it."""
    title = _("Check-in scores over time, with the daily dose (diazepam equivalent)")
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="trend-chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-size="11" '
        f'font-family="sans-serif" data-testid="trend-chart"><title>{escape(title)}</title>',
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
    ]
    tz = zoneinfo.ZoneInfo(zone)
    points = [(c.created_at.astimezone(tz).date(), c) for c in checkins]
    if not points:
        out.append(
            f'<text x="{width // 2}" y="{height // 2}" text-anchor="middle">'
            f"{escape(_('No check-ins yet.'))}</text></svg>"
        )
        return "".join(out)
    first = min(p[0] for p in points) - datetime.timedelta(days=3)
    last = max(p[0] for p in points) + datetime.timedelta(days=3)
    span = max((last - first).days, 1)
    left, right, top, bottom = 44, 50, 14, 32
    plot_w, plot_h = width - left - right, height - top - bottom
    top_mg = max((s.equivalent_mg for s in steps), default=Decimal(0)) or Decimal(1)

    def x(day: datetime.date) -> float:
        return left + plot_w * min(max((day - first).days, 0), span) / span

    def y_share(share: float) -> float:
        return top + plot_h * (1 - share)

    for step in steps:
        if step.end_date < first or step.start_date > last or step.equivalent_mg <= 0:
            continue
        x0 = x(max(step.start_date, first))
        x1 = x(min(step.end_date + datetime.timedelta(days=1), last))
        y0 = y_share(float(step.equivalent_mg / top_mg) * 0.9)
        out.append(
            f'<rect x="{_n(x0)}" y="{_n(y0)}" width="{_n(x1 - x0)}" '
            f'height="{_n(top + plot_h - y0)}" fill="#e6eef5"/>'
        )
    for share in (0, 0.25, 0.5, 0.75, 1):
        ty = y_share(share)
        out.append(
            f'<line x1="{left}" y1="{_n(ty)}" x2="{left + plot_w}" y2="{_n(ty)}" '
            f'stroke="#d4d4d4"/><text x="{left - 4}" y="{_n(ty + 4)}" text-anchor="end">'
            f"{int(share * 100)}%</text>"
        )
    label = escape(_("dose (grey): top = %(mg)s mg/day") % {"mg": top_mg.normalize()})
    out.append(
        f'<text x="{width - 4}" y="{top + 10}" text-anchor="end" fill="#4a6a85">{label}</text>'
    )
    coords = [(x(day), y_share(c.total / c.max if c.max else 0)) for day, c in points]
    out.append(
        '<polyline fill="none" stroke="#1d5d8c" stroke-width="2" points="'
        + " ".join(f"{_n(cx)},{_n(cy)}" for cx, cy in coords)
        + '"/>'
    )
    for (day, c), (cx, cy) in zip(points, coords, strict=True):
        colour = "#b3261e" if c.urgent else "#1d5d8c"
        tip = escape(f"{formats.date_format(day, 'j M Y')}: {c.total}/{c.max}")
        out.append(
            f'<circle cx="{_n(cx)}" cy="{_n(cy)}" r="4" fill="{colour}"><title>{tip}</title>'
            f'</circle><text x="{_n(cx)}" y="{_n(cy - 7)}" text-anchor="middle">{c.total}</text>'
            f'<text x="{_n(cx)}" y="{height - 12}" text-anchor="middle">'
            f"{escape(formats.date_format(day, 'j M'))}</text>"
        )
    out.append("</svg>")
    return "".join(out)
