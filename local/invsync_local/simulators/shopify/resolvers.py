"""Resolvers for graphql-core's executor, run against the real 2026-07 schema.

graphql-core's default field resolver reads an attribute (or mapping key) named like the field and,
when it is callable, calls it with `(info, **arguments)`. So each view below exposes plain
attributes/properties for argument-less fields and methods for fields that take arguments
(connections, `quantities(names:)`, `inventoryLevel(locationId:)` ...). Abstract types (`Node`) are
resolved through each view's `typename`.

Fields the simulator does not model resolve to null (an error where the schema says non-null);
root fields it does not model answer a `NOT_IMPLEMENTED` error naming the field.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from graphql import GraphQLError, GraphQLResolveInfo
from graphql.execution.values import get_directive_values
from graphql.language import ListValueNode, ObjectValueNode, VariableNode

from .search import SearchSyntaxError, compile_query
from .state import (
    QUANTITY_NAMES,
    AdjustmentGroup,
    Fulfillment,
    FulfillmentOrder,
    FulfillmentOrderLine,
    IdempotencyRecord,
    InventoryItem,
    LineItem,
    Location,
    Order,
    Product,
    Shop,
    SimulatorError,
    SimulatorState,
    Variant,
    fingerprint,
    gid,
    iso_z,
    parse_gid,
)

MAX_PAGE_SIZE = 250
WEBHOOK_TOPIC_ENUM = {"ORDERS_CREATE": "orders/create", "ORDERS_UPDATED": "orders/updated",
                      "ORDERS_CANCELLED": "orders/cancelled"}


@dataclass
class Ctx:
    """Per-request context: the shop, the time, and what the request log wants to know."""

    state: SimulatorState
    shop: Shop
    now: float
    idempotency_key: str | None = None
    idempotent_replay: bool = False
    quantities: int | None = None
    touched_orders: list[int] = field(default_factory=list)


def _error(message: str, code: str, info: GraphQLResolveInfo, nodes=None) -> GraphQLError:
    return GraphQLError(message, nodes=nodes or info.field_nodes, path=info.path.as_list(),
                        extensions={"code": code})


# --------------------------------------------------------------------------- pagination


def _cursor(key: int) -> str:
    return base64.b64encode(json.dumps({"last_id": key}).encode()).decode()


def _uncursor(cursor: str, info: GraphQLResolveInfo) -> int:
    try:
        return int(json.loads(base64.b64decode(cursor))["last_id"])
    except Exception:
        raise _error("Invalid cursor for current pagination sort.", "BAD_REQUEST", info) from None


def paginate(info: GraphQLResolveInfo, items: Iterable[Any], view: Callable[[Any], Any],
             first: int | None = None, after: str | None = None, last: int | None = None,
             before: str | None = None, reverse: bool | None = False, key: Callable[[Any], int] = lambda x: x.id,
             **_ignored: Any) -> dict[str, Any]:
    if first is None and last is None:
        raise _error("you must provide one of first or last", "BAD_REQUEST", info)
    for name, value in (("first", first), ("last", last)):
        if value is not None and (value < 0 or value > MAX_PAGE_SIZE):
            raise _error(f"The '{name}' argument must be between 0 and {MAX_PAGE_SIZE}.", "BAD_REQUEST", info)
    seq = sorted(items, key=key, reverse=bool(reverse))
    if after is not None:
        k = _uncursor(after, info)
        seq = [x for x in seq if (key(x) < k if reverse else key(x) > k)]
    if before is not None:
        k = _uncursor(before, info)
        seq = [x for x in seq if (key(x) > k if reverse else key(x) < k)]
    has_next = has_prev = False
    if first is not None:
        has_next = len(seq) > first
        seq = seq[:first]
        has_prev = after is not None
    if last is not None:
        has_prev = len(seq) > last
        seq = seq[len(seq) - last:] if last else []
        has_next = has_next or before is not None
    edges = [{"cursor": _cursor(key(x)), "node": view(x)} for x in seq]
    return {
        "nodes": [e["node"] for e in edges],
        "edges": edges,
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_prev,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


# --------------------------------------------------------------------------- views


class LocationView:
    typename = "Location"

    def __init__(self, ctx: Ctx, loc: Location):
        self._ctx, self._loc = ctx, loc
        self.id = loc.gid
        self.name = loc.name
        self.isActive = loc.active
        self.legacyResourceId = str(loc.id)
        self.activatable = False
        self.deactivatable = True
        self.deletable = False
        self.fulfillsOnlineOrders = True
        self.hasActiveInventory = True
        self.hasUnfulfilledOrders = False
        self.isFulfillmentService = False
        self.shipsInventory = True

    def inventoryLevel(self, info, inventoryItemId):
        item = self._ctx.shop.item(inventoryItemId)
        if item is None or self._loc.id not in item.levels:
            return None
        return LevelView(self._ctx, item, self._loc)


class LevelView:
    typename = "InventoryLevel"

    def __init__(self, ctx: Ctx, item: InventoryItem, loc: Location):
        self._ctx, self._item, self._loc = ctx, item, loc
        self._level = item.levels[loc.id]
        self.id = f"gid://shopify/InventoryLevel/{loc.level_id}?inventory_item_id={item.id}"
        self.isActive = True
        self.canDeactivate = True
        self.deactivationAlert = None
        self.createdAt = iso_z(self._level.created_at)
        self.updatedAt = iso_z(self._level.updated_at)

    @property
    def item(self):
        return ItemView(self._ctx, self._item)

    @property
    def location(self):
        return LocationView(self._ctx, self._loc)

    def quantities(self, info, names):
        out = []
        for n in names:
            if n not in QUANTITY_NAMES:
                raise _error(f"The quantity name '{n}' is not valid. Valid values are: {', '.join(QUANTITY_NAMES)}.",
                             "BAD_REQUEST", info)
            out.append({
                "id": f"gid://shopify/InventoryQuantity/{self._loc.level_id}"
                      f"?inventory_item_id={self._item.id}&name={n}",
                "name": n,
                "quantity": self._level.get(n),
                "updatedAt": iso_z(self._level.updated_at) if n == "available" else None,
            })
        return out


class ItemView:
    typename = "InventoryItem"

    def __init__(self, ctx: Ctx, item: InventoryItem):
        self._ctx, self._item = ctx, item
        self.id = item.gid
        self.sku = item.sku
        self.tracked = item.tracked
        self.legacyResourceId = str(item.id)
        self.requiresShipping = True
        self.createdAt = iso_z(ctx.now)
        self.updatedAt = iso_z(ctx.now)

    @property
    def variant(self):
        return VariantView(self._ctx, self._ctx.shop.variants[self._item.variant_id])

    @property
    def duplicateSkuCount(self):
        return max(0, sum(1 for i in self._ctx.shop.items.values() if i.sku == self._item.sku) - 1)

    def _levels(self):
        shop = self._ctx.shop
        return [(self._item, shop.locations[loc_id]) for loc_id in self._item.levels if loc_id in shop.locations]

    def inventoryLevels(self, info, includeInactive=False, query=None, **page):
        return paginate(info, self._levels(), lambda p: LevelView(self._ctx, *p), key=lambda p: p[1].id, **page)

    def inventoryLevel(self, info, locationId, includeInactive=False):
        loc = self._ctx.shop.location(locationId)
        if loc is None or loc.id not in self._item.levels:
            return None
        return LevelView(self._ctx, self._item, loc)


class ProductView:
    typename = "Product"

    def __init__(self, ctx: Ctx, product: Product):
        self._ctx, self._p = ctx, product
        self.id = product.gid
        self.title = product.title
        self.handle = product.handle
        self.status = "ACTIVE"
        self.tracksInventory = True
        self.legacyResourceId = str(product.id)
        self.createdAt = iso_z(product.created_at)

    @property
    def totalInventory(self):
        shop = self._ctx.shop
        return sum(lv.available for vid in self._p.variant_ids
                   for lv in shop.items[shop.variants[vid].inventory_item_id].levels.values())

    def variants(self, info, **page):
        shop = self._ctx.shop
        return paginate(info, [shop.variants[v] for v in self._p.variant_ids], lambda v: VariantView(self._ctx, v),
                        **page)


class VariantView:
    typename = "ProductVariant"

    def __init__(self, ctx: Ctx, v: Variant):
        self._ctx, self._v = ctx, v
        self.id = v.gid
        self.sku = v.sku
        self.title = v.title
        self.price = v.price
        self.legacyResourceId = str(v.id)
        product = ctx.shop.products[v.product_id]
        self.displayName = f"{product.title} - {v.title}"

    @property
    def inventoryItem(self):
        return ItemView(self._ctx, self._ctx.shop.items[self._v.inventory_item_id])

    @property
    def product(self):
        return ProductView(self._ctx, self._ctx.shop.products[self._v.product_id])

    @property
    def inventoryQuantity(self):
        return sum(lv.available for lv in self._ctx.shop.items[self._v.inventory_item_id].levels.values())


class GroupView:
    typename = "InventoryAdjustmentGroup"

    def __init__(self, ctx: Ctx, g: AdjustmentGroup):
        self._ctx, self._g = ctx, g
        self.id = g.gid
        self.createdAt = iso_z(g.created_at)
        self.reason = g.reason
        self.referenceDocumentUri = g.reference_document_uri
        self.app = None
        self.staffMember = None

    def changes(self, info, inventoryItemIds=None, locationIds=None, quantityNames=None):
        shop = self._ctx.shop
        out = []
        for c in self._g.changes:
            if inventoryItemIds is not None and gid("InventoryItem", c.item_id) not in inventoryItemIds:
                continue
            if locationIds is not None and gid("Location", c.location_id) not in locationIds:
                continue
            if quantityNames is not None and c.name not in quantityNames:
                continue
            item = shop.items.get(c.item_id)
            loc = shop.locations.get(c.location_id)
            out.append({
                "name": c.name, "delta": c.delta, "quantityAfterChange": None, "ledgerDocumentUri": None,
                "item": ItemView(self._ctx, item) if item else None,
                "location": LocationView(self._ctx, loc) if loc else None,
            })
        return out


class LineItemView:
    typename = "LineItem"

    def __init__(self, ctx: Ctx, li: LineItem):
        self._ctx, self._li = ctx, li
        self.id = li.gid
        self.sku = li.sku
        self.title = li.title
        self.variantTitle = li.variant_title
        self.name = li.title if not li.variant_title else f"{li.title} - {li.variant_title}"
        self.quantity = li.quantity
        self.currentQuantity = li.quantity - li.cancelled
        self.fulfillableQuantity = li.fulfillable
        self.unfulfilledQuantity = li.fulfillable
        self.requiresShipping = True

    @property
    def variant(self):
        v = self._ctx.shop.variants.get(self._li.variant_id) if self._li.variant_id else None
        return VariantView(self._ctx, v) if v else None


class FulfillmentOrderLineView:
    typename = "FulfillmentOrderLineItem"

    def __init__(self, ctx: Ctx, order: Order, line: FulfillmentOrderLine):
        self._ctx, self._order, self._line = ctx, order, line
        self.id = line.gid
        self.totalQuantity = line.total_quantity
        self.remainingQuantity = line.remaining_quantity
        self._li = next(li for li in order.line_items if li.id == line.line_item_id)
        self.sku = self._li.sku
        self.productTitle = self._li.title
        self.variantTitle = self._li.variant_title

    @property
    def lineItem(self):
        return LineItemView(self._ctx, self._li)


class FulfillmentOrderView:
    typename = "FulfillmentOrder"

    def __init__(self, ctx: Ctx, fo: FulfillmentOrder):
        self._ctx, self._fo = ctx, fo
        self.id = fo.gid
        self.status = fo.status
        self.orderId = gid("Order", fo.order_id)
        self.createdAt = iso_z(fo.created_at)
        self.updatedAt = iso_z(fo.updated_at)
        self.requestStatus = "UNSUBMITTED"

    @property
    def order(self):
        return OrderView(self._ctx, self._ctx.shop.orders[self._fo.order_id])

    @property
    def assignedLocation(self):
        loc = self._ctx.shop.locations.get(self._fo.location_id)
        return {
            "name": loc.name if loc else "",
            "location": LocationView(self._ctx, loc) if loc else None,
            "countryCode": "US", "address1": None, "address2": None, "city": None, "phone": None,
            "province": None, "zip": None,
        }

    def lineItems(self, info, **page):
        order = self._ctx.shop.orders[self._fo.order_id]
        return paginate(info, self._fo.lines, lambda ln: FulfillmentOrderLineView(self._ctx, order, ln), **page)


class FulfillmentView:
    typename = "Fulfillment"

    def __init__(self, ctx: Ctx, f: Fulfillment):
        self._ctx, self._f = ctx, f
        self.id = f.gid
        self.name = f.name
        self.status = f.status
        self.legacyResourceId = str(f.id)
        self.createdAt = iso_z(f.created_at)
        self.updatedAt = iso_z(f.created_at)
        self.displayStatus = "FULFILLED"

    @property
    def order(self):
        return OrderView(self._ctx, self._ctx.shop.orders[self._f.order_id])

    @property
    def location(self):
        loc = self._ctx.shop.locations.get(self._f.location_id)
        return LocationView(self._ctx, loc) if loc else None

    def trackingInfo(self, info, first=None):
        f = self._f
        if not (f.tracking_number or f.tracking_company or f.tracking_url):
            return []
        infos = [{"company": f.tracking_company, "number": f.tracking_number, "url": f.tracking_url}]
        return infos[:first] if first is not None else infos

    def fulfillmentLineItems(self, info, **page):
        order = self._ctx.shop.orders[self._f.order_id]
        by_id = {li.id: li for li in order.line_items}
        return paginate(info, self._f.lines, lambda fl: {
            "id": gid("FulfillmentLineItem", fl.id), "quantity": fl.quantity,
            "lineItem": LineItemView(self._ctx, by_id[fl.line_item_id]),
        }, **page)


_CANCEL_REASONS = {"customer": "CUSTOMER", "declined": "DECLINED", "fraud": "FRAUD", "inventory": "INVENTORY",
                   "staff": "STAFF", "other": "OTHER"}


class OrderView:
    typename = "Order"

    def __init__(self, ctx: Ctx, order: Order):
        self._ctx, self._o = ctx, order
        self.id = order.gid
        self.name = order.name
        self.legacyResourceId = str(order.id)
        self.createdAt = iso_z(order.created_at)
        self.updatedAt = iso_z(order.updated_at)
        self.processedAt = iso_z(order.created_at)
        self.cancelledAt = iso_z(order.cancelled_at) if order.cancelled_at is not None else None
        self.cancelReason = _CANCEL_REASONS.get(order.cancel_reason or "", "OTHER") if order.cancel_reason else None
        self.test = order.test
        self.email = order.email
        self.sourceName = order.source_name
        self.closed = False
        self.confirmed = True
        fs = order.fulfillment_status
        self.displayFulfillmentStatus = {None: "UNFULFILLED", "partial": "PARTIALLY_FULFILLED",
                                         "fulfilled": "FULFILLED"}[fs]

    def fulfillmentOrders(self, info, displayable=False, query=None, **page):
        shop = self._ctx.shop
        fos = [shop.fulfillment_orders[i] for i in self._o.fulfillment_order_ids]
        if displayable:
            fos = [fo for fo in fos if fo.status not in ("CANCELLED",)]
        return paginate(info, fos, lambda fo: FulfillmentOrderView(self._ctx, fo), **page)

    def fulfillments(self, info, first=None, query=None):
        out = [FulfillmentView(self._ctx, self._ctx.shop.fulfillments[i]) for i in self._o.fulfillment_ids]
        return out[:first] if first is not None else out

    def lineItems(self, info, **page):
        return paginate(info, self._o.line_items, lambda li: LineItemView(self._ctx, li), **page)


class ShopView:
    typename = "Shop"

    def __init__(self, ctx: Ctx):
        shop = ctx.shop
        self.id = gid("Shop", abs(hash(shop.domain)) % 10**10)
        self.name = shop.name
        self.myshopifyDomain = shop.domain
        self.email = f"owner@{shop.domain}"
        self.contactEmail = self.email
        self.currencyCode = "USD"
        self.ianaTimezone = "Etc/UTC"
        self.timezoneAbbreviation = "UTC"


# --------------------------------------------------------------------------- node lookup


def node_for(ctx: Ctx, value: Any):
    """The view for any GID the simulator knows, else None."""
    shop = ctx.shop
    if not isinstance(value, str) or not value.startswith("gid://shopify/"):
        return None
    kind = value[len("gid://shopify/"):].split("/", 1)[0]
    if kind == "InventoryLevel":
        try:
            level_id = int(value.split("/")[4].split("?")[0])
            item_id = int(value.split("inventory_item_id=")[1].split("&")[0])
        except (IndexError, ValueError):
            return None
        item = shop.items.get(item_id)
        loc = next((loc for loc in shop.locations.values() if loc.level_id == level_id), None)
        if item is None or loc is None or loc.id not in item.levels:
            return None
        return LevelView(ctx, item, loc)
    num = parse_gid(value, kind)
    if num is None:
        return None
    table: dict[str, tuple[dict, Callable]] = {
        "ProductVariant": (shop.variants, VariantView),
        "InventoryItem": (shop.items, ItemView),
        "Product": (shop.products, ProductView),
        "Location": (shop.locations, LocationView),
        "Order": (shop.orders, OrderView),
        "FulfillmentOrder": (shop.fulfillment_orders, FulfillmentOrderView),
        "Fulfillment": (shop.fulfillments, FulfillmentView),
        "InventoryAdjustmentGroup": (shop.adjustment_groups, GroupView),
    }
    if kind in table:
        objects, view = table[kind]
        obj = objects.get(num)
        return view(ctx, obj) if obj is not None else None
    if kind == "LineItem":
        for order in shop.orders.values():
            for li in order.line_items:
                if li.id == num:
                    return LineItemView(ctx, li)
    if kind == "FulfillmentOrderLineItem":
        for fo in shop.fulfillment_orders.values():
            for ln in fo.lines:
                if ln.id == num:
                    return FulfillmentOrderLineView(ctx, shop.orders[fo.order_id], ln)
    return None


def _check_gid(value: Any, info: GraphQLResolveInfo) -> None:
    if not isinstance(value, str) or not value.startswith("gid://"):
        raise GraphQLError(f"Invalid global id '{value}'", nodes=info.field_nodes, path=info.path.as_list(),
                           extensions={"code": "argumentLiteralsIncompatible", "typeName": "CoercionError"})


def resolve_type(value: Any, info: GraphQLResolveInfo, abstract_type: Any) -> str | None:
    return getattr(value, "typename", None)


# --------------------------------------------------------------------------- roots


class Root:
    """Both root types: QueryRoot fields and Mutation fields (their names do not collide)."""

    def __init__(self, ctx: Ctx):
        self._ctx = ctx

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)

        def not_implemented(info, **_args):
            raise _error(f"Field '{name}' is not implemented by the Shopify simulator.", "NOT_IMPLEMENTED", info)

        return not_implemented

    # ------------------------------------------------------------------ queries

    def shop(self, info):
        return ShopView(self._ctx)

    def productVariants(self, info, query=None, sortKey=None, savedSearchId=None, **page):
        shop = self._ctx.shop
        try:
            pred = compile_query(query, {"sku", "id", "product_id", "title", "inventory_item_id"})
        except SearchSyntaxError:
            pred = lambda r: False  # noqa: E731 - Shopify answers an unparsable search with no results
        hits = [v for v in shop.variants.values() if pred({
            "sku": v.sku, "id": [v.id, v.gid], "product_id": [v.product_id, gid("Product", v.product_id)],
            "title": f"{shop.products[v.product_id].title} {v.title}",
            "inventory_item_id": [v.inventory_item_id, gid("InventoryItem", v.inventory_item_id)],
        })]
        return paginate(info, hits, lambda v: VariantView(self._ctx, v), **page)

    def productVariant(self, info, id):
        _check_gid(id, info)
        v = self._ctx.shop.variants.get(parse_gid(id, "ProductVariant") or -1)
        return VariantView(self._ctx, v) if v else None

    def product(self, info, id):
        _check_gid(id, info)
        p = self._ctx.shop.products.get(parse_gid(id, "Product") or -1)
        return ProductView(self._ctx, p) if p else None

    def inventoryItem(self, info, id):
        _check_gid(id, info)
        item = self._ctx.shop.item(id)
        return ItemView(self._ctx, item) if item else None

    def inventoryItems(self, info, query=None, **page):
        try:
            pred = compile_query(query, {"sku", "id"}, free_text=("sku",))
        except SearchSyntaxError:
            pred = lambda r: False  # noqa: E731
        items = [i for i in self._ctx.shop.items.values() if pred({"sku": i.sku, "id": [i.id, i.gid]})]
        return paginate(info, items, lambda i: ItemView(self._ctx, i), **page)

    def inventoryLevel(self, info, id):
        _check_gid(id, info)
        view = node_for(self._ctx, id)
        return view if isinstance(view, LevelView) else None

    def locations(self, info, sortKey=None, query=None, includeLegacy=False, includeInactive=False, **page):
        return paginate(info, self._ctx.shop.locations.values(), lambda loc: LocationView(self._ctx, loc), **page)

    def location(self, info, id=None):
        shop = self._ctx.shop
        if id is None:
            return LocationView(self._ctx, shop.primary_location)
        _check_gid(id, info)
        loc = shop.location(id)
        return LocationView(self._ctx, loc) if loc else None

    def order(self, info, id):
        _check_gid(id, info)
        order = self._ctx.shop.order(id)
        return OrderView(self._ctx, order) if order else None

    def fulfillmentOrder(self, info, id):
        _check_gid(id, info)
        view = node_for(self._ctx, id)
        return view if isinstance(view, FulfillmentOrderView) else None

    def fulfillment(self, info, id):
        _check_gid(id, info)
        view = node_for(self._ctx, id)
        return view if isinstance(view, FulfillmentView) else None

    def node(self, info, id):
        _check_gid(id, info)
        return node_for(self._ctx, id)

    def nodes(self, info, ids):
        for i in ids:
            _check_gid(i, info)
        return [node_for(self._ctx, i) for i in ids]

    # ------------------------------------------------------------------ mutations

    def _idempotency_key(self, info: GraphQLResolveInfo) -> str:
        directive = info.schema.get_directive("idempotent")
        node = info.field_nodes[0]
        values = get_directive_values(directive, node, info.variable_values) if directive else None
        if values is None:
            raise _error("The @idempotent directive is required for this mutation but was not provided.",
                         "BAD_REQUEST", info)
        key = values.get("key")
        if not isinstance(key, str) or not key.strip():
            raise _error("The idempotency key cannot be an empty string or whitespace only.", "BAD_REQUEST", info)
        return key

    def _missing_field_error(self, info: GraphQLResolveInfo, arg_name: str, list_name: str, index: int,
                             input_type: str, missing: str) -> GraphQLError:
        """Shaped as the capture: locations = the field, then where the value came from."""
        field_node = info.field_nodes[0]
        second = None
        arg = next((a for a in field_node.arguments if a.name.value == arg_name), None)
        if arg is not None:
            value = arg.value
            if isinstance(value, VariableNode):
                second = next((d for d in info.operation.variable_definitions
                               if d.variable.name.value == value.name.value), None)
            elif isinstance(value, ObjectValueNode):
                lst = next((f.value for f in value.fields if f.name.value == list_name), None)
                if isinstance(lst, VariableNode):
                    second = next((d for d in info.operation.variable_definitions
                                   if d.variable.name.value == lst.name.value), None)
                elif isinstance(lst, ListValueNode) and index < len(lst.values):
                    item = lst.values[index]
                    second = (next((d for d in info.operation.variable_definitions
                                    if d.variable.name.value == item.name.value), None)
                              if isinstance(item, VariableNode) else item)
        nodes = [field_node] + ([second] if second is not None else [])
        return GraphQLError(f"{input_type} must include the following argument: {missing}.", nodes=nodes,
                            path=info.path.as_list(), extensions={"code": "INVALID_FIELD_ARGUMENTS"})

    def inventorySetQuantities(self, info, input):
        """Shopify's absolute set, 2026-04+ rules.

        1. `@idempotent(key:)` is mandatory (BAD_REQUEST error, payload null, as captured).
        2. Every quantity must carry `changeFromQuantity` (explicit null opts out of the check);
           omitting it is an INVALID_FIELD_ARGUMENTS error (as captured).
        3. Same key + same arguments -> the original payload, nothing re-applied (also when the
           original answer was user errors); same key + other arguments -> a
           IDEMPOTENCY_KEY_PARAMETER_MISMATCH user error. Keys live for the shop's idempotency TTL.
        4. Atomic: when any user error is returned, nothing is applied and the group is null.
        """
        ctx = self._ctx
        key = self._idempotency_key(info)
        quantities = input.get("quantities") or []
        ctx.idempotency_key = key
        ctx.quantities = len(quantities)
        for i, q in enumerate(quantities):
            if "changeFromQuantity" not in q:
                raise self._missing_field_error(info, "input", "quantities", i, "InventoryQuantityInput",
                                                "changeFromQuantity")
        shop = ctx.shop
        fp = fingerprint("inventorySetQuantities", {"input": input})
        record = shop.idempotent_lookup(key, ctx.now)
        if record is not None:
            if record.fingerprint != fp:
                return {"inventoryAdjustmentGroup": None, "userErrors": [{
                    "field": None, "code": "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
                    "message": "The same idempotency key cannot be used with different operation parameters.",
                }]}
            ctx.idempotent_replay = True
            return self._set_payload(record.payload)
        group, errors = shop.set_quantities(input, ctx.state.new_id, ctx.now)
        stored = {"group_id": group.id if group else None, "userErrors": errors}
        shop.idempotency[key] = IdempotencyRecord(fp, stored, ctx.now)
        return self._set_payload(stored)

    def _set_payload(self, stored: dict[str, Any]) -> dict[str, Any]:
        shop = self._ctx.shop
        group = shop.adjustment_groups.get(stored["group_id"]) if stored["group_id"] is not None else None
        return {
            "inventoryAdjustmentGroup": GroupView(self._ctx, group) if group else None,
            "userErrors": [dict(e) for e in stored["userErrors"]],
        }

    def fulfillmentCreate(self, info, fulfillment, message=None):
        ctx = self._ctx
        f, errors = ctx.shop.create_fulfillment(fulfillment, message, ctx.state.new_id, ctx.now)
        if f is not None:
            ctx.touched_orders.append(f.order_id)
        return {"fulfillment": FulfillmentView(ctx, f) if f else None, "userErrors": errors}

    def webhookSubscriptionCreate(self, info, topic, webhookSubscription):
        ctx = self._ctx
        address = webhookSubscription.get("uri") or webhookSubscription.get("callbackUrl")
        rest_topic = WEBHOOK_TOPIC_ENUM.get(topic)
        if rest_topic is None:
            return {"webhookSubscription": None, "userErrors": [
                {"field": ["topic"], "message": f"Topic {topic} is not supported by the Shopify simulator."}]}
        try:
            sub = ctx.state.subscribe(ctx.shop, rest_topic, address)
        except SimulatorError as exc:
            return {"webhookSubscription": None, "userErrors": [{"field": ["webhookSubscription", "uri"],
                                                                 "message": exc.message}]}
        return {"webhookSubscription": {
            "id": sub.gid, "topic": topic, "uri": sub.address, "callbackUrl": sub.address,
            "format": "JSON", "createdAt": iso_z(sub.created_at), "updatedAt": iso_z(sub.created_at),
            "includeFields": [], "metafieldNamespaces": [], "filter": None, "name": None,
            "legacyResourceId": str(sub.id),
        }, "userErrors": []}
