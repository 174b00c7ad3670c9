"""Stock changes: set / adjust, products created on the fly, idempotency keys, refusals."""

from __future__ import annotations

import pytest


def change(sku="TEE", warehouse_id="w1", op="adjust", quantity=1, reason="manual_adjustment", **extra):
    return {"sku": sku, "warehouse_id": warehouse_id, "op": op, "quantity": quantity, "reason": reason, **extra}


def on_hand(api, sku, warehouse_id="w1"):
    return api.get(f"/v1/accounts/m1/products/{sku}").body["stock"][warehouse_id]["on_hand"]


def test_set_then_adjust_moves_on_hand(world, api):
    answer = api.post("/v1/accounts/m1/stock-changes", {"changes": [
        change(op="set", quantity=10, reason="receipt"), change(quantity=-3, reason="sales_order")]},
        token=world.merchant_token)
    assert answer.status == 202 and answer.body == {"accepted": 2}
    assert on_hand(api, "TEE") == 7


def test_a_stock_change_for_an_unknown_sku_creates_the_product_named_after_it(world, api):
    api.post("/v1/accounts/m1/stock-changes", {"changes": [change(sku="NEW 1", op="set", quantity=4)]})
    product = api.get("/v1/accounts/m1/products/NEW%201").body
    assert product["name"] == "NEW 1" and product["stock"]["w1"]["on_hand"] == 4


def test_a_stock_change_keeps_an_existing_products_name(world, api):
    api.put("/v1/accounts/m1/products/TEE", {"name": "Tee shirt"})
    api.post("/v1/accounts/m1/stock-changes", {"changes": [change(op="set", quantity=1)]})
    assert api.get("/v1/accounts/m1/products/TEE").body["name"] == "Tee shirt"


def test_the_same_idempotency_key_twice_is_applied_once(world, api):
    body = {"changes": [change(quantity=5, idempotency_key="po-77-line-1")]}
    first = api.post("/v1/accounts/m1/stock-changes", body)
    second = api.post("/v1/accounts/m1/stock-changes", body)
    assert first.body == {"accepted": 1} and second.status == 202 and second.body == {"accepted": 0}
    assert on_hand(api, "TEE") == 5


def test_a_key_repeated_inside_one_request_counts_once(world, api):
    answer = api.post("/v1/accounts/m1/stock-changes", {"changes": [
        change(quantity=5, idempotency_key="k1"), change(quantity=5, idempotency_key="k1"), change(quantity=1)]})
    assert answer.body == {"accepted": 2}
    assert on_hand(api, "TEE") == 6


def test_a_retried_partly_new_request_applies_only_the_new_changes(world, api):
    api.post("/v1/accounts/m1/stock-changes", {"changes": [change(quantity=2, idempotency_key="a")]})
    answer = api.post("/v1/accounts/m1/stock-changes", {"changes": [
        change(quantity=2, idempotency_key="a"), change(quantity=3, idempotency_key="b")]})
    assert answer.body == {"accepted": 1}
    assert on_hand(api, "TEE") == 5


def test_a_request_larger_than_one_transaction_is_applied_whole(world, api):
    # 45 changes span two of the repository's transactions (30 each); 1,000 is the documented
    # maximum (checked in tests/unit/api: moto copies the table on every transaction)
    changes = [change(sku=f"S{i % 5}", quantity=1, idempotency_key=f"k{i}") for i in range(45)]
    answer = api.post("/v1/accounts/m1/stock-changes", {"changes": changes})
    assert answer.status == 202 and answer.body == {"accepted": 45}
    assert on_hand(api, "S3") == 9


@pytest.mark.parametrize("bad,field", [
    (change(warehouse_id="default"), "changes[1].warehouse_id"),
    (change(op="set", quantity=-1), "changes[1].quantity"),
    (change(op="add"), "changes[1].op"),
    (change(quantity="5"), "changes[1].quantity"),
    (change(quantity=1.5), "changes[1].quantity"),
    (change(quantity=True), "changes[1].quantity"),
    (change(reason="gift"), "changes[1].reason"),
    (change(reason="channel_order"), "changes[1].reason"),
    (change(sku=""), "changes[1].sku"),
    (change(sku="A/B"), "changes[1].sku"),
    (change(sku="tab\there"), "changes[1].sku"),
    (change(warehouse_id="w 1"), "changes[1].warehouse_id"),
    ({"sku": "TEE", "warehouse_id": "w1", "op": "set", "reason": "receipt"}, "changes[1].quantity"),
    (change(idempotency_key=""), "changes[1].idempotency_key"),
    (change(quantity=10**12), "changes[1].quantity"),
])
def test_one_bad_change_refuses_the_whole_request(world, api, table_items, bad, field):
    # Given a valid change followed by a bad one / Then nothing at all is stored
    before = table_items()
    answer = api.post("/v1/accounts/m1/stock-changes", {"changes": [change(op="set", quantity=3), bad]})
    assert 400 <= answer.status < 500
    assert answer.error["field"] == field, answer.body
    assert table_items() == before


def test_a_portal_fed_warehouse_takes_no_manual_changes(world, api, table_items):
    api.post("/v1/portals", {"portal_id": "p1", "supplier_account_id": "s1", "merchant_account_id": "m1"})
    before = table_items()
    answer = api.post("/v1/accounts/m1/stock-changes", {"changes": [change(warehouse_id="portal-p1")]})
    assert answer.status == 422 and answer.error["field"] == "changes[0].warehouse_id"
    assert table_items() == before


@pytest.mark.parametrize("body,field", [
    ({"changes": []}, "changes"),
    ({"changes": [change()] * 1001}, "changes"),
    ({}, "changes"),
    ({"changes": {"sku": "x"}}, "changes"),
])
def test_the_changes_list_itself_is_checked(world, api, table_items, body, field):
    before = table_items()
    answer = api.post("/v1/accounts/m1/stock-changes", body)
    assert answer.status == 422 and answer.error["field"] == field
    assert table_items() == before
