"""Display shapes for the staff pages: engine output (or a stored revision as the same dict)
turned into rows a template only has to print. Formatting only; no clinical decisions."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.utils.formats import date_format, localize
from django.utils.html import conditional_escape, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalogue.labels import ProductLabel
from schedules.engine.guardrails import RULES
from schedules.exports.wording import (
    dose_line,
    dose_words,
    product_for,
    stop_lines,
    stop_text,
    stops_on,
    unit_words,
)
from schedules.models import PlanRevision
from schedules.services.plans import reference

SLOTS = ("morning", "midday", "evening", "night")
SLOT_LABELS = {"morning": "Morning", "midday": "Midday", "evening": "Evening", "night": "Night"}
PHASE_LABELS = {
    "crossover": "Cross-over",
    "taper": "Reduction",
    "hold": "Hold",
    "stop": "Stop",
}


def mg_text(value: Any) -> str:
    """``Decimal("2.50")`` → ``"2.5"``; ``None`` → ``""``."""
    if value is None or value == "":
        return ""
    number = Decimal(str(value))
    text = format(number.normalize(), "f")
    return text


def rule_title(key: str) -> str:
    """The human title of a guardrail rule: ``"At most 25% in any 14 days"``."""
    rule = RULES.get(key)
    return rule.title if rule is not None else key.replace("-", " ").capitalize()


def source_label(key: Any) -> str:
    """A source's short name (``"Ashton 2007"``), never its key."""
    return reference().source_label(str(key or ""))


def _issue_view(issue: Mapping[str, Any]) -> dict[str, Any]:
    return {**issue, "title": rule_title(str(issue.get("rule", "")))}


def slots_used(steps: Iterable[Mapping[str, Any]]) -> list[str]:
    used = {dose["slot"] for step in steps for dose in step["doses"]}
    return [slot for slot in SLOTS if slot in used]


def _issues_by_step(
    issues: Iterable[Mapping[str, Any]],
) -> dict[int | None, list[Mapping[str, Any]]]:
    grouped: dict[int | None, list[Mapping[str, Any]]] = {}
    for issue in issues:
        grouped.setdefault(issue.get("step"), []).append(_issue_view(issue))
    return grouped


def step_rows(
    steps: Sequence[Mapping[str, Any]],
    *,
    violations: Sequence[Mapping[str, Any]] = (),
    warnings: Sequence[Mapping[str, Any]] = (),
    products: Mapping[str, ProductLabel],
    drug_names: Mapping[str, str],
    today: datetime.date | None = None,
    edits: Mapping[int, Mapping[str, Any]] | None = None,
    before: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """One row per step, with the doses of each slot written out and its issues beside it.

    ``build_index`` is the step number the engine's ``edits`` refer to (hold steps inserted by
    ``holds`` do not count); ``edit`` holds the edit already made to that step, if any. Doses
    are worded by :mod:`schedules.exports.wording` (the same words as the printable schedule
    and the exports); ``stops`` holds "Stop taking zopiclone from ..." on the step a drug
    leaves the regimen (``before``: the drugs taken before the plan).
    """
    slots = slots_used(steps)
    stops = stop_lines(steps, drug_names, before)
    by_violation = _issues_by_step(violations)
    by_warning = _issues_by_step(warnings)
    rows = []
    holds_before = 0
    for step in steps:
        phase = step["phase"]
        build_index = None if phase == "hold" else step["index"] - holds_before
        if phase == "hold":
            holds_before += 1
        cells = []
        for slot in slots:
            doses = [
                {
                    "drug": dose["drug"],
                    "drug_name": drug_names.get(dose["drug"], dose["drug"]),
                    "mg": mg_text(dose["mg"]),
                    "units": [
                        unit_words(u, product_for(u, dose["drug"], products)) for u in dose["units"]
                    ],
                    "words": dose_words(dose, products),
                    "line": dose_line(dose, drug_names.get(dose["drug"], dose["drug"]), products),
                }
                for dose in step["doses"]
                if dose["slot"] == slot
            ]
            cells.append({"slot": slot, "doses": doses, "html": _cell_html(doses)})
        start = _date(step["start_date"])
        end = _date(step["end_date"])
        drugs = list(dict.fromkeys(dose["drug"] for dose in step["doses"]))
        violations = by_violation.get(step["index"], [])
        warnings_ = by_warning.get(step["index"], [])
        is_today = today is not None and start <= today <= end and phase != "stop"
        edit = (edits or {}).get(build_index or -1)
        rows.append(
            {
                "index": step["index"],
                "build_index": build_index,
                "start_date": start,
                "end_date": end,
                "days": step["days"],
                "phase": phase,
                "phase_label": PHASE_LABELS.get(phase, phase),
                "equivalent_mg": mg_text(step["equivalent_mg"]),
                "reduction_percent": mg_text(step["reduction_percent"]),
                "change": change_text(step["reduction_percent"]),
                "cells": cells,
                "drugs": [(slug, drug_names.get(slug, slug)) for slug in drugs],
                "violations": violations,
                "warnings": warnings_,
                "is_today": is_today,
                "editable": phase in ("crossover", "taper"),
                "edit": edit,
                "edit_slot": f"edit_{build_index}",
                "stops": stops_on(stops, start),
                "css": _row_css(phase, bool(violations), bool(warnings_), is_today, bool(edit)),
                "dates": dates_text(phase, start, end, step["days"]),
            }
        )
    return rows


def _cell_html(doses: Sequence[Mapping[str, Any]]) -> SafeString:
    """A slot's doses as the steps table prints them in its cell: one line per drug with its
    mg, then the units to take (``+`` before the second and later units); a dash when none.
    Built here once per cell rather than by three nested template loops per row."""
    if not doses:
        return mark_safe('<span class="none">—</span>')  # nosec B308 B703 (constant markup)
    return format_html_join(
        "",
        '<div class="dose-line"><span class="dose-mg">{} <span class="nw">{} mg</span></span>'
        "{}</div>",
        (
            (
                dose["drug_name"],
                dose["mg"],
                format_html_join(
                    "",
                    '<span class="unit-line">{}{}</span>',
                    (("+ " if i else "", unit) for i, unit in enumerate(dose["units"])),
                ),
            )
            for dose in doses
        ),
    )


def _row_css(phase: str, violations: bool, warnings: bool, today: bool, edited: bool) -> str:
    """The steps table's row classes: ``step phase-taper has-violation is-today``..."""
    css = f"step phase-{phase}"
    if violations:
        css += " has-violation"
    elif warnings:
        css += " has-warning"
    if today:
        css += " is-today"
    if edited:
        css += " is-edited"
    return css


def dates_text(
    phase: str, start: datetime.date, end: datetime.date, days: int
) -> dict[str, SafeString | str]:
    """A step's (or a supply period's) dates as the tables print them, worded once here rather
    than by template tags for every row: what ``|date:"j M"`` and ``{% blocktranslate %}``
    would print (the translated text as it is, the values in it escaped)."""
    if phase == "stop":
        day = conditional_escape(date_format(start, "j M Y"))
        # Our own message with escaped values, as {% blocktranslate %} would print it.
        text = _("From %(day)s: no dose") % {"day": day}
        return {"no_dose": mark_safe(text)}  # noqa: S308  # nosec B308 B703 (values escaped above)
    count = conditional_escape(localize(days))
    plural = ngettext("%(n)s day", "%(n)s days", days) % {"n": count}
    return {
        "start": date_format(start, "j M"),
        "end": date_format(end, "j M Y"),
        # As {% blocktranslate count %}: the plural form chosen by the number of days.
        "days": mark_safe(plural),  # noqa: S308  # nosec B308 B703 (count escaped above)
    }


def change_text(reduction_percent: Any) -> dict[str, str] | None:
    """The change a step makes, signed once: a minus sign and 10% for a cut, ``+23.5%`` for a
    rise (the engine gives a rise as a negative reduction); ``None`` when the dose is the same."""
    value = Decimal(str(reduction_percent or 0))
    if value == 0:
        return None
    if value > 0:
        return {"text": f"\u2212{mg_text(value)}%", "kind": "cut"}
    return {"text": f"+{mg_text(-value)}%", "kind": "rise"}


def _date(value: Any) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def plan_issues(issues: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Issues that concern the whole plan (no step), each with its rule's human ``title``."""
    return [_issue_view(issue) for issue in issues if issue.get("step") is None]


def stop_rows(
    steps: Sequence[Mapping[str, Any]], drug_names: Mapping[str, str], before: Sequence[str] = ()
) -> list[str]:
    """Every "Stop taking <drug> from <date>" line of a plan, in date order."""
    return [stop_text(line) for line in stop_lines(steps, drug_names, before)]


# --- revision history -------------------------------------------------------------------------


def strategy_text(request: Mapping[str, Any]) -> str:
    """ "proportional 10% every 14 days", "linear 2 mg every 14 days", "banded every 14 days"."""
    strategy = request.get("strategy", "")
    every = ngettext(
        "every %(n)s day", "every %(n)s days", int(request.get("interval_days") or 0)
    ) % {"n": request.get("interval_days")}
    if strategy == "proportional":
        return f"{mg_text(request.get('reduction_percent'))}% {every}"
    if strategy == "linear":
        return f"{mg_text(request.get('step_mg'))} mg DE {every}"
    if strategy == "banded":
        return f"banded (CKS) {every}"
    return f"{strategy} {every}"


def _short(day: datetime.date) -> str:
    return day.strftime("%-d %b %Y")


def revision_changes(revision: PlanRevision, previous: PlanRevision | None) -> list[str]:
    """What this revision changed, in the words a clinician would use."""
    request, changes = revision.request, []
    if previous is None:
        changes.append(
            _("New plan: %(strategy)s from %(start)s mg DE a day; ends %(end)s.")
            % {
                "strategy": strategy_text(request),
                "start": mg_text(revision.start_equivalent_mg),
                "end": _short(revision.end_date),
            }
        )
        return changes
    before = previous.request
    new_holds = list(request.get("holds") or [])[len(before.get("holds") or []) :]
    for hold in new_holds:
        shown = _shown_step(previous, revision.effective_from)
        changes.append(
            _("Step %(step)s held %(days)s days")
            % {"step": shown or hold.get("step"), "days": hold.get("days")}
        )
    if strategy_text(before) != strategy_text(request) or before.get("strategy") != request.get(
        "strategy"
    ):
        changes.append(
            _("strategy %(old)s → %(new)s")
            % {"old": strategy_text(before), "new": strategy_text(request)}
        )
    if revision.kind == PlanRevision.Kind.RETURN:
        changes.append(
            _("back up to %(mg)s mg DE a day") % {"mg": mg_text(revision.start_equivalent_mg)}
        )
    if before.get("edits") != request.get("edits") and request.get("edits"):
        count = len(request.get("edits") or [])
        changes.append(
            ngettext("%(n)s step edited by hand", "%(n)s steps edited by hand", count)
            % {"n": count}
        )
    if before.get("equivalence_source") != request.get("equivalence_source"):
        changes.append(
            _("equivalence source %(old)s → %(new)s")
            % {
                "old": source_label(before.get("equivalence_source")),
                "new": source_label(request.get("equivalence_source")),
            }
        )
    if previous.end_date != revision.end_date:
        changes.append(
            _("end %(old)s → %(new)s")
            % {"old": _short(previous.end_date), "new": _short(revision.end_date)}
        )
    return changes or [_("No change to the schedule.")]


def _shown_step(revision: PlanRevision, day: datetime.date) -> int | None:
    """The number of ``revision``'s step in progress on ``day`` (never the stop step): read off
    its steps when they are loaded already, else one query for that number alone (the history
    needs no other step of an earlier revision)."""
    if "steps" in getattr(revision, "_prefetched_objects_cache", {}):
        for step in revision.steps.all():
            if step.start_date <= day <= step.end_date and step.phase != "stop":
                return step.index
        return None
    in_progress = revision.steps.filter(start_date__lte=day, end_date__gte=day).exclude(
        phase="stop"
    )
    return in_progress.order_by("index").values_list("index", flat=True).first()


def history_rows(revisions: Sequence[PlanRevision]) -> list[dict[str, Any]]:
    """Newest first: who, when, why, what changed, and the overrides recorded."""
    by_pk = {r.pk: r for r in revisions}
    rows = []
    for revision in revisions:
        previous = by_pk.get(revision.previous_id) if revision.previous_id else None
        rows.append(
            {
                "revision": revision,
                "changes": revision_changes(revision, previous),
                "overrides": list(revision.overrides.all()),
            }
        )
    return list(reversed(rows))
