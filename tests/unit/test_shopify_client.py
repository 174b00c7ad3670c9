"""The production Shopify client: what it sends is valid 2026-07, and what it gets back is typed.

Documents are checked statically against the schema; behaviour is checked against the simulator
on loopback (real urllib3, real HTTP), one rule per test.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from graphql import parse, validate
from graphql.execution.values import get_variable_values
from graphql.language import (
    ArgumentNode,
    FieldNode,
    OperationDefinitionNode,
    OperationType,
    StringValueNode,
    VariableNode,
    visit,
)
from graphql.language.visitor import Visitor

from inventory_sync.adapters import shopify as mod
from inventory_sync.adapters.shopify import (
    MAX_QUANTITIES_PER_CALL,
    SetQuantity,
    ShopifyAuthError,
    ShopifyClient,
    ShopifyQueryError,
    ShopifyThrottled,
    ShopifyUnavailable,
    ThrottleStatus,
    document_examples,
    documents,
    estimate_lookup_cost,
    estimate_read_cost,
    estimate_set_cost,
    sku_search_query,
)
from inventory_sync.errors import Retryable
from tests.shopify_fixtures import (  # noqa: F401 - pytest fixtures
    ShopHandle,
    clock,
    new_shop,
    shop,
    shopify_schema,
    simulator,
)

DOCS = documents()


def client_for(shop: ShopHandle, token: str | None = None) -> ShopifyClient:
    return ShopifyClient(shop.api_base_url(), token or shop.token)


def _operation(document: str) -> OperationDefinitionNode:
    (op,) = [d for d in parse(document).definitions if isinstance(d, OperationDefinitionNode)]
    return op


# --------------------------------------------------------------------------- documents


@pytest.mark.parametrize("name", sorted(DOCS))
def test_every_document_is_valid_against_the_2026_07_schema(shopify_schema, name: str):
    assert validate(shopify_schema, parse(DOCS[name])) == []


@pytest.mark.parametrize("name", sorted(DOCS))
def test_every_documents_representative_variables_coerce_to_the_declared_types(shopify_schema, name: str):
    op = _operation(DOCS[name])
    assert op.name is not None and op.name.value == name
    coerced = get_variable_values(shopify_schema, op.variable_definitions, document_examples()[name])
    assert isinstance(coerced, dict), coerced


def test_every_mutation_that_documents_idempotency_carries_idempotent_with_a_variable_key(shopify_schema):
    """Shopify accepts @idempotent only where a mutation documents it (and requires it there from
    2026-04): each such mutation field we send has it, keyed by a variable; the others do not."""
    mutation_fields = 0
    for name, document in DOCS.items():
        op = _operation(document)
        if op.operation != OperationType.MUTATION:
            continue
        for sel in op.selection_set.selections:
            assert isinstance(sel, FieldNode)
            mutation_fields += 1
            field_def = shopify_schema.mutation_type.fields[sel.name.value]
            supports = "@idempotent" in (field_def.description or "")
            directives = [d for d in sel.directives if d.name.value == "idempotent"]
            if supports:
                (directive,) = directives
                (arg,) = directive.arguments
                assert arg.name.value == "key" and isinstance(arg.value, VariableNode), name
            else:
                assert directives == [], f"{name}: {sel.name.value} does not document @idempotent"
    assert mutation_fields == 2
    set_field = _operation(DOCS["InventorySyncSetAvailable"]).selection_set.selections[0]
    assert set_field.name.value == "inventorySetQuantities"
    assert [d.name.value for d in set_field.directives] == ["idempotent"]


def test_every_quantity_sent_carries_change_from_quantity_even_when_null():
    variables = document_examples()["InventorySyncSetAvailable"]
    quantities = variables["input"]["quantities"]
    assert len(quantities) == 2
    assert all("changeFromQuantity" in q for q in quantities)
    assert [q["changeFromQuantity"] for q in quantities] == [0, None]


def test_documents_take_their_data_from_variables_not_interpolation():
    """No literal in any document except the constant quantity-name list `names: ["available"]`."""

    class Literals(Visitor):
        def __init__(self) -> None:
            super().__init__()
            self.found: list[str] = []

        def enter_string_value(self, node: StringValueNode, key, parent, path, ancestors):
            if not any(isinstance(a, ArgumentNode) and a.name.value == "names" for a in ancestors):
                self.found.append(node.value)

    for name, document in DOCS.items():
        visitor = Literals()
        visit(parse(document), visitor)
        assert visitor.found == [], name
        assert "gid://" not in document


def test_skus_are_quoted_and_escaped_in_the_search_query():
    assert sku_search_query(["A-1", 'we"ird \\ sku', "x OR y"]) == \
        'sku:"A-1" OR sku:"we\\"ird \\\\ sku" OR sku:"x OR y"'


def test_more_than_250_quantities_is_refused_before_sending():
    client = ShopifyClient("http://127.0.0.1:9", "t", http=ExplodingHttp())
    too_many = [SetQuantity(f"gid://shopify/InventoryItem/{i}", 1, None) for i in range(MAX_QUANTITIES_PER_CALL + 1)]
    with pytest.raises(ValueError, match="at most 250"):
        client.set_available(too_many, "gid://shopify/Location/1", "k", "gid://inventory-sync/Push/1")
    with pytest.raises(ValueError):
        estimate_set_cost(251)


def test_for_shop_domain_targets_the_shop_over_https_and_repr_hides_the_token():
    client = ShopifyClient.for_shop_domain("demo.myshopify.com", "shpat_secret")
    assert client.endpoint == "https://demo.myshopify.com/admin/api/2026-07/graphql.json"
    assert "shpat_secret" not in repr(client)


# --------------------------------------------------------------------------- against the simulator


def test_lookup_batches_skus_keeps_every_duplicate_and_reports_missing_ones(shop: ShopHandle):
    """Given 60 SKUs (one duplicated, one with a quote), When looked up, Then 2 batched calls find all."""
    ids = {f"SKU-{i}": shop.item(f"SKU-{i}", i) for i in range(58)}
    duplicate = shop.item("SKU-0", 1)
    odd = shop.item('odd "sku"', 1)
    client = client_for(shop)

    found = client.lookup_inventory_items([*ids, 'odd "sku"', "MISSING"])

    assert found["SKU-0"] == [ids["SKU-0"], duplicate]
    assert all(found[sku] == [item] for sku, item in ids.items() if sku != "SKU-0")
    assert found['odd "sku"'] == [odd]
    assert found["MISSING"] == []
    calls = shop.requests()
    assert [c["operation_name"] for c in calls] == ["InventorySyncLookupVariants"] * 2
    assert [c["requested_cost"] for c in calls] == [estimate_lookup_cost(50), estimate_lookup_cost(10)]


def test_lookup_follows_pages_when_a_batch_has_more_hits_than_a_page(shop: ShopHandle):
    items = [shop.item("POPULAR", None) for _ in range(mod.LOOKUP_PAGE_SIZE + 5)]
    found = client_for(shop).lookup_inventory_items(["POPULAR"])
    assert found["POPULAR"] == items
    assert len(shop.requests()) == 2


def test_get_available_reads_in_batches_and_none_means_not_stocked(shop: ShopHandle):
    stocked = [shop.item(f"READ-{i}", i) for i in range(mod.ITEMS_PER_READ + 1)]
    unstocked = shop.item("READ-NONE", None)
    client = client_for(shop)

    available = client.get_available([*stocked, unstocked], shop.location_id)

    assert available == {**{item: i for i, item in enumerate(stocked)}, unstocked: None}
    assert [c["requested_cost"] for c in shop.requests()] == [estimate_read_cost(100), estimate_read_cost(2)]


def test_set_available_applies_with_compare_and_set_and_costs_the_estimate(shop: ShopHandle):
    a, b = shop.item("SET-A", 3), shop.item("SET-B", 0)
    client = client_for(shop)

    result = client.set_available([SetQuantity(a, 8, 3), SetQuantity(b, 2, None)], shop.location_id,
                                  idempotency_key="push-1", reference_document_uri="gid://inventory-sync/Push/1")

    assert result.applied and result.user_errors == [] and result.stale_item_ids == set()
    assert {(c.name, c.delta, c.item.id) for c in result.adjustment_group.changes} == {
        ("available", 5, a), ("on_hand", 5, a), ("available", 2, b), ("on_hand", 2, b)}
    assert (shop.available("SET-A"), shop.available("SET-B")) == (8, 2)
    assert result.requested_cost == estimate_set_cost(2) == 13
    assert result.throttle == client.last_throttle
    assert shop.requests()[-1]["quantities"] == 2


def test_stale_quantities_are_named_and_nothing_is_applied(shop: ShopHandle):
    """Given the channel sold one unit since we read 5, When we set from 5, Then that item is stale
    and the other item of the batch is not applied either."""
    sold, other = shop.item("STALE-1", 5), shop.item("STALE-2", 5)
    shop.sim.place_order(shop.domain, [{"sku": "STALE-1", "quantity": 1}])

    result = client_for(shop).set_available([SetQuantity(sold, 9, 5), SetQuantity(other, 9, 5)], shop.location_id,
                                            "push-2", "gid://inventory-sync/Push/2")

    assert not result.applied
    assert result.stale_item_ids == {sold}
    assert [e.code for e in result.user_errors] == ["CHANGE_FROM_QUANTITY_STALE"]
    assert (shop.available("STALE-1"), shop.available("STALE-2")) == (4, 5)


def test_retrying_with_the_same_key_returns_the_first_answer(shop: ShopHandle):
    item = shop.item("RETRY", 1)
    client = client_for(shop)
    args = ([SetQuantity(item, 4, 1)], shop.location_id, "push-3", "gid://inventory-sync/Push/3")
    first = client.set_available(*args)
    second = client.set_available(*args)
    assert second.applied and second.adjustment_group.id == first.adjustment_group.id
    assert shop.available("RETRY") == 4


def test_throttled_answer_raises_a_retryable_error_with_the_bucket_state(simulator):
    shop = new_shop(simulator, bucket_size=100, restore_rate=10)
    items = [shop.item(f"T-{i}", 1) for i in range(40)]
    client = client_for(shop)
    client.get_available(items[:30], shop.location_id)  # requested 90, leaves 10

    with pytest.raises(ShopifyThrottled) as caught:
        client.get_available(items[:30], shop.location_id)

    err = caught.value
    assert isinstance(err, Retryable)
    assert err.requested_cost == 90
    assert err.throttle == ThrottleStatus(maximum_available=100, currently_available=10, restore_rate=10)
    assert err.retry_after_seconds == pytest.approx(8.0)
    assert client.last_throttle.currently_available == 10


def test_throttled_as_http_429_is_the_same_error(simulator):
    shop = new_shop(simulator, bucket_size=10, restore_rate=1, throttle_status_code=429)
    with pytest.raises(ShopifyThrottled) as caught:
        client_for(shop).lookup_inventory_items(["X"])
    assert caught.value.status == 429


def test_wrong_token_raises_auth_error(shop: ShopHandle):
    with pytest.raises(ShopifyAuthError) as caught:
        client_for(shop, token="wrong").get_available(["gid://shopify/InventoryItem/1"], shop.location_id)
    assert caught.value.status == 401
    assert not isinstance(caught.value, Retryable)


def test_refused_query_raises_query_error_with_shopifys_code(simulator):
    shop = new_shop(simulator, max_query_cost=50)
    with pytest.raises(ShopifyQueryError) as caught:
        client_for(shop).lookup_inventory_items(["X"])
    assert caught.value.codes == ["MAX_COST_EXCEEDED"]


def test_network_failure_and_5xx_raise_retryable_unavailable():
    with pytest.raises(ShopifyUnavailable) as caught:
        ShopifyClient("http://127.0.0.1:9", "t", timeout=1.0).lookup_inventory_items(["X"])
    assert isinstance(caught.value, Retryable)
    with pytest.raises(ShopifyUnavailable) as caught:
        ShopifyClient("http://shop", "t", http=CannedHttp(503, b"<html>oops</html>")).lookup_inventory_items(["X"])
    assert caught.value.status == 503


def test_fulfillment_orders_and_fulfillment_with_tracking(shop: ShopHandle):
    shop.item("SHIP-1", 5)
    shop.item("SHIP-2", 5)
    placed = shop.sim.place_order(shop.domain, [{"sku": "SHIP-1", "quantity": 2}, {"sku": "SHIP-2", "quantity": 1}])
    client = client_for(shop)

    (fo,) = client.fulfillment_orders(placed["order"]["admin_graphql_api_id"])
    assert (fo.status, fo.location_id) == ("OPEN", shop.location_id)
    assert [(ln.sku, ln.remaining_quantity) for ln in fo.line_items] == [("SHIP-1", 2), ("SHIP-2", 1)]

    partial = client.create_fulfillment({fo.id: [(fo.line_items[0].id, 2)]}, "UPS", "1Z1",
                                        "https://www.ups.com/track?tracknum=1Z1")
    assert partial.created and partial.status == "SUCCESS"
    assert [(t.company, t.number, t.url) for t in partial.tracking] == [
        ("UPS", "1Z1", "https://www.ups.com/track?tracknum=1Z1")]
    assert client.fulfillment_orders(placed["order"]["admin_graphql_api_id"])[0].status == "IN_PROGRESS"

    rest = client.create_fulfillment([fo.id], "USPS", "9400")
    assert rest.created
    (closed,) = client.fulfillment_orders(placed["order"]["admin_graphql_api_id"])
    assert closed.status == "CLOSED"

    again = client.create_fulfillment([fo.id], "USPS", "9400")
    assert not again.created and again.user_errors


def test_unknown_order_has_no_fulfillment_orders(shop: ShopHandle):
    assert client_for(shop).fulfillment_orders("gid://shopify/Order/42") == []


def test_clients_share_one_pool_and_are_safe_to_use_from_threads(shop: ShopHandle):
    items = [shop.item(f"THREAD-{i}", i) for i in range(8)]
    client = client_for(shop)
    results: list[dict] = []
    threads = [threading.Thread(target=lambda: results.append(client.get_available(items, shop.location_id)))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [{item: i for i, item in enumerate(items)}] * 4
    assert mod.default_http() is mod.default_http()


# --------------------------------------------------------------------------- test doubles


class CannedResponse:
    def __init__(self, status: int, data: bytes, headers: dict[str, str] | None = None):
        self.status, self.data, self.headers = status, data, headers or {}


class CannedHttp:
    """Answers every request with one canned response (for statuses the simulator never gives)."""

    def __init__(self, status: int, data: bytes):
        self.response = CannedResponse(status, data)

    def request(self, *args: Any, **kwargs: Any) -> CannedResponse:
        return self.response


class ExplodingHttp:
    def request(self, *args: Any, **kwargs: Any):
        raise AssertionError("no request should be sent")

