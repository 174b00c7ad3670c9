"""Bundles: per-warehouse building, nesting, validation and the reverse index."""

from __future__ import annotations

import pytest

from inventory_sync.domain.bundles import (
    affected_skus,
    bundle_stock_records_needed,
    buildable_at,
    component_requirements,
    draw_units,
    flattened_requirements,
    reverse_index_changes,
    reverse_index_entries,
    validate_bundle,
)
from inventory_sync.domain.errors import DomainValidationError
from inventory_sync.domain.model import Bundle, BundleComponent, StockLevel
from inventory_sync.domain.quantity import compute_channel_quantity

from .builders import catalog, channel, item, kit


def quantity(sku, cat, **channel_fields) -> int:
    return compute_channel_quantity(sku, cat, channel(**channel_fields)).quantity


def test_bundle_is_limited_by_scarcest_component():
    """Given kit K = 1 X + 1 Y with 10 X and 3 Y, then 3 kits can be sold, and Y is named."""
    cat = catalog({("X", "WH-A"): 10, ("Y", "WH-A"): 3}, products=[kit("K", ("X", 1), ("Y", 1))])

    result = compute_channel_quantity("K", cat, channel())

    assert result.quantity == 3
    assert result.steps[1].note == "bundle limited by component Y to 3"


def test_bundle_quantity_divides_by_the_quantity_per_bundle_rounded_down():
    """Given kit K = 3 X and 10 X, then 3 kits (10 / 3 rounded down)."""
    cat = catalog({("X", "WH-A"): 10}, products=[kit("K", ("X", 3))])

    assert quantity("K", cat) == 3


def test_bundle_adds_its_preassembled_stock_to_what_components_build():
    """Given 4 pre-assembled kits and components for 3 more, then 7 kits can be sold."""
    cat = catalog({("K", "WH-A"): 4, ("X", "WH-A"): 3}, products=[kit("K", ("X", 1))])

    assert quantity("K", cat) == 7


def test_bundle_components_in_two_warehouses_do_not_make_a_kit():
    """Given X only at WH-A and Y only at WH-B, then no kit can be built anywhere."""
    cat = catalog({("X", "WH-A"): 5, ("Y", "WH-B"): 5}, products=[kit("K", ("X", 1), ("Y", 1))])

    assert quantity("K", cat) == 0


def test_bundle_is_computed_per_warehouse_before_summing():
    """Given 3 X at each of two warehouses and kit K = 2 X, then 1 + 1 kits, not 6 // 2 = 3."""
    cat = catalog({("X", "WH-A"): 3, ("X", "WH-B"): 3}, products=[kit("K", ("X", 2))])

    assert quantity("K", cat) == 2


def test_bundle_with_two_lines_of_same_component_counts_both():
    """Given kit K listing X twice (1 + 1) and 5 X, then a kit takes 2 X: 2 kits, not 5."""
    cat = catalog({("X", "WH-A"): 5}, products=[kit("K", ("X", 1), ("X", 1))])

    assert component_requirements(cat.products["K"].bundle) == {"X": 2}
    assert quantity("K", cat) == 2


def test_nested_bundle_is_built_through_its_inner_bundle():
    """Given gift set G = 2 starter kits S, S = 1 X + 1 Y, 8 X and 6 Y, then 3 gift sets."""
    cat = catalog(
        {("X", "WH-A"): 8, ("Y", "WH-A"): 6},
        products=[kit("S", ("X", 1), ("Y", 1)), kit("G", ("S", 2))],
    )

    assert quantity("G", cat) == 3


def test_nested_bundle_counts_a_component_used_at_two_levels_once_in_total():
    """Given G = S + 1 X and S = 2 X + 1 Y, with 10 X: each G takes 3 X, so 3 (not 5)."""
    cat = catalog(
        {("X", "WH-A"): 10, ("Y", "WH-A"): 10},
        products=[kit("S", ("X", 2), ("Y", 1)), kit("G", ("S", 1), ("X", 1))],
    )

    assert flattened_requirements("G", cat.products) == {"X": 3, "Y": 1}
    assert quantity("G", cat) == 3


def test_nested_bundle_uses_inner_preassembled_kits_first():
    """Given 1 pre-assembled S, then G = S + X can use it: 1 + (10 - 1 - 2) // 3 ... = 4."""
    cat = catalog(
        {("S", "WH-A"): 1, ("X", "WH-A"): 10, ("Y", "WH-A"): 10},
        products=[kit("S", ("X", 2), ("Y", 1)), kit("G", ("S", 1), ("X", 1))],
    )

    # 4 G: one uses the pre-assembled S (1 X), three build S (3 X each): 1 + 9 = 10 X.
    assert quantity("G", cat) == 4


def test_oversold_inner_kit_is_built_before_it_goes_into_the_outer_kit():
    """Given inner kit S oversold by 2 and parts for 5 S, then only 3 S are left for G."""
    cat = catalog(
        {("S", "WH-A"): (0, 2), ("X", "WH-A"): 5},
        products=[kit("S", ("X", 1)), kit("G", ("S", 1))],
    )

    assert quantity("S", cat) == 3
    assert quantity("G", cat) == 3


def test_oversold_component_breaks_down_preassembled_kits_at_that_warehouse_only():
    """Given 10 kits at each warehouse and X oversold by 8 at WH-B (2 X per kit), then WH-B sells
    6 (4 kits go to cover the 8 X) and WH-A still sells its 10."""
    cat = catalog(
        {("K", "WH-A"): 10, ("K", "WH-B"): 10, ("X", "WH-B"): (0, 8)},
        products=[kit("K", ("X", 2))],
    )

    assert buildable_at("K", "WH-B", cat.products, cat.available) == -4
    assert quantity("K", cat) == 16


def test_component_used_by_several_bundles_and_sold_alone_shows_everywhere():
    """Given X in kits K1 (2 X) and K2 (1 X) and sold alone, with 10 X, then each listing shows
    what X allows by itself: 10, 5 and 10 (the next recompute follows whichever sells)."""
    cat = catalog({("X", "WH-A"): 10}, products=[kit("K1", ("X", 2)), kit("K2", ("X", 1))])

    assert (quantity("X", cat), quantity("K1", cat), quantity("K2", cat)) == (10, 5, 10)


def test_bundle_needs_a_stock_record_at_each_warehouse():
    """Given kit K with a record at WH-A only, then a zero record is needed at WH-B."""
    cat = catalog({("K", "WH-A"): 0}, products=[kit("K", ("X", 1))])

    needed = bundle_stock_records_needed(cat.products["K"], cat.stock, ["WH-A", "WH-B"])

    assert needed == (StockLevel("K", "WH-B"),)
    assert bundle_stock_records_needed(item("X"), cat.stock, ["WH-A"]) == ()


# -- draws (what an order for a bundle takes) ------------------------------------------------------


def test_bundle_draw_takes_preassembled_kits_first_then_components():
    """Given 2 pre-assembled kits, when 5 are drawn, then 2 kits and 3 x (2 X + 1 Y)."""
    cat = catalog({("K", "WH-A"): 2, ("X", "WH-A"): 10, ("Y", "WH-A"): 10}, products=[kit("K", ("X", 2), ("Y", 1))])

    draws = draw_units("K", 5, "WH-A", cat.products, cat.available)

    assert [(d.units, d.per_unit) for d in draws] == [(2, (("K", 1),)), (3, (("X", 2), ("Y", 1)))]


# -- validation -----------------------------------------------------------------------------------


def components(*pairs: tuple[str, int]) -> Bundle:
    return Bundle(tuple(BundleComponent(s, q) for s, q in pairs))


def test_bundle_containing_itself_is_refused():
    """Given kit K listing K, then it is refused on bundle.components."""
    with pytest.raises(DomainValidationError) as refused:
        validate_bundle("K", components(("K", 1)), {"K": item("K")})

    assert (refused.value.field, refused.value.code) == ("bundle.components", "bundle_cycle")


def test_bundle_containing_itself_through_nesting_is_refused():
    """Given A contains B and B contains C, when C is defined to contain A, then it is refused."""
    products = {"A": kit("A", ("B", 1)), "B": kit("B", ("C", 1)), "C": item("C")}

    with pytest.raises(DomainValidationError) as refused:
        validate_bundle("C", components(("A", 1)), products)

    assert (refused.value.field, refused.value.code) == ("bundle.components", "bundle_cycle")
    assert "C -> A -> B -> C" in refused.value.message


def test_bundle_with_unknown_component_is_refused_naming_the_line():
    """Given the second line names a SKU that does not exist, then its sku field is blamed."""
    with pytest.raises(DomainValidationError) as refused:
        validate_bundle("K", components(("X", 1), ("GHOST", 1)), {"X": item("X")})

    assert (refused.value.field, refused.value.code) == ("bundle.components[1].sku", "unknown_component")


@pytest.mark.parametrize("bad", [0, -1])
def test_bundle_component_quantity_below_one_is_refused(bad):
    """Given a component quantity below 1, then its quantity field is blamed."""
    with pytest.raises(DomainValidationError) as refused:
        validate_bundle("K", components(("X", bad)), {"X": item("X")})

    assert refused.value.field == "bundle.components[0].quantity"


def test_empty_bundle_is_refused():
    """Given a bundle with no components, then it is refused."""
    with pytest.raises(DomainValidationError) as refused:
        validate_bundle("K", components(), {})

    assert refused.value.code == "empty_bundle"


def test_valid_nested_bundle_is_accepted():
    """Given a diamond (G = S + T, both containing X), then it is not mistaken for a cycle."""
    products = {"S": kit("S", ("X", 1)), "T": kit("T", ("X", 1)), "X": item("X")}

    validate_bundle("G", components(("S", 1), ("T", 1)), products)


# -- reverse index --------------------------------------------------------------------------------


def test_reverse_index_lists_direct_components():
    """Given G = S + X and S a kit itself, then G is indexed under S and X only."""
    assert reverse_index_entries("G", components(("S", 1), ("X", 2), ("X", 1))) == {"S", "X"}


def test_reverse_index_changes_when_a_bundle_is_redefined():
    """Given K changes from X + Y to Y + Z, then Z is added and X removed."""
    added, removed = reverse_index_changes("K", components(("X", 1), ("Y", 1)), components(("Y", 1), ("Z", 1)))

    assert (added, removed) == ({"Z"}, {"X"})


def test_affected_skus_walks_nested_bundles_transitively():
    """Given X in S and S in G, when X changes, then X, S and G are affected, and nothing else."""
    index = {"X": ["S"], "S": ["G"], "Y": ["OTHER"]}

    assert affected_skus(["X"], lambda sku: index.get(sku, [])) == {"X", "S", "G"}


def test_affected_skus_looks_each_sku_up_once():
    """Given a diamond (X in S and T, both in G), then each SKU is read from the index once."""
    index = {"X": ["S", "T"], "S": ["G"], "T": ["G"]}
    lookups: list[str] = []

    def bundles_containing(sku: str) -> list[str]:
        lookups.append(sku)
        return index.get(sku, [])

    assert affected_skus(["X", "X"], bundles_containing) == {"X", "S", "T", "G"}
    assert sorted(lookups) == ["G", "S", "T", "X"]
