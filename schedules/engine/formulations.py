"""Which doses of a drug the products of a country can make exactly, and how.

Rules (DESIGN.md "A dose the products on hand cannot make is never offered"; clinical
reference section 5 and 7.3):

* Tablets and capsules are taken whole or in the piece sizes the product's ``splits`` allows
  (``(1,)``, ``(1, 0.5)``, ``(1, 0.5, 0.25)``). Extended-release tablets and capsules are never
  split, whatever the data says.
* Liquids are measured in multiples of ``measure_ml`` (0.1 mL oral syringe by default).
* A dose is made from tablets/capsules alone when they can make it exactly, choosing, in this
  order: fewest off-licence split pieces, fewest split pieces ("whole before split"), fewest
  pieces. Otherwise from ONE liquid product alone, so small late doses move to liquid where
  the country has one. Liquid and tablets are never mixed in one dose.
* Among liquids that make a dose exactly, the most concentrated one that still gives at least
  1 mL is used (app choice: volumes under 1 mL are hard to measure accurately); if every
  volume is under 1 mL, the most dilute.

Example (GB diazepam: 2 mg tablets whose halving is off-licence, unscored 5 mg tablets, scored
10 mg tablets; 2 mg/5 mL and 5 mg/5 mL liquids):

* 12 mg is one 10 mg + one 2 mg tablet;
* 1 mg is half a 2 mg tablet (an ``off-licence-split`` warning goes with it);
* 7.5 mg cannot be made from these tablets (their pieces are whole mg), so it is 7.5 mL of
  the 5 mg/5 mL liquid; 0.4 mg is 1 mL of the 2 mg/5 mL liquid.

The makeable set per (drug, country) is computed once: :func:`formulary_for` is cached on
the immutable product tuple (and per :class:`~schedules.engine.reference.Reference`).
"""

from __future__ import annotations

import functools
from bisect import bisect_left, bisect_right
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from schedules.engine.reference import Product, Reference
from schedules.engine.types import Dose, Slot, Unit
from schedules.engine.units import CONTEXT, ONE, ZERO, clean, fmt, gcd_decimal

__all__ = ["DEFAULT_MEASURE_ML", "Formulary", "formulary_for", "get_formulary"]

DEFAULT_MEASURE_ML = Decimal("0.1")
#: The solid-dose table stops at this many grid cells (doses above are liquid-only).
_MAX_CELLS = 200_000
#: Query memos are cleared when they reach this size (bounded memory in a long-lived process).
_MEMO_LIMIT = 50_000
_NONE = Decimal(-1)  # "no makeable dose" in the ceil memo
_OFF_LICENCE = 1_000_000_000_000
_SPLIT = 1_000_000


def _unit_name(product: Product) -> str:
    if product.is_liquid:
        return "mL"
    return "capsule" if product.form == "capsule" else "tablet"


def _pieces(product: Product) -> tuple[Decimal, ...]:
    if product.form in {"er_tablet", "capsule"}:
        return (ONE,)
    pieces = sorted({s for s in product.splits if ZERO < s <= ONE} | {ONE}, reverse=True)
    return tuple(pieces)


class Formulary:
    """The doses of one drug one country's products can make.

    Args:
        drug: drug slug.
        country: country code.
        products: the products (any order; data order breaks ties).
        max_mg: the largest single dose tablets are tabulated for (the drug's hard maximum).
    """

    __slots__ = (
        "_below_memo",
        "_ceil_memo",
        "_choice",
        "_dose_cache",
        "_exponent",
        "_floor_memo",
        "_grid",
        "_liquids",
        "_off_licence",
        "_pieces",
        "_realised",
        "_solid_set",
        "_solid_values",
        "_steps",
        "country",
        "drug",
        "products",
    )

    def __init__(
        self, drug: str, country: str, products: tuple[Product, ...], max_mg: Decimal
    ) -> None:
        self.drug = drug
        self.country = country
        self.products = products
        self._realised: dict[Decimal, tuple[Unit, ...]] = {}
        self._dose_cache: dict[tuple[Slot, Decimal], Dose] = {}
        self._build_solids([p for p in products if not p.is_liquid and p.strength_mg], max_mg)
        liquids: list[tuple[Decimal, Decimal, Product]] = []
        for product in products:
            if product.is_liquid and product.mg_per_ml and product.mg_per_ml > 0:
                measure = product.measure_ml or DEFAULT_MEASURE_ML
                liquids.append((product.mg_per_ml * measure, measure, product))
        self._liquids = tuple(liquids)
        self._steps = tuple(sorted({step for step, _, _ in liquids}))
        self._ceil_memo: dict[Decimal, Decimal] = {}
        self._below_memo: dict[Decimal, Decimal] = {}
        self._floor_memo: dict[Decimal, Decimal] = {}
        self._off_licence: dict[Decimal, tuple[Product, ...]] = {}

    # -- construction -------------------------------------------------------------------

    def _build_solids(self, solids: list[Product], max_mg: Decimal) -> None:
        pieces: list[tuple[Decimal, Product, Decimal, int]] = []
        for product in solids:
            strength = product.strength_mg
            if strength is None or strength <= 0:
                continue
            for split in _pieces(product):
                price = 1
                if split != ONE:
                    price += _SPLIT + (0 if product.split_licensed else _OFF_LICENCE)
                pieces.append((strength * split, product, split, price))
        self._pieces = pieces
        self._choice: list[int] = []
        self._grid = 0
        self._exponent = 0
        self._solid_values: list[Decimal] = []
        self._solid_set: frozenset[Decimal] = frozenset()
        if not pieces:
            return
        grid, exponent = gcd_decimal([p[0] for p in pieces])
        scale = 10**exponent
        cells = min(int(max_mg * scale) // grid, _MAX_CELLS)
        weights = [int(p[0] * scale) // grid for p in pieces]
        infinity = 1 << 62
        cost = [infinity] * (cells + 1)
        choice = [-1] * (cells + 1)
        cost[0] = 0
        order = range(len(pieces))
        for n in range(1, cells + 1):
            best = infinity
            pick = -1
            for i in order:
                w = weights[i]
                if w <= n:
                    c = cost[n - w] + pieces[i][3]
                    if c < best:
                        best, pick = c, i
            cost[n] = best
            choice[n] = pick
        self._choice = choice
        self._grid = grid
        self._exponent = exponent
        quantum = Decimal(grid).scaleb(-exponent)
        values = [quantum * n for n in range(1, cells + 1) if choice[n] >= 0]
        self._solid_values = [clean(v) for v in values]
        self._solid_set = frozenset(self._solid_values)

    # -- queries --------------------------------------------------------------------------

    @property
    def has_liquid(self) -> bool:
        return bool(self._liquids)

    @property
    def solid_values(self) -> list[Decimal]:
        """Every dose tablets/capsules alone can make, ascending (do not mutate)."""
        return self._solid_values

    def is_solid(self, mg: Decimal) -> bool:
        """True when tablets/capsules alone make ``mg`` exactly."""
        return mg in self._solid_set

    def is_makeable(self, mg: Decimal) -> bool:
        """True when ``mg`` (> 0) can be made exactly (0 is "no dose" and always allowed)."""
        if mg <= 0:
            return mg == 0
        if mg in self._solid_set:
            return True
        remainder = CONTEXT.remainder
        return any(not remainder(mg, step) for step in self._steps)

    def ceil(self, mg: Decimal) -> Decimal | None:
        """The smallest makeable dose >= ``mg`` (0 when ``mg`` <= 0), or None."""
        memo = self._ceil_memo
        found = memo.get(mg)
        if found is not None:
            return None if found is _NONE else found
        if mg <= 0:
            return ZERO
        best: Decimal | None = None
        values = self._solid_values
        i = bisect_left(values, mg)
        if i < len(values):
            best = values[i]
        for step in self._steps:
            candidate = CONTEXT.divide(mg, step).to_integral_value(ROUND_CEILING) * step
            if candidate < mg:  # guard against a quotient rounded to an integer
                candidate += step
            if best is None or candidate < best:
                best = candidate
        result = None if best is None else clean(best)
        if len(memo) >= _MEMO_LIMIT:
            memo.clear()
        memo[mg] = _NONE if result is None else result
        return result

    def ceil_practical(self, mg: Decimal, upper: Decimal) -> Decimal | None:
        """The next dose for a step planned at ``mg`` from the current dose ``upper``.

        Tablets/capsules first: the smallest dose they alone make that is >= ``mg`` and still
        cuts at least half of what was asked (``<= (mg + upper) / 2``). Otherwise the smallest
        makeable dose >= ``mg``, which may be liquid. This keeps liquids for the small late
        steps they exist for (clinical reference §5: "liquids are what make sub-1 mg diazepam
        steps practical") instead of 32.9 mL of syrup for a 13.16 mg dose, and does not hop
        back from a liquid to tablets for a token cut. The result is never below ``mg``, so
        the cut is never larger than asked.

        Example (GB diazepam): from 16.2 mg planned 14.58 -> 15 mg as tablets (cut 1.2 of the
        1.62 asked); from 8.1 mg planned 7.29 -> 7.3 mL of 5 mg/5 mL, since 8 mg tablets
        would cut only 0.1 mg.
        """
        if mg > 0:
            values = self._solid_values
            i = bisect_left(values, mg)
            if i < len(values) and values[i] < upper and values[i] * 2 <= mg + upper:
                return values[i]
        return self.ceil(mg)

    def floor(self, mg: Decimal) -> Decimal:
        """The largest makeable dose <= ``mg`` (0 when nothing smaller exists)."""
        memo = self._floor_memo
        known = memo.get(mg)
        if known is not None:
            return known
        if mg <= 0:
            return ZERO
        best = ZERO
        values = self._solid_values
        i = bisect_right(values, mg)
        if i:
            best = values[i - 1]
        for step in self._steps:
            candidate = CONTEXT.divide(mg, step).to_integral_value(ROUND_FLOOR) * step
            if candidate > mg:
                candidate -= step
            if candidate > best:
                best = candidate
        result = clean(best)
        if len(memo) >= _MEMO_LIMIT:
            memo.clear()
        memo[mg] = result
        return result

    def below(self, mg: Decimal) -> Decimal:
        """The largest makeable dose strictly below ``mg`` (0 when none)."""
        memo = self._below_memo
        known = memo.get(mg)
        if known is not None:
            return known
        if mg <= 0:
            return ZERO
        best = ZERO
        values = self._solid_values
        i = bisect_left(values, mg)
        if i:
            best = values[i - 1]
        for step in self._steps:
            n = CONTEXT.divide(mg, step).to_integral_value(ROUND_CEILING) - 1
            candidate = n * step
            if candidate >= mg:
                candidate -= step
            if candidate > best:
                best = candidate
        result = clean(best)
        if len(memo) >= _MEMO_LIMIT:
            memo.clear()
        memo[mg] = result
        return result

    def nearest(self, mg: Decimal) -> tuple[Decimal | None, Decimal | None]:
        """The makeable doses just below and just above ``mg`` (None where there is none)."""
        low = self.below(mg)
        high = self.ceil(mg)
        if high is not None and high == mg:
            high = self.ceil(mg + Decimal("1E-9"))
        return (low if low > 0 else None), high

    def describe_nearest(self, mg: Decimal) -> str:
        """Words for an error: "nearest makeable: 0.25 mg or 0.5 mg"."""
        low, high = self.nearest(mg)
        options = [f"{fmt(v)} mg" for v in (low, high) if v is not None]
        if not options:
            return "no dose of it can be made from these products"
        return "nearest makeable: " + " or ".join(options)

    # -- realisation ----------------------------------------------------------------------

    def realise(self, mg: Decimal) -> tuple[Unit, ...]:
        """The units that make ``mg`` exactly (tablets first, else one liquid).

        Raises:
            ValueError: ``mg`` cannot be made (callers check :meth:`is_makeable` first).
        """
        cached = self._realised.get(mg)
        if cached is not None:
            return cached
        units = self._realise_solid(mg) if mg in self._solid_set else self._realise_liquid(mg)
        self._realised[mg] = units
        return units

    def dose(self, slot: Slot, mg: Decimal) -> Dose:
        """A :class:`Dose` of this drug, realised and cached."""
        key = (slot, mg)
        dose = self._dose_cache.get(key)
        if dose is None:
            dose = Dose(slot=slot, drug=self.drug, mg=mg, units=self.realise(mg))
            self._dose_cache[key] = dose
        return dose

    def _realise_solid(self, mg: Decimal) -> tuple[Unit, ...]:
        n = int(mg.scaleb(self._exponent)) // self._grid
        counts: dict[str, Decimal] = {}
        products: dict[str, Product] = {}
        while n > 0:
            index = self._choice[n]
            piece_mg, product, split, _ = self._pieces[index]
            counts[product.slug] = counts.get(product.slug, ZERO) + split
            products[product.slug] = product
            n -= int(piece_mg.scaleb(self._exponent)) // self._grid
        ordered = sorted(counts, key=lambda slug: (-(products[slug].strength_mg or ZERO), slug))
        return tuple(
            Unit(
                product=slug,
                count=clean(counts[slug]),
                unit=_unit_name(products[slug]),
                strength_mg=products[slug].strength_mg or ZERO,
            )
            for slug in ordered
        )

    def _realise_liquid(self, mg: Decimal) -> tuple[Unit, ...]:
        exact = [
            (step, measure, product)
            for step, measure, product in self._liquids
            if mg > 0 and not CONTEXT.remainder(mg, step)
        ]
        if not exact:
            raise ValueError(
                f"{self.drug} {fmt(mg)} mg cannot be made from {self.country} products"
            )
        # Most concentrated first; ties keep data order (sorted is stable).
        exact.sort(key=lambda item: -(item[2].mg_per_ml or ZERO))
        chosen = None
        for step, measure, product in exact:
            volume = CONTEXT.divide(mg, step) * measure
            if volume >= 1:
                chosen = (product, volume)
                break
        if chosen is None:
            step, measure, product = exact[-1]
            chosen = (product, CONTEXT.divide(mg, step) * measure)
        product, volume = chosen
        return (
            Unit(
                product=product.slug,
                count=clean(volume),
                unit="mL",
                strength_mg=product.mg_per_ml or ZERO,
            ),
        )

    def off_licence_products(self, units: tuple[Unit, ...]) -> tuple[Product, ...]:
        """Products in ``units`` taken as split pieces although splitting is off-licence."""
        found = []
        for unit in units:
            if unit.unit == "mL" or unit.count == unit.count.to_integral_value():
                continue
            for product in self.products:
                if product.slug == unit.product and not product.split_licensed:
                    found.append(product)
        return tuple(found)

    def off_licence_for(self, dose: Dose) -> tuple[Product, ...]:
        """:meth:`off_licence_products` of a dose, memoised by mg."""
        cached = self._off_licence.get(dose.mg)
        if cached is None:
            cached = self.off_licence_products(dose.units)
            self._off_licence[dose.mg] = cached
        return cached


@functools.lru_cache(maxsize=512)
def formulary_for(
    drug: str, country: str, products: tuple[Product, ...], max_mg: Decimal
) -> Formulary:
    """The (cached) formulary for an immutable product tuple."""
    return Formulary(drug, country, products, max_mg)


def get_formulary(reference: Reference, drug: str, country: str) -> Formulary:
    """The formulary of ``drug`` in ``country`` for ``reference`` (memoised per reference)."""
    key = ("formulary", drug, country)
    cache = reference.cache
    found = cache.get(key)
    if found is None:
        info = reference.drug(drug)
        max_mg = info.hard_max_daily_mg if info is not None else Decimal(2500)
        found = formulary_for(drug, country, reference.products_for(drug, country), max_mg)
        cache[key] = found
    if not isinstance(found, Formulary):  # pragma: no cover - the cache holds formularies
        raise TypeError(key)
    return found
