"""Order commit routing and stock effects (DESIGN.md, "Stock rules that are easy to get wrong")."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory_sync.domain.errors import DomainValidationError
from inventory_sync.domain.model import OrderLine
from inventory_sync.domain.orders import (
    StockDelta,
    StockEvent,
    line_plan_for_stored_line,
    route_order_lines,
    stock_effects,
)

from .builders import catalog, channel, item, kit


def route(cat, *lines: OrderLine, **channel_fields):
    return route_order_lines(lines, cat.products, channel(**channel_fields), cat)


def test_auto_dropship_line_is_routed_to_supplier_and_not_committed_at_merchant():
    """Given an auto-dropship product of supplier sup, then the line goes to sup and the merchant
    commits nothing (the supplier's stock already flows back as the merchant's on hand)."""
    cat = catalog({("SKU", "portal-p1"): 10}, products=[item("SKU", auto_dropship=True, supplier_account_id="sup")],
                  warehouse_ids=("WH-A", "portal-p1"))

    [plan] = route(cat, OrderLine("1", "SKU", 2))

    assert (plan.routed_to, plan.warehouse_id, plan.commits) == ("sup", None, ())
    assert stock_effects(plan, StockEvent.SHIP, 2) == ()


def test_product_assigned_to_a_supplier_without_auto_dropship_commits_at_the_merchant():
    """Given a supplier assignment but auto-dropship off, then the merchant ships it itself."""
    cat = catalog({("SKU", "WH-A"): 10}, products=[item("SKU", supplier_account_id="sup")])

    [plan] = route(cat, OrderLine("1", "SKU", 2))

    assert (plan.routed_to, plan.warehouse_id) == (None, "WH-A")


def test_line_commits_at_the_single_warehouse():
    """Given a single-warehouse channel on WH-B, then the line commits there even if WH-A has more."""
    cat = catalog({("SKU", "WH-A"): 50, ("SKU", "WH-B"): 1})

    [plan] = route(cat, OrderLine("1", "SKU", 3), mode="single", warehouse_id="WH-B")

    assert plan.commits == (StockDelta("SKU", "WH-B", 0, 3),)
    assert plan.covered is False


def test_line_commits_at_the_first_listed_warehouse_that_covers_it():
    """Given WH-A with 2 and WH-B with 5 (in that order), then a line of 3 commits at WH-B, a line
    of 2 at WH-A."""
    cat = catalog({("SKU", "WH-A"): 2, ("SKU", "WH-B"): 5})

    assert route(cat, OrderLine("1", "SKU", 3))[0].warehouse_id == "WH-B"
    assert route(cat, OrderLine("1", "SKU", 2))[0].warehouse_id == "WH-A"


def test_line_no_warehouse_covers_commits_at_the_one_with_most_available():
    """Given WH-A with 2 and WH-B with 4, then a line of 9 commits whole at WH-B, marked oversold."""
    cat = catalog({("SKU", "WH-A"): 2, ("SKU", "WH-B"): 4})

    [plan] = route(cat, OrderLine("1", "SKU", 9))

    assert (plan.warehouse_id, plan.covered) == ("WH-B", False)
    assert plan.commits == (StockDelta("SKU", "WH-B", 0, 9),)


def test_excluded_warehouse_never_takes_a_commit():
    """Given the only stock at an excluded warehouse, then the line still commits inside the channel."""
    cat = catalog({("SKU", "WH-A"): 0, ("SKU", "WH-B"): 50})

    [plan] = route(cat, OrderLine("1", "SKU", 1), exclude=("WH-B",))

    assert plan.warehouse_id == "WH-A"


def test_lines_of_one_order_do_not_count_the_same_units_twice():
    """Given 3 at WH-A and 3 at WH-B, then two lines of 3 go one to each warehouse."""
    cat = catalog({("SKU", "WH-A"): 3, ("SKU", "WH-B"): 3})

    plans = route(cat, OrderLine("1", "SKU", 3), OrderLine("2", "SKU", 3))

    assert [p.warehouse_id for p in plans] == ["WH-A", "WH-B"]


def test_bundle_line_takes_preassembled_kits_first_then_components():
    """Given 1 pre-assembled kit and parts for more, then 3 kits commit 1 K and 2 x (2 X)."""
    cat = catalog({("K", "WH-A"): 1, ("X", "WH-A"): 10}, products=[kit("K", ("X", 2))])

    [plan] = route(cat, OrderLine("1", "K", 3))

    assert set(plan.commits) == {StockDelta("K", "WH-A", 0, 1), StockDelta("X", "WH-A", 0, 4)}


def test_line_that_already_has_a_warehouse_keeps_it():
    """Given a stored line routed to WH-B before, then routing it again keeps WH-B."""
    cat = catalog({("SKU", "WH-A"): 9})

    [plan] = route(cat, OrderLine("1", "SKU", 1, warehouse_id="WH-B"))

    assert plan.warehouse_id == "WH-B"


def test_line_quantity_below_one_is_refused():
    """Given a line of 0 units, then routing refuses it, naming the line."""
    with pytest.raises(DomainValidationError) as refused:
        route(catalog({}), OrderLine("1", "SKU", 1), OrderLine("2", "SKU", 0))

    assert refused.value.field == "lines[1].quantity"


# -- stock effects --------------------------------------------------------------------------------


def planned(quantity: int = 5):
    [plan] = route(catalog({("SKU", "WH-A"): 10}), OrderLine("1", "SKU", quantity))
    return plan


def test_shipped_line_lowers_on_hand_and_committed_by_the_same_amount():
    """Given a committed line of 5, when 2 ship, then on hand and committed both drop by 2."""
    assert stock_effects(planned(), StockEvent.SHIP, 2) == (StockDelta("SKU", "WH-A", -2, -2),)


def test_cancelled_line_lowers_committed_only():
    """Given a committed line of 5, when 3 are cancelled, then committed drops by 3, on hand stays."""
    assert stock_effects(planned(), "cancel", 3) == (StockDelta("SKU", "WH-A", 0, -3),)


def test_return_raises_on_hand():
    """Given 2 shipped units, when they are returned, then on hand rises by 2."""
    assert stock_effects(planned(), StockEvent.RETURN, 2) == (StockDelta("SKU", "WH-A", 2, 0),)


def test_partial_shipment_of_a_bundle_line_releases_what_those_units_took():
    """Given a kit line of 3 (1 pre-assembled, 2 built from 2 X each), when the first unit ships,
    then the pre-assembled kit leaves; when the other 2 are cancelled, the 4 X are released."""
    cat = catalog({("K", "WH-A"): 1, ("X", "WH-A"): 10}, products=[kit("K", ("X", 2))])
    [plan] = route(cat, OrderLine("1", "K", 3))

    assert stock_effects(plan, StockEvent.SHIP, 1, already=0) == (StockDelta("K", "WH-A", -1, -1),)
    assert stock_effects(plan, StockEvent.CANCEL, 2, already=1) == (StockDelta("X", "WH-A", 0, -4),)


def test_settling_more_units_than_the_line_has_is_refused():
    """Given a line of 5 with 4 settled, when 2 more ship, then it is refused."""
    with pytest.raises(DomainValidationError) as refused:
        stock_effects(planned(5), StockEvent.SHIP, 2, already=4)

    assert refused.value.code == "exceeds_line"


def test_stored_plain_line_rebuilds_its_plan():
    """Given a stored line committed at WH-B, then its plan ships from WH-B without stored draws."""
    plan = line_plan_for_stored_line(OrderLine("1", "SKU", 4, warehouse_id="WH-B"))

    assert stock_effects(plan, StockEvent.SHIP, 4) == (StockDelta("SKU", "WH-B", -4, -4),)


@settings(max_examples=150, deadline=None)
@given(
    preassembled=st.integers(0, 6),
    parts=st.integers(0, 30),
    quantity=st.integers(1, 12),
    shipped=st.integers(0, 12),
)
def test_shipping_and_cancelling_a_whole_line_releases_exactly_what_it_committed(preassembled, parts, quantity, shipped):
    """For any kit line: ship some units, cancel the rest, and committed returns to where it was."""
    shipped = min(shipped, quantity)
    cat = catalog({("K", "WH-A"): preassembled, ("X", "WH-A"): parts, ("Y", "WH-A"): parts},
                  products=[kit("S", ("X", 1), ("Y", 1)), kit("K", ("S", 2), ("X", 1))])
    [plan] = route(cat, OrderLine("1", "K", quantity))

    released: dict[str, int] = {}
    for delta in stock_effects(plan, StockEvent.SHIP, shipped) + stock_effects(plan, "cancel", quantity - shipped, shipped):
        released[delta.sku] = released.get(delta.sku, 0) + delta.committed_delta

    assert released == {c.sku: -c.committed_delta for c in plan.commits}
