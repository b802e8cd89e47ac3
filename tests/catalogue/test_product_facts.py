"""Product facts checked against public labels and SmPCs (issue 9, "Products a patient can follow").

Each row below pins a fact that a retrieved source states; the source key names it in
``catalogue/data/sources.json`` (title, URL, retrieval date and what it says).
"""

from __future__ import annotations

import pytest

from catalogue.loading import read_data

PRODUCTS = {(row["slug"], row["country"]): row for row in read_data("products.json")}
SOURCES = {row["key"]: row for row in read_data("sources.json")["sources"]}

# (slug, country): (scored, splits, split_licensed, verified, source)
CHECKED = {
    # Klonopin label: 0.5 mg scored; 1 mg and 2 mg "unscored tablets with a K-shaped
    # perforation" (Mylan's generics are scored), so the larger two are taken whole.
    ("clonazepam-0-5mg-tablet", "US"): (True, ["1", "0.5"], True, True, "dailymed-klonopin"),
    ("clonazepam-1mg-tablet", "US"): (None, ["1"], False, True, "dailymed-klonopin"),
    ("clonazepam-2mg-tablet", "US"): (None, ["1"], False, True, "dailymed-klonopin"),
    # Doral label: the 7.5 mg dose is made by splitting the 15 mg tablet along the score.
    ("quazepam-15mg-tablet", "US"): (True, ["1", "0.5"], True, True, "dailymed-doral"),
    # Loprazolam SmPC (PL 20046/0295): the tablet can be divided into equal halves.
    ("loprazolam-1mg-tablet", "GB"): (True, ["1", "0.5"], True, True, "emc-loprazolam"),
    # Ambien label section 3: tablets are not scored.
    ("zolpidem-5mg-tablet", "US"): (False, ["1"], False, True, "dailymed-ambien"),
    ("zolpidem-10mg-tablet", "US"): (False, ["1"], False, True, "dailymed-ambien"),
    # Xanax 500 microgram SmPC: scored on one side; equal halves not stated, so whole.
    ("alprazolam-0-5mg-tablet", "GB"): (True, ["1"], False, True, "emc-xanax-uk"),
    # Xanax 250 microgram SmPC (emc 1657): scored on one side; taken whole, as the 500.
    ("alprazolam-0-25mg-tablet", "GB"): (True, ["1"], False, True, "emc-xanax-uk"),
    # Multi-scored 2 mg (label: two 1 mg or four 0.5 mg segments).
    ("alprazolam-2mg-tablet", "US"): (True, ["1", "0.5"], True, True, "spl-alprazolam-tablets"),
    ("diazepam-2mg-tablet", "US"): (True, ["1", "0.5"], True, True, "spl-diazepam-tablets"),
}


@pytest.mark.parametrize("key", sorted(CHECKED), ids=lambda key: f"{key[1]}-{key[0]}")
def test_a_checked_product_holds_what_its_source_says(key):
    row = PRODUCTS[key]
    assert (
        row["scored"],
        row["splits"],
        row["split_licensed"],
        row["verified"],
        row["source"],
    ) == CHECKED[key]


def test_every_product_names_a_source_in_sources_json():
    missing = {key: row["source"] for key, row in PRODUCTS.items() if row["source"] not in SOURCES}
    assert not missing


def test_every_retrieved_source_has_an_address_and_a_date():
    retrieved = [row for row in SOURCES.values() if "retrieved" in row]
    assert retrieved
    for row in retrieved:
        assert row["url"].startswith("https://"), row["key"]
        assert row["retrieved"] == "2026-12-03", row["key"]
        assert row["citation"], row["key"]


def test_an_unverified_product_is_taken_whole():
    """README: scoring no source states is ``scored: null`` with ``splits: ["1"]``; an
    unverified product's halves are not something a source has confirmed."""
    halved = sorted(
        k for k, row in PRODUCTS.items() if not row["verified"] and row["splits"] != ["1"]
    )
    assert not halved


def test_a_product_of_unknown_scoring_is_taken_whole():
    halved = sorted(
        key for key, row in PRODUCTS.items() if row["scored"] is None and row["splits"] != ["1"]
    )
    assert not halved
