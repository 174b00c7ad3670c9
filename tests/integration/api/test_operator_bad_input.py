"""The bad-input matrix: every refusal is a 4xx naming the field, stores nothing, and none is a 5xx."""

from __future__ import annotations

import json

import pytest

WRITE_ROUTES = [
    ("POST", "/v1/accounts"),
    ("PATCH", "/v1/accounts/m1"),
    ("PUT", "/v1/accounts/m1/warehouses/w9"),
    ("PUT", "/v1/accounts/m1/products/P1"),
    ("POST", "/v1/accounts/m1/products:bulk-update"),
    ("POST", "/v1/accounts/m1/stock-changes"),
    ("PUT", "/v1/accounts/m1/channels/shop-1"),
    ("PUT", "/v1/accounts/m1/channels/shop-1/rules/P1"),
    ("POST", "/v1/accounts/m1/sync"),
    ("POST", "/v1/portals"),
    ("POST", "/v1/accounts/m1/orders/o1/split"),
    ("POST", "/v1/accounts/m1/orders/o1/shipments"),
]


@pytest.mark.parametrize("method,path", WRITE_ROUTES)
def test_malformed_json_is_a_400_naming_the_body(world, api, table_items, method, path):
    before = table_items()
    answer = api.call(method, path, raw_body='{"name": "x",')
    assert answer.status == 400
    assert answer.error == {"code": "malformed_json", "message": "the body is not valid JSON", "field": "body"}
    assert table_items() == before


@pytest.mark.parametrize("raw", ["[]", '"text"', "42"])
@pytest.mark.parametrize("method,path", [("PUT", "/v1/accounts/m1/products/P1"),
                                         ("POST", "/v1/accounts/m1/stock-changes"), ("POST", "/v1/portals")])
def test_a_body_that_is_not_an_object_is_a_400(world, api, table_items, method, path, raw):
    before = table_items()
    answer = api.call(method, path, raw_body=raw)
    assert answer.status == 400 and answer.error["field"] == "body"
    assert table_items() == before


@pytest.mark.parametrize("method,path", [("PUT", "/v1/accounts/m1/products/P1"),
                                         ("POST", "/v1/accounts/m1/stock-changes")])
def test_a_missing_body_is_a_400(world, api, method, path):
    answer = api.call(method, path)
    assert answer.status == 400 and answer.error["field"] == "body"


def test_a_body_over_one_megabyte_is_a_413(world, api, table_items):
    before = table_items()
    answer = api.put("/v1/accounts/m1/products/P1", {"name": "x", "tags": ["t" * 100] * 11_000})
    assert answer.status == 413 and answer.error["code"] == "payload_too_large"
    assert table_items() == before


def test_a_base64_body_over_one_megabyte_is_a_413(world, api):
    answer = api.call("PUT", "/v1/accounts/m1/products/P1", raw_body=json.dumps({"name": "x" * 1_100_000}),
                      base64_body=True)
    assert answer.status == 413


def test_a_base64_body_is_read(world, api):
    answer = api.call("PUT", "/v1/accounts/m1/products/P1", raw_body=json.dumps({"name": "b64"}), base64_body=True)
    assert answer.status == 201 and answer.body["name"] == "b64"


def test_a_json_body_sent_as_form_data_is_still_json(world, api):
    # curl -d sends application/x-www-form-urlencoded unless told otherwise; every body here is JSON
    answer = api.put("/v1/accounts/m1/products/P1", {"name": "curl"},
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status == 201


@pytest.mark.parametrize("path,field", [
    ("/v1/accounts/bad%20id/products/P1", "account_id"),
    ("/v1/accounts/" + "a" * 65 + "/products/P1", "account_id"),
    ("/v1/accounts/m1/warehouses/w%231", "warehouse_id"),
    ("/v1/accounts/m1/channels/shop%3F1", "channel_id"),
    ("/v1/accounts/m1/products/" + "S" * 256, "sku"),
])
def test_a_bad_id_in_the_path_names_it(world, api, table_items, path, field):
    before = table_items()
    answer = api.put(path, {"name": "x"})
    assert answer.status == 422 and answer.error["field"] == field
    assert table_items() == before


def test_an_unknown_route_is_a_404_in_the_error_shape(world, api):
    answer = api.get("/v1/accounts/m1/unknown")
    assert answer.status == 404 and answer.error["code"] == "route_not_found"


@pytest.mark.parametrize("body,field", [
    ({"name": "x", "kind": "merchant"}, "account_id"),
    ({"account_id": "a1", "kind": "merchant"}, "name"),
    ({"account_id": "a1", "name": "x"}, "kind"),
    ({"account_id": "a1", "name": "x", "kind": "reseller"}, "kind"),
    ({"account_id": "a1", "name": "x", "kind": "merchant", "sync_policy": "sometimes"}, "sync_policy"),
    ({"account_id": "a1", "name": "x", "kind": "merchant", "auto_process_orders": "false"}, "auto_process_orders"),
    ({"account_id": "a 1", "name": "x", "kind": "merchant"}, "account_id"),
    ({"account_id": "a1", "name": "", "kind": "merchant"}, "name"),
    ({"account_id": 7, "name": "x", "kind": "merchant"}, "account_id"),
])
def test_a_bad_account_is_refused_naming_the_field(world, api, table_items, body, field):
    before = table_items()
    answer = api.post("/v1/accounts", body)
    assert answer.status == 422 and answer.error["field"] == field
    assert table_items() == before


@pytest.mark.parametrize("body,field", [
    ({}, "name"),
    ({"name": 3}, "name"),
    ({"name": "x", "sync_policy": "weekly"}, "sync_policy"),
    ({"name": "x", "process_orders": 1}, "process_orders"),
    ({"name": "x", "aliases": {"shop-1": "TEE-S"}}, "aliases.shop-1"),
    ({"name": "x", "aliases": {"bad channel": ["TEE-S"]}}, "aliases.bad channel"),
    ({"name": "x", "aliases": {"shop-1": ["A/B"]}}, "aliases.shop-1[0]"),
    ({"name": "x", "tags": "summer"}, "tags"),
    ({"name": "x", "tags": [""]}, "tags[0]"),
    ({"name": "x", "bundle": {"components": "A"}}, "bundle.components"),
    ({"name": "x", "bundle": []}, "bundle"),
    ({"name": "x", "supplier_account_id": "s 1"}, "supplier_account_id"),
])
def test_a_bad_product_is_refused_naming_the_field(world, api, table_items, body, field):
    before = table_items()
    answer = api.put("/v1/accounts/m1/products/P1", body)
    assert answer.status == 422 and answer.error["field"] == field, answer.body
    assert table_items() == before


def test_every_field_error_is_listed_when_there_are_several(world, api):
    answer = api.post("/v1/accounts/m1/stock-changes", {"changes": [
        {"sku": "A", "warehouse_id": "w1", "op": "set", "quantity": "1", "reason": "receipt"},
        {"sku": "A", "warehouse_id": "w1", "op": "nope", "quantity": 1, "reason": "receipt"}]})
    assert answer.error["field"] == "changes[0].quantity"
    assert [e["field"] for e in answer.body["errors"]] == ["changes[0].quantity", "changes[1].op"]


def test_no_odd_value_in_any_stock_change_field_is_a_5xx(world, api):
    for name in ("sku", "warehouse_id", "op", "quantity", "reason", "reference", "idempotency_key"):
        for value in (None, True, 1.5, -1, "x", [], {}, "é" * 300, 10**30):
            change = {"sku": "A", "warehouse_id": "w1", "op": "adjust", "quantity": 1, "reason": "receipt",
                      name: value}
            answer = api.post("/v1/accounts/m1/stock-changes", {"changes": [change]})
            assert answer.status < 500, (name, value, answer.body)
