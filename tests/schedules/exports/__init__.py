"""Hand-built revisions in the ``revision_dict()`` shape, for the pure export tests."""

from __future__ import annotations

import datetime
from typing import Any

from catalogue.labels import ProductLabel
from schedules.engine import load_reference
from schedules.exports.wording import TIMES


def products(country: str = "GB") -> dict[str, ProductLabel]:
    """The catalogue's product labels by slug, read from the reference files (no database)."""
    reference = load_reference()
    names = {drug.slug: drug.name for drug in reference.drugs}
    return {
        p.slug: ProductLabel.of(p, names[p.drug])
        for p in reference.products
        if p.country == country
    }


PRODUCTS = products("GB")


def unit(product: str, count: str, strength_mg: str, kind: str = "tablet") -> dict[str, Any]:
    return {"product": product, "count": count, "unit": kind, "strength_mg": strength_mg}


def tablet(mg: str, count: str = "1", drug: str = "diazepam") -> dict[str, Any]:
    return unit(f"{drug}-{mg.replace('.', '-')}mg-tablet", count, mg)


def dose(slot: str, mg: str, *units: dict[str, Any], drug: str = "diazepam") -> dict[str, Any]:
    return {"slot": slot, "drug": drug, "mg": mg, "units": list(units)}


def step(
    index: int, start: str, end: str, *doses: dict[str, Any], phase: str = "taper"
) -> dict[str, Any]:
    first, last = datetime.date.fromisoformat(start), datetime.date.fromisoformat(end)
    return {
        "index": index,
        "start_date": start,
        "end_date": end,
        "days": 0 if phase == "stop" else (last - first).days + 1,
        "equivalent_mg": "0",
        "reduction_percent": "0",
        "phase": phase,
        "doses": list(doses),
    }


def stop(index: int, day: str) -> dict[str, Any]:
    return step(index, day, day, phase="stop")


def revision(*steps: dict[str, Any], **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": 7,
        "number": 1,
        "status": "signed",
        "kind": "initial",
        "effective_from": steps[0]["start_date"],
        "signed_at": "2027-01-03T10:00:00.123456+00:00",
        "created_at": "2027-01-03T09:00:00+00:00",
        "country": "GB",
        "start_date": steps[0]["start_date"],
        "end_date": steps[-1]["end_date"],
        "steps": list(steps),
    }
    data.update(fields)
    return data


def diazepam_plan() -> dict[str, Any]:
    """7 mg twice daily (5 mg + 2 mg tablets) for 14 days, then 5 mg at night as half a 10 mg
    tablet plus 1 mg of 0.4 mg/mL liquid in the morning for 14 days, then stop."""
    seven = (tablet("5"), tablet("2"))
    return revision(
        step(
            1, "2027-01-04", "2027-01-17", dose("morning", "7", *seven), dose("night", "7", *seven)
        ),
        step(
            2,
            "2027-01-18",
            "2027-01-31",
            dose("morning", "1", unit("diazepam-2mg-5ml-solution", "2.5", "0.4", "mL")),
            dose("night", "5", tablet("10", "0.5")),
        ),
        stop(3, "2027-02-01"),
    )


def crossover_plan() -> dict[str, Any]:
    """Alprazolam 0.5 mg morning and night with diazepam 5 mg at night, then diazepam only."""
    return revision(
        step(
            1,
            "2027-01-04",
            "2027-01-10",
            dose("morning", "0.5", tablet("0.5", drug="alprazolam"), drug="alprazolam"),
            dose("night", "0.5", tablet("0.5", drug="alprazolam"), drug="alprazolam"),
            dose("night", "5", tablet("5")),
            phase="crossover",
        ),
        step(2, "2027-01-11", "2027-01-24", dose("night", "10", tablet("10"))),
        stop(3, "2027-01-25"),
    )


def times(text: str) -> str:
    """Write expected dose wording with " x " for the multiplication sign (ruff's RUF001)."""
    return text.replace(" x ", f" {TIMES} ")
