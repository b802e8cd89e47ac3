"""medications/data/codes.json: covers the catalogue exactly and says where every code is from."""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
CODES = json.loads((ROOT / "medications/data/codes.json").read_text(encoding="utf-8"))
DRUGS = json.loads((ROOT / "catalogue/data/drugs.json").read_text(encoding="utf-8"))


def all_codes():
    for slug, drug in CODES["drugs"].items():
        for key in ("rxnorm_ingredient", "rxnorm_scd", "dmd_vtm"):
            for code in drug[key]:
                yield f"{slug}.{key}", code
    for kind, group in CODES["other"].items():
        for name, other in group.items():
            for code in other["rxnorm_ingredient"]:
                yield f"{kind}.{name}", code


def test_every_code_slug_is_a_catalogue_drug_and_every_catalogue_drug_is_covered():
    catalogue = {drug["slug"] for drug in DRUGS}
    assert len(catalogue) == 27
    assert set(CODES["drugs"]) == catalogue


def test_drug_class_matches_the_catalogue():
    classes = {drug["slug"]: drug["drug_class"] for drug in DRUGS}
    assert {slug: drug["class"] for slug, drug in CODES["drugs"].items()} == classes


@pytest.mark.parametrize(("where", "code"), list(all_codes()))
def test_every_code_names_a_known_source_and_says_whether_it_was_verified(where, code):
    assert code["source"] in CODES["sources"], where
    assert isinstance(code["verified"], bool), where
    assert code["code"].isdigit(), where


def test_codes_from_general_knowledge_are_never_marked_verified():
    recalled = [c for _, c in all_codes() if c["source"] == "general-knowledge"]
    assert recalled
    assert not any(c["verified"] for c in recalled)


def test_clinical_drug_codes_name_their_drug():
    for slug, drug in CODES["drugs"].items():
        for code in drug["rxnorm_scd"]:
            assert slug.split()[0] in code["display"].lower(), (slug, code)


def test_each_code_belongs_to_one_medicine():
    seen: dict[tuple[str, str], str] = {}
    for where, code in all_codes():
        system = "dmd" if where.endswith("dmd_vtm") else "rxnorm"
        owner = where.split(".")[0]
        key = (system, code["code"])
        assert seen.setdefault(key, owner) == owner, (key, seen[key], owner)


def test_the_other_medicine_categories_are_the_three_that_change_a_taper():
    assert set(CODES["other"]) == {"opioid", "gabapentinoid", "sedative"}
    for name in ("morphine", "oxycodone", "codeine", "tramadol", "buprenorphine", "methadone"):
        assert name in CODES["other"]["opioid"]
    assert set(CODES["other"]["gabapentinoid"]) == {"gabapentin", "pregabalin"}


def test_sources_have_urls_or_say_they_are_not_a_public_source():
    for key, source in CODES["sources"].items():
        assert source["title"], key
        assert source["url"] or key == "general-knowledge", key
