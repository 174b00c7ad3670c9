"""Service rules that need no storage: stock-change checks, order status, split partitions, shipments."""

from __future__ import annotations

import pytest

from inventory_sync.domain.model import Order, OrderLine, Warehouse
from inventory_sync.errors import Conflict, Unprocessable
from inventory_sync.ports import CounterDelta, StockChange
from inventory_sync.services import catalog, orders


def _change(i: int, **kw) -> StockChange:
    return StockChange(**{"sku": f"S{i}", "warehouse_id": "w1", "op": "adjust", "quantity": 1,
                          "reason": "receipt", "idempotency_key": f"k{i}", **kw})


def test_a_thousand_changes_reach_the_repository_in_one_call(fake_deps):
    assert catalog.apply_stock_changes(fake_deps, "m1", [_change(i) for i in range(1000)]) == 1000
    assert len(fake_deps.repo.applied) == 1 and len(fake_deps.repo.applied[0]) == 1000


def test_a_key_repeated_in_one_request_reaches_the_repository_once(fake_deps):
    changes = [_change(1), _change(1, quantity=5), _change(2, idempotency_key=None),
               _change(3, idempotency_key=None)]
    assert catalog.apply_stock_changes(fake_deps, "m1", changes) == 3
    assert [c.quantity for c in fake_deps.repo.applied[0]] == [1, 1, 1]


def test_nothing_reaches_the_repository_when_one_change_is_bad(fake_deps):
    with pytest.raises(Unprocessable) as refused:
        catalog.apply_stock_changes(fake_deps, "m1", [_change(1), _change(2, warehouse_id="default")])
    assert refused.value.field == "changes[1].warehouse_id" and fake_deps.repo.applied == []


def test_a_portal_warehouse_is_fed_by_the_portal_only(fake_deps):
    fake_deps.repo.warehouses["m1"]["portal-p1"] = Warehouse("portal-p1", portal_id="p1")
    with pytest.raises(Unprocessable) as refused:
        catalog.apply_stock_changes(fake_deps, "m1", [_change(1, warehouse_id="portal-p1")])
    assert refused.value.field == "changes[0].warehouse_id"


@pytest.mark.parametrize("rules,field", [({"max_quantity": 1, "min_quantity": 2}, "rules.max_quantity"),
                                         ({"max_quantity": 2, "min_quantity": 2}, None),
                                         ({"max_quantity": None, "min_quantity": 9}, None)])
def test_max_quantity_must_not_be_below_min_quantity(rules, field):
    problem = catalog.rules_error(rules, "rules")
    assert (problem.field if problem else None) == field


def _order(*lines: OrderLine, status: str = "open") -> Order:
    return Order(account_id="m1", order_id="o1", source_kind="channel", source_id="shop-1", status=status,
                 lines=lines)


@pytest.mark.parametrize("shipped,cancelled,current,expected", [
    ((0, 0), (0, 0), "open", "open"),
    ((1, 0), (0, 0), "open", "partially_shipped"),
    ((2, 1), (0, 0), "partially_shipped", "shipped"),
    ((2, 0), (0, 1), "partially_shipped", "shipped"),
    ((0, 0), (0, 0), "cancelled", "cancelled"),
])
def test_an_orders_status_follows_its_lines(shipped, cancelled, current, expected):
    lines = [OrderLine("a", "A", 2, shipped=shipped[0], cancelled=cancelled[0]),
             OrderLine("b", "B", 1, shipped=shipped[1], cancelled=cancelled[1])]
    assert orders.order_status(lines, current) == expected


def test_a_partition_keeps_the_line_order_of_each_group():
    order = _order(OrderLine("a", "A", 1), OrderLine("b", "B", 1), OrderLine("c", "C", 1))
    parts = orders._partition(order, [["c", "a"], ["b"]])
    assert [[line.line_id for line in part] for part in parts] == [["c", "a"], ["b"]]


def test_a_shipped_line_stays_in_the_first_group():
    order = _order(OrderLine("a", "A", 1, shipped=1), OrderLine("b", "B", 1), status="partially_shipped")
    with pytest.raises(Unprocessable) as refused:
        orders._partition(order, [["b"], ["a"]])
    assert refused.value.field == "groups[1][0]"


def test_a_cancelled_order_is_not_split():
    with pytest.raises(Conflict):
        orders._partition(_order(OrderLine("a", "A", 1), OrderLine("b", "B", 1), status="cancelled"), [["a"], ["b"]])


def test_shipping_moves_stock_at_each_lines_warehouse_once_per_sku_and_skips_routed_lines():
    order = _order(OrderLine("a", "A", 3, warehouse_id="w1"), OrderLine("b", "A", 2, warehouse_id="w1"),
                   OrderLine("c", "C", 1, warehouse_id=None, routed_to="s1"))
    request = orders.ShipmentRequest(lines=(("a", 1), ("b", 2), ("c", 1)), carrier="UPS", tracking_number="1Z")
    shipment, shipped, deltas = orders._ship(order, "shp_1", request)
    assert deltas == [CounterDelta("A", "w1", on_hand=-3, committed=-3)]
    assert [line.shipped for line in shipped.lines] == [1, 2, 1] and shipped.status == "partially_shipped"
    assert shipped.shipments[0]["lines"] == [{"line_id": "a", "quantity": 1}, {"line_id": "b", "quantity": 2},
                                             {"line_id": "c", "quantity": 1}]
    assert [x.sku for x in shipment.lines] == ["A", "A", "C"]


def test_the_same_shipment_request_always_gets_the_same_id():
    request = orders.ShipmentRequest(lines=(("a", 1),), carrier="UPS", tracking_number="1Z")
    assert orders._request_hash("o1", request) == orders._request_hash("o1", request)
    assert orders._request_hash("o1", request) != orders._request_hash("o2", request)
