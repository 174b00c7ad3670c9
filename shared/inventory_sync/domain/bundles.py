"""Bundles (kits): how many can be sold, how they are taken from stock, and the reverse index.

A bundle's quantity at one warehouse is its own pre-assembled stock plus what can be built there
from its components (Extensiv's rule). It is worked out per warehouse, because components in two
warehouses do not make a kit. Across warehouses the channel sums the per-warehouse quantities,
each clamped at 0 (see `quantity.py`).

Building, at one warehouse:
- Two lines of the same component are one requirement of their summed quantity. Treating them
  separately is the known oversell bug: `{X x1, X x1}` needs 2 X per kit, not 1.
- Nested bundles are flattened to the non-bundle SKUs ("leaves") they consume, so a leaf used
  at two levels (a gift set made of a starter kit that holds a cartridge, plus one more
  cartridge) is counted once with its total quantity. A plain recursive min would count it twice
  and oversell.
- An intermediate bundle's own pre-assembled stock is used before building it from its own
  components. That never uses more leaves than building would, so taking it first is optimal.
  An oversold intermediate bundle (own available < 0) owes kits: those are built first, before
  any unit of it can go into the parent, so the parent never shows more than the inner kit.
- If a leaf is oversold at the warehouse (available < 0), the buildable part is negative:
  `floor(available / units per kit)`, the number of kits to break down to cover the units
  already promised. It then reduces the bundle's own pre-assembled stock at that warehouse (and
  never another warehouse's). In that case intermediate pre-assembled stock is not consulted,
  which errs on the side of showing less.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

from .errors import DomainValidationError
from .model import Bundle, Product, StockLevel

#: (sku, warehouse_id) -> available units at that warehouse (may be negative; missing = 0)
AvailableFn = Callable[[str, str], int]


def component_requirements(bundle: Bundle) -> dict[str, int]:
    """Units of each direct component one bundle takes, two lines of the same SKU summed.

    Lines with a quantity below 1 are ignored here (`validate_bundle` refuses them on input):
    a stored bad line must never make a bundle buildable without limit.
    """
    requirements: dict[str, int] = {}
    for component in bundle.components:
        if component.quantity >= 1:
            requirements[component.sku] = requirements.get(component.sku, 0) + component.quantity
    return requirements


def is_bundle(product: Product | None) -> bool:
    """True for a product defined as a bundle with at least one usable component line."""
    return product is not None and product.bundle is not None and bool(component_requirements(product.bundle))


def flattened_requirements(sku: str, products: Mapping[str, Product]) -> dict[str, int]:
    """Units of each non-bundle SKU that one unit of `sku` is made of, through nested bundles.

    A non-bundle SKU is made of itself (`{sku: 1}`). Raises `DomainValidationError` on a cycle.
    """
    leaves: dict[str, int] = {}
    _flatten(sku, 1, products, leaves, frozenset())
    return leaves


def buildable_at(sku: str, warehouse_id: str, products: Mapping[str, Product], available: AvailableFn) -> int:
    """How many units of bundle `sku` can be built at `warehouse_id` from its components.

    Does not count the bundle's own pre-assembled stock. Negative when a component is oversold
    there (kits to break down, see the module docstring); 0 for a product that is not a bundle.
    """
    product = products.get(sku)
    if not is_bundle(product):
        return 0
    assert product is not None and product.bundle is not None
    components = component_requirements(product.bundle)
    leaves: dict[str, int] = {}
    for component, quantity in components.items():
        _flatten(component, quantity, products, leaves, frozenset({sku}))
    leaf_available = {leaf: available(leaf, warehouse_id) for leaf in leaves}
    # Building from leaves alone, ignoring intermediate stock: always achievable.
    lower = min(leaf_available[leaf] // per_kit for leaf, per_kit in leaves.items())
    intermediates = _intermediate_bundles(components, products)
    if lower < 0 or not intermediates:
        return lower
    # Raw, not clamped: a negative pool is kits owed, drawn (built) before any reach the parent.
    pools = {b: available(b, warehouse_id) for b in intermediates}
    if any(units < 0 for units in pools.values()):
        # `lower` ignored those owed kits, so it may not be achievable; 0 kits always is.
        lower = 0

    def feasible(kits: int) -> bool:
        usage: dict[str, int] = {}
        remaining = dict(pools)
        for component, quantity in components.items():
            _draw_totals(component, kits * quantity, remaining, products, usage)
        return all(usage.get(leaf, 0) <= leaf_available[leaf] for leaf in leaves)

    # `lower` is achievable: gallop up from it, then bisect. Terminates because every bundle
    # bottoms out in leaves, whose stock is finite.
    step = 1
    while feasible(lower + step):
        lower += step
        step *= 2
    upper = lower + step
    while upper - lower > 1:
        middle = (lower + upper) // 2
        if feasible(middle):
            lower = middle
        else:
            upper = middle
    return lower


def bundle_available_at(sku: str, warehouse_id: str, products: Mapping[str, Product], available: AvailableFn) -> int:
    """What `sku` can supply at `warehouse_id`: own available, plus what can be built if a bundle.

    Not clamped: may be negative (oversold). Callers clamp per warehouse before summing.
    """
    own = available(sku, warehouse_id)
    if not is_bundle(products.get(sku)):
        return own
    return own + buildable_at(sku, warehouse_id, products, available)


def limiting_component_at(
    sku: str, warehouse_id: str, products: Mapping[str, Product], available: AvailableFn
) -> str | None:
    """The direct component that allows the fewest kits at `warehouse_id` (first one on a tie).

    None when every component allows the same number (say all are out of stock there): no single
    component is the bottleneck. For the explanation only; the quantity comes from `buildable_at`.
    """
    product = products.get(sku)
    if not is_bundle(product):
        return None
    assert product is not None and product.bundle is not None
    kits = {
        component: bundle_available_at(component, warehouse_id, products, available) // quantity
        for component, quantity in component_requirements(product.bundle).items()
    }
    if len(kits) > 1 and len(set(kits.values())) == 1:
        return None
    return min(kits, key=kits.__getitem__)


@dataclass(frozen=True)
class UnitDraw:
    """`units` consecutive units of the drawn SKU, each taking `per_unit` (sku, quantity) from stock."""

    units: int
    per_unit: tuple[tuple[str, int], ...]


def draw_units(
    sku: str, units: int, warehouse_id: str, products: Mapping[str, Product], available: AvailableFn
) -> tuple[UnitDraw, ...]:
    """Which stock records `units` of `sku` are taken from at `warehouse_id`, unit by unit.

    A non-bundle is taken as itself. A bundle takes its own pre-assembled stock first, then builds
    the rest from components (nested bundles: their pre-assembled stock first, then theirs).
    A shortage falls on the non-bundle SKUs that are short, so the oversell shows where it really
    is and every listing that uses them sees it. The draws are ordered, so a later shipment or
    cancellation of some units of a line can release exactly what those units took.
    """
    if units <= 0:
        return ()
    pools: dict[str, int] = {}
    segments = _segments(sku, units, warehouse_id, products, available, pools, frozenset())
    merged: list[tuple[int, dict[str, int]]] = []
    for count, vector in segments:
        if merged and merged[-1][1] == vector:
            merged[-1] = (merged[-1][0] + count, vector)
        else:
            merged.append((count, vector))
    return tuple(UnitDraw(count, tuple(sorted(vector.items()))) for count, vector in merged)


def bundle_stock_records_needed(
    product: Product, stock: Mapping[str, Mapping[str, StockLevel]], warehouse_ids: Iterable[str]
) -> tuple[StockLevel, ...]:
    """The zero stock records a bundle still needs, one per warehouse it has none at.

    Extensiv only sees a bundle that has a stock record, even at 0 on hand; our engine treats a
    missing record as 0, but the service creates these so every reader (GET product, exports,
    the channel's view) sees the bundle at each warehouse. Empty for a non-bundle.
    """
    if not is_bundle(product):
        return ()
    existing = stock.get(product.sku, {})
    return tuple(StockLevel(product.sku, w) for w in dict.fromkeys(warehouse_ids) if w not in existing)


def validate_bundle(sku: str, bundle: Bundle | None, products: Mapping[str, Product]) -> None:
    """Refuses a bundle definition for product `sku` before it is stored.

    `products` holds the account's other products (the stored definition of `sku` itself, if
    any, is ignored: `bundle` replaces it). Raises `DomainValidationError` for: no components
    (`bundle.components`), a quantity below 1 (`bundle.components[i].quantity`), a component
    that does not exist (`bundle.components[i].sku`), a bundle containing itself directly or
    through nested bundles (`bundle.components`, code `bundle_cycle`).
    """
    if bundle is None:
        return
    if not bundle.components:
        raise DomainValidationError("bundle.components", "a bundle needs at least one component", "empty_bundle")
    for i, component in enumerate(bundle.components):
        quantity = component.quantity
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise DomainValidationError(
                f"bundle.components[{i}].quantity",
                f"component {component.sku} needs a whole quantity of at least 1, got {quantity!r}",
                "invalid_quantity",
            )
        if component.sku == sku:
            raise DomainValidationError("bundle.components", f"bundle {sku} contains itself", "bundle_cycle")
        if component.sku not in products:
            raise DomainValidationError(
                f"bundle.components[{i}].sku", f"component {component.sku} does not exist", "unknown_component"
            )

    def bundle_of(s: str) -> Bundle | None:
        if s == sku:
            return bundle
        product = products.get(s)
        return product.bundle if product else None

    seen: set[str] = set()

    def walk(s: str, path: tuple[str, ...]) -> None:
        if s == sku:
            raise DomainValidationError(
                "bundle.components", f"bundle {sku} contains itself through {' -> '.join(path)}", "bundle_cycle"
            )
        if s in seen:
            return
        seen.add(s)
        nested = bundle_of(s)
        for component in nested.components if nested else ():
            walk(component.sku, path + (component.sku,))

    for component in bundle.components:
        walk(component.sku, (sku, component.sku))


def reverse_index_entries(bundle_sku: str, bundle: Bundle | None) -> set[str]:
    """The component SKUs to index under `bundle_sku` (direct components only).

    The index (`COMPONENT#{component}#BUNDLE#{bundle}`) holds direct edges; `affected_skus`
    walks them transitively, so a nested bundle is found without scanning all products.
    """
    if bundle is None:
        return set()
    return {component.sku for component in bundle.components}


def reverse_index_changes(bundle_sku: str, old: Bundle | None, new: Bundle | None) -> tuple[set[str], set[str]]:
    """(components to add, components to remove) in the reverse index when a bundle is redefined."""
    before = reverse_index_entries(bundle_sku, old)
    after = reverse_index_entries(bundle_sku, new)
    return after - before, before - after


def affected_skus(changed: Iterable[str], bundles_containing: Callable[[str], Iterable[str]]) -> set[str]:
    """The changed SKUs and every bundle that contains one of them, directly or through nesting.

    `bundles_containing(sku)` reads the reverse index (direct parents only). Each SKU is looked
    up once, so a diamond or a (refused, but stored) cycle cannot loop.
    """
    result: set[str] = set()
    todo = list(dict.fromkeys(changed))
    while todo:
        sku = todo.pop()
        if sku in result:
            continue
        result.add(sku)
        todo.extend(parent for parent in bundles_containing(sku) if parent not in result)
    return result


# -- internals ------------------------------------------------------------------------------------


def _cycle(sku: str) -> DomainValidationError:
    return DomainValidationError("bundle.components", f"bundle {sku} contains itself", "bundle_cycle")


def _flatten(sku: str, multiplier: int, products: Mapping[str, Product], out: dict[str, int], path: frozenset[str]) -> None:
    product = products.get(sku)
    if not is_bundle(product):
        out[sku] = out.get(sku, 0) + multiplier
        return
    if sku in path:
        raise _cycle(sku)
    assert product is not None and product.bundle is not None
    for component, quantity in component_requirements(product.bundle).items():
        _flatten(component, multiplier * quantity, products, out, path | {sku})


def _intermediate_bundles(components: Mapping[str, int], products: Mapping[str, Product]) -> set[str]:
    found: set[str] = set()
    todo = list(components)
    while todo:
        sku = todo.pop()
        product = products.get(sku)
        if sku in found or not is_bundle(product):
            continue
        assert product is not None and product.bundle is not None
        found.add(sku)
        todo.extend(component_requirements(product.bundle))
    return found


def _draw_totals(
    sku: str, units: int, pools: dict[str, int], products: Mapping[str, Product], usage: dict[str, int]
) -> None:
    """Leaf units used to supply `units` of `sku`, intermediate pre-assembled stock first.

    A negative pool (kits owed) makes `own` negative, so the owed kits are built on top.
    """
    if units <= 0:
        return
    product = products.get(sku)
    if not is_bundle(product):
        usage[sku] = usage.get(sku, 0) + units
        return
    assert product is not None and product.bundle is not None
    own = min(units, pools.get(sku, 0))
    pools[sku] = pools.get(sku, 0) - own
    for component, quantity in component_requirements(product.bundle).items():
        _draw_totals(component, (units - own) * quantity, pools, products, usage)


def _segments(
    sku: str,
    units: int,
    warehouse_id: str,
    products: Mapping[str, Product],
    available: AvailableFn,
    pools: dict[str, int],
    path: frozenset[str],
) -> list[tuple[int, dict[str, int]]]:
    """Run-length list of per-unit draws for `units` of `sku` (each entry: count, sku -> qty)."""
    if units <= 0:
        return []
    product = products.get(sku)
    if not is_bundle(product):
        return [(units, {sku: 1})]
    if sku in path:
        raise _cycle(sku)
    assert product is not None and product.bundle is not None
    if sku not in pools:
        pools[sku] = max(0, available(sku, warehouse_id))
    own = min(units, pools[sku])
    pools[sku] -= own
    out: list[tuple[int, dict[str, int]]] = [(own, {sku: 1})] if own else []
    rest = units - own
    if rest:
        built: list[tuple[int, dict[str, int]]] = [(rest, {})]
        for component, quantity in component_requirements(product.bundle).items():
            sub = _segments(component, rest * quantity, warehouse_id, products, available, pools, path | {sku})
            built = _overlay(built, _regroup(sub, quantity))
        out.extend(built)
    return out


def _regroup(segments: list[tuple[int, dict[str, int]]], per_parent: int) -> list[tuple[int, dict[str, int]]]:
    """Component-unit segments -> parent-unit segments, each parent taking `per_parent` in a row."""
    out: list[tuple[int, dict[str, int]]] = []
    partial: dict[str, int] = {}
    filled = 0
    for count, vector in segments:
        if filled:
            take = min(per_parent - filled, count)
            for s, q in vector.items():
                partial[s] = partial.get(s, 0) + q * take
            filled += take
            count -= take
            if filled == per_parent:
                out.append((1, partial))
                partial, filled = {}, 0
        whole = count // per_parent
        if whole:
            out.append((whole, {s: q * per_parent for s, q in vector.items()}))
            count -= whole * per_parent
        if count:
            partial = {s: q * count for s, q in vector.items()}
            filled = count
    return out


def _overlay(a: list[tuple[int, dict[str, int]]], b: list[tuple[int, dict[str, int]]]) -> list[tuple[int, dict[str, int]]]:
    """Two segment lists over the same units -> one list whose draws are their sums."""
    out: list[tuple[int, dict[str, int]]] = []
    ia, ib = iter(a), iter(b)
    left_a, vector_a = next(ia)
    left_b, vector_b = next(ib)
    while True:
        count = min(left_a, left_b)
        merged = dict(vector_a)
        for s, q in vector_b.items():
            merged[s] = merged.get(s, 0) + q
        out.append((count, merged))
        left_a -= count
        left_b -= count
        if left_a == 0:
            nxt = next(ia, None)
            if nxt is None:
                break
            left_a, vector_a = nxt
        if left_b == 0:
            nxt = next(ib, None)
            if nxt is None:
                break
            left_b, vector_b = nxt
    return out
