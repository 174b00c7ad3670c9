"""The syncable balance, one rule per test (quantity engine issue)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from inventory_sync.domain.errors import DomainValidationError
from inventory_sync.domain.model import Rules, WarehouseSelection
from inventory_sync.domain.quantity import (
    apply_rules,
    compute_channel_quantity,
    explain_text,
    listing_skus,
    merge_rules,
    pairs_to_recompute,
    validate_channel_warehouses,
)

from .builders import catalog, channel, item, kit


def rule_output(result, rule: str) -> int:
    return next(s.output for s in result.steps if s.rule == rule)


# -- step 1: which warehouses ---------------------------------------------------------------------


def test_combined_mode_sums_every_included_warehouse():
    """Given stock in two combined warehouses, when computed, then the channel shows their sum."""
    cat = catalog({("SKU", "WH-A"): 30, ("SKU", "WH-B"): 10})

    result = compute_channel_quantity("SKU", cat, channel())

    assert result.quantity == 40
    assert result.steps[0].note == "available 40 (WH-A 30 + WH-B 10)"


def test_excluded_warehouse_is_not_in_combined_total():
    """Given a channel that excludes WH-B, when computed, then WH-B's stock is not shown."""
    cat = catalog({("SKU", "WH-A"): 30, ("SKU", "WH-B"): 10})

    result = compute_channel_quantity("SKU", cat, channel(exclude=("WH-B",)))

    assert result.quantity == 30
    assert result.steps[0].note == "available 30 (WH-A 30; WH-B excluded)"


def test_warehouse_left_out_of_combined_totals_is_not_in_combined_total():
    """Given an FBA warehouse not included in combined totals, then a combined channel skips it."""
    cat = catalog({("SKU", "WH-A"): 30, ("SKU", "FBA"): 50}, warehouse_ids=("WH-A", "FBA"), not_combined=("FBA",))

    result = compute_channel_quantity("SKU", cat, channel())

    assert result.quantity == 30
    assert "FBA excluded" in result.steps[0].note


def test_single_mode_reads_one_warehouse():
    """Given a single-warehouse channel on FBA (not in combined totals), then it reads FBA only."""
    cat = catalog(
        {("SKU", "WH-A"): 30, ("SKU", "FBA"): 50}, warehouse_ids=("WH-A", "FBA"), not_combined=("FBA",)
    )

    result = compute_channel_quantity("SKU", cat, channel(mode="single", warehouse_id="FBA"))

    assert result.quantity == 50
    assert result.steps[0].note == "available 50 (FBA 50; single warehouse)"


def test_oversold_warehouse_counts_as_zero_and_does_not_hide_another_warehouse():
    """Given WH-A oversold by 2 and WH-B with 10, then the channel shows WH-B's 10, not 8."""
    cat = catalog({("SKU", "WH-A"): (3, 5), ("SKU", "WH-B"): 10})

    result = compute_channel_quantity("SKU", cat, channel())

    assert result.quantity == 10
    assert result.steps[0].note == "available 10 (WH-A 0 (\u22122 oversold, counted as 0) + WH-B 10)"


def test_committed_units_are_not_available():
    """Given on hand 10 with 4 committed, then the channel shows 6."""
    cat = catalog({("SKU", "WH-A"): (10, 4)})

    assert compute_channel_quantity("SKU", cat, channel()).quantity == 6


def test_missing_stock_record_counts_as_zero():
    """Given a product with no stock record at all, then the channel shows 0."""
    cat = catalog({}, products=[item("NEW")])

    assert compute_channel_quantity("NEW", cat, channel()).quantity == 0


# -- sales-channel allocation ---------------------------------------------------------------------


def test_sales_channel_allocation_takes_a_share_of_each_warehouse_rounded_down():
    """Given 60% of WH-A (25) and 100% of WH-B (10), then the channel shows 15 + 10."""
    cat = catalog({("SKU", "WH-A"): 25, ("SKU", "WH-B"): 10})

    result = compute_channel_quantity("SKU", cat, channel(), allocation={"WH-A": 60, "WH-B": 100})

    assert result.quantity == 25
    assert result.steps[0].note == "available 25 (WH-A 15 (60% of 25) + WH-B 10)"


def test_warehouse_missing_from_the_allocation_contributes_nothing():
    """Given an allocation that lists only WH-A, then WH-B's stock is not this channel's."""
    cat = catalog({("SKU", "WH-A"): 20, ("SKU", "WH-B"): 10})

    result = compute_channel_quantity("SKU", cat, channel(), allocation={"WH-A": 50})

    assert result.quantity == 10
    assert "WH-B 0 (not allocated)" in result.steps[0].note


def test_channel_allocations_apply_when_no_allocation_is_passed():
    """Given the channel's stored allocation, when none is passed, then the stored one applies."""
    cat = catalog({("SKU", "WH-A"): 20})

    result = compute_channel_quantity("SKU", cat, channel(allocations={"WH-A": 25}))

    assert result.quantity == 5


def test_allocation_is_ignored_in_warehouse_sync_mode():
    """Given warehouse sync mode, then an allocation does not apply (and the note says so)."""
    cat = catalog({("SKU", "WH-A"): 20})

    result = compute_channel_quantity("SKU", cat, channel(sync_mode="warehouse"), allocation={"WH-A": 25})

    assert result.quantity == 20
    assert "allocation ignored in warehouse mode" in result.steps[0].note


# -- steps 2-7 ------------------------------------------------------------------------------------


def test_buffer_is_subtracted_after_bundles():
    """Given a kit buildable to 12 and a buffer of 5, then the buffer comes off the bundle's 12."""
    cat = catalog({("X", "WH-A"): 24}, products=[kit("K", ("X", 2))])

    result = compute_channel_quantity("K", cat, channel(rules=Rules(buffer=5)))

    assert [s.rule for s in result.steps[:3]] == ["available", "bundle", "buffer"]
    assert rule_output(result, "bundle") == 12
    assert result.quantity == 7


def test_out_of_stock_threshold_pushes_zero():
    """Given 3 available and an out-of-stock threshold of 3, then the channel shows 0."""
    cat = catalog({("SKU", "WH-A"): 3})

    result = compute_channel_quantity("SKU", cat, channel(rules=Rules(out_of_stock_threshold=3)))

    assert result.quantity == 0
    assert "at or below out-of-stock threshold 3 \u2192 0" in explain_text(result)


def test_quantity_above_out_of_stock_threshold_is_kept():
    """Given 4 available and a threshold of 3, then the 4 is kept."""
    cat = catalog({("SKU", "WH-A"): 4})

    assert compute_channel_quantity("SKU", cat, channel(rules=Rules(out_of_stock_threshold=3))).quantity == 4


def test_allocation_percent_rounds_down():
    """Given 31 and 50%, then the channel shows 15 (15.5 rounded down)."""
    cat = catalog({("SKU", "WH-A"): 31})

    result = compute_channel_quantity("SKU", cat, channel(rules=Rules(allocation_percent=50)))

    assert result.quantity == 15


def test_max_caps_then_min_raises():
    """Given max 20 and min 2: 50 is capped to 20; 1 is raised to 2."""
    rules = Rules(max_quantity=20, min_quantity=2)

    high = compute_channel_quantity("SKU", catalog({("SKU", "WH-A"): 50}), channel(rules=rules))
    low = compute_channel_quantity("SKU", catalog({("SKU", "WH-A"): 1}), channel(rules=rules))

    assert high.quantity == 20
    assert low.quantity == 2
    assert [s.rule for s in high.steps[-3:]] == ["max_quantity", "min_quantity", "never_negative"]


def test_min_floor_raises_even_zero_stock_as_the_spec_orders_it():
    """Given no stock and a min of 1 (an operator's deliberate floor), then the channel shows 1."""
    cat = catalog({("SKU", "WH-A"): 0})

    assert compute_channel_quantity("SKU", cat, channel(rules=Rules(min_quantity=1))).quantity == 1


def test_never_below_zero_when_buffer_exceeds_stock():
    """Given 3 available and a buffer of 5, then the channel shows 0, never -2."""
    cat = catalog({("SKU", "WH-A"): 3})

    result = compute_channel_quantity("SKU", cat, channel(rules=Rules(buffer=5)))

    assert result.quantity == 0
    assert all(s.output >= 0 for s in result.steps if s.rule != "buffer")


def test_steps_follow_the_documented_order():
    """Every result lists the rules in the spec's order, each step feeding the next."""
    result = compute_channel_quantity("SKU", catalog({("SKU", "WH-A"): 9}), channel())

    assert [s.rule for s in result.steps] == [
        "available", "bundle", "buffer", "out_of_stock_threshold", "allocation_percent",
        "max_quantity", "min_quantity", "never_negative",
    ]
    assert result.steps[0].input is None
    assert all(later.input == earlier.output for earlier, later in zip(result.steps, result.steps[1:]))


def test_per_sku_rules_override_channel_rules():
    """Given a channel buffer of 5 and a SKU override of 1, then the override wins."""
    cat = catalog({("SKU", "WH-A"): 10})
    ch = channel(rules=Rules(buffer=5))

    result = compute_channel_quantity("SKU", cat, ch, rules=merge_rules(ch.rules, {"buffer": 1}))

    assert result.quantity == 9


def test_apply_rules_is_steps_three_to_seven():
    """apply_rules on 36 with buffer 5 and 50% gives 15, with the notes of the issue."""
    steps = apply_rules(36, Rules(buffer=5, allocation_percent=50))

    assert steps[-1].output == 15
    assert [s.note for s in steps if s.input != s.output] == ["\u22125 buffer \u2192 31", "50% \u2192 15"]


# -- explain --------------------------------------------------------------------------------------


def test_explain_text_matches_the_issue_example():
    """Given the issue's kit, then the explanation reads exactly as the issue shows it.

    Kit K = 2 X + 1 Y, 30 pre-assembled at WH-A and 10 at WH-B, 50 at FBA (not combined). X has 1
    at WH-A (no whole kit) and is oversold by 8 at WH-B: 4 kits there must be broken down to
    cover it, so WH-B sells 6 kits. Buffer 5, allocation 50%.
    """
    cat = catalog(
        {
            ("K", "WH-A"): 30, ("K", "WH-B"): 10, ("K", "FBA"): 50,
            ("X", "WH-A"): 1, ("X", "WH-B"): (0, 8),
            ("Y", "WH-A"): 100, ("Y", "WH-B"): 100,
        },
        products=[kit("K", ("X", 2), ("Y", 1))],
        warehouse_ids=("WH-A", "WH-B", "FBA"),
        not_combined=("FBA",),
    )

    result = compute_channel_quantity("K", cat, channel(rules=Rules(buffer=5, allocation_percent=50)))

    assert explain_text(result) == (
        "available 40 (WH-A 30 + WH-B 10; FBA excluded) \u2192 bundle limited by component X to 36"
        " \u2192 \u22125 buffer \u2192 31 \u2192 50% \u2192 15"
    )
    assert result.quantity == 15


# -- warehouse sync mode --------------------------------------------------------------------------


def test_warehouse_mode_returns_per_warehouse_quantities_after_rules():
    """Given warehouse sync mode and a buffer of 2, then each warehouse keeps its own buffer."""
    cat = catalog({("SKU", "WH-A"): 30, ("SKU", "WH-B"): 1})

    result = compute_channel_quantity("SKU", cat, channel(sync_mode="warehouse", rules=Rules(buffer=2)))

    assert result.per_warehouse == {"WH-A": 28, "WH-B": 0}
    assert result.quantity == 29


def test_sales_channel_mode_has_no_per_warehouse_breakdown():
    """Given sales-channel sync mode, then per_warehouse is empty (the steps carry the detail)."""
    result = compute_channel_quantity("SKU", catalog({("SKU", "WH-A"): 3}), channel())

    assert result.per_warehouse == {}


# -- rules merging and validation -----------------------------------------------------------------


def test_merge_rules_changes_only_the_given_fields():
    """Given channel rules and a partial override, then only the overridden fields change."""
    base = Rules(buffer=5, allocation_percent=80, max_quantity=100)

    merged = merge_rules(base, {"buffer": 1, "max_quantity": None})

    assert merged == Rules(buffer=1, allocation_percent=80, max_quantity=None)
    assert merge_rules(base, None) is base


@pytest.mark.parametrize(
    "override, field",
    [
        ({"bufer": 1}, "rules.bufer"),
        ({"buffer": -1}, "rules.buffer"),
        ({"allocation_percent": 101}, "rules.allocation_percent"),
        ({"min_quantity": 5, "max_quantity": 4}, "rules.min_quantity"),
        ({"buffer": True}, "rules.buffer"),
    ],
)
def test_invalid_rule_override_is_refused_naming_the_field(override, field):
    """Given an unknown or invalid rule, then merging refuses it and names the field."""
    with pytest.raises(DomainValidationError) as refused:
        merge_rules(Rules(), override)

    assert refused.value.field == field


def test_single_mode_without_a_warehouse_is_refused():
    """Given single mode with no warehouse_id, then the channel is refused naming the field."""
    with pytest.raises(DomainValidationError) as refused:
        compute_channel_quantity("SKU", catalog({}), channel(mode="single"))

    assert refused.value.field == "warehouses.warehouse_id"


def test_channel_naming_an_unknown_warehouse_is_refused():
    """Given a channel excluding a warehouse the account lacks, then validation names it."""
    cat = catalog({})

    with pytest.raises(DomainValidationError) as refused:
        validate_channel_warehouses(channel(exclude=("WH-A", "NOPE")), cat.warehouses)

    assert refused.value.field == "warehouses.exclude[1]"


def test_unknown_sync_mode_is_refused():
    """Given an unknown sync mode, then computing refuses it instead of guessing."""
    with pytest.raises(DomainValidationError) as refused:
        compute_channel_quantity("SKU", catalog({}), channel(sync_mode="hourly"))

    assert refused.value.field == "sync_mode"


# -- listings -------------------------------------------------------------------------------------


def test_master_mode_lists_the_master_sku():
    """Given master SKU mode, then the quantity goes to the master SKU, aliases or not."""
    product = item("SKU", aliases={"shop": ("A-1",)})

    assert listing_skus(product, channel()) == ("SKU",)


def test_listing_mode_gives_every_alias_the_quantity():
    """Given listing mode and two aliases on this channel, then both listings get it."""
    product = item("SKU", aliases={"shop": ("A-1", "A-2", "A-1"), "other": ("B-1",)})

    assert listing_skus(product, channel(sku_mode="listing")) == ("A-1", "A-2")


def test_listing_mode_without_an_alias_uses_the_master_sku():
    """Given listing mode and no alias for this channel, then the master SKU is listed."""
    product = item("SKU", aliases={"other": ("B-1",)})

    assert listing_skus(product, channel(sku_mode="listing")) == ("SKU",)


# -- recompute ------------------------------------------------------------------------------------


def test_batch_of_changes_to_one_sku_recomputes_it_once_per_channel():
    """Given ten changes to X and two channels, then X is recomputed once on each."""
    channels = [channel(channel_id="shop"), channel(channel_id="store")]

    pairs = pairs_to_recompute(["X"] * 10, channels, lambda skus: set(skus))

    assert pairs == {("X", "shop"), ("X", "store")}


def test_recompute_includes_the_bundles_containing_a_changed_sku():
    """Given X changed and kit K containing X, then K is recomputed too."""
    pairs = pairs_to_recompute(["X"], [channel()], lambda skus: {"K"})

    assert pairs == {("X", "shop"), ("K", "shop")}


def test_combined_mode_name_is_checked():
    """Given an unknown warehouse mode, then it is refused naming warehouses.mode."""
    ch = replace(channel(), warehouses=WarehouseSelection(mode="all"))

    with pytest.raises(DomainValidationError) as refused:
        compute_channel_quantity("SKU", catalog({}), ch)

    assert refused.value.field == "warehouses.mode"
