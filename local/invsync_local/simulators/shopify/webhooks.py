"""Webhook deliveries as Shopify makes them (channel-apis.md section 3).

The body is the bare REST resource (here the Order, field names as in
`contracts/shopify/rest-fixtures/order.json`), serialised once; `X-Shopify-Hmac-Sha256` is the
base64 HMAC-SHA256 of exactly those bytes keyed with the shop's webhook secret (the app's client
secret). Each event has one `X-Shopify-Event-Id`, kept across redeliveries; each delivery has its
own `X-Shopify-Webhook-Id`. Deliveries are synchronous (urllib3, Shopify's 1 s connect / 5 s total
timeouts, no retries: redelivery is explicit, so tests control it).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from functools import lru_cache
from typing import Any

import urllib3

from .state import (
    Fulfillment,
    LineItem,
    Order,
    Shop,
    WebhookEvent,
    gid,
    iso_ms,
    iso_rest,
)

CONNECT_TIMEOUT_SECONDS = 1.0
READ_TIMEOUT_SECONDS = 5.0


def sign(secret: str, body: bytes) -> str:
    """`X-Shopify-Hmac-Sha256`: base64 (not hex) HMAC-SHA256 of the raw body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _line_item_json(li: LineItem, quantity: int | None = None) -> dict[str, Any]:
    return {
        "id": li.id,
        "admin_graphql_api_id": li.gid,
        "variant_id": li.variant_id,
        "product_id": li.product_id,
        "sku": li.sku,
        "title": li.title,
        "variant_title": li.variant_title,
        "name": li.title if not li.variant_title else f"{li.title} - {li.variant_title}",
        "quantity": li.quantity if quantity is None else quantity,
        "current_quantity": li.quantity - li.cancelled,
        "fulfillable_quantity": li.fulfillable,
        "fulfillment_status": li.fulfillment_status,
        "fulfillment_service": "manual",
        "requires_shipping": True,
        "variant_inventory_management": "shopify",
        "gift_card": False,
        "taxable": True,
        "grams": 0,
        "price": li.price,
        "total_discount": "0.00",
        "product_exists": True,
        "properties": [],
        "vendor": None,
    }


def fulfillment_json(shop: Shop, f: Fulfillment) -> dict[str, Any]:
    order = shop.orders[f.order_id]
    by_id = {li.id: li for li in order.line_items}
    return {
        "id": f.id,
        "admin_graphql_api_id": f.gid,
        "order_id": f.order_id,
        "location_id": f.location_id,
        "name": f.name,
        "status": f.status.lower(),
        "service": "manual",
        "shipment_status": None,
        "created_at": iso_rest(f.created_at),
        "updated_at": iso_rest(f.created_at),
        "tracking_company": f.tracking_company,
        "tracking_number": f.tracking_number,
        "tracking_numbers": [f.tracking_number] if f.tracking_number else [],
        "tracking_url": f.tracking_url,
        "tracking_urls": [f.tracking_url] if f.tracking_url else [],
        "line_items": [_line_item_json(by_id[fl.line_item_id], fl.quantity) for fl in f.lines],
    }


def order_json(shop: Shop, order: Order) -> dict[str, Any]:
    """The REST Order resource, the body of orders/create, orders/updated and orders/cancelled."""
    subtotal = sum(float(li.price) * li.quantity for li in order.line_items)
    money = f"{subtotal:.2f}"
    return {
        "id": order.id,
        "admin_graphql_api_id": order.gid,
        "name": order.name,
        "number": order.number - 1000,
        "order_number": order.number,
        "created_at": iso_rest(order.created_at),
        "updated_at": iso_rest(order.updated_at),
        "processed_at": iso_rest(order.created_at),
        "closed_at": None,
        "cancelled_at": iso_rest(order.cancelled_at) if order.cancelled_at is not None else None,
        "cancel_reason": order.cancel_reason,
        "confirmed": True,
        "financial_status": order.financial_status,
        "fulfillment_status": order.fulfillment_status,
        "test": order.test,
        "location_id": order.location_id,
        "source_name": order.source_name,
        "email": order.email,
        "contact_email": order.email,
        "currency": "USD",
        "presentment_currency": "USD",
        "token": order.token,
        "tags": "",
        "note": None,
        "note_attributes": [],
        "taxes_included": False,
        "total_discounts": "0.00",
        "subtotal_price": money,
        "total_line_items_price": money,
        "total_price": money,
        "total_tax": "0.00",
        "total_weight": 0,
        "buyer_accepts_marketing": False,
        "line_items": [_line_item_json(li) for li in order.line_items],
        "fulfillments": [fulfillment_json(shop, shop.fulfillments[fid]) for fid in order.fulfillment_ids],
        "shipping_lines": [],
        "tax_lines": [],
        "discount_codes": [],
        "customer": None,
    }


def new_event(shop: Shop, topic: str, order: Order, now: float) -> WebhookEvent:
    """Freeze the payload at trigger time (retries and redeliveries carry the original body)."""
    body = json.dumps(order_json(shop, order), separators=(",", ":")).encode()
    event = WebhookEvent(event_id=str(uuid.uuid4()), topic=topic, body=body, triggered_at=iso_ms(now),
                         order_id=order.id)
    shop.events[event.event_id] = event
    return event


def headers_for(shop: Shop, event: WebhookEvent, webhook_id: str, api_version: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "Shopify-Captain-Hook",
        "X-Shopify-Topic": event.topic,
        "X-Shopify-Hmac-Sha256": sign(shop.webhook_secret, event.body),
        "X-Shopify-Shop-Domain": shop.domain,
        "X-Shopify-API-Version": api_version,
        "X-Shopify-Webhook-Id": webhook_id,
        "X-Shopify-Event-Id": event.event_id,
        "X-Shopify-Triggered-At": event.triggered_at,
    }


@lru_cache(maxsize=1)
def _http() -> urllib3.PoolManager:
    return urllib3.PoolManager(
        retries=False,
        timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT_SECONDS, read=READ_TIMEOUT_SECONDS),
    )


def planned_deliveries(shop: Shop, event: WebhookEvent) -> list[dict[str, Any]]:
    """One delivery per subscription to the event's topic (taken under the state lock)."""
    out = []
    for sub in shop.subscriptions.values():
        if sub.topic != event.topic:
            continue
        webhook_id = str(uuid.uuid4())
        out.append({
            "address": sub.address,
            "subscription_id": gid("WebhookSubscription", sub.id),
            "webhook_id": webhook_id,
            "headers": headers_for(shop, event, webhook_id, sub.api_version),
        })
    return out


def deliver(event: WebhookEvent, planned: list[dict[str, Any]], http: urllib3.PoolManager | None = None
            ) -> list[dict[str, Any]]:
    """POST the event to each planned address (outside the state lock); report each status."""
    results = []
    pool = http or _http()
    for p in planned:
        result: dict[str, Any] = {
            "topic": event.topic, "event_id": event.event_id, "webhook_id": p["webhook_id"],
            "address": p["address"], "status": None, "error": None,
        }
        try:
            resp = pool.request("POST", p["address"], body=event.body, headers=p["headers"], redirect=False)
            result["status"] = resp.status
        except urllib3.exceptions.HTTPError as exc:
            result["error"] = f"{type(exc).__name__}: {exc}"
        results.append(result)
    event.deliveries.extend(results)
    return results
