"""The simulated shops: catalogue, inventory levels, orders, fulfilments, buckets, idempotency keys.

Everything here is plain data plus the rules Shopify applies to it; the GraphQL layer
(`graphql_exec.py`) and the control API (`server.py`) call into it under `SimulatorState.lock`.

Inventory quantities per (item, location): `available`, `committed`, `on_hand`, with
`on_hand = available + committed` kept by applying every change as a delta:

* placing an order: available -q, committed +q (the channel moves first);
* fulfilling: committed -q, on_hand -q;
* cancelling with restock: available +q, committed -q; without restock: committed -q, on_hand -q
  (the units are written off);
* `inventorySetQuantities(name: "available")`: available := q, on_hand moves by the same delta
  (as the capture shows: both changes are reported); `name: "on_hand"`: on_hand := q, available
  moves by the same delta.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

Clock = Callable[[], float]

QUANTITY_NAMES = (
    "available", "on_hand", "committed", "incoming", "reserved", "damaged", "quality_control", "safety_stock",
)
SETTABLE_NAMES = ("available", "on_hand")
VALID_REASONS = (
    "correction", "cycle_count_available", "damaged", "movement_canceled", "movement_created",
    "movement_received", "movement_updated", "other", "promotion", "quality_control", "received",
    "reservation_created", "reservation_deleted", "reservation_updated", "restock", "safety_stock",
    "shrinkage",
)
QUANTITY_LIMIT = 1_000_000_000
WEBHOOK_TOPICS = ("orders/create", "orders/updated", "orders/cancelled")
DEFAULT_API_VERSION = "2026-07"
DEFAULT_IDEMPOTENCY_TTL_SECONDS = 24 * 3600


class ManualClock:
    """An injectable clock for tests: epoch seconds that only move when told to."""

    def __init__(self, start: float = 1_782_000_000.0):
        self._now = float(start)
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        with self._lock:
            self._now += float(seconds)
            return self._now

    def set(self, now: float) -> None:
        with self._lock:
            self._now = float(now)


class SimulatorError(Exception):
    """A control-API request the simulator refuses (mapped to an HTTP status by the server)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


# --------------------------------------------------------------------------- ids and times


def gid(kind: str, num: int) -> str:
    return f"gid://shopify/{kind}/{num}"


_GID = re.compile(r"^gid://shopify/(?P<kind>[A-Za-z]+)/(?P<num>\d+)(?:\?.*)?$")


def parse_gid(value: Any, kind: str | None = None) -> int | None:
    """The numeric id of a Shopify GID of the given kind (a bare number is accepted too)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str):
        return None
    if value.isdigit():
        return int(value)
    m = _GID.match(value)
    if not m or (kind is not None and m.group("kind") != kind):
        return None
    return int(m.group("num"))


def iso_z(epoch: float) -> str:
    """GraphQL DateTime: `2026-06-25T01:33:55Z`."""
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_rest(epoch: float) -> str:
    """REST/webhook timestamps: `2026-06-25T01:33:55+00:00` (the shop's zone is UTC)."""
    return datetime.fromtimestamp(epoch, timezone.utc).replace(microsecond=0).isoformat()


def iso_ms(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


# --------------------------------------------------------------------------- rate limit


@dataclass
class LeakyBucket:
    """Shopify's cost bucket for one (app, shop): `capacity` points, refilled at `restore_rate`/s."""

    capacity: float
    restore_rate: float
    available: float
    updated_at: float

    def refill(self, now: float) -> float:
        elapsed = max(0.0, now - self.updated_at)
        self.available = min(self.capacity, self.available + elapsed * self.restore_rate)
        self.updated_at = now
        return self.available

    def take(self, cost: float, now: float) -> bool:
        self.refill(now)
        if cost > self.available:
            return False
        self.available -= cost
        return True

    def refund(self, points: float, now: float) -> None:
        self.refill(now)
        self.available = min(self.capacity, self.available + max(0.0, points))

    def status(self, now: float) -> dict[str, Any]:
        self.refill(now)
        return {
            "maximumAvailable": _num(self.capacity),
            "currentlyAvailable": int(self.available),
            "restoreRate": _num(self.restore_rate),
        }


def _num(x: float) -> int | float:
    return int(x) if float(x).is_integer() else x


# --------------------------------------------------------------------------- catalogue and stock


@dataclass
class Location:
    id: int
    name: str
    level_id: int  # the numeric part of InventoryLevel GIDs at this location
    active: bool = True

    @property
    def gid(self) -> str:
        return gid("Location", self.id)


@dataclass
class Level:
    available: int = 0
    committed: int = 0
    on_hand: int = 0
    created_at: float = 0.0
    updated_at: float = 0.0

    def get(self, name: str) -> int:
        return getattr(self, name) if name in ("available", "committed", "on_hand") else 0


@dataclass
class InventoryItem:
    id: int
    sku: str | None
    variant_id: int
    tracked: bool = True
    levels: dict[int, Level] = field(default_factory=dict)  # location id -> level

    @property
    def gid(self) -> str:
        return gid("InventoryItem", self.id)


@dataclass
class Product:
    id: int
    title: str
    handle: str
    variant_ids: list[int] = field(default_factory=list)
    created_at: float = 0.0

    @property
    def gid(self) -> str:
        return gid("Product", self.id)


@dataclass
class Variant:
    id: int
    product_id: int
    inventory_item_id: int
    sku: str | None
    title: str
    price: str = "10.00"

    @property
    def gid(self) -> str:
        return gid("ProductVariant", self.id)


@dataclass
class Change:
    name: str
    delta: int
    item_id: int
    location_id: int


@dataclass
class AdjustmentGroup:
    id: int
    created_at: float
    reason: str
    reference_document_uri: str | None
    changes: list[Change]

    @property
    def gid(self) -> str:
        return gid("InventoryAdjustmentGroup", self.id)


@dataclass
class IdempotencyRecord:
    fingerprint: str
    payload: dict[str, Any]  # what the resolver returned the first time (re-resolved on replay)
    created_at: float


# --------------------------------------------------------------------------- orders


@dataclass
class LineItem:
    id: int
    variant_id: int | None
    product_id: int | None
    sku: str | None
    title: str
    variant_title: str | None
    price: str
    quantity: int
    fulfilled: int = 0
    cancelled: int = 0  # units removed by cancellation

    @property
    def gid(self) -> str:
        return gid("LineItem", self.id)

    @property
    def fulfillable(self) -> int:
        return self.quantity - self.fulfilled - self.cancelled

    @property
    def fulfillment_status(self) -> str | None:
        if self.fulfilled == 0:
            return None
        return "fulfilled" if self.fulfillable == 0 else "partial"


@dataclass
class FulfillmentOrderLine:
    id: int
    line_item_id: int
    total_quantity: int
    remaining_quantity: int

    @property
    def gid(self) -> str:
        return gid("FulfillmentOrderLineItem", self.id)


@dataclass
class FulfillmentOrder:
    id: int
    order_id: int
    location_id: int
    status: str  # OPEN | IN_PROGRESS | CLOSED | CANCELLED
    lines: list[FulfillmentOrderLine]
    created_at: float
    updated_at: float

    @property
    def gid(self) -> str:
        return gid("FulfillmentOrder", self.id)


@dataclass
class FulfillmentLine:
    id: int
    fulfillment_order_line_id: int
    line_item_id: int
    quantity: int


@dataclass
class Fulfillment:
    id: int
    order_id: int
    location_id: int
    name: str
    status: str  # SUCCESS
    tracking_company: str | None
    tracking_number: str | None
    tracking_url: str | None
    notify_customer: bool
    message: str | None
    lines: list[FulfillmentLine]
    created_at: float
    fulfillment_order_ids: list[int]

    @property
    def gid(self) -> str:
        return gid("Fulfillment", self.id)


@dataclass
class Order:
    id: int
    number: int
    name: str
    created_at: float
    updated_at: float
    location_id: int
    line_items: list[LineItem]
    fulfillment_order_ids: list[int] = field(default_factory=list)
    fulfillment_ids: list[int] = field(default_factory=list)
    cancelled_at: float | None = None
    cancel_reason: str | None = None
    financial_status: str = "paid"
    test: bool = False
    source_name: str = "web"
    email: str = "customer@example.com"
    token: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def gid(self) -> str:
        return gid("Order", self.id)

    @property
    def fulfillment_status(self) -> str | None:
        fulfilled = sum(li.fulfilled for li in self.line_items)
        if fulfilled == 0:
            return None
        return "fulfilled" if all(li.fulfillable == 0 for li in self.line_items) else "partial"


# --------------------------------------------------------------------------- webhooks and log


@dataclass
class WebhookSubscription:
    id: int
    topic: str
    address: str
    api_version: str
    created_at: float

    @property
    def gid(self) -> str:
        return gid("WebhookSubscription", self.id)


@dataclass
class WebhookEvent:
    event_id: str
    topic: str
    body: bytes
    triggered_at: str
    order_id: int | None
    deliveries: list[dict] = field(default_factory=list)


@dataclass
class RequestLogEntry:
    seq: int
    shop_domain: str
    at: float
    api_version: str
    operation_name: str | None
    operation_type: str | None
    root_fields: list[str]
    requested_cost: int | None
    actual_cost: int | None
    throttled: bool
    status: int
    error_codes: list[str]
    quantities: int | None  # inventorySetQuantities: how many quantities were sent
    idempotency_key: str | None
    idempotent_replay: bool
    currently_available: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq, "shop_domain": self.shop_domain, "at": self.at, "api_version": self.api_version,
            "operation_name": self.operation_name, "operation_type": self.operation_type,
            "root_fields": self.root_fields, "requested_cost": self.requested_cost,
            "actual_cost": self.actual_cost, "throttled": self.throttled, "status": self.status,
            "error_codes": self.error_codes, "quantities": self.quantities,
            "idempotency_key": self.idempotency_key, "idempotent_replay": self.idempotent_replay,
            "currently_available": self.currently_available,
        }


# --------------------------------------------------------------------------- the shop


def _user_error(field_path: list[str] | None, message: str, code: str | None = None) -> dict[str, Any]:
    err: dict[str, Any] = {"field": field_path, "message": message}
    if code is not None:
        err["code"] = code
    return err


_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:.+$")


def _valid_reference_uri(uri: str) -> bool:
    if not _URI.match(uri):
        return False
    if uri.startswith("gid://"):
        parts = uri[len("gid://"):].split("/")
        return len(parts) == 3 and all(parts)
    return True


@dataclass
class Shop:
    domain: str
    access_token: str
    webhook_secret: str
    bucket: LeakyBucket
    throttle_status_code: int = 200
    max_query_cost: int = 1000
    idempotency_ttl: float = DEFAULT_IDEMPOTENCY_TTL_SECONDS
    name: str = ""
    locations: dict[int, Location] = field(default_factory=dict)
    products: dict[int, Product] = field(default_factory=dict)
    variants: dict[int, Variant] = field(default_factory=dict)
    items: dict[int, InventoryItem] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)
    fulfillment_orders: dict[int, FulfillmentOrder] = field(default_factory=dict)
    fulfillments: dict[int, Fulfillment] = field(default_factory=dict)
    adjustment_groups: dict[int, AdjustmentGroup] = field(default_factory=dict)
    idempotency: dict[str, IdempotencyRecord] = field(default_factory=dict)
    subscriptions: dict[int, WebhookSubscription] = field(default_factory=dict)
    events: dict[str, WebhookEvent] = field(default_factory=dict)
    next_order_number: int = 1001

    @property
    def primary_location(self) -> Location:
        return next(iter(self.locations.values()))

    def location(self, value: Any) -> Location | None:
        num = parse_gid(value, "Location")
        return self.locations.get(num) if num is not None else None

    def item(self, value: Any) -> InventoryItem | None:
        num = parse_gid(value, "InventoryItem")
        return self.items.get(num) if num is not None else None

    def variants_by_sku(self, sku: str) -> list[Variant]:
        return [v for v in self.variants.values() if v.sku == sku]

    # ------------------------------------------------------------------ idempotency

    def idempotent_lookup(self, key: str, now: float) -> IdempotencyRecord | None:
        rec = self.idempotency.get(key)
        if rec is not None and now - rec.created_at > self.idempotency_ttl:
            del self.idempotency[key]
            return None
        return rec

    # ------------------------------------------------------------------ inventorySetQuantities

    def set_quantities(self, data: dict[str, Any], new_id: Callable[[], int], now: float
                       ) -> tuple[AdjustmentGroup | None, list[dict[str, Any]]]:
        """Apply `InventorySetQuantitiesInput` atomically: any user error means nothing is applied.

        Every error found is reported (not only the first), so a caller sees all stale items of a
        batch at once. Field paths follow the captures: `["input", "quantities", "<i>", "<field>"]`.
        Compare-and-set compares `changeFromQuantity` with the current quantity of `name`; an
        explicit null skips the check.
        """
        errors: list[dict[str, Any]] = []
        name = data.get("name")
        reason = data.get("reason")
        uri = data.get("referenceDocumentUri")
        quantities = data.get("quantities") or []
        if name not in SETTABLE_NAMES:
            errors.append(_user_error(["input", "name"],
                                      "The quantity name must be either 'available' or 'on_hand'.", "INVALID_NAME"))
        if reason not in VALID_REASONS:
            errors.append(_user_error(
                ["input", "reason"],
                "The specified reason is invalid. Valid values are: " + ", ".join(VALID_REASONS) + ".",
                "INVALID_REASON"))
        if uri is not None and not _valid_reference_uri(uri):
            errors.append(_user_error(["input", "referenceDocumentUri"],
                                      "The specified reference document is invalid.", "INVALID_REFERENCE_DOCUMENT"))
        seen: set[tuple[int, int]] = set()
        plan: list[tuple[InventoryItem, Location, int]] = []
        for i, q in enumerate(quantities):
            base = ["input", "quantities", str(i)]
            item = self.item(q.get("inventoryItemId"))
            loc = self.location(q.get("locationId"))
            qty = q.get("quantity")
            if item is None:
                errors.append(_user_error([*base, "inventoryItemId"],
                                          "The specified inventory item could not be found.", "INVALID_INVENTORY_ITEM"))
            if loc is None:
                errors.append(_user_error([*base, "locationId"],
                                          "The specified location could not be found.", "INVALID_LOCATION"))
            if qty > QUANTITY_LIMIT:
                errors.append(_user_error([*base, "quantity"], "The quantity can't be higher than 1,000,000,000.",
                                          "INVALID_QUANTITY_TOO_HIGH"))
            elif qty < -QUANTITY_LIMIT:
                errors.append(_user_error([*base, "quantity"], "The quantity can't be lower than -1,000,000,000.",
                                          "INVALID_QUANTITY_TOO_LOW"))
            elif qty < 0 and name == "on_hand":
                errors.append(_user_error([*base, "quantity"], "The quantity can't be negative.",
                                          "INVALID_QUANTITY_NEGATIVE"))
            if item is None or loc is None:
                continue
            if (item.id, loc.id) in seen:
                errors.append(_user_error(base, "The combination of inventoryItemId and locationId must be unique.",
                                          "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR"))
                continue
            seen.add((item.id, loc.id))
            level = item.levels.get(loc.id)
            if level is None:
                errors.append(_user_error([*base, "locationId"],
                                          "The specified inventory item is not stocked at the location.",
                                          "ITEM_NOT_STOCKED_AT_LOCATION"))
                continue
            expected = q.get("changeFromQuantity")
            if expected is not None and name in SETTABLE_NAMES and level.get(name) != expected:
                errors.append(_user_error([*base, "changeFromQuantity"],
                                          "The changeFromQuantity value does not match persisted value.",
                                          "CHANGE_FROM_QUANTITY_STALE"))
                continue
            plan.append((item, loc, qty))
        if errors:
            return None, errors
        changes: list[Change] = []
        other = "on_hand" if name == "available" else "available"
        for item, loc, qty in plan:
            level = item.levels[loc.id]
            delta = qty - level.get(name)
            if delta == 0:
                continue
            setattr(level, name, qty)
            setattr(level, other, level.get(other) + delta)
            level.updated_at = now
            changes.append(Change(name, delta, item.id, loc.id))
            changes.append(Change(other, delta, item.id, loc.id))
        group = AdjustmentGroup(new_id(), now, reason, uri, changes)
        self.adjustment_groups[group.id] = group
        return group, []

    # ------------------------------------------------------------------ fulfilment

    def create_fulfillment(self, data: dict[str, Any], message: str | None, new_id: Callable[[], int],
                           now: float) -> tuple[Fulfillment | None, list[dict[str, Any]]]:
        """`fulfillmentCreate`: all-or-nothing; over-fulfilling a line is a user error."""
        groups = data.get("lineItemsByFulfillmentOrder") or []
        errors: list[dict[str, Any]] = []
        if not groups:
            return None, [_user_error(["fulfillment", "lineItemsByFulfillmentOrder"],
                                      "Line items by fulfillment order must contain at least one fulfillment order.")]
        plan: list[tuple[FulfillmentOrder, FulfillmentOrderLine, int]] = []
        orders: set[int] = set()
        locations: set[int] = set()
        for i, g in enumerate(groups):
            base = ["fulfillment", "lineItemsByFulfillmentOrder", str(i)]
            fo_num = parse_gid(g.get("fulfillmentOrderId"), "FulfillmentOrder")
            fo = self.fulfillment_orders.get(fo_num) if fo_num is not None else None
            if fo is None:
                errors.append(_user_error([*base, "fulfillmentOrderId"], "Fulfillment order does not exist."))
                continue
            orders.add(fo.order_id)
            locations.add(fo.location_id)
            if fo.status not in ("OPEN", "IN_PROGRESS"):
                errors.append(_user_error(
                    [*base, "fulfillmentOrderId"],
                    f"Fulfillment order {fo.id} has an unfulfillable status= {fo.status.lower()}."))
                continue
            requested = g.get("fulfillmentOrderLineItems")
            if not requested:
                for line in fo.lines:
                    if line.remaining_quantity > 0:
                        plan.append((fo, line, line.remaining_quantity))
                continue
            wanted: dict[int, int] = {}
            for j, r in enumerate(requested):
                lbase = [*base, "fulfillmentOrderLineItems", str(j)]
                line_num = parse_gid(r.get("id"), "FulfillmentOrderLineItem")
                line = next((ln for ln in fo.lines if ln.id == line_num), None)
                if line is None:
                    errors.append(_user_error([*lbase, "id"], "Fulfillment order line item does not exist."))
                    continue
                if r.get("quantity", 0) <= 0:
                    errors.append(_user_error([*lbase, "quantity"], "Quantity must be greater than 0."))
                    continue
                wanted[line.id] = wanted.get(line.id, 0) + r["quantity"]
                if wanted[line.id] > line.remaining_quantity:
                    errors.append(_user_error([*lbase, "quantity"],
                                              "Invalid fulfillment order line item quantity requested."))
                    continue
            for line in fo.lines:
                if line.id in wanted and wanted[line.id] <= line.remaining_quantity:
                    plan.append((fo, line, wanted[line.id]))
        if len(orders) > 1:
            errors.append(_user_error(["fulfillment"], "All fulfillment orders must belong to the same order."))
        if len(locations) > 1:
            errors.append(_user_error(["fulfillment"], "All fulfillment orders must be assigned to the same location."))
        if not errors and not plan:
            errors.append(_user_error(["fulfillment"], "There are no fulfillable line items."))
        if errors:
            return None, errors
        order = self.orders[next(iter(orders))]
        tracking = data.get("trackingInfo") or {}
        number = tracking.get("number") or next(iter(tracking.get("numbers") or []), None)
        url = tracking.get("url") or next(iter(tracking.get("urls") or []), None)
        lines: list[FulfillmentLine] = []
        touched: list[FulfillmentOrder] = []
        for fo, line, qty in plan:
            line.remaining_quantity -= qty
            li = next(li for li in order.line_items if li.id == line.line_item_id)
            li.fulfilled += qty
            self._stock_delta(li, fo.location_id, committed=-qty, on_hand=-qty, now=now)
            lines.append(FulfillmentLine(new_id(), line.id, li.id, qty))
            if fo not in touched:
                touched.append(fo)
        for fo in touched:
            fo.status = "CLOSED" if all(ln.remaining_quantity == 0 for ln in fo.lines) else "IN_PROGRESS"
            fo.updated_at = now
        f = Fulfillment(
            id=new_id(), order_id=order.id, location_id=touched[0].location_id,
            name=f"{order.name}.{len(order.fulfillment_ids) + 1}", status="SUCCESS",
            tracking_company=tracking.get("company"), tracking_number=number, tracking_url=url,
            notify_customer=bool(data.get("notifyCustomer")), message=message, lines=lines, created_at=now,
            fulfillment_order_ids=[fo.id for fo in touched],
        )
        self.fulfillments[f.id] = f
        order.fulfillment_ids.append(f.id)
        order.updated_at = now
        return f, []

    # ------------------------------------------------------------------ orders

    def _stock_delta(self, li: LineItem, location_id: int, now: float, available: int = 0,
                     committed: int = 0, on_hand: int = 0) -> None:
        variant = self.variants.get(li.variant_id) if li.variant_id is not None else None
        if variant is None:
            return
        item = self.items[variant.inventory_item_id]
        if not item.tracked:
            return
        level = item.levels.get(location_id)
        if level is None:
            level = item.levels[location_id] = Level(created_at=now, updated_at=now)
        level.available += available
        level.committed += committed
        level.on_hand += on_hand
        level.updated_at = now

    def place_order(self, lines: list[dict[str, Any]], new_id: Callable[[], int], now: float,
                    location_id: Any = None, test: bool = False, source_name: str = "web",
                    email: str | None = None, financial_status: str = "paid") -> Order:
        if not lines:
            raise SimulatorError("line_items must not be empty")
        loc = self.location(location_id) if location_id is not None else self.primary_location
        if loc is None:
            raise SimulatorError(f"unknown location {location_id!r}")
        items: list[LineItem] = []
        for i, line in enumerate(lines):
            qty = line.get("quantity")
            if not isinstance(qty, int) or isinstance(qty, bool) or qty < 1:
                raise SimulatorError(f"line_items[{i}].quantity must be a positive integer")
            variant = None
            if line.get("variant_id") is not None:
                variant = self.variants.get(parse_gid(line["variant_id"], "ProductVariant") or -1)
            elif line.get("sku") is not None:
                found = self.variants_by_sku(line["sku"])
                variant = found[0] if found else None
            if variant is None:
                raise SimulatorError(f"line_items[{i}]: no variant with sku {line.get('sku')!r}", 404)
            product = self.products[variant.product_id]
            items.append(LineItem(
                id=new_id(), variant_id=variant.id, product_id=product.id, sku=variant.sku,
                title=product.title, variant_title=None if variant.title == "Default Title" else variant.title,
                price=line.get("price") or variant.price, quantity=qty,
            ))
        number = self.next_order_number
        self.next_order_number += 1
        order = Order(id=new_id(), number=number, name=f"#{number}", created_at=now, updated_at=now,
                      location_id=loc.id, line_items=items, test=test, source_name=source_name,
                      financial_status=financial_status, email=email or "customer@example.com")
        # The channel moves first: the units leave `available` as the order is placed.
        for li in items:
            self._stock_delta(li, loc.id, available=-li.quantity, committed=li.quantity, now=now)
        fo = FulfillmentOrder(
            id=new_id(), order_id=order.id, location_id=loc.id, status="OPEN", created_at=now, updated_at=now,
            lines=[FulfillmentOrderLine(new_id(), li.id, li.quantity, li.quantity) for li in items],
        )
        self.fulfillment_orders[fo.id] = fo
        order.fulfillment_order_ids.append(fo.id)
        self.orders[order.id] = order
        return order

    def order(self, value: Any) -> Order | None:
        num = parse_gid(value, "Order")
        return self.orders.get(num) if num is not None else None

    def cancel_order(self, order: Order, now: float, reason: str = "customer", restock: bool = True) -> Order:
        if order.cancelled_at is not None:
            raise SimulatorError(f"order {order.id} is already cancelled", 422)
        for li in order.line_items:
            open_qty = li.fulfillable
            if open_qty <= 0:
                continue
            if restock:
                self._stock_delta(li, order.location_id, available=open_qty, committed=-open_qty, now=now)
            else:
                self._stock_delta(li, order.location_id, committed=-open_qty, on_hand=-open_qty, now=now)
            li.cancelled += open_qty
        for fo_id in order.fulfillment_order_ids:
            fo = self.fulfillment_orders[fo_id]
            if fo.status in ("OPEN", "IN_PROGRESS"):
                started = any(ln.remaining_quantity < ln.total_quantity for ln in fo.lines)
                fo.status = "CLOSED" if started else "CANCELLED"
                for ln in fo.lines:
                    ln.remaining_quantity = 0
                fo.updated_at = now
        order.cancelled_at = now
        order.cancel_reason = reason
        order.financial_status = "refunded" if order.financial_status == "paid" else "voided"
        order.updated_at = now
        return order


# --------------------------------------------------------------------------- the whole simulator


class SimulatorState:
    """Every shop, one id space, one lock, one clock, the request log."""

    def __init__(self, clock: Clock | None = None, id_start: int = 1_000_000_000_001):
        self.clock: Clock = clock or time.time
        self.lock = threading.RLock()
        self._ids = itertools.count(id_start)
        self._seq = itertools.count(1)
        self.shops: dict[str, Shop] = {}
        self.request_log: list[RequestLogEntry] = []

    def new_id(self) -> int:
        return next(self._ids)

    def next_seq(self) -> int:
        return next(self._seq)

    def now(self) -> float:
        return self.clock()

    def reset(self) -> None:
        with self.lock:
            self.shops.clear()
            self.request_log.clear()

    def shop(self, domain: str) -> Shop:
        shop = self.shops.get(domain)
        if shop is None:
            raise SimulatorError(f"unknown shop {domain!r}", 404)
        return shop

    # ------------------------------------------------------------------ control operations

    def create_shop(self, shop_domain: str, access_token: str, webhook_secret: str,
                    locations: Iterable[Any] = ("Shop location",), bucket_size: float = 2000,
                    restore_rate: float = 100, throttle_status_code: int = 200, max_query_cost: int = 1000,
                    idempotency_ttl_seconds: float = DEFAULT_IDEMPOTENCY_TTL_SECONDS,
                    name: str | None = None) -> Shop:
        if not shop_domain or not re.match(r"^[A-Za-z0-9][A-Za-z0-9.\-]*$", shop_domain):
            raise SimulatorError("shop_domain must be a host name such as demo.myshopify.com")
        if not access_token or not webhook_secret:
            raise SimulatorError("access_token and webhook_secret are required")
        if bucket_size <= 0 or restore_rate <= 0:
            raise SimulatorError("bucket_size and restore_rate must be positive")
        if throttle_status_code not in (200, 429):
            raise SimulatorError("throttle_status_code must be 200 or 429")
        now = self.now()
        with self.lock:
            if shop_domain in self.shops:
                raise SimulatorError(f"shop {shop_domain!r} already exists", 409)
            shop = Shop(domain=shop_domain, access_token=access_token, webhook_secret=webhook_secret,
                        bucket=LeakyBucket(float(bucket_size), float(restore_rate), float(bucket_size), now),
                        throttle_status_code=throttle_status_code, max_query_cost=max_query_cost,
                        idempotency_ttl=idempotency_ttl_seconds, name=name or shop_domain.split(".")[0])
            locs = list(locations) or ["Shop location"]
            for spec in locs:
                if isinstance(spec, str):
                    spec = {"name": spec}
                if not isinstance(spec, dict) or not spec.get("name"):
                    raise SimulatorError("each location is a name or {name, id?}")
                num = parse_gid(spec.get("id"), "Location") if spec.get("id") is not None else self.new_id()
                if num is None:
                    raise SimulatorError(f"bad location id {spec.get('id')!r}")
                shop.locations[num] = Location(id=num, name=spec["name"], level_id=self.new_id())
            self.shops[shop_domain] = shop
            return shop

    def create_variant(self, shop: Shop, sku: str | None, title: str | None = None,
                       quantities: dict[str, int] | None = None, product_title: str | None = None,
                       tracked: bool = True, price: str = "10.00") -> Variant:
        now = self.now()
        with self.lock:
            stock: dict[int, int] = {}
            for loc_ref, qty in (quantities or {}).items():
                loc = shop.location(loc_ref)
                if loc is None:
                    raise SimulatorError(f"unknown location {loc_ref!r}")
                if not isinstance(qty, int) or isinstance(qty, bool):
                    raise SimulatorError(f"quantity for {loc_ref!r} must be an integer")
                stock[loc.id] = qty
            ptitle = product_title or title or sku or "Product"
            product = Product(id=self.new_id(), title=ptitle,
                              handle=re.sub(r"[^a-z0-9]+", "-", ptitle.lower()).strip("-") or "product",
                              created_at=now)
            item_id, variant_id = self.new_id(), self.new_id()
            variant = Variant(id=variant_id, product_id=product.id, inventory_item_id=item_id, sku=sku,
                              title=title or "Default Title", price=price)
            item = InventoryItem(id=item_id, sku=sku, variant_id=variant_id, tracked=tracked)
            for loc_id, qty in stock.items():
                item.levels[loc_id] = Level(available=qty, on_hand=qty, created_at=now, updated_at=now)
            product.variant_ids.append(variant.id)
            shop.products[product.id] = product
            shop.variants[variant.id] = variant
            shop.items[item.id] = item
            return variant

    def subscribe(self, shop: Shop, topic: str, address: str, api_version: str = DEFAULT_API_VERSION
                  ) -> WebhookSubscription:
        if topic not in WEBHOOK_TOPICS:
            raise SimulatorError(f"topic must be one of {', '.join(WEBHOOK_TOPICS)}")
        if not isinstance(address, str) or not address.startswith(("http://", "https://")):
            raise SimulatorError("address must be an http(s) URL")
        with self.lock:
            for sub in shop.subscriptions.values():
                if sub.topic == topic and sub.address == address:
                    return sub
            sub = WebhookSubscription(self.new_id(), topic, address, api_version, self.now())
            shop.subscriptions[sub.id] = sub
            return sub


def fingerprint(field_name: str, args: dict[str, Any]) -> str:
    """A stable digest of a mutation's arguments, for idempotency-key parameter matching."""
    blob = json.dumps({"field": field_name, "args": args}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()
