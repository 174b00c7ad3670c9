"""Webhook intake refuses bad input whole: nothing is stored for a refused delivery."""

from __future__ import annotations

import json

import pytest

from invsync_local.simulators.shopify import sign_webhook
from inventory_sync import wiring
from inventory_sync.domain.model import Account, AccountKind, Channel, Product, Warehouse
from inventory_sync.ports import StockChange

SECRET = "whsec_intake"


@pytest.fixture
def channel(aws):
    d = wiring.deps()
    d.repo.create_account(Account("m1", "Merchant", AccountKind.MERCHANT))
    d.repo.put_warehouse("m1", Warehouse("main"))
    d.repo.put_product("m1", Product("SKU-1", "One"))
    d.repo.apply_stock_changes("m1", [StockChange("SKU-1", "main", "set", 5, "receipt")])
    d.repo.put_channel(Channel("m1", "shop", "shopify", "gid://shopify/Location/1"))
    d.secrets.put_channel_secret("m1", "shop", {"credentials": {"shop_domain": "x", "access_token": "t"},
                                                "webhook_secret": SECRET})
    return d


def deliver(handlers, ctx, body: str | bytes, *, topic="orders/create", event_id="e1", secret=SECRET,
            channel_id="shop", channel_type="shopify", headers=None):
    raw = body.encode() if isinstance(body, str) else body
    h = {"X-Shopify-Topic": topic, "X-Shopify-Event-Id": event_id,
         "X-Shopify-Hmac-Sha256": sign_webhook(secret, raw)}
    h.update(headers or {})
    event = {"httpMethod": "POST", "path": f"/webhooks/{channel_type}/{channel_id}", "headers": h,
             "pathParameters": {"channel_type": channel_type, "channel_id": channel_id},
             "body": raw.decode("utf-8", "replace"), "isBase64Encoded": False,
             "requestContext": {"requestId": "r"}}
    res = handlers["webhook_intake"].handler(event, ctx)
    return res["statusCode"], json.loads(res["body"])


def stored_orders(aws) -> list:
    items = aws.ddb.scan(TableName=aws.table)["Items"]
    return [i for i in items if i["sk"]["S"].startswith(("ORDER#", "DEDUPE#"))]


def committed(d) -> int:
    return d.repo.get_stock("m1", ["SKU-1"])["SKU-1"]["main"].committed


ORDER = json.dumps({"id": 7, "line_items": [{"id": 70, "sku": "SKU-1", "quantity": 1}]})


def test_valid_order_is_stored_with_its_commit(aws, channel, handlers, lambda_context):
    status, body = deliver(handlers, lambda_context, ORDER)
    assert status == 200 and body["order_id"] == "shop-7"
    assert committed(channel) == 1


def test_missing_signature_gets_401(aws, channel, handlers, lambda_context):
    status, body = deliver(handlers, lambda_context, ORDER, headers={"X-Shopify-Hmac-Sha256": ""})
    assert status == 401 and body["error"]["code"] == "unauthorized"
    assert stored_orders(aws) == [] and committed(channel) == 0


def test_malformed_json_names_the_body(aws, channel, handlers, lambda_context):
    status, body = deliver(handlers, lambda_context, "{not json")
    assert status == 400 and body["error"]["field"] == "body"
    assert stored_orders(aws) == []


def test_missing_field_is_named(aws, channel, handlers, lambda_context):
    status, body = deliver(handlers, lambda_context, json.dumps({"line_items": []}))
    assert status == 400 and body["error"]["field"] == "id"
    assert stored_orders(aws) == []


def test_wrong_type_is_named_with_its_path(aws, channel, handlers, lambda_context):
    bad = json.dumps({"id": 7, "line_items": [{"id": 70, "sku": "SKU-1", "quantity": "two"}]})
    status, body = deliver(handlers, lambda_context, bad)
    assert status == 400 and body["error"]["field"] == "line_items[0].quantity"
    assert stored_orders(aws) == [] and committed(channel) == 0


def test_unknown_channel_is_404(aws, channel, handlers, lambda_context):
    status, body = deliver(handlers, lambda_context, ORDER, channel_id="nope")
    assert status == 404 and body["error"]["field"] == "channel_id"


def test_unknown_channel_type_is_404(aws, channel, handlers, lambda_context):
    status, _ = deliver(handlers, lambda_context, ORDER, channel_type="ebay")
    assert status == 404


def test_body_over_one_megabyte_is_413(aws, channel, handlers, lambda_context):
    big = json.dumps({"id": 7, "line_items": [], "note": "x" * (1024 * 1024)})
    status, _ = deliver(handlers, lambda_context, big)
    assert status == 413 and stored_orders(aws) == []


def test_missing_event_id_is_named(aws, channel, handlers, lambda_context):
    status, body = deliver(handlers, lambda_context, ORDER, event_id="")
    assert status == 400 and body["error"]["field"] == "X-Shopify-Event-Id"


def test_same_event_twice_is_stored_once(aws, channel, handlers, lambda_context):
    deliver(handlers, lambda_context, ORDER)
    status, body = deliver(handlers, lambda_context, ORDER)
    assert status == 200 and body["status"] == "duplicate"
    assert committed(channel) == 1


def test_a_different_event_for_the_same_order_does_not_commit_again(aws, channel, handlers, lambda_context):
    """orders/updated arriving for an order we hold changes nothing when nothing changed."""
    deliver(handlers, lambda_context, ORDER)
    status, body = deliver(handlers, lambda_context, ORDER, topic="orders/updated", event_id="e2")
    assert status == 200 and body["status"] == "updated"
    assert committed(channel) == 1


def test_updated_before_create_creates_the_order_once(aws, channel, handlers, lambda_context):
    """Shopify does not guarantee order: the first event we see for an order creates it."""
    deliver(handlers, lambda_context, ORDER, topic="orders/updated", event_id="e2")
    deliver(handlers, lambda_context, ORDER, topic="orders/create", event_id="e1")
    assert committed(channel) == 1


def test_other_topics_are_acknowledged_and_ignored(aws, channel, handlers, lambda_context):
    status, body = deliver(handlers, lambda_context, json.dumps({"id": 1}), topic="products/update")
    assert status == 200 and body["status"] == "ignored"


def big_order(lines: int) -> str:
    return json.dumps({"id": 9, "line_items": [{"id": 900 + i, "sku": f"BIG-{i}", "quantity": 1}
                                               for i in range(lines)]})


def test_an_order_too_big_for_one_transaction_commits_every_line_once(aws, channel, handlers, lambda_context):
    """Given an order of 150 lines (more than one transaction holds), when it is delivered twice,
    then every line is committed exactly once and no pending record is left."""
    d = channel
    status, _ = deliver(handlers, lambda_context, big_order(150))
    assert status == 200
    deliver(handlers, lambda_context, big_order(150))
    stock = d.repo.get_stock("m1", [f"BIG-{i}" for i in range(150)])
    assert sorted({levels["main"].committed for levels in stock.values()}) == [1]
    items = aws.ddb.scan(TableName=aws.table)["Items"]
    assert not [i for i in items if i["sk"]["S"].startswith("PENDING#")]


def test_pending_effects_left_by_a_dead_writer_are_applied_from_the_stream(aws, channel, handlers,
                                                                           lambda_context, monkeypatch):
    """Given the writer dies right after storing a big order (before applying its effects), when
    the stream delivers the pending record, then recompute applies every effect once."""
    from inventory_sync.adapters.dynamo import DynamoRepository

    def die(self, item):
        raise SystemExit("the writer died")

    with monkeypatch.context() as patch:
        patch.setattr(DynamoRepository, "apply_pending", die)
        with pytest.raises(SystemExit):
            deliver(handlers, lambda_context, big_order(120))
    d = wiring.deps()
    assert d.repo.get_stock("m1", ["BIG-0"])["BIG-0"].get("main") is None
    records = aws.stream_records()
    out = handlers["quantity_recompute"].handler({"Records": records}, lambda_context)
    assert out["batchItemFailures"] == []
    stock = d.repo.get_stock("m1", [f"BIG-{i}" for i in range(120)])
    assert sorted({levels["main"].committed for levels in stock.values()}) == [1]
