"""Properties of the quantity engine that must hold for every stock, channel and rule setting.

The product graph is fixed and covers every bundle shape: S = 2 A + B (a kit), G = S + A + 3 C
(nested, with A used at two levels), D = A + 2 A (two lines of one component). Stock is random,
oversold warehouses included; FBA is outside combined totals.
"""

from __future__ import annotations

import copy
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from inventory_sync.domain.bundles import component_requirements, flattened_requirements
from inventory_sync.domain.model import Channel, Rules, StockLevel, WarehouseSelection
from inventory_sync.domain.quantity import (
    Catalog,
    channel_warehouse_ids,
    compute_channel_quantity,
    sellable_by_warehouse,
)

from .builders import item, kit, warehouses

PLAIN = ("A", "B", "C")
BUNDLES = ("S", "G", "D")
SKUS = PLAIN + BUNDLES
WAREHOUSES = ("WH-A", "WH-B", "FBA")
PRODUCTS = {
    **{s: item(s) for s in PLAIN},
    "S": kit("S", ("A", 2), ("B", 1)),
    "G": kit("G", ("S", 1), ("A", 1), ("C", 3)),
    "D": kit("D", ("A", 1), ("A", 2)),
}
WH = warehouses(*WAREHOUSES, not_combined=("FBA",))
FAST = settings(max_examples=200, deadline=None)

stock_levels = st.fixed_dictionaries(
    {(s, w): st.tuples(st.integers(0, 40), st.integers(0, 45)) for s in SKUS for w in WAREHOUSES}
)

rules = st.builds(
    Rules,
    buffer=st.integers(0, 10),
    out_of_stock_threshold=st.integers(0, 10),
    allocation_percent=st.integers(0, 100),
    max_quantity=st.none() | st.integers(0, 80),
    min_quantity=st.integers(0, 10),
)


@st.composite
def channels(draw, with_rules: bool = True) -> Channel:
    single = draw(st.booleans())
    selection = (
        WarehouseSelection(mode="single", warehouse_id=draw(st.sampled_from(WAREHOUSES)))
        if single
        else WarehouseSelection(mode="combined", exclude=tuple(draw(st.sets(st.sampled_from(("WH-A", "WH-B"))))))
    )
    allocations = draw(st.dictionaries(st.sampled_from(WAREHOUSES), st.integers(0, 100)))
    return Channel(
        account_id="acct", channel_id="shop", type="shopify", location_id="loc",
        sync_mode=draw(st.sampled_from(("sales_channel", "warehouse"))),
        warehouses=selection,
        rules=draw(rules) if with_rules else Rules(),
        allocations=allocations,
    )


def build(levels, zero: tuple[str, ...] = ()) -> Catalog:
    stock: dict[str, dict[str, StockLevel]] = {}
    for (sku, w), (on_hand, committed) in levels.items():
        if sku in zero:
            on_hand, committed = 0, 0
        stock.setdefault(sku, {})[w] = StockLevel(sku, w, on_hand, committed, received=on_hand > 0)
    return Catalog(products=PRODUCTS, stock=stock, warehouses=WH)


@FAST
@given(levels=stock_levels, channel=channels(), sku=st.sampled_from(SKUS))
def test_quantity_is_never_negative(levels, channel, sku):
    """Whatever the stock (oversold included) and rules, no channel is sent a negative number."""
    result = compute_channel_quantity(sku, build(levels), channel)

    assert result.quantity >= 0
    assert all(q >= 0 for q in result.per_warehouse.values())


@FAST
@given(
    levels=stock_levels,
    channel=channels(),
    sku=st.sampled_from(SKUS),
    raised=st.tuples(st.sampled_from(SKUS), st.sampled_from(WAREHOUSES)),
    extra=st.integers(1, 25),
)
def test_quantity_never_falls_when_on_hand_rises(levels, channel, sku, raised, extra):
    """All else equal, more on hand anywhere (the SKU, a component, an inner kit) never lowers
    what any channel shows, in total or per warehouse."""
    before = compute_channel_quantity(sku, build(levels), channel)
    on_hand, committed = levels[raised]
    after = compute_channel_quantity(sku, build({**levels, raised: (on_hand + extra, committed)}), channel)

    assert after.quantity >= before.quantity
    assert all(after.per_warehouse[w] >= q for w, q in before.per_warehouse.items())


@FAST
@given(levels=stock_levels, channel=channels(with_rules=False), bundle=st.sampled_from(BUNDLES))
def test_bundle_is_never_more_than_any_component_allows(levels, channel, bundle):
    """A kit with no pre-assembled stock never shows more than each direct component allows
    (that component's own channel quantity divided by the units per kit), inner kits' stock and
    oversold warehouses included."""
    cat = build(levels, zero=(bundle,))
    kits = compute_channel_quantity(bundle, cat, channel).quantity

    for component, per_kit in component_requirements(PRODUCTS[bundle].bundle).items():
        assert kits <= compute_channel_quantity(component, cat, channel).quantity // per_kit


@FAST
@given(levels=stock_levels, channel=channels(with_rules=False), bundle=st.sampled_from(BUNDLES))
def test_pure_kit_is_never_more_than_its_flattened_components_allow(levels, channel, bundle):
    """With no pre-assembled kits at any level, a kit never shows more than each leaf allows for
    its total units per kit (A counted at both levels of G)."""
    cat = build(levels, zero=BUNDLES)
    kits = compute_channel_quantity(bundle, cat, channel).quantity

    for leaf, per_kit in flattened_requirements(bundle, PRODUCTS).items():
        assert kits <= compute_channel_quantity(leaf, cat, channel).quantity // per_kit


@st.composite
def shares_per_warehouse(draw, channels_count: int) -> dict[str, list[int]]:
    out = {}
    for w in WAREHOUSES:
        cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=channels_count, max_size=channels_count)))
        bounds = [0, *cuts]
        out[w] = [b - a for a, b in zip(bounds, bounds[1:])]
    return out


@FAST
@given(levels=stock_levels, sku=st.sampled_from(SKUS), data=st.data())
def test_allocations_never_over_commit_a_warehouse_across_channels(levels, sku, data):
    """Channels splitting the warehouses (shares adding up to at most 100% each) together never
    show more than the warehouses can sell."""
    count = data.draw(st.integers(2, 4))
    shares = data.draw(shares_per_warehouse(count))
    cat = build(levels)
    base = Channel(account_id="acct", channel_id="shop", type="shopify", location_id="loc")

    shown = sum(
        compute_channel_quantity(sku, cat, base, allocation={w: shares[w][i] for w in WAREHOUSES}).quantity
        for i in range(count)
    )

    sellable = sellable_by_warehouse(sku, cat, channel_warehouse_ids(base, cat.warehouses))
    assert shown <= sum(sellable.values())


@FAST
@given(levels=stock_levels, channel=channels(), sku=st.sampled_from(SKUS))
def test_recomputing_gives_the_same_answer_and_changes_nothing(levels, channel, sku):
    """The engine is pure: the same inputs give the same result, and the catalog is untouched."""
    cat = build(levels)
    snapshot = copy.deepcopy(cat)

    first = compute_channel_quantity(sku, cat, channel)
    second = compute_channel_quantity(sku, cat, replace(channel))

    assert first == second
    assert cat == snapshot
