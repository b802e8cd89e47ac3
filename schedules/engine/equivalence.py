"""Conversion to diazepam-equivalents (DE), per chosen source, with the spread across sources.

A figure says "``mg`` of the drug is equivalent to diazepam 10 mg" (clinical reference
section 1a), so ``DE = mg * 10 / figure``. Every source's figure for a drug is shown beside
the chosen one; when the highest and the lowest differ 1.5-fold or more the plan carries a
``sources-disagree`` warning (clinical reference section 1b: alprazolam, clonazepam,
lorazepam, oxazepam, quazepam, triazolam, flunitrazepam), and an unverified figure carries
``unverified-figure``. DE is shown to 0.01 mg (half-even); doses themselves stay exact.

Example:
    Alprazolam 2 mg three times a day with ashton-2007 (0.5 mg == diazepam 10 mg) is
    6 * 10 / 0.5 = 120 mg DE; with va-dod-2021 (1 mg) it is 60 mg DE.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from schedules.engine.guardrails import SOURCES_DISAGREE, UNVERIFIED_FIGURE
from schedules.engine.reference import DIAZEPAM, EquivalenceFigure, Reference
from schedules.engine.types import EquivalenceSummary, FigureUsed, Issue
from schedules.engine.units import TEN, div, fmt, q1

__all__ = [
    "DISAGREEMENT_RATIO",
    "equivalence_summary",
    "figure_for",
    "regimen_equivalents",
    "source_range",
    "to_equivalent",
]

#: Sources "disagree" when the highest figure is at least this multiple of the lowest.
DISAGREEMENT_RATIO = Decimal("1.5")
EN_DASH = "\u2013"
EQUIV = "\u2261"


def figure_for(reference: Reference, drug: str, source: str) -> EquivalenceFigure | None:
    """The figure ``source`` gives for ``drug``; diazepam is 10 mg by definition."""
    figure = reference.figure(drug, source)
    if figure is None and drug == DIAZEPAM:
        return EquivalenceFigure(
            drug=DIAZEPAM,
            source=source,
            mg=TEN,
            low=TEN,
            high=TEN,
            citation="Diazepam is the reference drug.",
        )
    return figure


def to_equivalent(mg: Decimal, figure_mg: Decimal) -> Decimal:
    """Diazepam-equivalent of ``mg`` of a drug whose figure is ``figure_mg``.

    Example:
        >>> to_equivalent(Decimal("1"), Decimal("0.5"))
        Decimal('20')
    """
    return div(mg * TEN, figure_mg)


def source_range(reference: Reference, drug: str) -> tuple[Decimal, Decimal] | None:
    """The lowest and highest ``mg`` figure any source gives for ``drug``."""
    figures = reference.figures_for(drug)
    if not figures:
        return None
    values = [figure.mg for figure in figures]
    return min(values), max(values)


def equivalence_summary(
    reference: Reference, source: str, drugs: Iterable[str]
) -> tuple[EquivalenceSummary, list[Issue]]:
    """The summary for a plan's ``equivalence`` field, and its equivalence warnings.

    Args:
        reference: the reference data.
        source: the chosen source key.
        drugs: the regimen's drugs (in regimen order).
    """
    key = ("equivalence-summary", source, tuple(drugs))
    cached = reference.cache.get(key)
    if cached is None:
        cached = _summary(reference, source, key[2])
        reference.cache[key] = cached
    summary, warnings = cached
    return summary, list(warnings)


def _summary(
    reference: Reference, source: str, drugs: tuple[str, ...]
) -> tuple[EquivalenceSummary, tuple[Issue, ...]]:
    notes: list[str] = []
    used: list[FigureUsed] = []
    warnings: list[Issue] = []
    label = reference.source_label(source)
    for drug in drugs:
        info = reference.drug(drug)
        name = info.name if info is not None else drug
        figure = figure_for(reference, drug, source)
        if figure is None:
            continue
        used.append(
            FigureUsed(
                drug=drug,
                mg=figure.mg,
                source=source,
                verified=figure.verified,
                citation=figure.citation,
            )
        )
        if not figure.verified:
            warnings.append(
                UNVERIFIED_FIGURE.issue(None, source=label, drug=name, mg=fmt(figure.mg))
            )
        if drug == DIAZEPAM:
            continue
        figures = reference.figures_for(drug) or (figure,)
        notes.append(_note(reference, name, figures, source, figure.mg))
        low = min(f.mg for f in figures)
        high = max(f.mg for f in figures)
        if high >= DISAGREEMENT_RATIO * low:
            warnings.append(
                SOURCES_DISAGREE.issue(
                    None,
                    ratio=fmt(q1(div(high, low))),
                    drug=name,
                    low=fmt(low),
                    high=fmt(high),
                    low_sources=", ".join(
                        reference.source_label(f.source) for f in figures if f.mg == low
                    ),
                    high_sources=", ".join(
                        reference.source_label(f.source) for f in figures if f.mg == high
                    ),
                )
            )
    if not notes:
        notes.append(
            f"Diazepam is the reference drug; this plan uses {reference.source_label(source)}."
        )
    summary = EquivalenceSummary(source=source, range_note=" ".join(notes), figures=tuple(used))
    return summary, tuple(warnings)


def _note(
    reference: Reference,
    name: str,
    figures: tuple[EquivalenceFigure, ...],
    source: str,
    chosen: Decimal,
) -> str:
    """E.g. "Alprazolam: 0.5-1 mg == diazepam 10 mg across 5 sources (Ashton 2007 0.5; ...);
    this plan uses Ashton 2007 (0.5 mg)." (with an en dash and the identity sign)."""
    low = min(f.mg for f in figures)
    high = max(f.mg for f in figures)
    spread = fmt(low) if low == high else f"{fmt(low)}{EN_DASH}{fmt(high)}"
    count = len(figures)
    where = "in 1 source" if count == 1 else f"across {count} sources"
    listed = "; ".join(f"{reference.source_label(f.source)} {_figure_text(f)}" for f in figures)
    return (
        f"{name}: {spread} mg {EQUIV} diazepam 10 mg {where} ({listed}); "
        f"this plan uses {reference.source_label(source)} ({fmt(chosen)} mg)."
    )


def _figure_text(figure: EquivalenceFigure) -> str:
    if figure.low != figure.high:
        return f"{fmt(figure.mg)} (range {fmt(figure.low)}{EN_DASH}{fmt(figure.high)})"
    return fmt(figure.mg)


def regimen_equivalents(
    reference: Reference, regimen: Iterable[tuple[str, Decimal]]
) -> dict[str, Decimal]:
    """The diazepam-equivalent daily total of ``regimen`` ((drug, daily mg) pairs) by each
    source that gives a figure for every drug in it, in the reference's source order.

    A record's withdrawal-risk band uses the spread: where sources disagree, the caller shows
    the range and says which figure it used.

    Example:
        Alprazolam 1 mg a day: ashton-2007 (0.5 mg) gives 20 mg DE, va-dod-2021 (1 mg) 10 mg.
    """
    items = list(regimen)
    totals: dict[str, Decimal] = {}
    for source in reference.equivalence_sources:
        total = Decimal(0)
        for drug, daily in items:
            figure = figure_for(reference, drug, source)
            if figure is None or figure.mg <= 0:
                break
            total += to_equivalent(daily, figure.mg)
        else:
            totals[source] = total
    return totals
