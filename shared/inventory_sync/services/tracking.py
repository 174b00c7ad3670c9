"""Tracking relay: a supplier's shipment -> the merchant's order -> the merchant's channel.

Two hops, each idempotent:
1. A shipment on a portal order (supplier side) is recorded on the linked merchant order, once
   (dedupe record in the same transaction). That merchant shipment comes back through the stream.
2. A shipment on a channel order (merchant side) becomes a fulfilment with tracking on the channel.
   We remember the channel's fulfilment id on the shipment; if we died after the channel accepted
   but before we wrote it, the channel refuses the second fulfilment (nothing left to fulfil) and we
   take that as done.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Callable, Mapping

from inventory_sync.adapters.dynamo import TransactionConflict, acct_pk, order_from_item, utcnow
from inventory_sync.adapters.shopify import ShopifyThrottled, ShopifyUnavailable
from inventory_sync.domain.model import Channel
from inventory_sync.errors import Retryable
from inventory_sync.observability import logger
from inventory_sync.services.budget import SharedBucket
from inventory_sync.services.push import QUERY_COST, SET_COST, shopify_client_for


def shipment_sk(order_id: str, shipment_id: str) -> str:
    return f"SHIPMENT#{order_id}#{shipment_id}"


class ChannelRefused(Exception):
    """The channel refused the fulfilment for a reason a retry won't fix."""


def relay(deps: Any, msg: Mapping[str, Any],
          client_factory: Callable[[Any, Channel], Any] = shopify_client_for) -> str:
    repo = deps.repo
    account_id, order_id, shipment_id = msg["account_id"], msg["order_id"], msg["shipment_id"]
    shipment = repo.get_shipment(account_id, order_id, shipment_id)
    order_item = repo.get_order_item(account_id, order_id)
    if not shipment or not order_item:
        return "missing"
    order = order_from_item(order_item)
    if order.source_kind == "portal":
        return relay_to_merchant(deps, order, shipment)
    channel = repo.get_channel(account_id, order.source_id)
    if channel is None:
        return "no_channel"
    if channel.type != "shopify":
        _mark(repo, shipment, "unsupported_channel")
        return "unsupported_channel"
    return fulfil_on_shopify(deps, channel, order, shipment, client_factory)


def relay_to_merchant(deps: Any, supplier_order: Any, shipment: Mapping[str, Any]) -> str:
    repo = deps.repo
    relayed = 0
    for link in supplier_order.linked_orders:
        if link.get("role") != "merchant":
            continue
        m_account, m_order_id = link["account_id"], link["order_id"]
        m_item = repo.get_order_item(m_account, m_order_id)
        if not m_item:
            continue
        m_order = order_from_item(m_item)
        shipped = {l["line_id"]: int(l["quantity"]) for l in shipment.get("lines", [])}
        lines = []
        for line in m_order.lines:
            q = shipped.get(line.line_id, 0)
            lines.append(replace(line, shipped=min(line.quantity, line.shipped + q)) if q else line)
        status = "shipped" if all(l.shipped + l.cancelled >= l.quantity for l in lines) else "partially_shipped"
        m_shipment_id = f"{supplier_order.account_id}.{shipment['shipment_id']}"[:64]
        record = {"shipment_id": m_shipment_id, "lines": shipment.get("lines", []),
                  "carrier": shipment.get("carrier"), "tracking_number": shipment.get("tracking_number"),
                  "tracking_url": shipment.get("tracking_url"), "created_at": utcnow(),
                  "from_supplier": supplier_order.account_id}
        ops = [
            repo.op_dedupe(m_account, "relay", f"{supplier_order.account_id}/{shipment['shipment_id']}"),
            repo.op_put({"pk": acct_pk(m_account), "sk": shipment_sk(m_order_id, m_shipment_id), "kind": "shipment",
                         "account_id": m_account, "order_id": m_order_id, **record, "relay_status": "pending"}),
            repo.op_update({"pk": acct_pk(m_account), "sk": m_item["sk"]},
                           "SET #lines = :lines, #status = :status, shipments = list_append(if_not_exists(shipments, :empty), :s), "
                           "updated_at = :t ADD version :one",
                           {"#lines": "lines", "#status": "status"},
                           {"lines": [l.__dict__ for l in lines], "status": status, "empty": [], "s": [record],
                            "t": utcnow(), "one": 1, "v": int(m_item.get("version", 0))},
                           condition="attribute_not_exists(version) OR version = :v"),
        ]
        try:
            repo.transact(ops)
            relayed += 1
        except TransactionConflict as exc:
            if exc.reasons and exc.reasons[0] == "ConditionalCheckFailed":
                continue  # relayed before
            raise Retryable("merchant order changed concurrently") from exc
    _mark(repo, shipment, "relayed")
    return "relayed" if relayed else "already_relayed"


def fulfil_on_shopify(deps: Any, channel: Channel, order: Any, shipment: Mapping[str, Any],
                      client_factory: Callable[[Any, Channel], Any]) -> str:
    repo = deps.repo
    if shipment.get("channel_fulfillment_id"):
        return "already_fulfilled"
    bucket = SharedBucket(repo, f"shopify#{channel.account_id}#{channel.channel_id}")
    grant = bucket.acquire(QUERY_COST + SET_COST)
    if not grant.granted:
        deps.tracking_queue.send([_message(shipment)], delay_seconds=int(math.ceil(grant.wait_seconds)))
        return "requeued"
    client = client_factory(deps, channel)
    by_line = {l.line_id: l for l in order.lines}
    wanted: dict[str, int] = {}
    for entry in shipment.get("lines", []):
        line = by_line.get(entry["line_id"])
        if line and line.channel_line_id:
            wanted[line.channel_line_id] = wanted.get(line.channel_line_id, 0) + int(entry["quantity"])
    try:
        fulfillment_orders = client.fulfillment_orders(order.channel_order_id)
        plan: dict[str, list[tuple[str, int]]] = {}
        for fo in fulfillment_orders:
            if fo.status not in ("OPEN", "IN_PROGRESS"):
                continue
            for li in fo.line_items:
                need = wanted.get(li.line_item_id, 0)
                take = min(need, li.remaining_quantity)
                if take > 0:
                    plan.setdefault(fo.id, []).append((li.id, take))
                    wanted[li.line_item_id] = need - take
        if not plan:
            _mark(repo, shipment, "fulfilled", note="nothing left to fulfil on the channel")
            return "nothing_to_fulfil"
        result = client.create_fulfillment(plan, tracking_company=shipment.get("carrier"),
                                           tracking_number=shipment.get("tracking_number"),
                                           tracking_url=shipment.get("tracking_url"), notify_customer=True)
    except ShopifyThrottled as exc:
        deps.tracking_queue.send([_message(shipment)], delay_seconds=int(math.ceil(exc.retry_after_seconds)))
        return "requeued"
    except ShopifyUnavailable as exc:
        raise Retryable(str(exc)) from exc
    finally:
        t = getattr(client, "last_throttle", None)
        if t is not None:
            bucket.observe(t.maximum_available, t.currently_available, t.restore_rate)
    if result.user_errors:
        logger.warning("channel refused the fulfilment", extra={"errors": [e.message for e in result.user_errors]})
        _mark(repo, shipment, "failed", note="; ".join(e.message for e in result.user_errors))
        raise ChannelRefused("; ".join(e.message for e in result.user_errors))
    _mark(repo, shipment, "fulfilled", fulfillment_id=result.fulfillment_id)
    return "fulfilled"


def _message(shipment: Mapping[str, Any]) -> dict:
    return {"account_id": shipment["account_id"], "order_id": shipment["order_id"],
            "shipment_id": shipment["shipment_id"]}


def _mark(repo: Any, shipment: Mapping[str, Any], status: str, fulfillment_id: str | None = None,
          note: str | None = None) -> None:
    fields: dict[str, Any] = {"relay_status": status, "relayed_at": utcnow()}
    if fulfillment_id:
        fields["channel_fulfillment_id"] = fulfillment_id
    if note:
        fields["relay_note"] = note
    repo.set_item_fields(shipment["pk"], shipment["sk"], fields)
