"""Diazepam-equivalents, the spread across sources, and their warnings."""

from __future__ import annotations

from decimal import Decimal as D

from schedules.engine import Reference
from schedules.engine.equivalence import (
    equivalence_summary,
    figure_for,
    source_range,
    to_equivalent,
)


def test_conversion_is_mg_times_10_over_the_figure() -> None:
    assert to_equivalent(D(6), D("0.5")) == D(120)  # alprazolam 2 mg x3, Ashton
    assert to_equivalent(D(6), D(1)) == D(60)  # the same at VA/DoD
    assert to_equivalent(D("7.5"), D(15)) == D(5)  # zopiclone
    assert to_equivalent(D(1), D(15)).quantize(D("0.01")) == D("0.67")


def test_diazepam_is_10mg_by_definition(ref: Reference) -> None:
    figure = figure_for(ref, "diazepam", "a-source-without-diazepam")
    assert figure is not None and figure.mg == 10


def test_range_note_lists_every_source(data_ref: Reference) -> None:
    summary, warnings = equivalence_summary(data_ref, "ashton-2007", ["alprazolam"])
    assert summary.source == "ashton-2007"
    assert summary.range_note.startswith(
        "Alprazolam: 0.5\u20131 mg \u2261 diazepam 10 mg across 5 sources (Ashton 2007 0.5; "
        "VA/DoD 2021 1;"
    )
    assert summary.range_note.endswith("this plan uses Ashton 2007 (0.5 mg).")
    assert [f.mg for f in summary.figures] == [D("0.5")]
    assert [w.rule for w in warnings] == ["sources-disagree"]
    assert "2-fold" in warnings[0].message and warnings[0].step is None


def test_sources_that_agree_within_1_5_fold_give_no_warning(data_ref: Reference) -> None:
    assert source_range(data_ref, "temazepam") == (D(15), D(20))  # 1.33-fold
    _, warnings = equivalence_summary(data_ref, "ashton-2007", ["temazepam"])
    assert warnings == []


def test_the_1_5_fold_boundary_warns(data_ref: Reference) -> None:
    _, warnings = equivalence_summary(data_ref, "ashton-2007", ["oxazepam"])  # 20 vs 30
    assert [w.rule for w in warnings] == ["sources-disagree"]


def test_unverified_figures_are_flagged(ref: Reference) -> None:
    _, warnings = equivalence_summary(ref, "ashton-2007", ["zolpidem"])
    assert [w.rule for w in warnings] == ["unverified-figure"]
    assert "Zolpidem" in warnings[0].message


def test_a_source_range_is_shown_with_the_figure_used(data_ref: Reference) -> None:
    summary, _ = equivalence_summary(data_ref, "ashton-2007", ["bromazepam"])
    assert "Ashton 2007 6 (range 5\u20136)" in summary.range_note
