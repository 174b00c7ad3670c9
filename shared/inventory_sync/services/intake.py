"""Webhook intake: verify the channel's signature over the raw body, dedupe on the channel's event
id, store the order and its stock effect in one transaction, answer fast. No channel call here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import replace
from typing import Any, Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from inventory_sync.adapters.dynamo import TRANSACT_LIMIT, TransactionConflict, order_from_item, order_to_item, utcnow
from inventory_sync.domain import orders as order_rules
from inventory_sync.domain.bundles import UnitDraw
from inventory_sync.domain.model import Channel, Order, OrderLine, WarehouseSelection
from inventory_sync.errors import InvalidInput, NotFound, PayloadTooLarge, ServiceError, Unauthorized
from inventory_sync.ports import CounterDelta
from inventory_sync.services.recompute import load_catalog

MAX_BODY_BYTES = 1024 * 1024
ORDER_TOPICS = {"orders/create", "orders/updated", "orders/cancelled"}


class NotImplementedYet(ServiceError):
    status = 501
    code = "not_implemented"


# ---- Shopify payloads (the REST resources; unknown fields are ignored) ---------------------------

class ShopifyLineItem(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: int
    sku: str | None = None
    quantity: int = Field(ge=0)
    variant_id: int | None = None
    fulfillable_quantity: int | None = Field(default=None, ge=0)
    admin_graphql_api_id: str | None = None


class ShopifyOrder(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: int
    admin_graphql_api_id: str | None = None
    name: str | None = None
    cancelled_at: str | None = None
    updated_at: str | None = None
    line_items: list[ShopifyLineItem] = Field(default_factory=list)


class ShopifyInventoryLevel(BaseModel):
    model_config = ConfigDict(extra="ignore")
    inventory_item_id: int
    location_id: int
    available: int | None = None
    updated_at: str | None = None


def _field_of(exc: ValidationError) -> str:
    loc = exc.errors()[0].get("loc", ())
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def verify_shopify_hmac(raw_body: bytes, header_value: str | None, secrets: list[str]) -> bool:
    """Base64 HMAC-SHA256 of the raw body, compared in constant time; any current secret may match."""
    if not header_value:
        return False
    for secret in secrets:
        digest = base64.b64encode(hmac.new(secret.encode(), raw_body, hashlib.sha256).digest()).decode()
        if hmac.compare_digest(digest, header_value.strip()):
            return True
    return False


def handle_webhook(deps: Any, channel_type: str, channel_id: str, headers: Mapping[str, str],
                   raw_body: bytes) -> dict:
    """Returns the answer's body; raises a ServiceError for every refusal (nothing stored then)."""
    if len(raw_body) > MAX_BODY_BYTES:
        raise PayloadTooLarge("webhook body is over 1 MB", field="body")
    if channel_type not in ("shopify", "bigcommerce"):
        raise NotFound(f"unknown channel type {channel_type}", field="channel_type")
    repo = deps.repo
    account_id = repo.account_for_channel(channel_id)
    channel = repo.get_channel(account_id, channel_id) if account_id else None
    if channel is None or channel.type != channel_type:
        raise NotFound(f"unknown channel {channel_id}", field="channel_id")
    secret = deps.secrets.get_channel_secret(account_id, channel_id) or {}
    h = {k.lower(): v for k, v in headers.items()}
    if channel_type == "bigcommerce":
        supplied = h.get("x-invsync-webhook-secret", "")
        if not secret.get("webhook_secret") or not hmac.compare_digest(supplied, secret["webhook_secret"]):
            raise Unauthorized("webhook secret header missing or wrong")
        raise NotImplementedYet("BigCommerce webhooks are verified but not processed yet")
    candidates = [s for s in (secret.get("webhook_secret"), secret.get("previous_webhook_secret")) if s]
    if not verify_shopify_hmac(raw_body, h.get("x-shopify-hmac-sha256"), candidates):
        raise Unauthorized("X-Shopify-Hmac-Sha256 missing or does not match the body")
    topic = h.get("x-shopify-topic")
    if not topic:
        raise InvalidInput("X-Shopify-Topic header is required", field="X-Shopify-Topic")
    event_id = h.get("x-shopify-event-id") or h.get("x-shopify-webhook-id")
    if not event_id:
        raise InvalidInput("X-Shopify-Event-Id header is required", field="X-Shopify-Event-Id")
    try:
        payload = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"body is not JSON: {exc}", field="body") from exc
    if not isinstance(payload, dict):
        raise InvalidInput("body must be a JSON object", field="body")
    if topic in ORDER_TOPICS:
        try:
            order = ShopifyOrder.model_validate(payload)
        except ValidationError as exc:
            raise InvalidInput(exc.errors()[0]["msg"], field=_field_of(exc)) from exc
        return OrderIntake(deps, channel, event_id, h.get("x-shopify-triggered-at")).apply(topic, order)
    if topic == "inventory_levels/update":
        try:
            level = ShopifyInventoryLevel.model_validate(payload)
        except ValidationError as exc:
            raise InvalidInput(exc.errors()[0]["msg"], field=_field_of(exc)) from exc
        return record_inventory_level(deps, channel, event_id, level)
    stored = repo.apply_counter_deltas(account_id, [], f"webhook:{channel_id}", event_id)
    return {"status": "ignored" if stored else "duplicate", "topic": topic}


def record_inventory_level(deps: Any, channel: Channel, event_id: str, level: ShopifyInventoryLevel) -> dict:
    """The channel's own count, kept for explain and drift checks. It triggers no push: the count may
    already reflect an order whose webhook is on its way, and raising it back would oversell."""
    repo = deps.repo
    stored = repo.record_channel_level(channel.account_id, channel.channel_id, event_id,
                                       f"gid://shopify/InventoryItem/{level.inventory_item_id}",
                                       level.available, level.updated_at)
    return {"status": "stored" if stored else "duplicate", "topic": "inventory_levels/update"}


class OrderIntake:
    """Stores a channel order (create, update or cancel) and its stock effect, once."""

    def __init__(self, deps: Any, channel: Channel, event_id: str, triggered_at: str | None):
        self.deps = deps
        self.repo = deps.repo
        self.channel = channel
        self.account_id = channel.account_id
        self.event_id = event_id
        self.triggered_at = triggered_at

    @property
    def dedupe_scope(self) -> str:
        return f"webhook:{self.channel.channel_id}"

    def order_id(self, order: ShopifyOrder) -> str:
        return f"{self.channel.channel_id}-{order.id}"

    def apply(self, topic: str, order: ShopifyOrder) -> dict:
        if self.repo.dedupe_seen(self.account_id, self.dedupe_scope, [self.event_id]):
            return {"status": "duplicate", "order_id": self.order_id(order)}
        for _ in range(5):  # a concurrent delivery for the same order: re-read and try again
            existing = self.repo.get_order_item(self.account_id, self.order_id(order))
            try:
                if existing is None:
                    return self._create(order, cancelled=topic == "orders/cancelled" or bool(order.cancelled_at))
                return self._update(existing, order, cancel=topic == "orders/cancelled" or bool(order.cancelled_at))
            except TransactionConflict:
                if self.repo.dedupe_seen(self.account_id, self.dedupe_scope, [self.event_id]):
                    return {"status": "duplicate", "order_id": self.order_id(order)}
        raise TransactionConflict(["retries exhausted"])

    # -- create --------------------------------------------------------------------------------------
    def _master_skus(self, order: ShopifyOrder) -> dict[str, str]:
        """listing SKU -> master SKU (through the listing we keep, else the SKU itself)."""
        listing_skus = [li.sku for li in order.line_items if li.sku]
        listings = self.repo.get_listings(self.account_id, self.channel.channel_id, listing_skus)
        return {s: (listings[s].sku if s in listings else s) for s in listing_skus}

    def _create(self, order: ShopifyOrder, cancelled: bool) -> dict:
        order_id = self.order_id(order)
        master = self._master_skus(order)
        lines = [OrderLine(line_id=str(li.id), sku=master[li.sku], quantity=li.quantity, listing_sku=li.sku,
                           channel_line_id=li.admin_graphql_api_id or f"gid://shopify/LineItem/{li.id}")
                 for li in order.line_items if li.sku and li.quantity > 0]
        catalog = load_catalog(self.repo, self.account_id, {l.sku for l in lines})
        ops = [self.repo.op_dedupe(self.account_id, self.dedupe_scope, self.event_id)]
        deltas: list[tuple[str, CounterDelta]] = []
        supplier_orders: dict[str, list[OrderLine]] = {}
        planned: list[OrderLine] = []
        plans = order_rules.route_order_lines(lines, catalog.products, self.channel, catalog)
        for line, plan in zip(lines, plans):
            if plan.routed_to:
                portal = self._portal_to(plan.routed_to)
                line = replace(line, routed_to=plan.routed_to,
                               warehouse_id=portal.warehouse_id if portal else None)
                supplier_orders.setdefault(plan.routed_to, []).append(line)
            else:
                line = replace(line, warehouse_id=plan.warehouse_id, draws=draws_to_store(plan.draws))
                if not cancelled:
                    deltas += [(self.account_id, to_counter(d)) for d in plan.commits]
            planned.append(line)
        linked = []
        for supplier_id, s_lines in supplier_orders.items():
            s_order, s_deltas = self._supplier_order(supplier_id, order_id, s_lines, cancelled)
            linked.append({"account_id": supplier_id, "order_id": s_order.order_id, "role": "supplier"})
            ops.append(self.repo.op_put(order_to_item(s_order), "attribute_not_exists(pk)"))
            deltas += [(supplier_id, d) for d in s_deltas]
        merchant_order = Order(self.account_id, order_id, "channel", self.channel.channel_id,
                               status="cancelled" if cancelled else "open", lines=tuple(planned),
                               channel_order_id=order.admin_graphql_api_id or f"gid://shopify/Order/{order.id}",
                               linked_orders=tuple(linked))
        item = order_to_item(merchant_order) | {"channel_updated_at": order.updated_at, "name": order.name}
        ops.append(self.repo.op_put(item, "attribute_not_exists(pk)"))
        self._commit(ops, _merge(deltas), [] if cancelled else self._seen_deltas(order), f"{order_id}#0")
        return {"status": "stored", "order_id": order_id, "linked_orders": linked}

    def _commit(self, head: list[dict], deltas: list[tuple[str, CounterDelta]], seen: list[tuple[str, str, int]],
                pending_key: str) -> None:
        """Stores the order and its stock effects atomically. An order too big for one transaction
        stores its effects as a pending record in the order's transaction, then applies them in
        chunks, each once; the stream finishes the job if this process dies in between."""
        listings = self.repo.get_listings(self.account_id, self.channel.channel_id, [l for _, l, _ in seen])
        seen_ops = [self.repo.op_seen_delta(self.account_id, c, l, n) for c, l, n in seen
                    if l in listings and listings[l].last_seen is not None]
        effect_ops = [self.repo.op_stock_delta(acct, d) for acct, d in deltas] + seen_ops
        if len(head) + len(effect_ops) <= TRANSACT_LIMIT:
            self.repo.transact(head + effect_ops)
            return
        self.repo.transact(head + [self.repo.op_put_pending(self.account_id, pending_key, deltas, seen)])
        pending = self.repo.get_pending(self.account_id, pending_key)
        if pending:
            self.repo.apply_pending(pending)

    def _portal_to(self, supplier_id: str):
        for p in self.repo.portals_for_account(self.account_id):
            if p.supplier_account_id == supplier_id and p.merchant_account_id == self.account_id:
                return p
        return None

    def _supplier_order(self, supplier_id: str, order_id: str, lines: list[OrderLine],
                        cancelled: bool) -> tuple[Order, list[CounterDelta]]:
        """The merchant's lines for a supplier's products become an order in the supplier's account,
        committed there once (DESIGN: an order line commits once)."""
        portal = self._portal_to(supplier_id)
        source_id = portal.portal_id if portal else self.account_id
        s_lines = [OrderLine(line_id=l.line_id, sku=l.sku, quantity=l.quantity) for l in lines]
        s_catalog = load_catalog(self.repo, supplier_id, {l.sku for l in s_lines})
        pseudo_channel = Channel(account_id=supplier_id, channel_id=f"portal:{source_id}", type="portal",
                                 location_id="", warehouses=WarehouseSelection(mode="combined"))
        plans = order_rules.route_order_lines(s_lines, s_catalog.products, pseudo_channel, s_catalog)
        out_lines, deltas = [], []
        for line, plan in zip(s_lines, plans):
            line = replace(line, warehouse_id=plan.warehouse_id, draws=draws_to_store(plan.draws))
            out_lines.append(line)
            if not cancelled:
                deltas += [to_counter(d) for d in plan.commits]
        s_order = Order(supplier_id, order_id, "portal", source_id, status="cancelled" if cancelled else "open",
                        lines=tuple(out_lines),
                        linked_orders=({"account_id": self.account_id, "order_id": order_id, "role": "merchant"},))
        return s_order, deltas

    def _seen_deltas(self, order: ShopifyOrder) -> list[tuple[str, str, int]]:
        """The channel moved first: it took these units off its count when the order was placed."""
        by_listing: dict[str, int] = {}
        for li in order.line_items:
            if li.sku and li.quantity:
                by_listing[li.sku] = by_listing.get(li.sku, 0) + li.quantity
        return [(self.channel.channel_id, sku, -qty) for sku, qty in by_listing.items()]

    # -- update / cancel -----------------------------------------------------------------------------
    def _update(self, existing: dict, order: ShopifyOrder, cancel: bool) -> dict:
        current = order_from_item(existing)
        order_id = current.order_id
        version = int(existing.get("version", 0))
        if existing.get("channel_updated_at") and order.updated_at and order.updated_at < existing["channel_updated_at"]:
            self.repo.transact([self.repo.op_dedupe(self.account_id, self.dedupe_scope, self.event_id)])
            return {"status": "stale", "order_id": order_id}
        ops = [self.repo.op_dedupe(self.account_id, self.dedupe_scope, self.event_id)]
        deltas: list[tuple[str, CounterDelta]] = []
        new_lines = []
        status = current.status
        if cancel and current.status != "cancelled":
            for line in current.lines:
                open_qty = line.quantity - line.shipped - line.cancelled
                if open_qty > 0 and not line.routed_to and line.warehouse_id:
                    deltas += [(self.account_id, to_counter(d)) for d in release(line, "cancel", open_qty)]
                new_lines.append(replace(line, cancelled=line.cancelled + max(0, open_qty)))
            status = "cancelled"
            for link in current.linked_orders:
                if link.get("role") == "supplier":
                    ops_s, deltas_s = self._cancel_supplier_order(link["account_id"], link["order_id"])
                    ops += ops_s
                    deltas += [(link["account_id"], d) for d in deltas_s]
        else:
            fulfillable = {str(li.id): li.fulfillable_quantity for li in order.line_items}
            for line in current.lines:
                open_qty = line.quantity - line.shipped - line.cancelled
                left = fulfillable.get(line.line_id)
                if left is not None and not line.routed_to and line.warehouse_id and left < open_qty:
                    # fulfilled on the channel itself: the units left our warehouse
                    shipped_now = open_qty - left
                    deltas += [(self.account_id, to_counter(d)) for d in release(line, "ship", shipped_now)]
                    line = replace(line, shipped=line.shipped + shipped_now)
                new_lines.append(line)
            if all(l.quantity - l.shipped - l.cancelled <= 0 for l in new_lines) and new_lines:
                status = "shipped"
        ops.append(self.repo.op_update(
            {"pk": existing["pk"], "sk": existing["sk"]},
            "SET #lines = :lines, #status = :status, channel_updated_at = :u, updated_at = :t ADD version :one",
            {"#lines": "lines", "#status": "status"},
            {"lines": [line_to_store(l) for l in new_lines], "status": status, "u": order.updated_at or utcnow(),
             "t": utcnow(), "one": 1, "v": version},
            condition="attribute_not_exists(version) OR version = :v",
        ))
        self._commit(ops, _merge(deltas), [], f"{order_id}#{version + 1}")
        return {"status": "cancelled" if status == "cancelled" else "updated", "order_id": order_id}

    def _cancel_supplier_order(self, supplier_id: str, order_id: str) -> tuple[list[dict], list[CounterDelta]]:
        item = self.repo.get_order_item(supplier_id, order_id)
        if not item:
            return [], []
        s_order = order_from_item(item)
        if s_order.status == "cancelled":
            return [], []
        deltas, lines = [], []
        for line in s_order.lines:
            open_qty = line.quantity - line.shipped - line.cancelled
            if open_qty > 0 and line.warehouse_id:
                deltas += [to_counter(d) for d in release(line, "cancel", open_qty)]
            lines.append(replace(line, cancelled=line.cancelled + max(0, open_qty)))
        op = self.repo.op_update(
            {"pk": item["pk"], "sk": item["sk"]},
            "SET #lines = :lines, #status = :status, updated_at = :t ADD version :one",
            {"#lines": "lines", "#status": "status"},
            {"lines": [line_to_store(l) for l in lines], "status": "cancelled", "t": utcnow(), "one": 1,
             "v": int(item.get("version", 0))},
            condition="attribute_not_exists(version) OR version = :v",
        )
        return [op], deltas


def _merge(deltas: list[tuple[str, CounterDelta]]) -> list[tuple[str, CounterDelta]]:
    """One update per stock item: a transaction may touch an item only once."""
    merged: dict[tuple[str, str, str], CounterDelta] = {}
    for acct, d in deltas:
        key = (acct, d.sku, d.warehouse_id)
        prev = merged.get(key)
        merged[key] = d if prev is None else CounterDelta(d.sku, d.warehouse_id, prev.on_hand + d.on_hand,
                                                          prev.committed + d.committed)
    return [(k[0], d) for k, d in merged.items()]


def draws_to_store(draws: tuple[UnitDraw, ...]) -> tuple[dict, ...]:
    return tuple({"units": d.units, "per_unit": [list(p) for p in d.per_unit]} for d in draws)


def draws_from_store(stored: tuple[dict, ...]) -> tuple[UnitDraw, ...]:
    return tuple(UnitDraw(int(d["units"]), tuple((p[0], int(p[1])) for p in d["per_unit"])) for d in stored)


def release(line: OrderLine, event: str, quantity: int) -> tuple[order_rules.StockDelta, ...]:
    """Stock deltas of shipping or cancelling `quantity` more units of a stored line."""
    plan = order_rules.line_plan_for_stored_line(line, draws_from_store(line.draws))
    return order_rules.stock_effects(plan, event, quantity, already=line.shipped + line.cancelled)


def to_counter(delta: order_rules.StockDelta) -> CounterDelta:
    return CounterDelta(delta.sku, delta.warehouse_id, on_hand=delta.on_hand_delta, committed=delta.committed_delta)


def line_to_store(line: OrderLine) -> dict:
    from dataclasses import asdict

    return asdict(line)
