"""The Shopify simulator answers as the recorded 2026-04 store did, and as the handbook describes.

Each test is one rule: Given a shop in some state, When a request arrives, Then the answer (and
the shop) is what Shopify would give. Answers are compared with the captures in
contracts/shopify/captures-2026-04 wherever a capture exists.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac

import pytest

from invsync_local.simulators.shopify import INVALID_TOKEN_BODY, ShopifySimulator, load_schema
from tests.shopify_fixtures import (  # noqa: F401 - pytest fixtures
    API_VERSION,
    ShopHandle,
    clock,
    load_capture,
    new_shop,
    receiver,
    shop,
    shopify_schema,
    simulator,
    webhook_receiver,
)

CONTRACTS = load_capture("inventory-quantity-contracts-2026-04.json")
BOUNDS = load_capture("inventorySetQuantities-quantity-bounds.json")
# A real document from the capture (same line/column layout as the captured error locations).
SET_DOCUMENT = BOUNDS["cases"]["onHandNegative"]["query"]

SET_WITH_IDS = """
mutation Set($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup {
      id createdAt reason referenceDocumentUri
      changes { name delta quantityAfterChange item { id } location { id } }
    }
    userErrors { code field message }
  }
}
"""

PAGE_QUERY = "query Page($first: Int!) { productVariants(first: $first) { nodes { id inventoryItem { id } } } }"


def set_input(shop: ShopHandle, *quantities: tuple[str, int, int | None], name: str = "available",
              uri: str = "gid://inventory-sync/Test/1") -> dict:
    return {
        "name": name,
        "reason": "correction",
        "referenceDocumentUri": uri,
        "quantities": [
            {"inventoryItemId": item, "locationId": shop.location_id, "quantity": qty, "changeFromQuantity": cfq}
            for item, qty, cfq in quantities
        ],
    }


def with_ids(captured_variables: dict, item: str, location: str) -> dict:
    """A captured variables object with the captured store's (known) ids replaced by this shop's."""
    unknown = "/999999999999"
    out = copy.deepcopy(captured_variables)
    for q in out["input"].get("quantities", []):
        if not q["inventoryItemId"].endswith(unknown):
            q["inventoryItemId"] = item
        if not q["locationId"].endswith(unknown):
            q["locationId"] = location
    return out


# --------------------------------------------------------------------------- compare-and-set


def test_set_with_matching_change_from_quantity_applies_and_reports_both_quantity_changes(shop: ShopHandle):
    """Given available 0, When set to 5 from 0, Then available and on_hand both move by +5 (as captured)."""
    item = shop.item("CAS-OK", 0)
    captured = CONTRACTS["inventorySetQuantities"]
    variables = with_ids(captured["variables"], item, shop.location_id)
    status, body = shop.graphql(SET_WITH_IDS, {"input": variables["input"], "key": "k-ok"})
    assert status == 200
    payload = body["data"]["inventorySetQuantities"]
    assert payload["userErrors"] == []
    group = payload["inventoryAdjustmentGroup"]
    expected = captured["response"]["data"]["inventorySetQuantities"]["inventoryAdjustmentGroup"]
    assert set(group) == set(expected)
    assert group["id"].startswith("gid://shopify/InventoryAdjustmentGroup/")
    assert group["reason"] == expected["reason"]
    assert group["referenceDocumentUri"] == expected["referenceDocumentUri"]
    assert [(c["name"], c["delta"], c["quantityAfterChange"]) for c in group["changes"]] == \
        [(c["name"], c["delta"], c["quantityAfterChange"]) for c in expected["changes"]]
    assert all(c["item"] == {"id": item} and c["location"] == {"id": shop.location_id} for c in group["changes"])
    assert body["extensions"]["cost"]["requestedQueryCost"] == captured["response"]["extensions"]["cost"][
        "requestedQueryCost"] == 13
    assert shop.available("CAS-OK") == 5


def test_one_stale_quantity_fails_the_whole_mutation_and_applies_nothing(shop: ShopHandle):
    """Given two items, When one changeFromQuantity is stale, Then no quantity changes (atomic)."""
    fresh, stale = shop.item("CAS-A", 4), shop.item("CAS-B", 7)
    status, body = shop.graphql(SET_WITH_IDS, {"input": set_input(shop, (fresh, 10, 4), (stale, 10, 6)),
                                              "key": "k-stale"})
    payload = body["data"]["inventorySetQuantities"]
    assert payload["inventoryAdjustmentGroup"] is None
    assert payload["userErrors"] == [{
        "code": "CHANGE_FROM_QUANTITY_STALE",
        "field": ["input", "quantities", "1", "changeFromQuantity"],
        "message": "The changeFromQuantity value does not match persisted value.",
    }]
    assert (shop.available("CAS-A"), shop.available("CAS-B")) == (4, 7)
    assert body["extensions"]["cost"]["actualQueryCost"] == 10


def test_explicit_null_change_from_quantity_opts_out_of_the_check(shop: ShopHandle):
    """Given available 9, When set to 2 with changeFromQuantity null, Then it applies."""
    item = shop.item("CAS-NULL", 9)
    _, body = shop.graphql(SET_WITH_IDS, {"input": set_input(shop, (item, 2, None)), "key": "k-null"})
    assert body["data"]["inventorySetQuantities"]["userErrors"] == []
    assert shop.available("CAS-NULL") == 2


def test_order_placed_after_our_read_makes_the_push_stale(shop: ShopHandle):
    """Given we read 5, When the channel sells 2 before our set, Then our set from 5 is stale (no overwrite)."""
    item = shop.item("CAS-RACE", 5)
    shop.sim.place_order(shop.domain, [{"sku": "CAS-RACE", "quantity": 2}])
    _, body = shop.graphql(SET_WITH_IDS, {"input": set_input(shop, (item, 8, 5)), "key": "k-race"})
    assert body["data"]["inventorySetQuantities"]["userErrors"][0]["code"] == "CHANGE_FROM_QUANTITY_STALE"
    assert shop.available("CAS-RACE") == 3


# --------------------------------------------------------------------------- idempotency


def test_same_key_and_parameters_replays_the_original_result_without_reapplying(shop: ShopHandle):
    """Given a set applied under key K, When the merchant edits stock and K is replayed, Then the
    original group comes back and the merchant's number stands."""
    item = shop.item("IDEM", 1)
    variables = {"input": set_input(shop, (item, 6, 1)), "key": "k-replay"}
    _, first = shop.graphql(SET_WITH_IDS, variables)
    shop.sim.set_inventory(shop.domain, available=40, sku="IDEM")
    _, again = shop.graphql(SET_WITH_IDS, variables)
    assert again["data"] == first["data"]
    assert shop.available("IDEM") == 40
    assert [r["idempotent_replay"] for r in shop.requests()] == [False, True]


def test_same_key_with_different_parameters_is_a_parameter_mismatch(shop: ShopHandle):
    """Given key K used for quantity 6, When K is sent for quantity 7, Then IDEMPOTENCY_KEY_PARAMETER_MISMATCH."""
    item = shop.item("IDEM-MISMATCH", 1)
    shop.graphql(SET_WITH_IDS, {"input": set_input(shop, (item, 6, 1)), "key": "k-mm"})
    _, body = shop.graphql(SET_WITH_IDS, {"input": set_input(shop, (item, 7, 6)), "key": "k-mm"})
    payload = body["data"]["inventorySetQuantities"]
    assert payload["inventoryAdjustmentGroup"] is None
    assert [e["code"] for e in payload["userErrors"]] == ["IDEMPOTENCY_KEY_PARAMETER_MISMATCH"]
    assert payload["userErrors"][0]["message"] == \
        "The same idempotency key cannot be used with different operation parameters."
    assert shop.available("IDEM-MISMATCH") == 6


def test_missing_idempotent_directive_is_refused_exactly_as_captured(shop: ShopHandle):
    """Given the captured document without @idempotent, Then the captured BAD_REQUEST error, data null."""
    item = shop.item("NO-KEY", 0)
    captured = CONTRACTS["missingSetIdempotency"]
    document = SET_DOCUMENT.replace(" @idempotent(key: $idempotencyKey)", "").replace(", $idempotencyKey: String!", "")
    variables = with_ids(captured["variables"], item, shop.location_id)
    del variables["idempotencyKey"]
    status, body = shop.graphql(document, variables)
    assert status == 200
    assert body["errors"] == captured["response"]["errors"]
    assert body["data"] == captured["response"]["data"]
    assert body["extensions"]["cost"]["actualQueryCost"] == captured["response"]["extensions"]["cost"][
        "actualQueryCost"]
    assert shop.available("NO-KEY") == 0


def test_missing_change_from_quantity_is_refused_exactly_as_captured(shop: ShopHandle):
    """Given a quantity without changeFromQuantity, Then the captured INVALID_FIELD_ARGUMENTS error."""
    item = shop.item("NO-CFQ", 0)
    captured = CONTRACTS["missingSetChangeFromQuantity"]
    status, body = shop.graphql(SET_DOCUMENT, with_ids(captured["variables"], item, shop.location_id))
    assert status == 200
    assert body["errors"] == captured["response"]["errors"]
    assert body["data"] == captured["response"]["data"]
    cost = body["extensions"]["cost"]
    expected_cost = captured["response"]["extensions"]["cost"]
    assert (cost["requestedQueryCost"], cost["actualQueryCost"]) == (
        expected_cost["requestedQueryCost"], expected_cost["actualQueryCost"])
    assert shop.available("NO-CFQ") == 0


def test_removed_ignore_compare_quantity_is_an_invalid_variable_as_captured(shop: ShopHandle):
    """Given the pre-2026-04 shape, Then the captured INVALID_VARIABLE answer (no data, no cost)."""
    item = shop.item("LEGACY", 0)
    captured = CONTRACTS["legacySetShape"]
    variables = with_ids(captured["variables"], item, shop.location_id)
    status, body = shop.graphql(SET_DOCUMENT, variables)
    expected = copy.deepcopy(captured["response"])
    expected["errors"][0]["extensions"]["value"] = variables["input"]
    assert status == 200
    assert body == expected


@pytest.mark.parametrize("case, field_to_break", [
    ("setUnknownInventoryItem", "inventoryItemId"),
    ("setUnknownLocation", "locationId"),
])
def test_unknown_item_or_location_gives_the_captured_user_error(shop: ShopHandle, case: str, field_to_break: str):
    """Given an unknown item (or location), Then the captured user error with its field path."""
    item = shop.item(f"UNKNOWN-{case}", 0)
    captured = CONTRACTS["unknownIdValidation"][case]
    variables = copy.deepcopy(captured["variables"])
    q = variables["input"]["quantities"][0]
    q["inventoryItemId"] = item if field_to_break != "inventoryItemId" else "gid://shopify/InventoryItem/999999999999"
    q["locationId"] = shop.location_id if field_to_break != "locationId" else "gid://shopify/Location/999999999999"
    _, body = shop.graphql(SET_DOCUMENT, variables)
    assert body["data"] == captured["response"]["data"]


@pytest.mark.parametrize("case", ["onHandNegative", "availableTooLow", "availableNegativeWithinBounds"])
def test_quantity_bounds_answer_as_captured(shop: ShopHandle, case: str):
    """on_hand may not go negative; available may, down to -1,000,000,000 (captured cases)."""
    captured = BOUNDS["cases"][case]
    item = shop.item(f"BOUNDS-{case}", captured["setup"]["available"])
    variables = copy.deepcopy(captured["variables"])
    variables["input"]["quantities"][0].update(inventoryItemId=item, locationId=shop.location_id)
    _, body = shop.graphql(captured["query"], variables)
    expected = copy.deepcopy(captured["response"]["data"])
    group = expected["inventorySetQuantities"]["inventoryAdjustmentGroup"]
    if group is not None:
        for change in group["changes"]:
            change["item"]["id"] = item
            change["location"] = {"id": shop.location_id, "name": "Shop location"}
    assert body["data"] == expected


def test_invalid_reason_lists_the_valid_reasons_as_captured(shop: ShopHandle):
    item = shop.item("BAD-REASON", 9)
    captured = CONTRACTS["unknownIdValidation"]["setOnHandInvalidReason"]["response"]
    variables = {"input": {**set_input(shop, (item, 9, 9)), "reason": "not_a_reason"}, "idempotencyKey": "k-r"}
    _, body = shop.graphql(SET_DOCUMENT, variables)
    assert body["data"]["inventorySetQuantities"]["userErrors"] == \
        captured["data"]["inventorySetOnHandQuantities"]["userErrors"]


def test_item_not_stocked_and_duplicate_pairs_are_user_errors(shop: ShopHandle):
    """Given an item not stocked at the location, and a pair sent twice, Then both are reported."""
    unstocked = shop.item("UNSTOCKED", None)
    twice = shop.item("TWICE", 1)
    _, body = shop.graphql(SET_WITH_IDS, {"input": set_input(shop, (unstocked, 1, 0), (twice, 2, 1), (twice, 3, 1)),
                                         "key": "k-dup"})
    errors = body["data"]["inventorySetQuantities"]["userErrors"]
    assert [(e["code"], e["field"]) for e in errors] == [
        ("ITEM_NOT_STOCKED_AT_LOCATION", ["input", "quantities", "0", "locationId"]),
        ("NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR", ["input", "quantities", "2"]),
    ]
    assert shop.available("TWICE") == 1


def test_more_than_250_quantities_is_refused_before_execution(shop: ShopHandle):
    """Given 251 quantities, Then the input-array-size error and nothing charged or applied."""
    item = shop.item("TOO-MANY", 0)
    quantities = [(item, 1, None)] * 251
    status, body = shop.graphql(SET_WITH_IDS, {"input": set_input(shop, *quantities), "key": "k-251"})
    assert status == 200
    assert "data" not in body
    assert body["errors"][0]["extensions"] == {"code": "MAX_INPUT_SIZE_EXCEEDED"}
    assert body["errors"][0]["message"] == "The input array size of 251 is greater than the maximum allowed of 250."
    assert body["errors"][0]["path"] == ["inventorySetQuantities", "input", "quantities"]
    assert body["extensions"]["cost"]["actualQueryCost"] is None
    assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 2000
    assert shop.available("TOO-MANY") == 0


def test_inline_literals_and_aliases_work_like_variables(shop: ShopHandle):
    item = shop.item("LITERAL", 3)
    document = f"""mutation {{
      pushed: inventorySetQuantities(input: {{name: "available", reason: "correction",
        referenceDocumentUri: "gid://inventory-sync/Test/2",
        quantities: [{{inventoryItemId: "{item}", locationId: "{shop.location_id}", quantity: 4,
                       changeFromQuantity: 3}}]}}) @idempotent(key: "literal-key") {{
        group: inventoryAdjustmentGroup {{ id }}
        problems: userErrors {{ code }}
      }}
    }}"""
    _, body = shop.graphql(document)
    assert body["data"]["pushed"]["problems"] == []
    assert body["data"]["pushed"]["group"]["id"].startswith("gid://shopify/InventoryAdjustmentGroup/")
    assert shop.available("LITERAL") == 4


# --------------------------------------------------------------------------- reads


def test_sku_search_with_or_and_quotes_returns_every_variant_with_those_skus(shop: ShopHandle):
    a1, a2 = shop.item("DUP SKU", 1), shop.item("DUP SKU", 2)
    b = shop.item('qu"ote', 3)
    shop.item("OTHER", 4)
    query = """query($q: String!) { productVariants(first: 10, query: $q) {
      nodes { sku inventoryItem { id } } pageInfo { hasNextPage } } }"""
    _, body = shop.graphql(query, {"q": 'sku:"DUP SKU" OR sku:"qu\\"ote"'})
    nodes = body["data"]["productVariants"]["nodes"]
    assert sorted(n["inventoryItem"]["id"] for n in nodes) == sorted([a1, a2, b])
    assert body["data"]["productVariants"]["pageInfo"] == {"hasNextPage": False}


def test_inventory_levels_read_available_and_on_hand_per_location():
    sim = ShopifySimulator()
    shop = new_shop(sim, locations=["Main", "Back room"])
    item = shop.item("LEVELS", 6)
    query = """query($id: ID!, $loc: ID!) { inventoryItem(id: $id) {
      inventoryLevels(first: 5) {
        nodes { location { id } quantities(names: ["available", "on_hand"]) { name quantity } }
      }
      other: inventoryLevel(locationId: $loc) { id } } }"""
    _, body = shop.graphql(query, {"id": item, "loc": shop.locations[1]})
    assert body["data"]["inventoryItem"] == {
        "inventoryLevels": {"nodes": [{"location": {"id": shop.location_id}, "quantities": [
            {"name": "available", "quantity": 6}, {"name": "on_hand", "quantity": 6}]}]},
        "other": None,
    }
    _, body = shop.graphql('{ locations(first: 5) { nodes { id name } } }')
    assert [n["name"] for n in body["data"]["locations"]["nodes"]] == ["Main", "Back room"]


# --------------------------------------------------------------------------- cost and throttling


def test_bucket_is_charged_the_actual_cost_after_refunding_the_estimate(shop: ShopHandle):
    """Given 3 variants, When a page of 50 is asked (requested 102), Then only 8 points are spent."""
    for i in range(3):
        shop.item(f"COST-{i}", 1)
    _, body = shop.graphql(PAGE_QUERY, {"first": 50})
    cost = body["extensions"]["cost"]
    assert (cost["requestedQueryCost"], cost["actualQueryCost"]) == (102, 8)
    assert cost["throttleStatus"] == {"maximumAvailable": 2000, "currentlyAvailable": 1992, "restoreRate": 100}


def test_bucket_drains_then_throttles_then_restores_at_the_configured_rate(simulator, clock):
    """Given a 100-point bucket restoring 10/s, When 52-point queries repeat, Then the second is
    THROTTLED (actualQueryCost null, nothing charged) until 0.4 s of restore has passed."""
    shop = new_shop(simulator, bucket_size=100, restore_rate=10)
    for i in range(25):
        shop.item(f"DRAIN-{i}", 1)
    status, first = shop.graphql(PAGE_QUERY, {"first": 25})
    assert status == 200 and first["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 48

    status, throttled = shop.graphql(PAGE_QUERY, {"first": 25})
    assert status == 200
    assert throttled == {
        "errors": [{"message": "Throttled",
                    "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
        "extensions": {"cost": {"requestedQueryCost": 52, "actualQueryCost": None, "throttleStatus": {
            "maximumAvailable": 100, "currentlyAvailable": 48, "restoreRate": 10}}},
    }

    clock.advance(0.4)
    status, restored = shop.graphql(PAGE_QUERY, {"first": 25})
    assert "errors" not in restored
    assert restored["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 0
    assert [r["throttled"] for r in shop.requests()] == [False, True, False]


def test_throttled_status_code_is_configurable_to_429(simulator):
    shop = new_shop(simulator, bucket_size=10, restore_rate=1, throttle_status_code=429)
    status, body = shop.graphql(PAGE_QUERY, {"first": 25})
    assert status == 429
    assert body["errors"][0]["extensions"]["code"] == "THROTTLED"


def test_query_over_the_single_query_limit_is_max_cost_exceeded_and_not_charged(shop: ShopHandle):
    """Given a query of requested cost 1002 (2 + 250 x 4), Then MAX_COST_EXCEEDED, nothing charged."""
    query = "{ productVariants(first: 250) { nodes { id inventoryItem { id variant { id product { id } } } } } }"
    status, body = shop.graphql(query)
    assert status == 200
    assert body["errors"] == [{
        "message": "Query cost is 1002, which exceeds the single query max cost limit (1000).",
        "extensions": {"code": "MAX_COST_EXCEEDED", "cost": 1002, "maxCost": 1000,
                       "documentation": "https://shopify.dev/api/usage/rate-limits"},
    }]
    assert body["extensions"]["cost"]["requestedQueryCost"] == 1002
    assert body["extensions"]["cost"]["actualQueryCost"] is None
    assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 2000


# --------------------------------------------------------------------------- refusals


def test_document_failing_schema_validation_is_refused_with_shopify_codes(shop: ShopHandle):
    _, body = shop.graphql("query { shop { nme } productVariants(first: \"ten\") { nodes { id } } }")
    assert "data" not in body and "extensions" not in body
    assert body["errors"] == [
        {"message": "Field 'nme' doesn't exist on type 'Shop'", "locations": [{"line": 1, "column": 16}],
         "extensions": {"code": "undefinedField", "typeName": "Shop", "fieldName": "nme"},
         "path": ["query", "shop", "nme"]},
        {"message": "Argument 'first' on Field 'productVariants' has an invalid value (\"ten\"). "
                    "Expected type 'Int'.", "locations": [{"line": 1, "column": 45}],
         "extensions": {"code": "argumentLiteralsIncompatible", "typeName": "Field", "argumentName": "first"},
         "path": ["query", "productVariants", "first"]},
    ]
    assert shop.requests()[-1]["requested_cost"] is None


@pytest.mark.parametrize("token", ["wrong-token", ""])
def test_wrong_or_missing_token_is_401_with_shopifys_body(shop: ShopHandle, token: str):
    resp = shop.http.post(shop.graphql_path, json={"query": "{ shop { name } }"},
                          headers={"X-Shopify-Access-Token": token} if token else {})
    assert resp.status_code == 401
    assert resp.get_json() == INVALID_TOKEN_BODY == {
        "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}


def test_unknown_shop_is_404(shop: ShopHandle):
    resp = shop.http.post(f"/shops/nope.myshopify.com/admin/api/{API_VERSION}/graphql.json",
                          json={"query": "{ shop { name } }"}, headers={"X-Shopify-Access-Token": shop.token})
    assert resp.status_code == 404


def test_schema_is_parsed_once_per_process(shopify_schema):
    assert load_schema() is shopify_schema


# --------------------------------------------------------------------------- webhooks


def _verify(secret: str, body: bytes, header: str) -> bool:
    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(digest, header)


def test_order_moves_stock_first_then_delivers_a_signed_orders_create(shop: ShopHandle, receiver):
    """Given a subscriber, When an order for 2 is placed, Then available already fell by 2 when the
    orders/create arrives, and its HMAC verifies with the shop's secret."""
    shop.item("WH-1", 5)
    shop.sim.subscribe(shop.domain, "orders/create", receiver.url)
    receiver.on_delivery = lambda d: shop.available("WH-1")
    result = shop.sim.place_order(shop.domain, [{"sku": "WH-1", "quantity": 2}])

    assert [d["status"] for d in result["deliveries"]] == [200]
    (delivery,) = receiver.deliveries
    assert delivery.observed == 3
    h = delivery.headers
    assert _verify(shop.secret, delivery.body, h["X-Shopify-Hmac-Sha256"])
    assert not _verify("another-secret", delivery.body, h["X-Shopify-Hmac-Sha256"])
    assert h["X-Shopify-Topic"] == "orders/create"
    assert h["X-Shopify-Shop-Domain"] == shop.domain
    assert h["X-Shopify-Api-Version"] == API_VERSION
    assert h["X-Shopify-Event-Id"] == result["event_id"]
    assert h["X-Shopify-Webhook-Id"] == result["deliveries"][0]["webhook_id"]
    assert h["X-Shopify-Triggered-At"].endswith("Z")
    assert h["Content-Type"] == "application/json"
    order = delivery.json()
    assert order["admin_graphql_api_id"] == f"gid://shopify/Order/{order['id']}"
    assert (order["name"], order["order_number"], order["cancelled_at"], order["fulfillment_status"]) == \
        ("#1001", 1001, None, None)
    (line,) = order["line_items"]
    assert (line["sku"], line["quantity"], line["fulfillable_quantity"], line["fulfillment_status"]) == \
        ("WH-1", 2, 2, None)
    assert {"id", "admin_graphql_api_id", "variant_id", "product_id"} <= set(line)


def test_redelivery_keeps_the_event_id_and_changes_the_webhook_id(shop: ShopHandle, receiver):
    shop.item("WH-2", 5)
    shop.sim.subscribe(shop.domain, "orders/create", receiver.url)
    placed = shop.sim.place_order(shop.domain, [{"sku": "WH-2", "quantity": 1}])
    again = shop.sim.redeliver(shop.domain, placed["event_id"])
    first, second = receiver.deliveries
    assert first.headers["X-Shopify-Event-Id"] == second.headers["X-Shopify-Event-Id"] == placed["event_id"]
    assert first.headers["X-Shopify-Webhook-Id"] != second.headers["X-Shopify-Webhook-Id"]
    assert first.body == second.body
    assert again["deliveries"][0]["status"] == 200
    assert shop.available("WH-2") == 4


def test_cancelling_restocks_and_delivers_orders_cancelled(shop: ShopHandle, receiver):
    shop.item("WH-3", 5)
    shop.sim.subscribe(shop.domain, "orders/cancelled", receiver.url)
    placed = shop.sim.place_order(shop.domain, [{"sku": "WH-3", "quantity": 3}])
    assert shop.available("WH-3") == 2
    cancelled = shop.sim.cancel_order(shop.domain, placed["order"]["id"], reason="customer")
    assert shop.available("WH-3") == 5
    (delivery,) = receiver.deliveries
    assert delivery.headers["X-Shopify-Topic"] == "orders/cancelled"
    body = delivery.json()
    assert body["cancelled_at"] is not None and body["cancel_reason"] == "customer"
    assert cancelled["deliveries"][0]["status"] == 200


def test_a_failing_receiver_is_reported_in_the_control_answer(shop: ShopHandle, receiver):
    shop.item("WH-4", 5)
    shop.sim.subscribe(shop.domain, "orders/create", receiver.url)
    receiver.status = 500
    placed = shop.sim.place_order(shop.domain, [{"sku": "WH-4", "quantity": 1}])
    assert [d["status"] for d in placed["deliveries"]] == [500]


def test_control_api_over_http_creates_shops_variants_and_orders(simulator, receiver):
    http = new_shop(simulator).http
    resp = http.post("/_sim/shops", json={"shop_domain": "http-ctl.myshopify.com", "access_token": "t",
                                          "webhook_secret": "s", "locations": [{"name": "Main"}]})
    assert resp.status_code == 201
    loc = resp.get_json()["locations"][0]["id"]
    assert http.post("/_sim/shops/http-ctl.myshopify.com/webhooks",
                     json={"topic": "orders/create", "address": receiver.url}).status_code == 201
    variant = http.post("/_sim/shops/http-ctl.myshopify.com/variants",
                        json={"sku": "CTL-1", "quantities": {loc: 4}}).get_json()
    assert variant["inventory_item_id"].startswith("gid://shopify/InventoryItem/")
    order = http.post("/_sim/shops/http-ctl.myshopify.com/orders",
                      json={"line_items": [{"sku": "CTL-1", "quantity": 1}]}).get_json()
    assert order["deliveries"][0]["status"] == 200
    inventory = http.get("/_sim/shops/http-ctl.myshopify.com/inventory?sku=CTL-1").get_json()
    assert inventory["items"][0]["levels"][loc] == {"available": 3, "committed": 1, "on_hand": 4}
    assert http.post("/_sim/shops/http-ctl.myshopify.com/variants", json={"bogus": 1}).status_code == 400


# --------------------------------------------------------------------------- fulfilment


FULFILLMENT_ORDERS = """query($id: ID!) { order(id: $id) { fulfillmentOrders(first: 5) { nodes {
  id status assignedLocation { location { id } }
  lineItems(first: 10) { nodes { id remainingQuantity totalQuantity lineItem { id sku } } } } } } }"""

FULFILL = """mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f, message: "shipped") {
  fulfillment { id status trackingInfo { company number url } } userErrors { field message } } }"""


def test_fulfillment_with_tracking_closes_the_fulfillment_order(shop: ShopHandle):
    shop.item("FUL-1", 5)
    placed = shop.sim.place_order(shop.domain, [{"sku": "FUL-1", "quantity": 2}])
    _, body = shop.graphql(FULFILLMENT_ORDERS, {"id": placed["order"]["admin_graphql_api_id"]})
    (fo,) = body["data"]["order"]["fulfillmentOrders"]["nodes"]
    assert fo["status"] == "OPEN" and fo["assignedLocation"]["location"]["id"] == shop.location_id
    (line,) = fo["lineItems"]["nodes"]
    assert (line["remainingQuantity"], line["totalQuantity"], line["lineItem"]["sku"]) == (2, 2, "FUL-1")

    tracking = {"company": "UPS", "number": "1Z999", "url": "https://www.ups.com/track?tracknum=1Z999"}
    _, body = shop.graphql(FULFILL, {"f": {
        "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo["id"],
                                         "fulfillmentOrderLineItems": [{"id": line["id"], "quantity": 2}]}],
        "trackingInfo": tracking, "notifyCustomer": True}})
    created = body["data"]["fulfillmentCreate"]
    assert created["userErrors"] == []
    assert created["fulfillment"]["status"] == "SUCCESS"
    assert created["fulfillment"]["trackingInfo"] == [tracking]

    _, body = shop.graphql(FULFILLMENT_ORDERS, {"id": placed["order"]["admin_graphql_api_id"]})
    (fo,) = body["data"]["order"]["fulfillmentOrders"]["nodes"]
    assert fo["status"] == "CLOSED" and fo["lineItems"]["nodes"][0]["remainingQuantity"] == 0
    seen = shop.sim.get_order(shop.domain, placed["order"]["id"])
    assert seen["order"]["fulfillment_status"] == "fulfilled"
    assert (seen["fulfillments"][0]["tracking_company"], seen["fulfillments"][0]["tracking_number"]) == ("UPS", "1Z999")
    assert shop.sim.inventory(shop.domain, "FUL-1")["items"][0]["levels"][shop.location_id] == \
        {"available": 3, "committed": 0, "on_hand": 3}


def test_over_fulfilling_a_line_is_a_user_error_and_changes_nothing(shop: ShopHandle):
    shop.item("FUL-2", 5)
    placed = shop.sim.place_order(shop.domain, [{"sku": "FUL-2", "quantity": 1}])
    _, body = shop.graphql(FULFILLMENT_ORDERS, {"id": placed["order"]["admin_graphql_api_id"]})
    fo = body["data"]["order"]["fulfillmentOrders"]["nodes"][0]
    line = fo["lineItems"]["nodes"][0]
    _, body = shop.graphql(FULFILL, {"f": {"lineItemsByFulfillmentOrder": [
        {"fulfillmentOrderId": fo["id"], "fulfillmentOrderLineItems": [{"id": line["id"], "quantity": 2}]}]}})
    created = body["data"]["fulfillmentCreate"]
    assert created["fulfillment"] is None
    assert created["userErrors"] == [{
        "field": ["fulfillment", "lineItemsByFulfillmentOrder", "0", "fulfillmentOrderLineItems", "0", "quantity"],
        "message": "Invalid fulfillment order line item quantity requested.",
    }]
    assert shop.sim.get_order(shop.domain, placed["order"]["id"])["fulfillment_orders"][0]["status"] == "OPEN"


# --------------------------------------------------------------------------- request log


def test_request_log_records_operation_cost_throttling_and_quantity_count(shop: ShopHandle):
    a, b = shop.item("LOG-A", 1), shop.item("LOG-B", 1)
    shop.graphql(SET_WITH_IDS, {"input": set_input(shop, (a, 2, 1), (b, 3, 1)), "key": "k-log"})
    (entry,) = shop.requests()
    assert entry["operation_name"] == "Set"
    assert entry["root_fields"] == ["inventorySetQuantities"]
    assert (entry["requested_cost"], entry["actual_cost"], entry["throttled"]) == (13, 13, False)
    assert entry["quantities"] == 2
    assert entry["idempotency_key"] == "k-log"


def test_fulfilment_can_be_followed_by_an_orders_updated_webhook(receiver):
    """Given a simulator sending orders/updated on fulfilment, When lines are fulfilled, Then the
    subscriber receives the order as fulfilled, after (not inside) the GraphQL answer."""
    sim = ShopifySimulator(orders_updated_on_fulfillment=True)
    shop = new_shop(sim)
    shop.item("UPD-1", 5)
    sim.subscribe(shop.domain, "orders/updated", receiver.url)
    placed = sim.place_order(shop.domain, [{"sku": "UPD-1", "quantity": 1}])
    _, body = shop.graphql(FULFILLMENT_ORDERS, {"id": placed["order"]["admin_graphql_api_id"]})
    fo_id = body["data"]["order"]["fulfillmentOrders"]["nodes"][0]["id"]

    shop.graphql(FULFILL, {"f": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo_id}],
                                 "trackingInfo": {"company": "DHL", "number": "JD0001"}}})
    sim.wait_for_deliveries()

    (delivery,) = receiver.deliveries
    assert delivery.headers["X-Shopify-Topic"] == "orders/updated"
    order = delivery.json()
    assert order["fulfillment_status"] == "fulfilled"
    assert (order["fulfillments"][0]["tracking_company"], order["fulfillments"][0]["tracking_number"]) == \
        ("DHL", "JD0001")
