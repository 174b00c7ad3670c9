"""Orders: list, read, split (a supplier's split reaches the merchant), shipments (stock, idempotency)."""

from __future__ import annotations

import pytest

from inventory_sync.ports import CounterDelta

SHIPMENT = {"lines": [{"line_id": "l1", "quantity": 2}], "carrier": "UPS", "tracking_number": "1Z999",
            "tracking_url": "https://ups.test/1Z999"}


def level(api, sku, account_id="m1", warehouse_id="w1"):
    return api.get(f"/v1/accounts/{account_id}/products/{sku}").body["stock"][warehouse_id]


@pytest.fixture
def orders(world, api, seed_order):
    seed_order("m1", "o1")
    seed_order("m1", "o2", source=("channel", "shop-2"), status="shipped")
    seed_order("m1", "o3", lines=(("l1", "C", 1, "w1"),))
    return api


def _ids(answer):
    return [o["order_id"] for o in answer.body["items"]]


def test_an_order_reads_as_api_md_shapes_it(orders, world):
    body = orders.get("/v1/accounts/m1/orders/o1", token=world.merchant_token).body
    assert body["order_id"] == "o1" and body["source"] == {"kind": "channel", "id": "shop-1"}
    assert body["status"] == "open" and body["shipments"] == [] and body["linked_orders"] == []
    assert body["lines"][0] == {"line_id": "l1", "sku": "A", "quantity": 2, "warehouse_id": "w1", "shipped": 0,
                                "cancelled": 0, "routed_to": None}


def test_a_missing_order_answers_404(orders):
    answer = orders.get("/v1/accounts/m1/orders/nope")
    assert answer.status == 404 and answer.error["field"] == "order_id"


@pytest.mark.parametrize("query,expected", [
    ({}, ["o1", "o2", "o3"]),
    ({"source": "shop-2"}, ["o2"]),
    ({"status": "open"}, ["o1", "o3"]),
    ({"source": "shop-1", "status": "open"}, ["o1", "o3"]),
    ({"status": "cancelled"}, []),
])
def test_orders_filter_by_source_and_status(orders, query, expected):
    answer = orders.get("/v1/accounts/m1/orders", query=query)
    assert answer.status == 200 and _ids(answer) == expected


def test_orders_page_with_a_cursor(orders):
    first = orders.get("/v1/accounts/m1/orders", query={"limit": "2"}).body
    second = orders.get("/v1/accounts/m1/orders", query={"limit": "2", "cursor": first["next_cursor"]}).body
    assert [o["order_id"] for o in first["items"] + second["items"]] == ["o1", "o2", "o3"]
    assert second["next_cursor"] is None


def test_a_supplier_filters_its_orders_by_merchant(world, api, seed_order):
    api.post("/v1/portals", {"portal_id": "p1", "supplier_account_id": "s1", "merchant_account_id": "m1"})
    seed_order("s1", "so1", source=("portal", "p1"), lines=(("l1", "A", 1, "sw"),))
    seed_order("s1", "so2", source=("channel", "s1-shop"), lines=(("l1", "A", 1, "sw"),))
    answer = api.get("/v1/accounts/s1/orders", query={"source": "m1"}, token=world.supplier_token)
    assert _ids(answer) == ["so1"]


# ---- split ----------------------------------------------------------------------------------------

def test_a_split_keeps_the_first_group_and_makes_an_order_of_each_other(orders):
    answer = orders.post("/v1/accounts/m1/orders/o1/split", {"groups": [["l1"], ["l2"]]})
    assert answer.status == 201 and answer.body == {"order_ids": ["o1", "o1-2"]}
    original, part = orders.get("/v1/accounts/m1/orders/o1").body, orders.get("/v1/accounts/m1/orders/o1-2").body
    assert [x["line_id"] for x in original["lines"]] == ["l1"]
    assert [x["line_id"] for x in part["lines"]] == ["l2"] and part["source"] == original["source"]
    assert part["status"] == "open"


def test_splitting_again_numbers_the_next_part(orders, seed_order):
    seed_order("m1", "o4", lines=(("a", "A", 1, "w1"), ("b", "B", 1, "w1"), ("c", "C", 1, "w1")))
    orders.post("/v1/accounts/m1/orders/o4/split", {"groups": [["a", "b"], ["c"]]})
    answer = orders.post("/v1/accounts/m1/orders/o4/split", {"groups": [["a"], ["b"]]})
    assert answer.body == {"order_ids": ["o4", "o4-3"]}


@pytest.mark.parametrize("body,status,field", [
    ({"groups": [["l1", "l2"]]}, 422, "groups"),
    ({"groups": [["l1"], []]}, 422, "groups[1]"),
    ({"groups": [["l1"], ["l9"]]}, 422, "groups[1][0]"),
    ({"groups": [["l1"], ["l1", "l2"]]}, 422, "groups[1][0]"),
    ({"groups": [["l1"], ["l1"]]}, 422, "groups[1][0]"),
    ({"groups": [["l1"]]}, 422, "groups"),
    ({"groups": [["l1"], [2]]}, 422, "groups[1][0]"),
    ({"groups": "l1,l2"}, 422, "groups"),
])
def test_a_bad_split_is_refused_and_stores_nothing(orders, table_items, body, status, field):
    before = table_items()
    answer = orders.post("/v1/accounts/m1/orders/o1/split", body)
    assert answer.status == status and answer.error["field"] == field, answer.body
    assert table_items() == before


def test_a_shipped_order_is_not_split(orders, table_items):
    before = table_items()
    answer = orders.post("/v1/accounts/m1/orders/o2/split", {"groups": [["l1"], ["l2"]]})
    assert answer.status == 409 and table_items() == before


@pytest.fixture
def portal_orders(world, api, seed_order):
    """Given merchant order mo1 (l1 A and l2 B dropshipped to s1, l3 C its own) and the supplier's
    order so1 (lines l1, l2) that came through portal p1, linked to each other."""
    api.post("/v1/portals", {"portal_id": "p1", "supplier_account_id": "s1", "merchant_account_id": "m1"})
    seed_order("m1", "mo1", lines=(("l1", "A", 1, None), ("l2", "B", 1, None), ("l3", "C", 1, "w1")),
               routed_to={"l1": "s1", "l2": "s1"}, linked=({"account_id": "s1", "order_id": "so1", "role": "supplier"},))
    seed_order("s1", "so1", source=("portal", "p1"), lines=(("l1", "A", 1, "sw"), ("l2", "B", 1, "sw")),
               linked=({"account_id": "m1", "order_id": "mo1", "role": "merchant"},))
    return api


def test_a_suppliers_split_is_mirrored_on_the_linked_merchant_order(world, portal_orders):
    answer = portal_orders.post("/v1/accounts/s1/orders/so1/split", {"groups": [["l1"], ["l2"]]},
                                token=world.supplier_token)
    assert answer.body == {"order_ids": ["so1", "so1-2"]}
    merchant = {o["order_id"]: o for o in portal_orders.get("/v1/accounts/m1/orders").body["items"]}
    assert set(merchant) == {"mo1", "mo1-2"}
    assert [x["line_id"] for x in merchant["mo1"]["lines"]] == ["l1", "l3"]
    assert [x["line_id"] for x in merchant["mo1-2"]["lines"]] == ["l2"]
    assert merchant["mo1-2"]["linked_orders"] == [{"account_id": "s1", "order_id": "so1-2", "role": "supplier"}]
    supplier_part = portal_orders.get("/v1/accounts/s1/orders/so1-2").body
    assert supplier_part["linked_orders"] == [{"account_id": "m1", "order_id": "mo1-2", "role": "merchant"}]


def test_a_merchants_split_does_not_reach_the_supplier(world, portal_orders):
    answer = portal_orders.post("/v1/accounts/m1/orders/mo1/split", {"groups": [["l1", "l2"], ["l3"]]},
                                token=world.merchant_token)
    assert answer.status == 201
    assert _ids(portal_orders.get("/v1/accounts/s1/orders")) == ["so1"]
    assert len(portal_orders.get("/v1/accounts/s1/orders/so1").body["lines"]) == 2


# ---- shipments ------------------------------------------------------------------------------------

@pytest.fixture
def stocked(orders, repo):
    """Given 10 on hand of A at w1, 2 of them committed to o1's line l1."""
    orders.post("/v1/accounts/m1/stock-changes", {"changes": [
        {"sku": "A", "warehouse_id": "w1", "op": "set", "quantity": 10, "reason": "receipt"}]})
    repo.apply_counter_deltas("m1", [CounterDelta("A", "w1", committed=2)], "test", "commit-o1")
    return orders


def test_a_shipment_moves_stock_out_and_updates_the_order(stocked, repo, world):
    answer = stocked.post("/v1/accounts/m1/orders/o1/shipments", SHIPMENT, token=world.merchant_token)
    assert answer.status == 201
    shipment = answer.body
    assert shipment["order_id"] == "o1" and shipment["relay_status"] == "pending"
    assert shipment["lines"] == [{"line_id": "l1", "sku": "A", "quantity": 2}]
    # on hand and committed both lower by 2, available unchanged
    assert level(stocked, "A") == {"on_hand": 8, "committed": 0, "available": 8}
    order = stocked.get("/v1/accounts/m1/orders/o1").body
    assert order["status"] == "partially_shipped" and order["lines"][0]["shipped"] == 2
    assert order["shipments"][0]["shipment_id"] == shipment["shipment_id"]
    assert order["shipments"][0]["tracking_number"] == "1Z999"
    # the SHIPMENT record the stream hands to the tracking relay
    item = repo.get_shipment("m1", "o1", shipment["shipment_id"])
    assert {k: item[k] for k in ("account_id", "order_id", "shipment_id", "carrier", "tracking_number",
                                 "tracking_url", "relay_status")} == {
        "account_id": "m1", "order_id": "o1", "shipment_id": shipment["shipment_id"], "carrier": "UPS",
        "tracking_number": "1Z999", "tracking_url": "https://ups.test/1Z999", "relay_status": "pending"}
    assert item["created_at"] and item["lines"][0]["quantity"] == 2


def test_shipping_every_line_ships_the_order(stocked):
    stocked.post("/v1/accounts/m1/orders/o1/shipments", {**SHIPMENT, "lines": [
        {"line_id": "l1", "quantity": 2}, {"line_id": "l2", "quantity": 1}]})
    assert stocked.get("/v1/accounts/m1/orders/o1").body["status"] == "shipped"


@pytest.mark.parametrize("how", ["header", "field", "same request"])
def test_a_retried_shipment_is_recorded_once(stocked, how):
    body, headers = dict(SHIPMENT), None
    if how == "header":
        headers = {"Idempotency-Key": "ship-1"}
    elif how == "field":
        body["idempotency_key"] = "ship-1"
    first = stocked.post("/v1/accounts/m1/orders/o1/shipments", body, headers=headers)
    second = stocked.post("/v1/accounts/m1/orders/o1/shipments", body, headers=headers)
    assert first.status == second.status == 201
    assert second.body == first.body and second.headers.get("idempotent-replayed") == "true"
    assert level(stocked, "A")["on_hand"] == 8
    assert len(stocked.get("/v1/accounts/m1/orders/o1").body["shipments"]) == 1


def test_a_key_reused_for_a_different_shipment_is_a_conflict(stocked, table_items):
    stocked.post("/v1/accounts/m1/orders/o1/shipments", SHIPMENT, headers={"Idempotency-Key": "k"})
    before = table_items()
    answer = stocked.post("/v1/accounts/m1/orders/o1/shipments", {**SHIPMENT, "tracking_number": "OTHER"},
                          headers={"Idempotency-Key": "k"})
    assert answer.status == 409 and answer.error["field"] == "idempotency_key"
    assert table_items() == before


def test_two_different_shipments_of_one_order_both_count(stocked):
    stocked.post("/v1/accounts/m1/orders/o1/shipments", {**SHIPMENT, "lines": [{"line_id": "l1", "quantity": 1}]})
    stocked.post("/v1/accounts/m1/orders/o1/shipments", {**SHIPMENT, "tracking_number": "1Z2",
                                                         "lines": [{"line_id": "l1", "quantity": 1}]})
    assert level(stocked, "A") == {"on_hand": 8, "committed": 0, "available": 8}
    assert len(stocked.get("/v1/accounts/m1/orders/o1").body["shipments"]) == 2


@pytest.mark.parametrize("change,status,field", [
    ({"lines": [{"line_id": "l1", "quantity": 3}]}, 422, "lines[0].quantity"),
    ({"lines": [{"line_id": "l9", "quantity": 1}]}, 422, "lines[0].line_id"),
    ({"lines": [{"line_id": "l1", "quantity": 1}, {"line_id": "l1", "quantity": 1}]}, 422, "lines[1].line_id"),
    ({"lines": [{"line_id": "l1", "quantity": 0}]}, 422, "lines[0].quantity"),
    ({"lines": []}, 422, "lines"),
    ({"carrier": ""}, 422, "carrier"),
    ({"tracking_number": None}, 422, "tracking_number"),
    ({"lines": [{"line_id": "l1", "quantity": "2"}]}, 422, "lines[0].quantity"),
])
def test_a_bad_shipment_is_refused_and_moves_nothing(stocked, table_items, change, status, field):
    before = table_items()
    answer = stocked.post("/v1/accounts/m1/orders/o1/shipments", {**SHIPMENT, **change})
    assert answer.status == status and answer.error["field"] == field, answer.body
    assert table_items() == before


def test_an_order_already_shipped_in_full_refuses_more(stocked, table_items):
    stocked.post("/v1/accounts/m1/orders/o1/shipments", SHIPMENT)
    before = table_items()
    answer = stocked.post("/v1/accounts/m1/orders/o1/shipments", {**SHIPMENT, "tracking_number": "again"})
    assert answer.status == 422 and answer.error["field"] == "lines[0].quantity"
    assert table_items() == before


def test_a_line_routed_to_a_supplier_moves_no_merchant_stock(world, portal_orders, repo):
    portal_orders.post("/v1/accounts/m1/stock-changes", {"changes": [
        {"sku": "C", "warehouse_id": "w1", "op": "set", "quantity": 4, "reason": "receipt"}]})
    repo.apply_counter_deltas("m1", [CounterDelta("C", "w1", committed=1)], "test", "commit-mo1")
    answer = portal_orders.post("/v1/accounts/m1/orders/mo1/shipments", {**SHIPMENT, "lines": [
        {"line_id": "l1", "quantity": 1}, {"line_id": "l3", "quantity": 1}]})
    assert answer.status == 201
    assert level(portal_orders, "C") == {"on_hand": 3, "committed": 0, "available": 3}
    assert repo.get_stock("m1", ["A"])["A"] == {}


def test_a_supplier_shipment_lowers_the_suppliers_stock(world, portal_orders):
    portal_orders.post("/v1/accounts/s1/stock-changes", {"changes": [
        {"sku": "A", "warehouse_id": "sw", "op": "set", "quantity": 5, "reason": "receipt"}]})
    answer = portal_orders.post("/v1/accounts/s1/orders/so1/shipments", {**SHIPMENT, "lines": [
        {"line_id": "l1", "quantity": 1}]}, token=world.supplier_token)
    assert answer.status == 201
    assert level(portal_orders, "A", "s1", "sw")["on_hand"] == 4
