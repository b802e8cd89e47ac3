"""Which doses of a drug the products of a country can make exactly, and how.

Rules (DESIGN.md "A dose the products on hand cannot make is never offered"; clinical
reference section 5 and 7.3; issue 9 "products a patient can follow"):

* Tablets and capsules are taken whole or in the piece sizes the product's ``splits`` allows
  (``(1,)``, ``(1, 0.5)``, ``(1, 0.5, 0.25)``). Extended-release tablets and capsules are never
  split, whatever the data says (clinical reference 7.3: "Don't offer ER tablets for
  splitting"; section 5: "Capsules cannot be split").
* At most :data:`MAX_PIECES` (4) tablets/capsules make a dose the engine chooses (app rule,
  ``taper-clinic``: more is error-prone for the patient). A starting dose above four of the
  strongest tablet is still accepted and made with the fewest pieces.
* Among combinations that make a dose, in this order: verified products only when they can
  make it (an unverified product is used only when nothing verified makes the dose; the plan
  then warns), fewest off-licence split pieces, fewest split pieces ("whole before split"),
  fewest pieces, fewest different products, fewest unverified pieces.
* **One liquid per drug.** Of a country's liquids of a drug, one is chosen up front
  (:func:`choose_liquid`), so a plan never moves between concentrations (a 4x dose error risk
  with clonazepam 2 mg/5 mL and 500 micrograms/5 mL). Liquids are measured in multiples of
  ``measure_ml`` (0.1 mL oral syringe by default); one liquid dose is at least
  :data:`MIN_ML` (0.2 mL) and at most ``max_ml`` (default :data:`DEFAULT_MAX_ML`, 10 mL, a
  clinic setting). Up to that volume the liquid alone makes a dose; above it, tablets carry
  the bulk and the liquid tops up (HMP Wandsworth chart, clinical reference section 5:
  "liquids are what make sub-1 mg diazepam steps practical"); above four of the strongest
  tablet plus the largest liquid dose, more tablets carry the bulk (as for tablet-only
  doses), so a slot on the liquid keeps it at any dose.
* **A licensed liquid or a scored tablet beats halving an unscored tablet off-licence**
  (PrescQIPP: halving diazepam 2 mg is off-licence): where the drug has a liquid, doses that
  would need an off-licence split are made with the liquid instead. Without a liquid, the
  off-licence split stays, and the plan carries its ``off-licence-split`` warning.

A taper plans a drug in two phases (:meth:`Formulary.next_dose`): tablets/capsules alone
(:attr:`Formulary.solid_values`), then, at most once and never back, the chosen liquid (with
tablets carrying the bulk, :attr:`Formulary.liquid_values`). The set of makeable doses used to
check a request (:meth:`Formulary.is_makeable`) is the union of the two grids plus large
starting doses, and every value in it is realised by :meth:`Formulary.realise` from the same
grids, so a dose accepted at the baseline can always be made.

Example (GB diazepam: 2 mg tablets whose halving is off-licence, unscored 5 mg tablets, scored
10 mg tablets; 2 mg/5 mL and 5 mg/5 mL liquids; the 5 mg/5 mL one is chosen):

* 12 mg is one 10 mg + one 2 mg tablet;
* 1 mg is 1 mL of 5 mg/5 mL, not half a 2 mg tablet;
* 7.5 mg is 7.5 mL of 5 mg/5 mL; 12.3 mg is one 10 mg tablet + 2.3 mL.

The grids per (drug, country, products) are computed once: :func:`formulary_for` is cached on
the immutable product tuple (and per :class:`~schedules.engine.reference.Reference`).
"""

from __future__ import annotations

import functools
import math
from bisect import bisect_left, bisect_right
from decimal import Decimal
from itertools import combinations_with_replacement
from typing import Any

from schedules.engine.reference import Product, Reference
from schedules.engine.types import Dose, Slot, Unit
from schedules.engine.units import CONTEXT, ONE, ZERO, clean, fmt, gcd_decimal

__all__ = [
    "DEFAULT_MAX_ML",
    "DEFAULT_MEASURE_ML",
    "MAX_PIECES",
    "MIN_ML",
    "Formulary",
    "choose_liquid",
    "formulary_for",
    "get_formulary",
    "products_of_form",
]

DEFAULT_MEASURE_ML = Decimal("0.1")
#: The largest single liquid dose (mL); a clinic setting (app rule, ``taper-clinic``).
DEFAULT_MAX_ML = Decimal(10)
#: The smallest single liquid dose (mL): two marks of a 0.1 mL oral syringe (``taper-clinic``).
MIN_ML = Decimal("0.2")
#: The most tablets/capsules in one dose the engine chooses (``taper-clinic``).
MAX_PIECES = 4
_TWO = Decimal(2)  # a Decimal: comparing with an int converts it on every call
#: The solid-dose table stops at this many grid cells (doses above are not makeable).
_MAX_CELLS = 200_000
_UNVERIFIED = 1_000_000_000_000_000
_OFF_LICENCE = 1_000_000_000_000
_SPLIT = 1_000_000
#: Planner memos per formulary are cleared when they reach this size.
_MEMO_LIMIT = 2_000
#: Equivalence figures per formulary whose memo of equivalents is kept (see equivalents()).
_FIGURE_LIMIT = 16

# (any unverified product, off-licence pieces, split pieces, pieces, different products,
# unverified pieces): lower is better. A dose that needs an unverified product at all is then
# made the most natural way (not a mix of forms chosen only to count fewer unverified pieces).
_Cost = tuple[int, int, int, int, int, int]
_FREE: _Cost = (0, 0, 0, 0, 0, 0)


def _unit_name(product: Product) -> str:
    if product.is_liquid:
        return "mL"
    return "capsule" if product.form == "capsule" else "tablet"


def _pieces(product: Product) -> tuple[Decimal, ...]:
    if product.form in {"er_tablet", "capsule"}:
        return (ONE,)
    pieces = sorted({s for s in product.splits if ZERO < s <= ONE} | {ONE}, reverse=True)
    return tuple(pieces)


def products_of_form(products: tuple[Product, ...], form: str) -> tuple[Product, ...]:
    """The products a regimen of ``form`` may use: ``"er"`` extended-release tablets only,
    ``"ir"`` everything else. ER and IR are never mixed (clinical reference section 5, US
    alprazolam: "extended-release tablets are a separate formulation and never mixed with
    immediate-release")."""
    if form == "er":
        return tuple(p for p in products if p.form == "er_tablet")
    return tuple(p for p in products if p.form != "er_tablet")


def choose_liquid(products: tuple[Product, ...]) -> Product | None:
    """The one liquid a plan uses for this drug, chosen up front (app rule, ``taper-clinic``).

    Verified liquids first. Among them, the most concentrated one whose smallest measurable
    dose (:data:`MIN_ML`) is at most a tenth of the smallest tablet, so it can make the whole
    tail below the last tablet in small steps; if none can, the most dilute one (the smallest
    doses). Ties keep data order.

    Examples: GB diazepam (2 mg tablets) -> 5 mg/5 mL (0.2 mL = 0.2 mg); GB clonazepam
    (500 microgram tablets) -> 500 micrograms/5 mL (0.2 mL = 0.02 mg), not 2 mg/5 mL.
    """
    liquids = [p for p in products if p.is_liquid and p.mg_per_ml and p.mg_per_ml > 0]
    if not liquids:
        return None
    verified = [p for p in liquids if p.verified]
    pool = verified or liquids
    strengths = [p.strength_mg for p in products if not p.is_liquid and p.strength_mg]
    smallest = min(strengths) if strengths else None
    if smallest is not None:
        reach = [p for p in pool if (p.mg_per_ml or ZERO) * MIN_ML * 10 <= smallest]
        if reach:
            return max(reach, key=lambda p: p.mg_per_ml or ZERO)
    return min(pool, key=lambda p: p.mg_per_ml or ZERO)


def _cost_of(price: int, products: int) -> _Cost:
    unverified, rest = divmod(price, _UNVERIFIED)
    off, rest = divmod(rest, _OFF_LICENCE)
    split, pieces = divmod(rest, _SPLIT)
    return (min(unverified, 1), off, split, pieces, products, unverified)


class _Lookups:
    """What the planner looks up on a formulary besides its grids, in one attribute: a
    Formulary with 30 or more attributes loses CPython's shared-key instance dict, and every
    attribute read on it slows down."""

    __slots__ = ("counts", "equivalents", "liquid_doses")

    def __init__(self) -> None:
        #: Formulary._solid_counts()
        self.counts: tuple[list[int], int, int, dict[Decimal, int]] | None = None
        #: Formulary.equivalents(), by the figure's digits
        self.equivalents: dict[str, dict[Decimal, Decimal]] = {}
        #: Formulary.liquid_doses(), by slot
        self.liquid_doses: dict[Slot, dict[int, Dose]] = {}


class Formulary:
    """The doses of one drug one country's products can make.

    Args:
        drug: drug slug.
        country: country code.
        products: the products (any order; data order breaks ties). Pass the products of one
            form only (:func:`products_of_form`).
        max_mg: the largest single dose tablets are tabulated for (the drug's hard maximum).
        max_ml: the largest single liquid dose in mL (a clinic setting).
    """

    def __init__(
        self,
        drug: str,
        country: str,
        products: tuple[Product, ...],
        max_mg: Decimal,
        max_ml: Decimal = DEFAULT_MAX_ML,
    ) -> None:
        self.drug = drug
        self.country = country
        self.products = products
        self.max_ml = max_ml
        self.liquid = choose_liquid(products)
        solids = [p for p in products if not p.is_liquid and p.strength_mg and p.strength_mg > 0]
        self._pieces: list[tuple[Decimal, Product, Decimal, int]] = []
        for product in solids:
            strength = product.strength_mg or ZERO
            for split in _pieces(product):
                price = 1 + (0 if product.verified else _UNVERIFIED)
                if split != ONE:
                    price += _SPLIT + (0 if product.split_licensed else _OFF_LICENCE)
                self._pieces.append((strength * split, product, split, price))
        self._build_large(max_mg)
        self._build_small()
        self._build_liquid()
        # What a plan chooses from (crossover and taper) and what a request may hold.
        self._grid = sorted(self._liquid_set | self._solid_set)
        self._all = sorted(self._large_set | self._liquid_set | self._solid_set)
        self._all_set = frozenset(self._all)
        #: ids of this formulary's doses that carry an off-licence split or an unverified
        #: product (the plan warns about those; every other dose needs no look).
        self.flagged: set[int] = set()
        self._realised: dict[tuple[Decimal, bool], tuple[Unit, ...]] = {}
        #: The planner's memo of one-drug tapers on this formulary (see :meth:`remember`).
        self.trajectories: dict[Any, Any] = {}
        self.dose_cache: dict[tuple[Slot, Decimal, bool], Dose] = {}
        self._flags: dict[int, tuple[tuple[Product, ...], tuple[Product, ...]]] = {}
        self._lookups = _Lookups()

    def remember(self, key: Any, value: Any) -> None:
        """Store a planner memo, bounded: cleared when full (a long-lived process stays small)."""
        if len(self.trajectories) >= _MEMO_LIMIT:
            self.trajectories.clear()
        self.trajectories[key] = value

    def equivalents(self, figure: Decimal) -> dict[Decimal, Decimal]:
        """The planner's memo of the diazepam-equivalent of a daily dose of this drug (a grid
        value) under the equivalence figure ``figure``, filled by the planner (bounded: the
        grid's values for each figure of the reference data; keyed on the figure's digits,
        as an equal figure with other digits gives other digits)."""
        key = str(figure)
        memo = self._lookups.equivalents
        found = memo.get(key)
        if found is None:
            if len(memo) >= _FIGURE_LIMIT:
                memo.clear()
            found = memo[key] = {}
        return found

    def liquid_doses(self, slot: Slot) -> dict[int, Dose]:
        """The planner's index of :meth:`dose` on the liquid for ``slot``: the dose of
        ``liquid_values[n]`` (``liquid`` True) under ``n``, filled by the planner (bounded by
        the grid; the doses are the ones :attr:`dose_cache` holds)."""
        rows = self._lookups.liquid_doses
        row = rows.get(slot)
        if row is None:
            row = rows[slot] = {}
        return row

    # -- construction -------------------------------------------------------------------

    def _build_large(self, max_mg: Decimal) -> None:
        """Every dose tablets alone make, any number of pieces (for large starting doses)."""
        pieces = self._pieces
        self._choice: list[int] = []
        self._large_cost: list[int] = []
        self._quantum = 0
        self._exponent = 0
        self._large_set: frozenset[Decimal] = frozenset()
        if not pieces:
            return
        grid, exponent = gcd_decimal([p[0] for p in pieces])
        scale = 10**exponent
        cells = min(int(max_mg * scale) // grid, _MAX_CELLS)
        weights = [int(p[0] * scale) // grid for p in pieces]
        infinity = 1 << 80
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
        self._large_cost = cost
        self._quantum = grid
        self._exponent = exponent
        quantum = Decimal(grid).scaleb(-exponent)
        self._large_set = frozenset(
            clean(quantum * n) for n in range(1, cells + 1) if choice[n] >= 0
        )

    def _build_small(self) -> None:
        """Doses of at most MAX_PIECES pieces: the tablet grid a plan chooses from."""
        best: dict[Decimal, tuple[_Cost, tuple[int, ...]]] = {}
        count = len(self._pieces)
        for size in range(1, MAX_PIECES + 1):
            for combo in combinations_with_replacement(range(count), size):
                value = clean(sum((self._pieces[i][0] for i in combo), ZERO))
                cost = _cost_of(
                    sum(self._pieces[i][3] for i in combo),
                    len({self._pieces[i][1].slug for i in combo}),
                )
                found = best.get(value)
                if found is None or cost < found[0]:
                    best[value] = (cost, combo)
        self._small = best
        # Off-licence splits only where no liquid can do better (rule above).
        allowed = {
            value for value, (cost, _) in best.items() if self.liquid is None or cost[1] == 0
        }
        strongest = max((p[0] for p in self._pieces), default=ZERO)
        bulk = {v for v in self._large_set if v > strongest * MAX_PIECES}
        self._solid_values = sorted(allowed | bulk)
        self._solid_set = frozenset(self._solid_values)
        self._tablet_parts = sorted(allowed)
        self._tablet_parts_set = frozenset(allowed)

    def _build_liquid(self) -> None:
        """Doses made with the chosen liquid (0.2 mL to max_ml), topped up on tablets."""
        self._liquid_parts: dict[Decimal, tuple[Decimal, Decimal]] = {}  # mg -> (tablets, mL)
        liquid = self.liquid
        if liquid is None or not liquid.mg_per_ml:
            self._liquid_values: list[Decimal] = []
            self._liquid_set: frozenset[Decimal] = frozenset()
            return
        measure = liquid.measure_ml or DEFAULT_MEASURE_ML
        step = liquid.mg_per_ml * measure
        low = int(-(-MIN_ML // measure))
        high = int(self.max_ml // measure)
        volumes = [(step * n, clean(measure * n)) for n in range(low, high + 1)]
        ranked: dict[Decimal, tuple[_Cost, Decimal, Decimal]] = {}
        for tablets in [ZERO, *self._tablet_parts]:
            cost = _FREE if not tablets else self._small[tablets][0]
            for mg, ml in volumes:
                value = clean(tablets + mg)
                found = ranked.get(value)
                # cheapest tablets first (none at all when the liquid alone fits), then the
                # most mg on tablets: tablets carry the bulk, the liquid tops up
                if found is None or (cost, -tablets) < (found[0], -found[1]):
                    ranked[value] = (cost, tablets, ml)
        self._liquid_parts = {value: (t, ml) for value, (_, t, ml) in ranked.items()}
        self._add_bulk_liquid(volumes)
        self._liquid_values = sorted(self._liquid_parts)
        self._liquid_set = frozenset(self._liquid_parts)

    def _add_bulk_liquid(self, volumes: list[tuple[Decimal, Decimal]]) -> None:
        """Doses above what four tablets and the largest liquid dose make: more tablets carry
        the bulk (as :attr:`solid_values` allows above four of the strongest tablet) and the
        liquid tops up. A slot already on the liquid then keeps it at any dose (a large
        consolidated dose after a switch, or a later slot's reduction) instead of going back
        to tablets or being cut by a whole tablet at once (the pace guarantee).

        Example (GB diazepam, 5 mg/5 mL): 57 mg is five 10 mg tablets + 7 mL.
        """
        parts = self._liquid_parts
        if not parts or not self._large_set:
            return
        top = max(parts)
        strongest = max((p[0] for p in self._pieces), default=ZERO)
        scale = 10**self._exponent
        quantum = self._quantum
        cost = self._large_cost
        best: dict[Decimal, tuple[int, Decimal, Decimal, Decimal]] = {}
        for tablets in sorted(v for v in self._large_set if v > strongest * MAX_PIECES):
            price = cost[int(tablets * scale) // quantum]
            if (price // _OFF_LICENCE) % (_UNVERIFIED // _OFF_LICENCE):
                continue  # never an off-licence split where the liquid can do better
            for mg, ml in volumes:
                value = clean(tablets + mg)
                if value <= top:
                    continue
                found = best.get(value)
                # fewest pieces, then the most mg on tablets (tablets carry the bulk)
                if found is None or (price, -tablets) < (found[0], -found[1]):
                    best[value] = (price, tablets, ml, value)
        for value, (_, tablets, ml, _) in best.items():
            parts[value] = (tablets, ml)

    # -- queries --------------------------------------------------------------------------

    @property
    def has_liquid(self) -> bool:
        return self.liquid is not None

    @property
    def solid_values(self) -> list[Decimal]:
        """Doses tablets/capsules alone make in a plan, ascending (do not mutate)."""
        return self._solid_values

    @property
    def liquid_values(self) -> list[Decimal]:
        """Doses made with the chosen liquid (tablets may carry the bulk), ascending."""
        return self._liquid_values

    def is_solid(self, mg: Decimal) -> bool:
        """True when tablets/capsules alone make ``mg`` in a plan."""
        return mg in self._solid_set

    def is_makeable(self, mg: Decimal) -> bool:
        """True when ``mg`` (> 0) can be made exactly (0 is "no dose" and always allowed)."""
        if mg <= 0:
            return mg == 0
        return mg in self._all_set

    def ceil(self, mg: Decimal) -> Decimal | None:
        """The smallest dose a plan may choose >= ``mg`` (0 when ``mg`` <= 0), or None."""
        if mg <= 0:
            return ZERO
        return _ceil(self._grid, mg)

    def floor(self, mg: Decimal) -> Decimal:
        """The largest dose a plan may choose <= ``mg`` (0 when nothing smaller exists)."""
        return _floor(self._grid, mg)

    def below(self, mg: Decimal) -> Decimal:
        """The largest dose a plan may choose strictly below ``mg`` (0 when none)."""
        return _below(self._grid, mg)

    def next_dose(self, mg: Decimal, upper: Decimal, liquid: bool) -> tuple[Decimal | None, bool]:
        """The next dose of a taper planned at ``mg`` from the current dose ``upper``, and
        whether the plan is on the liquid from now on.

        On tablets: the smallest tablet dose >= ``mg`` and < ``upper`` when it still cuts at
        least half of what was asked (``<= (mg + upper) / 2``), so a taper is not slowed to
        token cuts; else, once and for good, the smallest liquid dose >= ``mg``; else the
        tablet dose anyway. On the liquid: the smallest liquid dose >= ``mg``. None when no
        dose in ``[mg, upper)`` exists (the caller then takes :meth:`next_below` and
        lengthens the step). The result is never below ``mg``: the cut is never larger than
        asked.

        Example (GB diazepam): from 16 mg planned 14.4 -> 15 mg tablets; from 8 mg planned
        7.2 -> 7.2 mL of 5 mg/5 mL, and every later dose uses that liquid.
        """
        if liquid:
            found = _ceil(self._liquid_values, mg)
            return (found if found is not None and found < upper else None), True
        solids = self._solid_values
        i = bisect_left(solids, mg)  # _ceil, inline: the taper loop's hottest call
        solid = solids[i] if i < len(solids) else None
        if solid is not None and solid >= upper:
            solid = None
        if solid is not None and (self.liquid is None or solid * _TWO <= mg + upper):
            return solid, False
        if self.liquid is not None:
            found = _ceil(self._liquid_values, mg)
            if found is not None and found < upper:
                return found, True
        return solid, False

    def rebalance(
        self, wanted: Decimal, cap_a: Decimal, cap_b: Decimal, floor: Decimal
    ) -> tuple[Decimal, Decimal] | None:
        """Two slot doses on tablets alone, ``a`` (the slot being cut) and ``b`` (the next
        slot, kept longer), with ``floor <= a <= b <= cap_b`` and ``a <= cap_a``, whose sum
        is the smallest that is >= ``wanted`` and < ``cap_a + cap_b``; among equal sums the
        largest ``a`` (the later slot gives up as little as it can). None when there is none.

        Used when the slot being cut cannot take the asked cut on tablets alone (at most four
        tablets) but the two slots together can: Ashton's tails alternate the cut between
        morning and night (20/20 -> 18/20 -> 18/18). Example (GB diazepam 2, 5, 10 mg): 15 +
        15 to 28 mg: 13 mg needs five tablets or the liquid, 14 + 14 needs three each.
        """
        solids = self._solid_values
        counts, exponent, quantum, positions = self._solid_counts()
        # a <= cap_a, b <= cap_b: their indices below these (bisect_right, looked up when
        # the cap is a dose: one past its index)
        high = positions.get(cap_a)
        high = bisect_right(solids, cap_a) if high is None else high + 1
        edge = positions.get(cap_b)
        edge = bisect_right(solids, cap_b) if edge is None else edge + 1
        if not high or not edge:
            return None
        # The search runs on the doses as whole counts of the grid's quantum q (in the same
        # order): a + b >= wanted <=> count(a) + count(b) >= least, least = ceil(wanted / q).
        least = -(-math.ceil(wanted.scaleb(exponent, CONTEXT) if exponent else wanted) // quantum)
        # a >= floor, and a >= wanted - (the largest b <= cap_b): an a below finds no b
        low = bisect_left(solids, floor)
        above = bisect_left(counts, least - counts[edge - 1])
        if above > low:
            low = above
        # a sum is taken only below the best so far, which starts at the cap on the sum:
        # every a + b here is at most solids[high - 1] + solids[edge - 1] <= cap_a + cap_b,
        # equal to it only at that pair when both caps are doses
        best_sum = counts[high - 1] + counts[edge - 1]
        if solids[high - 1] != cap_a or solids[edge - 1] != cap_b:
            best_sum += 1
        best: tuple[int, int] | None = None
        for index in range(high - 1, max(low, high - 64) - 1, -1):
            a = counts[index]
            # b: the smallest dose >= max(wanted - a, floor, a) (the later slot stays the
            # larger; a >= floor), searched from a itself up to cap_b
            i = bisect_left(counts, least - a, index, edge)
            if i >= edge:
                continue  # none <= cap_b
            total = a + counts[i]
            if total < best_sum:
                best = (index, i)
                best_sum = total
                if total == least:
                    break  # the sum equals wanted, or the smallest above it: none is smaller
        return None if best is None else (solids[best[0]], solids[best[1]])

    def _solid_counts(self) -> tuple[list[int], int, int, dict[Decimal, int]]:
        """:attr:`solid_values` as whole counts of their greatest common divisor
        ``quantum * 10**-exponent`` (a count is ``int(value * 10**exponent) // quantum``),
        with that divisor and each value's index (worked out once per formulary)."""
        lookups = self._lookups
        found = lookups.counts
        if found is None:
            values = self._solid_values
            quantum, exponent = gcd_decimal(values) if values else (1, 0)
            scale = 10**exponent
            counts = [int(value * scale) // quantum for value in values]
            positions = {value: index for index, value in enumerate(values)}
            found = lookups.counts = (counts, exponent, quantum, positions)
        return found

    def next_below(self, upper: Decimal, liquid: bool) -> tuple[Decimal, bool]:
        """The largest dose strictly below ``upper`` in the plan's phase (0 when none); on
        tablets the liquid may take over when it makes a larger dose."""
        if liquid:
            return _below(self._liquid_values, upper), True
        solid = _below(self._solid_values, upper)
        if self.liquid is not None:
            found = _below(self._liquid_values, upper)
            if found > solid:
                return found, True
        return solid, False

    def nearest(self, mg: Decimal) -> tuple[Decimal | None, Decimal | None]:
        """The makeable doses just below and just above ``mg`` (None where there is none)."""
        low = _below(self._all, mg)
        high = _ceil(self._all, mg)
        if high is not None and high == mg:
            high = _ceil(self._all, mg + Decimal("1E-9"))
        return (low if low > 0 else None), high

    def describe_nearest(self, mg: Decimal) -> str:
        """Words for an error: "nearest makeable: 0.25 mg or 0.5 mg"."""
        low, high = self.nearest(mg)
        options = [f"{fmt(v)} mg" for v in (low, high) if v is not None]
        if not options:
            return "no dose of it can be made from these products"
        return "nearest makeable: " + " or ".join(options)

    # -- realisation ----------------------------------------------------------------------

    def realise(self, mg: Decimal, liquid: bool = False) -> tuple[Unit, ...]:
        """The units that make ``mg`` exactly.

        ``liquid`` False: tablets alone when the plan's tablet grid makes it, else the chosen
        liquid (topped up on tablets), else tablets with more pieces (large starting doses).
        ``liquid`` True (a plan already on the liquid): the liquid whenever it makes the dose.

        Raises:
            ValueError: ``mg`` cannot be made (callers check :meth:`is_makeable` first).
        """
        key = (mg, liquid)
        cached = self._realised.get(key)
        if cached is not None:
            return cached
        if liquid and mg in self._liquid_set:
            units = self._realise_liquid(mg)
        elif mg in self._solid_set:
            small = self._small.get(mg)
            units = self._units(small[1]) if small is not None else self._realise_large(mg)
        elif mg in self._liquid_set:
            units = self._realise_liquid(mg)
        elif mg in self._large_set:
            units = self._realise_large(mg)
        else:
            raise ValueError(
                f"{self.drug} {fmt(mg)} mg cannot be made from {self.country} products"
            )
        self._realised[key] = units
        return units

    def dose(self, slot: Slot, mg: Decimal, liquid: bool = False) -> Dose:
        """A :class:`Dose` of this drug, realised (see :meth:`realise`) and cached."""
        key = (slot, mg, liquid)
        dose = self.dose_cache.get(key)
        if dose is None:
            dose = Dose(slot=slot, drug=self.drug, mg=mg, units=self.realise(mg, liquid))
            self.dose_cache[key] = dose
            off, unverified = self._products_in(dose)
            if off or unverified:
                self.flagged.add(id(dose))  # the dose lives in the cache: its id is stable
        return dose

    def _units(self, combo: tuple[int, ...]) -> tuple[Unit, ...]:
        counts: dict[str, Decimal] = {}
        products: dict[str, Product] = {}
        for index in combo:
            _, product, split, _ = self._pieces[index]
            counts[product.slug] = counts.get(product.slug, ZERO) + split
            products[product.slug] = product
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

    def _realise_large(self, mg: Decimal) -> tuple[Unit, ...]:
        n = int(mg.scaleb(self._exponent)) // self._quantum
        combo: list[int] = []
        while n > 0:
            index = self._choice[n]
            combo.append(index)
            n -= int(self._pieces[index][0].scaleb(self._exponent)) // self._quantum
        return self._units(tuple(combo))

    def _realise_liquid(self, mg: Decimal) -> tuple[Unit, ...]:
        liquid = self.liquid
        if liquid is None:  # pragma: no cover - only called for values of the liquid grid
            raise ValueError(f"{self.drug} has no liquid in {self.country}")
        tablets, ml = self._liquid_parts[mg]
        small = self._small.get(tablets) if tablets else None
        if not tablets:
            solid: tuple[Unit, ...] = ()
        elif small is not None and tablets in self._tablet_parts_set:
            solid = self._units(small[1])
        else:
            solid = self._realise_large(tablets)  # bulk: more than four tablets
        return (
            *solid,
            Unit(product=liquid.slug, count=ml, unit="mL", strength_mg=liquid.mg_per_ml or ZERO),
        )

    def _products_in(self, dose: Dose) -> tuple[tuple[Product, ...], tuple[Product, ...]]:
        key = id(dose)
        cached = self._flags.get(key)
        if cached is None:
            by_slug = {p.slug: p for p in self.products}
            off: list[Product] = []
            unverified: list[Product] = []
            for unit in dose.units:
                product = by_slug.get(unit.product)
                if product is None:
                    continue
                if not product.verified:
                    unverified.append(product)
                if (
                    unit.unit != "mL"
                    and unit.count != unit.count.to_integral_value()
                    and not product.split_licensed
                ):
                    off.append(product)
            cached = (tuple(off), tuple(unverified))
            self._flags[key] = cached
        return cached

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
        """:meth:`off_licence_products` of a dose of this formulary (memoised)."""
        return self._products_in(dose)[0]

    def unverified_for(self, dose: Dose) -> tuple[Product, ...]:
        """The products of a dose of this formulary marked ``verified: false`` (memoised)."""
        return self._products_in(dose)[1]


def _ceil(values: list[Decimal], mg: Decimal) -> Decimal | None:
    i = bisect_left(values, mg)
    return values[i] if i < len(values) else None


def _floor(values: list[Decimal], mg: Decimal) -> Decimal:
    i = bisect_right(values, mg)
    return values[i - 1] if i else ZERO


def _below(values: list[Decimal], mg: Decimal) -> Decimal:
    i = bisect_left(values, mg)
    return values[i - 1] if i else ZERO


@functools.lru_cache(maxsize=512)
def formulary_for(
    drug: str,
    country: str,
    products: tuple[Product, ...],
    max_mg: Decimal,
    max_ml: Decimal = DEFAULT_MAX_ML,
) -> Formulary:
    """The (cached) formulary for an immutable product tuple."""
    return Formulary(drug, country, products, max_mg, max_ml)


def get_formulary(
    reference: Reference,
    drug: str,
    country: str,
    form: str = "ir",
    max_ml: Decimal = DEFAULT_MAX_ML,
) -> Formulary:
    """The formulary of ``drug`` (``form`` "ir" or "er") in ``country`` for ``reference``
    (memoised per reference)."""
    key = ("formulary", drug, country, form, max_ml)
    cache = reference.cache
    found = cache.get(key)
    if found is None:
        info = reference.drug(drug)
        max_mg = info.hard_max_daily_mg if info is not None else Decimal(2500)
        products = products_of_form(reference.products_for(drug, country), form)
        found = formulary_for(drug, country, products, max_mg, max_ml)
        cache[key] = found
    if not isinstance(found, Formulary):  # pragma: no cover - the cache holds formularies
        raise TypeError(key)
    return found
