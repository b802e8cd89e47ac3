"""Reference data the engine plans with: drugs, equivalence figures, products, sources.

:func:`load_reference` reads the four versioned JSON files in ``catalogue/data/`` (format in
``catalogue/data/README.md``). The Django service may instead build a :class:`Reference`
directly from database rows: every class here is a plain frozen dataclass.

Example:
    >>> ref = load_reference()
    >>> ref.figure("alprazolam", "ashton-2007").mg
    Decimal('0.5')
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from schedules.engine.units import DecimalParseError, parse_decimal

__all__ = [
    "DIAZEPAM",
    "DrugInfo",
    "EquivalenceFigure",
    "Product",
    "Reference",
    "ReferenceDataError",
    "Source",
    "load_reference",
]

#: The drug every cross-over ends on, and the unit of every diazepam-equivalent.
DIAZEPAM = "diazepam"
LIQUID_FORMS = frozenset({"solution", "suspension", "concentrate"})
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "catalogue" / "data"


class ReferenceDataError(ValueError):
    """A reference data file is missing a field or holds a value the engine cannot use."""


@dataclass(frozen=True, slots=True)
class Source:
    """A cited source; ``key`` is what figures and rules refer to (``"ashton-2007"``)."""

    key: str
    short: str
    title: str = ""
    citation: str = ""
    url: str = ""
    year: int | None = None


@dataclass(frozen=True, slots=True)
class DrugInfo:
    """A drug. Half-lives in hours (``None`` when the source gives none).

    ``plausible_max_daily_mg`` and ``hard_max_daily_mg`` are in mg of this drug per day: above
    the first a plan carries a ``plausible-daily-dose`` violation; above the second the request
    is refused (app rules, ``taper-clinic``).
    """

    slug: str
    name: str
    drug_class: str = "benzodiazepine"  # or "z-drug"
    half_life_low_h: Decimal | None = None
    half_life_high_h: Decimal | None = None
    metabolite_half_life_low_h: Decimal | None = None
    metabolite_half_life_high_h: Decimal | None = None
    half_life_source: str = ""
    half_life_verified: bool = False
    plausible_max_daily_mg: Decimal = Decimal(1000)
    hard_max_daily_mg: Decimal = Decimal(2500)
    dose_limit_source: str = "taper-clinic"
    notes: str = ""

    @property
    def is_z_drug(self) -> bool:
        return self.drug_class == "z-drug"

    @property
    def longest_half_life_h(self) -> Decimal | None:
        """The longest time the drug or its active metabolite lasts (what drives withdrawal)."""
        values = [
            v
            for v in (
                self.half_life_high_h,
                self.metabolite_half_life_high_h,
                self.half_life_low_h,
                self.metabolite_half_life_low_h,
            )
            if v is not None
        ]
        return max(values) if values else None


@dataclass(frozen=True, slots=True)
class EquivalenceFigure:
    """``mg`` of ``drug`` is equivalent to diazepam 10 mg according to ``source``.

    ``low``/``high`` are the range the source gives; the engine uses ``mg`` (the higher mg
    where the source gives a range: conservative on switching, data README).
    """

    drug: str
    source: str
    mg: Decimal
    low: Decimal
    high: Decimal
    original_reference_mg: Decimal = Decimal(10)
    citation: str = ""
    verified: bool = True
    note: str = ""


@dataclass(frozen=True, slots=True)
class Product:
    """A product available in a country.

    Solids have ``strength_mg``; liquids ``mg_per_ml`` and ``measure_ml`` (the smallest volume
    a patient can measure, 0.1 mL oral syringe by default). ``splits`` are the piece sizes a
    patient may take (``(1,)``, ``(1, 0.5)``, ``(1, 0.5, 0.25)``).
    """

    slug: str
    drug: str
    country: str
    form: str
    strength_mg: Decimal | None = None
    mg_per_ml: Decimal | None = None
    label_mg: Decimal | None = None  # a liquid's strength as sold: label_mg per label_ml
    label_ml: Decimal | None = None
    scored: bool | None = None
    splits: tuple[Decimal, ...] = (Decimal(1),)
    split_licensed: bool = True
    measure_ml: Decimal | None = None
    source: str = ""
    verified: bool = True
    notes: str = ""
    #: The words the outputs use for it ("diazepam 2 mg/5 mL oral solution"); the services
    #: fill it from :mod:`catalogue.labels`, the engine only quotes it in messages.
    label: str = ""

    @property
    def is_liquid(self) -> bool:
        return self.form in LIQUID_FORMS


@dataclass(frozen=True)
class Reference:
    """Everything the engine looks up, indexed once at construction.

    Args:
        sources: cited sources.
        drugs: drugs.
        figures: equivalence figures, one per drug x source.
        products: products, per country.
        version: the data version (``sources.json`` ``version``).
    """

    sources: tuple[Source, ...]
    drugs: tuple[DrugInfo, ...]
    figures: tuple[EquivalenceFigure, ...]
    products: tuple[Product, ...]
    version: str = ""
    _drugs: dict[str, DrugInfo] = field(init=False, repr=False, compare=False)
    _sources: dict[str, Source] = field(init=False, repr=False, compare=False)
    _figures: dict[tuple[str, str], EquivalenceFigure] = field(
        init=False, repr=False, compare=False
    )
    _figures_by_drug: dict[str, tuple[EquivalenceFigure, ...]] = field(
        init=False, repr=False, compare=False
    )
    _products: dict[tuple[str, str], tuple[Product, ...]] = field(
        init=False, repr=False, compare=False
    )
    _cache: dict[Any, Any] = field(init=False, repr=False, compare=False)
    _drug_slugs: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _countries: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _equivalence_sources: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        figures: dict[tuple[str, str], EquivalenceFigure] = {}
        by_drug: dict[str, list[EquivalenceFigure]] = {}
        for figure in self.figures:
            figures[(figure.drug, figure.source)] = figure
            by_drug.setdefault(figure.drug, []).append(figure)
        products: dict[tuple[str, str], list[Product]] = {}
        for product in self.products:
            products.setdefault((product.drug, product.country), []).append(product)
        setattr_ = object.__setattr__
        setattr_(self, "_drugs", {drug.slug: drug for drug in self.drugs})
        setattr_(self, "_sources", {source.key: source for source in self.sources})
        setattr_(self, "_figures", figures)
        setattr_(self, "_figures_by_drug", {k: tuple(v) for k, v in by_drug.items()})
        setattr_(self, "_products", {k: tuple(v) for k, v in products.items()})
        setattr_(self, "_cache", {})
        # every request asks for these three; the reference is immutable, so they are
        # worked out once here
        setattr_(self, "_drug_slugs", tuple(sorted(self._drugs)))
        setattr_(self, "_countries", tuple(sorted({product.country for product in self.products})))
        setattr_(
            self, "_equivalence_sources", tuple(sorted({figure.source for figure in self.figures}))
        )

    def drug(self, slug: str) -> DrugInfo | None:
        """The drug with this slug, or None."""
        return self._drugs.get(slug)

    def source(self, key: str) -> Source | None:
        """The source with this key, or None."""
        return self._sources.get(key)

    def source_label(self, key: str) -> str:
        """A source's short name (``"Ashton 2007"``), or the key itself when unknown."""
        source = self._sources.get(key)
        return source.short if source is not None and source.short else key

    def figure(self, drug: str, source: str) -> EquivalenceFigure | None:
        """The figure ``source`` gives for ``drug``, or None."""
        return self._figures.get((drug, source))

    def figures_for(self, drug: str) -> tuple[EquivalenceFigure, ...]:
        """Every source's figure for ``drug``, in data order."""
        return self._figures_by_drug.get(drug, ())

    def products_for(self, drug: str, country: str) -> tuple[Product, ...]:
        """The products of ``drug`` in ``country``, in data order."""
        return self._products.get((drug, country), ())

    @property
    def drug_slugs(self) -> tuple[str, ...]:
        return self._drug_slugs

    @property
    def countries(self) -> tuple[str, ...]:
        return self._countries

    @property
    def equivalence_sources(self) -> tuple[str, ...]:
        """Source keys that give at least one equivalence figure."""
        return self._equivalence_sources

    @property
    def cache(self) -> dict[Any, Any]:
        """Per-reference memo (formularies); safe because the reference is immutable."""
        return self._cache


def load_reference(data_dir: Path | None = None) -> Reference:
    """Read ``sources.json``, ``drugs.json``, ``equivalences.json`` and ``products.json``.

    Args:
        data_dir: the folder holding the files; default ``catalogue/data`` next to the engine.

    Raises:
        ReferenceDataError: a file is missing, is not valid JSON, or a record lacks a field.
    """
    folder = data_dir if data_dir is not None else DEFAULT_DATA_DIR
    sources_doc = _read(folder / "sources.json")
    if isinstance(sources_doc, dict):
        version = str(sources_doc.get("version", ""))
        raw_sources = sources_doc.get("sources", [])
    else:
        version, raw_sources = "", sources_doc
    sources = tuple(_source(row) for row in _rows(raw_sources, "sources.json"))
    drugs = tuple(_drug(row) for row in _rows(_read(folder / "drugs.json"), "drugs.json", "drugs"))
    figures = tuple(
        _figure(row)
        for row in _rows(_read(folder / "equivalences.json"), "equivalences.json", "equivalences")
    )
    products = tuple(
        _product(row) for row in _rows(_read(folder / "products.json"), "products.json", "products")
    )
    return Reference(
        sources=sources, drugs=drugs, figures=figures, products=products, version=version
    )


def _read(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle, parse_float=_no_float)
    except FileNotFoundError as exc:
        raise ReferenceDataError(f"{path} is missing.") from exc
    except (json.JSONDecodeError, ValueError) as exc:
        raise ReferenceDataError(f"{path}: {exc}") from exc


def _no_float(text: str) -> Any:
    raise ValueError(f"numbers with a fraction must be strings, found {text}")


def _rows(doc: Any, name: str, key: str = "sources") -> list[dict[str, Any]]:
    if isinstance(doc, dict) and key in doc:
        doc = doc[key]
    if not isinstance(doc, list) or not all(isinstance(row, dict) for row in doc):
        raise ReferenceDataError(f"{name}: expected a list of objects.")
    return doc


def _get(row: dict[str, Any], key: str) -> Any:
    try:
        return row[key]
    except KeyError as exc:
        raise ReferenceDataError(
            f"record {row.get('slug') or row.get('key') or row}: no {key}"
        ) from exc


def _dec(row: dict[str, Any], key: str) -> Decimal:
    value = _get(row, key)
    try:
        return parse_decimal(value, max_places=6)
    except DecimalParseError as exc:
        raise ReferenceDataError(f"{key}={value!r}: {exc.message}") from exc


def _opt_dec(row: dict[str, Any], key: str) -> Decimal | None:
    return None if row.get(key) is None else _dec(row, key)


def _source(row: dict[str, Any]) -> Source:
    year = row.get("year")
    return Source(
        key=str(_get(row, "key")),
        short=str(row.get("short") or row["key"]),
        title=str(row.get("title") or ""),
        citation=str(row.get("citation") or ""),
        url=str(row.get("url") or ""),
        year=year if isinstance(year, int) and not isinstance(year, bool) else None,
    )


def _drug(row: dict[str, Any]) -> DrugInfo:
    return DrugInfo(
        slug=str(_get(row, "slug")),
        name=str(row.get("name") or row["slug"]),
        drug_class=str(row.get("drug_class") or "benzodiazepine"),
        half_life_low_h=_opt_dec(row, "half_life_low_h"),
        half_life_high_h=_opt_dec(row, "half_life_high_h"),
        metabolite_half_life_low_h=_opt_dec(row, "metabolite_half_life_low_h"),
        metabolite_half_life_high_h=_opt_dec(row, "metabolite_half_life_high_h"),
        half_life_source=str(row.get("half_life_source") or ""),
        half_life_verified=bool(row.get("half_life_verified", False)),
        plausible_max_daily_mg=_dec(row, "plausible_max_daily_mg"),
        hard_max_daily_mg=_dec(row, "hard_max_daily_mg"),
        dose_limit_source=str(row.get("dose_limit_source") or "taper-clinic"),
        notes=str(row.get("notes") or ""),
    )


def _figure(row: dict[str, Any]) -> EquivalenceFigure:
    mg = _dec(row, "mg")
    if mg <= 0:
        raise ReferenceDataError(f"figure {row.get('drug')}/{row.get('source')}: mg must be > 0")
    return EquivalenceFigure(
        drug=str(_get(row, "drug")),
        source=str(_get(row, "source")),
        mg=mg,
        low=_dec(row, "low") if row.get("low") is not None else mg,
        high=_dec(row, "high") if row.get("high") is not None else mg,
        original_reference_mg=(
            _dec(row, "original_reference_mg")
            if row.get("original_reference_mg") is not None
            else Decimal(10)
        ),
        citation=str(row.get("citation") or ""),
        verified=bool(row.get("verified", False)),
        note=str(row.get("note") or ""),
    )


def _product(row: dict[str, Any]) -> Product:
    splits_raw = row.get("splits") or ["1"]
    if not isinstance(splits_raw, list):
        raise ReferenceDataError(f"product {row.get('slug')}: splits must be a list")
    scored = row.get("scored")
    return Product(
        slug=str(_get(row, "slug")),
        drug=str(_get(row, "drug")),
        country=str(_get(row, "country")),
        form=str(_get(row, "form")),
        strength_mg=_opt_dec(row, "strength_mg"),
        mg_per_ml=_opt_dec(row, "mg_per_ml"),
        label_mg=_opt_dec(row, "label_mg"),
        label_ml=_opt_dec(row, "label_ml"),
        scored=scored if isinstance(scored, bool) else None,
        splits=tuple(parse_decimal(s, max_places=6) for s in splits_raw),
        split_licensed=bool(row.get("split_licensed", False)),
        measure_ml=_opt_dec(row, "measure_ml"),
        source=str(row.get("source") or ""),
        verified=bool(row.get("verified", False)),
        notes=str(row.get("notes") or ""),
    )
