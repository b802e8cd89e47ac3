"""A reference built in code, independent of ``catalogue/data/*.json``.

Mirrors the GB and US products of clinical reference section 5 closely enough for the worked
examples, plus a few made-up products ("XX" country) that exercise edge cases: quarter
splits, extended-release tablets, capsules, coarse tablets with no liquid.
"""

from __future__ import annotations

from decimal import Decimal as D

from schedules.engine import DrugInfo, EquivalenceFigure, Product, Reference, Source


def _drug(
    slug: str,
    low: str,
    high: str,
    plausible: str,
    hard: str,
    klass: str = "benzodiazepine",
    met_high: str | None = None,
) -> DrugInfo:
    return DrugInfo(
        slug=slug,
        name=slug.capitalize(),
        drug_class=klass,
        half_life_low_h=D(low),
        half_life_high_h=D(high),
        metabolite_half_life_high_h=D(met_high) if met_high else None,
        plausible_max_daily_mg=D(plausible),
        hard_max_daily_mg=D(hard),
    )


def _fig(drug: str, source: str, mg: str, verified: bool = True) -> EquivalenceFigure:
    return EquivalenceFigure(
        drug=drug, source=source, mg=D(mg), low=D(mg), high=D(mg), verified=verified
    )


def _tab(
    slug: str,
    drug: str,
    country: str,
    strength: str,
    splits: tuple[str, ...] = ("1",),
    licensed: bool = True,
    form: str = "tablet",
    notes: str = "",
) -> Product:
    return Product(
        slug=slug,
        drug=drug,
        country=country,
        form=form,
        strength_mg=D(strength),
        splits=tuple(D(s) for s in splits),
        split_licensed=licensed,
        notes=notes,
    )


def _liquid(slug: str, drug: str, country: str, per_ml: str, form: str = "solution") -> Product:
    return Product(
        slug=slug, drug=drug, country=country, form=form, mg_per_ml=D(per_ml), measure_ml=D("0.1")
    )


SOURCES = (
    Source("ashton-2007", "Ashton 2007"),
    Source("va-dod-2021", "VA/DoD 2021"),
    Source("nhs-scotland-2024", "NHS Scotland 2024"),
    Source("who-2009", "WHO 2009"),
    Source("asam-2025", "ASAM 2025"),
)

DRUGS = (
    _drug("diazepam", "20", "100", "200", "500", met_high="200"),
    _drug("alprazolam", "6", "12", "10", "25"),
    _drug("lorazepam", "10", "20", "20", "50"),
    _drug("clonazepam", "18", "50", "10", "25"),
    _drug("temazepam", "8", "22", "400", "1000"),
    _drug("oxazepam", "4", "15", "400", "1000"),
    _drug("zolpidem", "2", "2", "400", "1000", klass="z-drug"),
    _drug("zopiclone", "5", "6", "300", "750", klass="z-drug"),
)

FIGURES = (
    _fig("diazepam", "ashton-2007", "10"),
    _fig("diazepam", "va-dod-2021", "10"),
    _fig("diazepam", "nhs-scotland-2024", "10"),
    _fig("diazepam", "who-2009", "10"),
    _fig("alprazolam", "ashton-2007", "0.5"),
    _fig("alprazolam", "va-dod-2021", "1"),
    _fig("alprazolam", "who-2009", "1"),
    _fig("lorazepam", "ashton-2007", "1"),
    _fig("lorazepam", "va-dod-2021", "2"),
    _fig("lorazepam", "nhs-scotland-2024", "1"),
    _fig("lorazepam", "who-2009", "1"),
    _fig("clonazepam", "ashton-2007", "0.5"),
    _fig("clonazepam", "va-dod-2021", "1"),
    _fig("clonazepam", "nhs-scotland-2024", "0.5"),
    _fig("temazepam", "ashton-2007", "20"),
    _fig("temazepam", "va-dod-2021", "15"),
    _fig("temazepam", "nhs-scotland-2024", "20"),
    _fig("temazepam", "who-2009", "20"),
    _fig("oxazepam", "ashton-2007", "20"),
    _fig("oxazepam", "va-dod-2021", "30"),
    _fig("oxazepam", "who-2009", "30"),
    _fig("zolpidem", "ashton-2007", "20", verified=False),
    _fig("zolpidem", "nhs-scotland-2024", "20"),
    _fig("zopiclone", "ashton-2007", "15", verified=False),
    _fig("zopiclone", "nhs-scotland-2024", "15"),
)

OFF_LICENCE_NOTE = "Halving diazepam 2 mg tablets is off-licence (PrescQIPP)."

PRODUCTS = (
    # GB
    _tab(
        "diazepam-2mg-tablet",
        "diazepam",
        "GB",
        "2",
        ("1", "0.5"),
        licensed=False,
        notes=OFF_LICENCE_NOTE,
    ),
    _tab("diazepam-5mg-tablet", "diazepam", "GB", "5"),
    _tab("diazepam-10mg-tablet", "diazepam", "GB", "10", ("1", "0.5")),
    _liquid("diazepam-2mg-5ml-solution", "diazepam", "GB", "0.4"),
    _liquid("diazepam-5mg-5ml-solution", "diazepam", "GB", "1"),
    _tab("lorazepam-1mg-tablet", "lorazepam", "GB", "1"),
    _tab("lorazepam-2-5mg-tablet", "lorazepam", "GB", "2.5", ("1", "0.5")),
    _liquid("lorazepam-1mg-ml-solution", "lorazepam", "GB", "1"),
    _tab("clonazepam-0-5mg-tablet", "clonazepam", "GB", "0.5"),
    _tab("clonazepam-2mg-tablet", "clonazepam", "GB", "2"),
    _liquid("clonazepam-0-5mg-5ml-solution", "clonazepam", "GB", "0.1"),
    _tab("alprazolam-0-5mg-tablet", "alprazolam", "GB", "0.5"),
    _tab("alprazolam-1mg-tablet", "alprazolam", "GB", "1"),
    _tab("zolpidem-5mg-tablet", "zolpidem", "GB", "5"),
    _tab("zolpidem-10mg-tablet", "zolpidem", "GB", "10"),
    _tab("zopiclone-3-75mg-tablet", "zopiclone", "GB", "3.75"),
    _tab("zopiclone-7-5mg-tablet", "zopiclone", "GB", "7.5"),
    _tab("temazepam-10mg-tablet", "temazepam", "GB", "10"),
    _tab("temazepam-20mg-tablet", "temazepam", "GB", "20"),
    _liquid("temazepam-10mg-5ml-solution", "temazepam", "GB", "2"),
    _tab("oxazepam-10mg-tablet", "oxazepam", "GB", "10"),
    _tab("oxazepam-15mg-tablet", "oxazepam", "GB", "15"),
    # US
    _tab("diazepam-2mg-tablet", "diazepam", "US", "2", ("1", "0.5")),
    _tab("diazepam-5mg-tablet", "diazepam", "US", "5", ("1", "0.5")),
    _tab("diazepam-10mg-tablet", "diazepam", "US", "10", ("1", "0.5")),
    _liquid("diazepam-5mg-5ml-solution", "diazepam", "US", "1"),
    _tab("alprazolam-0-25mg-tablet", "alprazolam", "US", "0.25", ("1", "0.5")),
    _tab("alprazolam-0-5mg-tablet", "alprazolam", "US", "0.5", ("1", "0.5")),
    _tab("alprazolam-1mg-tablet", "alprazolam", "US", "1", ("1", "0.5")),
    _tab("alprazolam-2mg-tablet", "alprazolam", "US", "2", ("1", "0.5")),
    _tab("alprazolam-1mg-er-tablet", "alprazolam", "US", "1", ("1", "0.5"), form="er_tablet"),
    _tab("lorazepam-0-5mg-tablet", "lorazepam", "US", "0.5"),
    _tab("lorazepam-1mg-tablet", "lorazepam", "US", "1"),
    _tab("lorazepam-2mg-tablet", "lorazepam", "US", "2"),
    _liquid("lorazepam-2mg-ml-concentrate", "lorazepam", "US", "2", form="concentrate"),
    _tab("clonazepam-0-5mg-tablet", "clonazepam", "US", "0.5", ("1", "0.5")),
    _tab("clonazepam-1mg-tablet", "clonazepam", "US", "1", ("1", "0.5")),
    _tab("clonazepam-0-125mg-odt", "clonazepam", "US", "0.125", form="odt"),
    _tab("temazepam-7-5mg-capsule", "temazepam", "US", "7.5", ("1", "0.5"), form="capsule"),
    _tab("temazepam-15mg-capsule", "temazepam", "US", "15", form="capsule"),
    _tab("temazepam-30mg-capsule", "temazepam", "US", "30", form="capsule"),
    _tab("zolpidem-5mg-tablet", "zolpidem", "US", "5"),
    _tab("zolpidem-10mg-tablet", "zolpidem", "US", "10"),
    # XX: edge cases
    _tab("diazepam-2mg-quarter-tablet", "diazepam", "XX", "2", ("1", "0.5", "0.25")),
    _tab("diazepam-10mg-tablet", "diazepam", "XX", "10"),
    _tab("zopiclone-7-5mg-tablet", "zopiclone", "XX", "7.5"),
    _tab("lorazepam-1mg-tablet", "lorazepam", "XX", "1"),
)


def make_reference() -> Reference:
    """The in-code reference (a fresh instance each call)."""
    return Reference(
        sources=SOURCES, drugs=DRUGS, figures=FIGURES, products=PRODUCTS, version="test"
    )
