"""The words a product is known by: ``"diazepam 2 mg/5 mL oral solution"``.

One pure function of a product's own fields, shared by every output (the pages, the PDF, the
dispensing summary, the .ics, the FHIR export and the products API) so a patient never reads one
strength on paper and another on screen. The strength is the one the product is sold as:
``strength_mg`` for a tablet or capsule, ``label_mg`` per ``label_ml`` for a liquid ("2 mg/5 mL",
or "1 mg/mL" when ``label_ml`` is 1), never guessed from the slug.

No Django: the engine's products, the catalogue's models and plain values all fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = [
    "FORM_NOUNS",
    "LIQUID_FORMS",
    "LabelError",
    "ProductLabel",
    "form_noun",
    "num",
    "product_label",
    "release_of",
    "strength_text",
]

LIQUID_FORMS = frozenset({"solution", "suspension", "concentrate"})
ER_FORMS = frozenset({"er_tablet"})
#: (singular, plural) of each form as the label says it.
FORM_NOUNS: dict[str, tuple[str, str]] = {
    "tablet": ("tablet", "tablets"),
    "capsule": ("capsule", "capsules"),
    "odt": ("orally disintegrating tablet", "orally disintegrating tablets"),
    "er_tablet": ("extended-release tablet", "extended-release tablets"),
    "solution": ("oral solution", "oral solution"),
    "suspension": ("oral suspension", "oral suspension"),
    "concentrate": ("oral concentrate", "oral concentrate"),
}


class LabelError(ValueError):
    """A product whose data cannot give its label strength (for example a liquid without
    ``label_mg``/``label_ml``, or one whose label disagrees with its ``mg_per_ml``)."""


def num(value: Decimal | int | str) -> str:
    """``Decimal("10.00")`` → ``"10"``, ``Decimal("0.50")`` → ``"0.5"``."""
    number = Decimal(str(value))
    if number == number.to_integral_value():
        return str(number.quantize(Decimal(1)))
    return format(number.normalize(), "f")


def release_of(form: str) -> str:
    """``"er"`` for an extended-release form, else ``"ir"`` (immediate-release)."""
    return "er" if form in ER_FORMS else "ir"


def form_noun(form: str, *, plural: bool = False) -> str:
    singular, many = FORM_NOUNS.get(form, (form.replace("_", " "), form.replace("_", " ") + "s"))
    return many if plural else singular


def strength_text(
    *,
    form: str,
    strength_mg: Decimal | None,
    mg_per_ml: Decimal | None = None,
    label_mg: Decimal | None = None,
    label_ml: Decimal | None = None,
) -> str:
    """``"10 mg"`` for a solid, ``"2 mg/5 mL"`` or ``"1 mg/mL"`` for a liquid."""
    if form in LIQUID_FORMS:
        if label_mg is None or label_ml is None or label_ml <= 0:
            raise LabelError("A liquid needs label_mg and label_ml (its strength as sold).")
        if mg_per_ml is not None and label_mg / label_ml != mg_per_ml:
            raise LabelError(
                f"Label strength {num(label_mg)} mg/{num(label_ml)} mL is not "
                f"{num(mg_per_ml)} mg/mL."
            )
        if label_ml == 1:
            return f"{num(label_mg)} mg/mL"
        return f"{num(label_mg)} mg/{num(label_ml)} mL"
    if strength_mg is None:
        raise LabelError("A tablet or capsule needs strength_mg.")
    return f"{num(strength_mg)} mg"


def product_label(
    *,
    drug_name: str,
    form: str,
    strength_mg: Decimal | None,
    mg_per_ml: Decimal | None = None,
    label_mg: Decimal | None = None,
    label_ml: Decimal | None = None,
    plural: bool = False,
) -> str:
    """``"diazepam 2 mg tablet"``, ``"clonazepam 0.5 mg/5 mL oral solution"``,
    ``"alprazolam 1 mg extended-release tablet"``; ``plural`` gives ``"... tablets"``."""
    strength = strength_text(
        form=form,
        strength_mg=strength_mg,
        mg_per_ml=mg_per_ml,
        label_mg=label_mg,
        label_ml=label_ml,
    )
    return f"{drug_name.lower()} {strength} {form_noun(form, plural=plural)}"


@dataclass(frozen=True, slots=True)
class ProductLabel:
    """What every output needs to put a product into words (no model instance)."""

    slug: str
    drug: str
    drug_name: str
    form: str
    strength_mg: Decimal | None = None
    mg_per_ml: Decimal | None = None
    label_mg: Decimal | None = None
    label_ml: Decimal | None = None
    scored: bool | None = None

    @classmethod
    def of(cls, product: Any, drug_name: str | None = None) -> ProductLabel:
        """From a catalogue ``Product`` (``drug`` a ``Drug``) or an engine product
        (``drug`` a slug; give ``drug_name``)."""
        drug = product.drug
        slug = drug if isinstance(drug, str) else drug.slug
        name = drug_name or (slug if isinstance(drug, str) else drug.name)
        return cls(
            slug=product.slug,
            drug=slug,
            drug_name=name,
            form=product.form,
            strength_mg=product.strength_mg,
            mg_per_ml=product.mg_per_ml,
            label_mg=product.label_mg,
            label_ml=product.label_ml,
            scored=product.scored,
        )

    @property
    def is_liquid(self) -> bool:
        return self.form in LIQUID_FORMS

    @property
    def strength(self) -> str:
        """``"10 mg"`` or ``"2 mg/5 mL"``."""
        return strength_text(
            form=self.form,
            strength_mg=self.strength_mg,
            mg_per_ml=self.mg_per_ml,
            label_mg=self.label_mg,
            label_ml=self.label_ml,
        )

    def words(self, *, plural: bool = False) -> str:
        return product_label(
            drug_name=self.drug_name,
            form=self.form,
            strength_mg=self.strength_mg,
            mg_per_ml=self.mg_per_ml,
            label_mg=self.label_mg,
            label_ml=self.label_ml,
            plural=plural,
        )

    @property
    def label(self) -> str:
        return self.words()
