"""Loads the versioned reference files in ``catalogue/data/`` into the catalogue tables.

Used by data migrations, so it takes the model classes as arguments (historical models in a
migration, the real ones elsewhere). Idempotent: rows are matched on their natural keys and
updated in place; rows no longer in the files are left alone (plans may refer to them).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from catalogue.labels import strength_text

DATA_DIR = Path(__file__).resolve().parent / "data"


def read_data(name: str, data_dir: Path = DATA_DIR) -> Any:
    with (data_dir / name).open(encoding="utf-8") as handle:
        return json.load(handle)


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def load_catalogue(models: dict[str, Any], data_dir: Path = DATA_DIR) -> dict[str, int]:
    """Upsert sources, drugs, equivalence figures and products; return counts per table."""
    source_model = models["Source"]
    drug_model = models["Drug"]
    figure_model = models["EquivalenceFigure"]
    product_model = models["Product"]

    sources = {}
    for row in read_data("sources.json", data_dir)["sources"]:
        sources[row["key"]], _ = source_model.objects.update_or_create(
            key=row["key"],
            defaults={
                "short": row["short"],
                "title": row["title"],
                "citation": row.get("citation", ""),
                "url": row.get("url") or "",
                "year": row.get("year"),
            },
        )

    drugs = {}
    for row in read_data("drugs.json", data_dir):
        drugs[row["slug"]], _ = drug_model.objects.update_or_create(
            slug=row["slug"],
            defaults={
                "name": row["name"],
                "drug_class": row["drug_class"],
                "half_life_low_h": _dec(row.get("half_life_low_h")),
                "half_life_high_h": _dec(row.get("half_life_high_h")),
                "metabolite_half_life_low_h": _dec(row.get("metabolite_half_life_low_h")),
                "metabolite_half_life_high_h": _dec(row.get("metabolite_half_life_high_h")),
                "half_life_source": sources.get(row.get("half_life_source") or ""),
                "half_life_verified": row.get("half_life_verified", True),
                "plausible_max_daily_mg": Decimal(row["plausible_max_daily_mg"]),
                "hard_max_daily_mg": Decimal(row["hard_max_daily_mg"]),
                "dose_limit_source": sources[row["dose_limit_source"]],
                "notes": row.get("notes", ""),
            },
        )

    figures = 0
    for row in read_data("equivalences.json", data_dir):
        figure_model.objects.update_or_create(
            drug=drugs[row["drug"]],
            source=sources[row["source"]],
            defaults={
                "mg": Decimal(row["mg"]),
                "low": Decimal(row["low"]),
                "high": Decimal(row["high"]),
                "original_reference_mg": Decimal(row["original_reference_mg"]),
                "citation": row["citation"],
                "verified": row.get("verified", True),
                "note": row.get("note", ""),
            },
        )
        figures += 1

    # Migrations older than the label strength load with models that lack those fields.
    has_label = {"label_mg", "label_ml"} <= {f.name for f in product_model._meta.get_fields()}
    products = 0
    for row in read_data("products.json", data_dir):
        label = {"label_mg": _dec(row.get("label_mg")), "label_ml": _dec(row.get("label_ml"))}
        # Refuse a liquid whose label strength is missing or disagrees with its mg per mL.
        strength_text(
            form=row["form"],
            strength_mg=_dec(row.get("strength_mg")),
            mg_per_ml=_dec(row.get("mg_per_ml")),
            **label,
        )
        product_model.objects.update_or_create(
            country=row["country"],
            slug=row["slug"],
            defaults={
                **(label if has_label else {}),
                "drug": drugs[row["drug"]],
                "form": row["form"],
                "strength_mg": _dec(row.get("strength_mg")),
                "mg_per_ml": _dec(row.get("mg_per_ml")),
                "scored": row.get("scored"),
                "splits": row.get("splits", ["1"]),
                "split_licensed": row.get("split_licensed", True),
                "measure_ml": _dec(row.get("measure_ml")),
                "source": sources[row["source"]],
                "verified": row.get("verified", True),
                "notes": row.get("notes", ""),
            },
        )
        products += 1
    return {"sources": len(sources), "drugs": len(drugs), "figures": figures, "products": products}
