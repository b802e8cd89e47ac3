# ruff: noqa: RUF002, RUF003 (the multiplication sign and en dash are the words patients read)
"""The one way a dose is put into words, for every output.

The builder and the plan page (:func:`schedules.presenters.step_rows`), the printable schedule
and its pharmacy page (:mod:`schedules.documents.pdf`), the dispensing summary, the dose
calendar and the FHIR export all call these functions, so the patient reads the same words on
paper, on screen and on the phone. The product's words come from its label
(:mod:`catalogue.labels`): the strength it is sold as, never a guess from the slug.

Style (one, everywhere):

- Tablets and capsules: ``"1 × diazepam 10 mg tablet"``, ``"½ × diazepam 2 mg tablet"``,
  ``"1½ × diazepam 5 mg tablets"``, ``"2 × temazepam 15 mg capsules"``: the count with vulgar
  fractions (¼, ½, ¾), the multiplication sign, and the product's label, plural above one.
- Liquids: ``"2.5 mL of diazepam 2 mg/5 mL oral solution"``.
- A dose made of several parts joins them with ``" + "``.
- A dose line names the drug and the dose first:
  ``"Clonazepam 0.31 mg – 3.1 mL of clonazepam 0.5 mg/5 mL oral solution"``.
- A drug that leaves the regimen: ``"Stop taking zopiclone from 4 Jan 2027"``.

Pure apart from Django's date formatting and translation of the stop line.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _

from catalogue.labels import LIQUID_FORMS, ProductLabel, num

__all__ = [
    "DASH",
    "TIMES",
    "StopLine",
    "count_words",
    "dose_line",
    "dose_words",
    "product_for",
    "regimen_drugs",
    "stop_lines",
    "stop_text",
    "unit_words",
]

#: The multiplication sign between a count and a product: "1 × diazepam 10 mg tablet".
TIMES = "\N{MULTIPLICATION SIGN}"
#: Between the dose and how to make it: "Diazepam 7 mg – 1 × ...".
DASH = "\N{EN DASH}"
LIQUID_UNIT = "mL"
_FRACTIONS = {Decimal("0.25"): "¼", Decimal("0.5"): "½", Decimal("0.75"): "¾"}


def _dec(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def count_words(count: Any) -> str:
    """Tablet counts as a patient reads them: ``0.5`` → ``"½"``, ``1.5`` → ``"1½"``, ``2`` →
    ``"2"``; anything else as a plain decimal."""
    value = _dec(count)
    whole = int(value)
    part = value - whole
    if part == 0:
        return str(whole)
    fraction = _FRACTIONS.get(part.normalize())
    if fraction is None:
        return num(value)
    return f"{whole or ''}{fraction}"


def product_for(
    unit: Mapping[str, Any], drug: str, products: Mapping[str, ProductLabel]
) -> ProductLabel:
    """The product of ``unit`` from ``products``; a product missing from the catalogue is
    described from the unit itself (its mg, or mg per mL for a liquid)."""
    found = products.get(str(unit.get("product", "")))
    if found is not None:
        return found
    strength = _dec(unit.get("strength_mg") or 0)
    liquid = unit.get("unit") == LIQUID_UNIT
    return ProductLabel(
        slug=str(unit.get("product", "")),
        drug=drug,
        drug_name=drug.replace("-", " "),
        form="solution" if liquid else ("capsule" if unit.get("unit") == "capsule" else "tablet"),
        strength_mg=None if liquid else strength,
        mg_per_ml=strength if liquid else None,
        label_mg=strength if liquid else None,
        label_ml=Decimal(1) if liquid else None,
    )


def unit_words(unit: Mapping[str, Any], product: ProductLabel) -> str:
    """One part of a dose: ``"1½ × diazepam 5 mg tablets"``, ``"2.5 mL of diazepam 2 mg/5 mL
    oral solution"``."""
    count = _dec(unit["count"])
    if product.form in LIQUID_FORMS or unit.get("unit") == LIQUID_UNIT:
        return f"{num(count)} {LIQUID_UNIT} of {product.label}"
    return f"{count_words(count)} {TIMES} {product.words(plural=count > 1)}"


def dose_words(dose: Mapping[str, Any], products: Mapping[str, ProductLabel]) -> str:
    """Every part of a dose joined with ``" + "``."""
    return " + ".join(
        unit_words(unit, product_for(unit, dose["drug"], products)) for unit in dose["units"]
    )


def dose_line(dose: Mapping[str, Any], drug_name: str, products: Mapping[str, ProductLabel]) -> str:
    """``"Clonazepam 0.31 mg – 3.1 mL of clonazepam 0.5 mg/5 mL oral solution"``."""
    return f"{drug_name} {num(_dec(dose['mg']))} mg {DASH} {dose_words(dose, products)}"


# --- Stopping a drug ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StopLine:
    """``drug`` is taken for the last time the day before ``date``."""

    drug: str
    drug_name: str
    date: datetime.date


def _date(value: Any) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(str(value))


def regimen_drugs(request: Mapping[str, Any] | None) -> list[str]:
    """The drugs the patient took before the plan (the request's ``regimen``), in order."""
    try:
        return [str(item["drug"]) for item in (request or {}).get("regimen") or ()]
    except (KeyError, TypeError):
        return []


def stop_lines(
    steps: Sequence[Mapping[str, Any]],
    drug_names: Mapping[str, str],
    before: Iterable[str] = (),
) -> list[StopLine]:
    """The day each drug leaves the regimen: the start of the first step after the last step
    that has it (a switch replacing zopiclone by diazepam, or the final stop step). ``before``
    are the drugs taken before the plan (:func:`regimen_drugs`): one the first step no longer
    has stops on the plan's first day. A drug still taken in the plan's last step never stops
    on this plan. In date order."""
    ordered = sorted(steps, key=lambda step: (_date(step["start_date"]), int(step["index"])))
    last_with: dict[str, int] = dict.fromkeys(before, -1)
    for position, step in enumerate(ordered):
        for dose in step.get("doses") or ():
            last_with[dose["drug"]] = position
    lines = [
        StopLine(
            drug=drug,
            drug_name=drug_names.get(drug, drug).lower(),
            date=_date(ordered[position + 1]["start_date"]),
        )
        for drug, position in last_with.items()
        if position + 1 < len(ordered)
    ]
    return sorted(lines, key=lambda line: (line.date, line.drug_name))


def stop_text(line: StopLine) -> str:
    """``"Stop taking zopiclone from 4 Jan 2027"``."""
    return _("Stop taking %(drug)s from %(day)s") % {
        "drug": line.drug_name,
        "day": formats.date_format(line.date, "j M Y"),
    }


def stops_on(lines: Iterable[StopLine], day: datetime.date) -> list[str]:
    """The stop lines that fall on ``day``, as text."""
    return [stop_text(line) for line in lines if line.date == day]
