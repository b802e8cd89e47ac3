"""Reference data: loading the JSON files, or building a Reference from dataclasses."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal as D
from pathlib import Path

import pytest

from schedules.engine import DIAZEPAM, Reference, ReferenceDataError, load_reference
from schedules.engine.reference import DEFAULT_DATA_DIR


def test_the_shipped_data_loads(data_ref: Reference) -> None:
    assert data_ref.version
    assert {"ashton-2007", "va-dod-2021", "nhs-scotland-2024", "who-2009"} <= set(
        data_ref.equivalence_sources
    )
    assert {"GB", "US"} <= set(data_ref.countries)
    figure = data_ref.figure("alprazolam", "ashton-2007")
    assert figure is not None and figure.mg == D("0.5") and figure.verified
    assert data_ref.source_label("asam-2025") == "ASAM 2025"


def test_the_shipped_data_is_consistent(data_ref: Reference) -> None:
    drugs = set(data_ref.drug_slugs)
    assert DIAZEPAM in drugs
    for figure in data_ref.figures:
        assert figure.drug in drugs and figure.mg > 0
        assert figure.low <= figure.mg <= figure.high
    for product in data_ref.products:
        assert product.drug in drugs
        if product.is_liquid:
            assert product.mg_per_ml and product.mg_per_ml > 0
        else:
            assert product.strength_mg and product.strength_mg > 0
            assert all(D(0) < s <= 1 for s in product.splits)
        if product.form == "er_tablet":
            assert product.splits == (D(1),)
    for drug in data_ref.drugs:
        assert drug.plausible_max_daily_mg < drug.hard_max_daily_mg


def test_a_reference_built_from_dataclasses(ref: Reference) -> None:
    assert ref.drug("zolpidem") is not None and ref.drug("zolpidem").is_z_drug
    assert ref.drug("nonexistent") is None
    assert [f.source for f in ref.figures_for("alprazolam")] == [
        "ashton-2007",
        "va-dod-2021",
        "who-2009",
    ]
    assert [p.slug for p in ref.products_for("lorazepam", "XX")] == ["lorazepam-1mg-tablet"]
    assert ref.countries == ("GB", "US", "XX")
    assert ref.source_label("unknown-key") == "unknown-key"


def test_load_reference_from_another_folder(tmp_path: Path) -> None:
    for name in ("sources.json", "drugs.json", "equivalences.json", "products.json"):
        shutil.copy(DEFAULT_DATA_DIR / name, tmp_path / name)
    assert load_reference(tmp_path).version == load_reference().version


def test_missing_and_malformed_files_are_reported(tmp_path: Path) -> None:
    with pytest.raises(ReferenceDataError, match="missing"):
        load_reference(tmp_path)
    for name in ("sources.json", "drugs.json", "equivalences.json", "products.json"):
        shutil.copy(DEFAULT_DATA_DIR / name, tmp_path / name)
    rows = json.loads((tmp_path / "equivalences.json").read_text())
    rows[0]["mg"] = 0.5  # a float: must be a string
    (tmp_path / "equivalences.json").write_text(json.dumps(rows))
    with pytest.raises(ReferenceDataError, match="must be strings"):
        load_reference(tmp_path)
    rows[0]["mg"] = "half"
    (tmp_path / "equivalences.json").write_text(json.dumps(rows))
    with pytest.raises(ReferenceDataError, match="half"):
        load_reference(tmp_path)
    del rows[0]["mg"]
    (tmp_path / "equivalences.json").write_text(json.dumps(rows))
    with pytest.raises(ReferenceDataError, match="no mg"):
        load_reference(tmp_path)
