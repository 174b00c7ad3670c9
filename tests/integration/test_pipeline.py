"""The four flows through their real handlers on moto, against the Shopify simulator.

Setup goes through the repository (the operator API has its own suite); every step after that is
a real Lambda event: API Gateway for webhooks, DynamoDB stream records, SQS batches.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from invsync_local.simulators.shopify import ShopifySimulator, sign_webhook
from inventory_sync import wiring
from inventory_sync.domain.model import (
    Account,
    AccountKind,
    Channel,
    Portal,
    Product,
    Warehouse,
)
from inventory_sync.ports import StockChange

SHOP = "merchant.myshopify.com"
TOKEN = "shpat_test"
SECRET = "whsec_test"


@pytest.fixture(scope="module")
def sim():
    with ShopifySimulator() as s:
        yield s


@pytest.fixture
def shop(sim):
    sim.reset()
    summary = sim.create_shop(SHOP, access_token=TOKEN, webhook_secret=SECRET)
    return summary["locations"][0]["id"]


class Pipeline:
    """Drives stream and queues through the handlers until nothing is left to do."""

    def __init__(self, aws: Any, handlers: dict[str, Any], ctx: Any):
        self.aws, self.h, self.ctx = aws, handlers, ctx

    def pump(self, rounds: int = 20) -> None:
        for _ in range(rounds):
            busy = False
            records = self.aws.stream_records()
            if records:
                busy = True
                out = self.h["quantity_recompute"].handler({"Records": records}, self.ctx)
                assert out["batchItemFailures"] == []
            for queue, fn in (("recompute", "quantity_recompute"), ("push", "channel_push"),
                              ("tracking", "tracking_relay")):
                event = self.aws.sqs_event(queue)
                if event["Records"]:
                    busy = True
                    out = self.h[fn].handler(event, self.ctx)
                    failed = {f["itemIdentifier"] for f in out.get("batchItemFailures", [])}
                    assert not failed, f"{fn} failed {failed}"
                    for r in event["Records"]:
                        self.aws.sqs.delete_message(QueueUrl=self.aws.queues[queue], ReceiptHandle=r["receiptHandle"])
            if not busy:
                return
        raise AssertionError("pipeline did not settle")

    def webhook(self, topic: str, payload: dict, event_id: str, secret: str = SECRET, channel_id: str = "shop") -> dict:
        body = json.dumps(payload)
        headers = {"X-Shopify-Topic": topic, "X-Shopify-Hmac-Sha256": sign_webhook(secret, body.encode()),
                   "X-Shopify-Event-Id": event_id, "X-Shopify-Shop-Domain": SHOP,
                   "X-Shopify-Triggered-At": "2026-11-22T10:00:00Z", "X-Shopify-Webhook-Id": event_id + "-w",
                   "X-Shopify-API-Version": "2026-07", "Content-Type": "application/json"}
        event = {"resource": "/webhooks/{channel_type}/{channel_id}", "path": f"/webhooks/shopify/{channel_id}",
                 "httpMethod": "POST", "headers": headers, "pathParameters": {"channel_type": "shopify",
                                                                             "channel_id": channel_id},
                 "queryStringParameters": None, "body": body, "isBase64Encoded": False,
                 "requestContext": {"requestId": "r", "stage": "test"}}
        return self.h["webhook_intake"].handler(event, self.ctx)


@pytest.fixture
def pipe(aws, handlers, lambda_context) -> Pipeline:
    return Pipeline(aws, handlers, lambda_context)


def merchant_with_channel(sim, location: str, on_hand: int = 10, sku: str = "WIDGET") -> Any:
    d = wiring.deps()
    repo = d.repo
    repo.create_account(Account("m1", "Merchant", AccountKind.MERCHANT))
    repo.put_warehouse("m1", Warehouse("main", "Main"))
    repo.put_product("m1", Product(sku, "Widget"))
    repo.apply_stock_changes("m1", [StockChange(sku, "main", "set", on_hand, "receipt")])
    repo.put_channel(Channel("m1", "shop", "shopify", location, api_base_url=sim.api_base_url(SHOP)))
    d.secrets.put_channel_secret("m1", "shop", {"credentials": {"shop_domain": SHOP, "access_token": TOKEN},
                                                "webhook_secret": SECRET})
    sim.create_variant(SHOP, sku, quantities={location: 0})
    return d


def available_on(sim, sku: str, location: str) -> int:
    items = sim.inventory(SHOP, sku)["items"]
    return int(items[0]["levels"][location]["available"])


def set_calls(sim) -> list[dict]:
    return [e for e in sim.requests(SHOP) if "inventorySetQuantities" in json.dumps(e)]


def order_payload(order_id: int, sku: str, quantity: int, **extra: Any) -> dict:
    return {"id": order_id, "admin_graphql_api_id": f"gid://shopify/Order/{order_id}", "name": f"#{order_id}",
            "updated_at": "2026-11-22T10:00:00Z", "cancelled_at": None,
            "line_items": [{"id": order_id * 10, "sku": sku, "quantity": quantity, "fulfillable_quantity": quantity,
                            "admin_graphql_api_id": f"gid://shopify/LineItem/{order_id * 10}"}], **extra}


def test_stock_change_reaches_shopify_through_stream_recompute_and_push(sim, shop, pipe):
    """Given a merchant with 10 on hand and a Shopify channel, when the stream is processed,
    then the store shows 10 and sync history records the push."""
    d = merchant_with_channel(sim, shop, on_hand=10)
    pipe.pump()
    assert available_on(sim, "WIDGET", shop) == 10
    listing = d.repo.get_listings("m1", "shop", ["WIDGET"])["WIDGET"]
    assert (listing.desired, listing.last_pushed, listing.status) == (10, 10, "synced")
    history = d.repo.list_history("m1", sku="WIDGET").items
    assert [h.result for h in history] == ["pushed"]


def test_forged_webhook_is_refused_and_nothing_is_stored(sim, shop, pipe):
    """Given a channel, when an order arrives signed with the wrong secret, then 401 and no order."""
    d = merchant_with_channel(sim, shop)
    res = pipe.webhook("orders/create", order_payload(1001, "WIDGET", 2), "evt-1", secret="not-the-secret")
    assert res["statusCode"] == 401
    assert d.repo.get_order("m1", "shop-1001") is None
    assert d.repo.get_stock("m1", ["WIDGET"])["WIDGET"]["main"].committed == 0


def test_channel_order_commits_once_and_sends_nothing_when_the_channel_already_moved(sim, shop, pipe):
    """Given 10 synced to Shopify, when Shopify takes an order for 2 (its count drops first) and
    the webhook is delivered twice, then 2 are committed once, desired is 8, and no write is sent
    because the store already shows 8."""
    d = merchant_with_channel(sim, shop, on_hand=10)
    pipe.pump()
    writes_before = len(set_calls(sim))
    _set_inventory(sim, "WIDGET", 8)
    payload = order_payload(1001, "WIDGET", 2)
    assert pipe.webhook("orders/create", payload, "evt-1")["statusCode"] == 200
    again = pipe.webhook("orders/create", payload, "evt-1")
    assert json.loads(again["body"])["status"] == "duplicate"
    pipe.pump()
    level = d.repo.get_stock("m1", ["WIDGET"])["WIDGET"]["main"]
    assert (level.on_hand, level.committed) == (10, 2)
    assert d.repo.get_listings("m1", "shop", ["WIDGET"])["WIDGET"].desired == 8
    assert len(set_calls(sim)) == writes_before
    assert available_on(sim, "WIDGET", shop) == 8


def _set_inventory(sim, sku: str, available: int) -> None:
    sim.set_inventory(SHOP, available, sku=sku)


def test_cancelled_order_releases_committed_stock_and_pushes_it_back(sim, shop, pipe):
    """Given an open order for 2, when Shopify cancels it, then committed returns to 0 and the
    channel is set back to 10."""
    d = merchant_with_channel(sim, shop, on_hand=10)
    pipe.pump()
    _set_inventory(sim, "WIDGET", 8)
    pipe.webhook("orders/create", order_payload(1001, "WIDGET", 2), "evt-1")
    pipe.pump()
    _set_inventory(sim, "WIDGET", 10)  # Shopify restocks on cancel
    res = pipe.webhook("orders/cancelled", order_payload(1001, "WIDGET", 2, cancelled_at="2026-11-22T10:05:00Z",
                                                          updated_at="2026-11-22T10:05:00Z"), "evt-2")
    assert json.loads(res["body"])["status"] == "cancelled"
    pipe.pump()
    assert d.repo.get_stock("m1", ["WIDGET"])["WIDGET"]["main"].committed == 0
    assert available_on(sim, "WIDGET", shop) == 10
    assert d.repo.get_order("m1", "shop-1001").status == "cancelled"


def test_push_never_raises_the_channel_over_an_order_it_has_not_reported(sim, shop, pipe, monkeypatch):
    """Given 10 synced, when the store sells 3 that we haven't heard of and our number moves up to
    12 from a receipt, then the push does not overwrite the store's 7 at once (compare-and-set
    failed): the listing is deferred until the order webhook can land."""
    d = merchant_with_channel(sim, shop, on_hand=10)
    pipe.pump()
    _set_inventory(sim, "WIDGET", 7)  # an order on the channel, webhook not yet delivered
    d.repo.apply_stock_changes("m1", [StockChange("WIDGET", "main", "adjust", 2, "receipt")])
    pipe.pump()
    assert available_on(sim, "WIDGET", shop) == 7
    listing = d.repo.get_listings("m1", "shop", ["WIDGET"])["WIDGET"]
    assert listing.status == "deferred" and listing.last_seen == 7


def test_push_lowers_the_channel_at_once_when_it_shows_more_than_we_have(sim, shop, pipe):
    """Given 10 synced, when someone raised the store by hand to 50 and we then sell 4 elsewhere,
    then the push re-reads the store after the compare-and-set fails and lowers it to 6."""
    d = merchant_with_channel(sim, shop, on_hand=10)
    pipe.pump()
    _set_inventory(sim, "WIDGET", 50)
    d.repo.apply_stock_changes("m1", [StockChange("WIDGET", "main", "adjust", -4, "manual_adjustment")])
    pipe.pump()
    assert available_on(sim, "WIDGET", shop) == 6


def test_supplier_stock_flows_to_merchant_and_tracking_flows_back(sim, shop, pipe):
    """The field-docs example: the supplier's 375 become the merchant's on hand and Shopify's
    available; an order for 2 is routed to the supplier; every number becomes 373; the supplier's
    tracking number fulfils the Shopify order."""
    d = wiring.deps()
    repo = d.repo
    repo.create_account(Account("sup", "Supplier", AccountKind.SUPPLIER))
    repo.put_warehouse("sup", Warehouse("wh", "Supplier WH"))
    repo.create_account(Account("m1", "Merchant", AccountKind.MERCHANT))
    portal = Portal("p1", "sup", "m1", write_inventory=True, only_fulfilled_products=True)
    repo.create_portal(portal)
    repo.put_warehouse("m1", Warehouse(portal.warehouse_id, "Supplier stock", portal_id="p1"))
    repo.put_product("m1", Product("WILLOW", "Willow DVD", supplier_account_id="sup", auto_dropship=True))
    repo.put_product("sup", Product("WILLOW", "Willow DVD", imported_from_portal="p1"))
    repo.set_portal_fields("p1", {"products_imported": True})
    repo.put_channel(Channel("m1", "shop", "shopify", shop, api_base_url=sim.api_base_url(SHOP)))
    d.secrets.put_channel_secret("m1", "shop", {"credentials": {"shop_domain": SHOP, "access_token": TOKEN},
                                                "webhook_secret": SECRET})
    sim.create_variant(SHOP, "WILLOW", quantities={shop: 0})
    repo.apply_stock_changes("sup", [StockChange("WILLOW", "wh", "set", 375, "receipt")])
    pipe.pump()
    assert repo.get_stock("m1", ["WILLOW"])["WILLOW"][portal.warehouse_id].on_hand == 375
    assert available_on(sim, "WILLOW", shop) == 375

    _set_inventory(sim, "WILLOW", 373)
    assert pipe.webhook("orders/create", order_payload(2001, "WILLOW", 2), "evt-o")["statusCode"] == 200
    pipe.pump()
    supplier_order = repo.get_order("sup", "shop-2001")
    assert supplier_order is not None and supplier_order.source_kind == "portal"
    assert repo.get_stock("sup", ["WILLOW"])["WILLOW"]["wh"].available == 373
    merchant_level = repo.get_stock("m1", ["WILLOW"])["WILLOW"][portal.warehouse_id]
    assert (merchant_level.on_hand, merchant_level.committed) == (373, 0)
    assert available_on(sim, "WILLOW", shop) == 373


def test_a_failed_recompute_is_reported_and_its_retry_still_reaches_the_channel(sim, shop, pipe, aws, monkeypatch):
    """Invariant 1 (no lost change): the change is stored; recompute fails once; the stream batch
    reports the record as failed, so the retry (same records) recomputes and pushes."""
    d = merchant_with_channel(sim, shop, on_hand=10)
    records = aws.stream_records()
    import inventory_sync.services.stream as stream

    real = stream.load_view
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("DynamoDB went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(stream, "load_view", flaky)
    first = pipe.h["quantity_recompute"].handler({"Records": records}, pipe.ctx)
    failed = [f["itemIdentifier"] for f in first["batchItemFailures"]]
    assert failed and failed[0] in {r["dynamodb"]["SequenceNumber"] for r in records}
    retry_from = [r for r in records if int(r["dynamodb"]["SequenceNumber"]) >= int(min(failed, key=int))]
    assert pipe.h["quantity_recompute"].handler({"Records": retry_from}, pipe.ctx)["batchItemFailures"] == []
    pipe.pump()
    assert available_on(sim, "WIDGET", shop) == 10


def test_duplicate_signals_are_harmless_and_unchanged_values_are_not_resent(sim, shop, pipe, aws):
    """Invariant 4: signals carry which listing, not what quantity; three copies of one signal
    after the listing is synced send nothing."""
    merchant_with_channel(sim, shop, on_hand=10)
    pipe.pump()
    writes = len(set_calls(sim))
    wiring.deps().push_queue.send([{"account_id": "m1", "channel_id": "shop", "listing_sku": "WIDGET"}] * 3)
    pipe.pump()
    assert len(set_calls(sim)) == writes
    assert available_on(sim, "WIDGET", shop) == 10


def test_a_throttled_channel_gets_its_work_back_later_not_hot(sim, shop, pipe, aws):
    """Invariant 5: when the store's bucket is empty, the push is answered THROTTLED once; the
    signal goes back on the queue with a delay, and the shared budget now knows the bucket is low."""
    d = merchant_with_channel(sim, shop, on_hand=10)
    sim.set_bucket(SHOP, currently_available=0, restore_rate=1)
    pipe.pump()
    attrs = aws.sqs.get_queue_attributes(QueueUrl=aws.queues["push"], AttributeNames=["All"])["Attributes"]
    assert int(attrs["ApproximateNumberOfMessagesDelayed"]) >= 1
    budget = d.repo.get_budget("shopify#m1#shop")
    assert budget is not None and budget["available"] < 50 and budget["rate"] == 1
    throttled = [e for e in sim.requests(SHOP) if e["throttled"]]
    assert len(throttled) <= 1


def test_by_warehouse_each_warehouse_shows_at_its_own_channel_location(sim, pipe):
    """field-docs/04, Inventory Sync Mode by Warehouse: the channel gets a per-warehouse breakdown;
    each warehouse's quantity (after the rules, per warehouse) is set at the location mapped to it."""
    sim.reset()
    summary = sim.create_shop(SHOP, access_token=TOKEN, webhook_secret=SECRET, locations=["East", "West"])
    east, west = (loc["id"] for loc in summary["locations"])
    d = wiring.deps()
    repo = d.repo
    repo.create_account(Account("m1", "Merchant", AccountKind.MERCHANT))
    repo.put_warehouse("m1", Warehouse("wh-east"))
    repo.put_warehouse("m1", Warehouse("wh-west"))
    repo.put_product("m1", Product("EDI-1", "EDI item"))
    repo.apply_stock_changes("m1", [StockChange("EDI-1", "wh-east", "set", 12, "receipt"),
                                    StockChange("EDI-1", "wh-west", "set", 5, "receipt")])
    from inventory_sync.domain.model import Rules

    repo.put_channel(Channel("m1", "shop", "shopify", east, api_base_url=sim.api_base_url(SHOP),
                             sync_mode="warehouse", rules=Rules(buffer=2),
                             locations={"wh-east": east, "wh-west": west}))
    d.secrets.put_channel_secret("m1", "shop", {"credentials": {"shop_domain": SHOP, "access_token": TOKEN},
                                                "webhook_secret": SECRET})
    sim.create_variant(SHOP, "EDI-1", quantities={east: 0, west: 0})
    pipe.pump()
    assert (available_on(sim, "EDI-1", east), available_on(sim, "EDI-1", west)) == (10, 3)
    listings = repo.get_listings("m1", "shop", ["EDI-1/wh-east", "EDI-1/wh-west"])
    assert {k: v.status for k, v in listings.items()} == {"EDI-1/wh-east": "synced", "EDI-1/wh-west": "synced"}
