"""Auth: bearer tokens, tenant isolation (another account's ids answer 404), platform-only routes."""

from __future__ import annotations

import hashlib

import pytest

# every account-scoped route, with a body that would be valid in account m1
ACCOUNT_ROUTES = [
    ("GET", "/v1/accounts/m1", None),
    ("PATCH", "/v1/accounts/m1", {"name": "taken over"}),
    ("PUT", "/v1/accounts/m1/warehouses/w9", {"name": "x"}),
    ("GET", "/v1/accounts/m1/warehouses", None),
    ("PUT", "/v1/accounts/m1/products/P1", {"name": "x"}),
    ("GET", "/v1/accounts/m1/products/P1", None),
    ("GET", "/v1/accounts/m1/products", None),
    ("POST", "/v1/accounts/m1/products:bulk-update", {"skus": ["P1"], "set": {"process_orders": False}}),
    ("POST", "/v1/accounts/m1/stock-changes",
     {"changes": [{"sku": "P1", "warehouse_id": "w1", "op": "set", "quantity": 1, "reason": "receipt"}]}),
    ("PUT", "/v1/accounts/m1/channels/shop-m1",
     {"type": "shopify", "credentials": {"shop_domain": "x.myshopify.com", "access_token": "t"},
      "location_id": "1"}),
    ("GET", "/v1/accounts/m1/channels/shop-m1", None),
    ("PUT", "/v1/accounts/m1/channels/shop-m1/rules/P1", {"buffer": 1}),
    ("POST", "/v1/accounts/m1/sync", {}),
    ("GET", "/v1/accounts/m1/sync-runs", None),
    ("GET", "/v1/accounts/m1/sync-runs/r1", None),
    ("GET", "/v1/accounts/m1/sync-history", None),
    ("GET", "/v1/accounts/m1/orders", None),
    ("GET", "/v1/accounts/m1/orders/o1", None),
    ("POST", "/v1/accounts/m1/orders/o1/split", {"groups": [["l1"], ["l2"]]}),
    ("POST", "/v1/accounts/m1/orders/o1/shipments",
     {"lines": [{"line_id": "l1", "quantity": 1}], "carrier": "UPS", "tracking_number": "1Z"}),
    ("POST", "/v1/accounts/m1/tokens", None),
]


def test_a_v1_route_without_a_token_answers_401(api):
    # Given no Authorization header / When any /v1 route is called / Then 401 with the error shape
    answer = api.get("/v1/accounts/m1", token=None)
    assert answer.status == 401
    assert answer.error["code"] == "unauthorized"
    assert answer.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("header", ["Bearer nope", "Basic dXNlcjpwYXNz", "Bearer ", "bearer isk_unknown", "isk_x"])
def test_an_unknown_or_malformed_token_answers_401(api, header):
    answer = api.get("/v1/accounts/m1", token=None, headers={"Authorization": header})
    assert answer.status == 401


def test_even_an_unknown_route_answers_401_without_a_token(api):
    assert api.get("/v1/nothing-here", token=None).status == 401


def test_a_token_is_shown_once_and_stored_hashed_only(world, api, table_items):
    # When the platform issues a token for m1
    answer = api.post("/v1/accounts/m1/tokens")
    token = answer.body["token"]
    # Then the answer holds it (not cached), the table only its sha256, and it works
    assert answer.status == 201 and answer.headers["cache-control"] == "no-store"
    items = table_items()
    assert any(i["pk"]["S"] == "TOKEN#" + hashlib.sha256(token.encode()).hexdigest() for i in items)
    assert token not in repr(items)
    assert api.get("/v1/accounts/m1", token=token).status == 200


def test_the_bearer_scheme_is_case_insensitive(world, api):
    answer = api.get("/v1/accounts/m1", token=None, headers={"authorization": f"bearer {world.merchant_token}"})
    assert answer.status == 200


def test_an_account_token_acts_in_its_own_account(world, api):
    assert api.get("/v1/accounts/m1", token=world.merchant_token).status == 200
    assert api.put("/v1/accounts/m1/products/P1", {"name": "mine"}, token=world.merchant_token).status == 201


@pytest.mark.parametrize("method,path,body", ACCOUNT_ROUTES, ids=[f"{m} {p}" for m, p, _ in ACCOUNT_ROUTES])
def test_another_accounts_ids_answer_404_and_change_nothing(world, api, table_items, ssm_parameters, seed_order,
                                                            method, path, body):
    # Given m1 has a product, an order and a channel, and m2 holds its own token
    api.put("/v1/accounts/m1/products/P1", {"name": "m1's"})
    seed_order("m1", "o1")
    before, secrets = table_items(), ssm_parameters()
    # When m2's token touches m1's ids
    answer = api.call(method, path, body, token=world.other_token)
    # Then it answers 404 exactly as for a missing account, and nothing changed
    assert answer.status == 404, answer.body
    assert answer.error["field"] == "account_id"
    assert table_items() == before
    assert ssm_parameters() == secrets


@pytest.mark.parametrize("method,path,body", [
    ("POST", "/v1/accounts", {"account_id": "new1", "name": "New", "kind": "merchant"}),
    ("POST", "/v1/accounts/m1/tokens", None),
    ("POST", "/v1/portals", {"portal_id": "p1", "supplier_account_id": "s1", "merchant_account_id": "m1"}),
])
def test_platform_only_routes_refuse_an_account_token_with_403(world, api, table_items, method, path, body):
    before = table_items()
    answer = api.call(method, path, body, token=world.merchant_token)
    assert answer.status == 403
    assert answer.error["code"] == "forbidden"
    assert table_items() == before


def test_the_platform_token_may_act_in_any_account(world, api):
    assert api.get("/v1/accounts/m2").status == 200
    assert api.put("/v1/accounts/m2/products/X", {"name": "by the platform"}).status == 201


def test_a_second_token_for_an_account_works_alongside_the_first(world, api):
    second = api.post("/v1/accounts/m1/tokens").body["token"]
    assert second != world.merchant_token
    assert api.get("/v1/accounts/m1", token=second).status == 200
    assert api.get("/v1/accounts/m1", token=world.merchant_token).status == 200


def test_a_token_for_a_missing_account_is_not_issued(api, table_items):
    before = table_items()
    answer = api.post("/v1/accounts/ghost/tokens")
    assert answer.status == 404 and answer.error["field"] == "account_id"
    assert table_items() == before


def test_another_account_answers_404_even_to_a_malformed_request(world, api):
    # the 404 comes before any validation, so a bad body reveals nothing either
    assert api.put("/v1/accounts/m1/products/P1", raw_body="{nope", token=world.other_token).status == 404
    assert api.put("/v1/accounts/m1/products/A%2FB", {}, token=world.other_token).status == 404


def test_a_platform_only_route_answers_403_even_to_a_malformed_request(world, api):
    assert api.post("/v1/accounts", raw_body="{nope", token=world.merchant_token).status == 403
    assert api.post("/v1/portals", {}, token=world.merchant_token).status == 403
