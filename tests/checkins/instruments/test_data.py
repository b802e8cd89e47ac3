"""The instruments are data, and the data says what the reference says (§4a, §4b)."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

import checkins.instruments as instruments_package
from checkins.instruments import (
    BWSQ,
    CIWA_B,
    INSTRUMENTS,
    RED_FLAGS,
    RULES,
    SOURCES,
    UNVERIFIED_INSTRUMENTS,
    Provenance,
    Rater,
    UnknownInstrumentError,
    get_instrument,
)

PACKAGE = Path(instruments_package.__file__).parent


def test_ciwa_b_has_20_items_numbered_1_to_20_each_0_to_4():
    assert [item.number for item in CIWA_B.items] == list(range(1, 21))
    assert [item.key for item in CIWA_B.items] == [str(n) for n in range(1, 21)]
    for item in CIWA_B.items:
        assert [anchor.value for anchor in item.anchors] == [0, 1, 2, 3, 4]
    assert CIWA_B.max_total == 80


def test_items_1_to_17_are_self_report_and_18_to_20_observed():
    assert [i.number for i in CIWA_B.items_rated_by(Rater.PATIENT)] == list(range(1, 18))
    assert [i.number for i in CIWA_B.items_rated_by(Rater.OBSERVER)] == [18, 19, 20]


def test_citation_is_busto_and_the_form():
    assert CIWA_B.citation == ("BUSTO-1989", "CIWAB-FORM")
    assert CIWA_B.validated is True
    assert CIWA_B.id == "ciwa-b"
    assert CIWA_B.version


@pytest.mark.parametrize(
    ("key", "label", "low", "high", "urgent"),
    [
        ("none", "No signs of withdrawal", 0, 0, False),
        ("mild", "Mild withdrawal", 1, 20, False),
        ("moderate", "Moderate withdrawal", 21, 40, False),
        ("severe", "Severe withdrawal", 41, 60, True),
        ("very_severe", "Very severe withdrawal", 61, 80, True),
    ],
)
def test_bands_are_the_forms(key, label, low, high, urgent):
    band = next(b for b in CIWA_B.bands if b.key == key)
    assert (band.label, band.low, band.high, band.urgent) == (label, low, high, urgent)
    assert band.source.startswith("CIWAB-FORM")


def test_bands_cover_0_to_80_without_gaps_or_overlaps():
    covered = [t for band in CIWA_B.bands for t in range(band.low, band.high + 1)]
    assert covered == list(range(81))
    assert CIWA_B.urgent_from == 41


def test_verbatim_text_is_the_form_text_and_adapted_text_differs():
    for item in CIWA_B.items:
        if item.text_provenance is Provenance.VERBATIM:
            assert item.text == item.form_text, item.key
        else:
            assert item.text_provenance is Provenance.ADAPTED
            assert item.text != item.form_text, item.key
    adapted = [i.number for i in CIWA_B.items if i.text_provenance is Provenance.ADAPTED]
    assert adapted == [2, 6, 15, 16, 17]


def test_form_text_matches_the_reference_table():
    assert CIWA_B.item("1").form_text == "Do you feel irritable?"
    assert CIWA_B.item("7").form_text == "Do you feel your heart racing (palpitations)?"
    assert CIWA_B.item("17").form_text == (
        "Have you been worrying about possible misfortunes lately?"
    )
    assert CIWA_B.item("20").form_text == "Observe for sweating - feel palms"


def test_self_report_anchor_ends_are_the_forms_and_the_middle_is_ours():
    anchors = CIWA_B.item("1").anchors
    assert (anchors[0].label, anchors[0].provenance) == ("Not at all", Provenance.VERBATIM)
    assert (anchors[4].label, anchors[4].provenance) == ("Very much so", Provenance.VERBATIM)
    assert {a.provenance for a in anchors[1:4]} == {Provenance.ADAPTED}


@pytest.mark.parametrize("key", ["12", "14"])
def test_sleep_items_score_poor_sleep_high_and_say_they_are_adapted(key):
    item = CIWA_B.item(key)
    assert all(a.provenance is Provenance.ADAPTED for a in item.anchors)
    assert "Not at all" in item.anchors[4].label
    assert "BUSTO-1989" in item.note


def test_every_cited_source_key_is_known():
    cited = [CIWA_B.citation, BWSQ.citation]
    texts = [b.source for b in CIWA_B.bands] + [f.source for f in RED_FLAGS]
    texts += [r.source for r in RULES]
    texts += [a.source for i in (*CIWA_B.items, *BWSQ.items) for a in i.anchors]
    keys = {k for c in cited for k in c}
    for text in texts:
        keys.update(re.findall(r"\b[A-Z][A-Z0-9]+(?:-[A-Z0-9]+)+\b", text))
    assert keys
    assert keys <= set(SOURCES), keys - set(SOURCES)


def test_bwsq_is_data_but_unverified_without_bands_and_not_offered():
    assert BWSQ.validated is False
    assert BWSQ.bands == ()
    assert len(BWSQ.items) == 20
    assert BWSQ.max_total == 40
    assert all(item.text_provenance is Provenance.UNVERIFIED for item in BWSQ.items)
    assert "bwsq" not in INSTRUMENTS
    assert UNVERIFIED_INSTRUMENTS["bwsq"] is BWSQ
    with pytest.raises(UnknownInstrumentError):
        get_instrument("bwsq")
    assert get_instrument("bwsq", include_unverified=True) is BWSQ


def test_get_instrument():
    assert get_instrument("ciwa-b") is CIWA_B
    with pytest.raises(UnknownInstrumentError):
        get_instrument("ciwa-ar")


def test_instruments_import_only_the_standard_library():
    """Belt and braces for the import-linter contract: every import is stdlib or ours."""
    for path in sorted(PACKAGE.glob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top in sys.stdlib_module_names or name.startswith("checkins.instruments"), (
                    f"{path.name} imports {name}"
                )
