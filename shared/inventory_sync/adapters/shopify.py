"""Shopify Admin GraphQL client (API 2026-07) for the channel-push and tracking-relay functions.

What it sends, and why (handbook: reference/channel-apis.md sections 1.1-1.5):

* Absolute sets through `inventorySetQuantities`, at most 250 quantities a call (Shopify's input
  array limit; the caller batches), always with `@idempotent(key: $idempotencyKey)` and with
  `changeFromQuantity` on every quantity (an explicit null opts out of compare-and-set): both are
  refused at runtime from 2026-04 when missing. The mutation is atomic: when Shopify returns any
  user error nothing was applied, so `SetResult.applied` is false and `stale_item_ids` names every
  item whose `changeFromQuantity` no longer matched (re-read those, then retry with a *new* key:
  a key replays its first answer, and reusing it with other parameters is refused).
* SKU lookups through `productVariants(query: "sku:\"A\" OR sku:\"B\"")`, SKUs quoted, pages
  followed; SKUs are not unique in Shopify, so every exact hit is kept.
* Reads of `available` through `nodes(ids:)` + `inventoryLevel(locationId:)` (null = not stocked).
* Fulfilments through `order.fulfillmentOrders` and `fulfillmentCreate` with tracking.
  (`fulfillmentCreate` does not document `@idempotent` support, and Shopify accepts the directive
  only on mutations that do, so it is sent without it: read the fulfillment orders before a
  retry; a fully fulfilled order has nothing left to fulfil.)

Every document is built with variables, never string interpolation; `documents()` lists them all so
a test validates each against the schema. Every answer's `extensions.cost` is parsed into
`ThrottleStatus` and kept on the client (`last_throttle`, `last_requested_cost`,
`last_actual_cost`). Errors are typed: `ShopifyThrottled` (THROTTLED, whether HTTP 200 or 429) and
`ShopifyUnavailable` (5xx, network) are `Retryable`; `ShopifyAuthError` (401/403, and a shop that
is gone or frozen: 402/404/423) and `ShopifyQueryError` (the document or variables were refused)
are not. The client itself never retries.

No I/O at import: the urllib3 pool comes from `default_http()`, a cached factory, unless one is
passed in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable, Iterator, Sequence, TypeVar

import urllib3
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from inventory_sync.errors import Retryable

API_VERSION = "2026-07"
MAX_QUANTITIES_PER_CALL = 250  # Shopify: input arrays hold at most 250 items
SKUS_PER_LOOKUP = 50  # SKUs OR-ed into one productVariants search
LOOKUP_PAGE_SIZE = 100  # variants per page (SKUs are not unique, so a batch may need more)
ITEMS_PER_READ = 100  # inventory items per nodes(ids:) read
FULFILLMENT_ORDERS_PAGE_SIZE = 5
FULFILLMENT_ORDER_LINES_PAGE_SIZE = 50
FULFILLMENT_ORDER_LINES_MORE_PAGE_SIZE = 250
USER_AGENT = "inventory-sync/0.1 (+shopify-admin-graphql)"
STALE_CODE = "CHANGE_FROM_QUANTITY_STALE"

# Query costs under Shopify's calculated-cost model (object 1, connection 2 + first x node,
# mutation 10, scalars 0); the simulator computes the same figures from the documents.
SET_COST = 13  # 10 + adjustment group + item + location, whatever the number of quantities
LOOKUP_PAGE_COST = 2 + LOOKUP_PAGE_SIZE * 2  # variant + inventory item per node
READ_COST_PER_ITEM = 3  # inventory item + level + quantities


# --------------------------------------------------------------------------- errors


class ShopifyError(Exception):
    """Base of every error this client raises."""

    def __init__(self, message: str, *, status: int | None = None, errors: Any = None,
                 throttle: "ThrottleStatus | None" = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.errors = errors
        self.throttle = throttle

    @property
    def codes(self) -> list[str]:
        return _codes_of(self.errors)


class ShopifyThrottled(ShopifyError, Retryable):
    """The bucket lacked room for the request (THROTTLED); nothing ran. Wait, then send again."""

    def __init__(self, throttle: "ThrottleStatus | None", requested_cost: int | None, *,
                 status: int | None = None, errors: Any = None, retry_after: float | None = None):
        super().__init__(f"Shopify throttled a request of cost {requested_cost}", status=status, errors=errors,
                         throttle=throttle)
        self.requested_cost = requested_cost
        self._retry_after = retry_after

    @property
    def retry_after_seconds(self) -> float:
        """Seconds until the bucket holds the requested cost again (at least 1)."""
        if self._retry_after is not None:
            return max(1.0, self._retry_after)
        if self.throttle is not None and self.requested_cost is not None:
            return max(1.0, self.throttle.seconds_until(self.requested_cost))
        return 1.0


class ShopifyAuthError(ShopifyError):
    """The token was refused (401/403, ACCESS_DENIED) or the shop is not usable (402/404/423)."""


class ShopifyUnavailable(ShopifyError, Retryable):
    """A network failure, a timeout or a 5xx: safe to retry (mutations carry idempotency keys)."""


class ShopifyQueryError(ShopifyError):
    """Shopify refused the document or its variables (validation, cost limit, input size, ...)."""


# --------------------------------------------------------------------------- models


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class ThrottleStatus(_Model):
    maximum_available: float
    currently_available: float
    restore_rate: float

    def seconds_until(self, points: float) -> float:
        """How long until `points` are available, at the restore rate."""
        missing = max(0.0, points - self.currently_available)
        return missing / self.restore_rate if self.restore_rate > 0 else float("inf")


class QueryCost(_Model):
    requested_query_cost: int | None = None
    actual_query_cost: int | None = None
    throttle_status: ThrottleStatus | None = None


class UserError(_Model):
    code: str | None = None
    field: list[str] | None = None
    message: str


@dataclass(frozen=True)
class SetQuantity:
    """One absolute set. `change_from_quantity` is what we believe Shopify holds now (compare-and-set);
    None opts out of the check explicitly (it is still sent, as null)."""

    inventory_item_id: str
    quantity: int
    change_from_quantity: int | None


class _Id(_Model):
    id: str


class AdjustmentChange(_Model):
    name: str
    delta: int
    quantity_after_change: int | None = None
    item: _Id | None = None
    location: _Id | None = None


class AdjustmentGroup(_Model):
    id: str
    created_at: str | None = None
    reason: str | None = None
    reference_document_uri: str | None = None
    changes: list[AdjustmentChange] = []


class SetResult(BaseModel):
    applied: bool
    user_errors: list[UserError]
    stale_item_ids: set[str]
    throttle: ThrottleStatus | None
    requested_cost: int | None = None
    actual_cost: int | None = None
    adjustment_group: AdjustmentGroup | None = None


class FulfillmentOrderLine(BaseModel):
    id: str
    line_item_id: str
    sku: str | None
    remaining_quantity: int
    total_quantity: int


class FulfillmentOrder(BaseModel):
    id: str
    status: str
    location_id: str | None
    line_items: list[FulfillmentOrderLine]


class TrackingInfo(_Model):
    company: str | None = None
    number: str | None = None
    url: str | None = None


class FulfillmentResult(BaseModel):
    fulfillment_id: str | None
    status: str | None
    tracking: list[TrackingInfo]
    user_errors: list[UserError]
    throttle: ThrottleStatus | None
    requested_cost: int | None = None
    actual_cost: int | None = None

    @property
    def created(self) -> bool:
        return self.fulfillment_id is not None and not self.user_errors


# Response shapes (only what the documents select).


class _PageInfo(_Model):
    has_next_page: bool
    end_cursor: str | None = None


class _VariantNode(_Model):
    id: str
    sku: str | None = None
    inventory_item: _Id


class _VariantConnection(_Model):
    nodes: list[_VariantNode]
    page_info: _PageInfo


class _LookupData(_Model):
    product_variants: _VariantConnection


class _Quantity(_Model):
    name: str
    quantity: int


class _Level(_Model):
    quantities: list[_Quantity]


class _ItemLevelNode(_Model):
    id: str | None = None  # absent when the id is not an InventoryItem
    inventory_level: _Level | None = None


class _ReadData(_Model):
    nodes: list[_ItemLevelNode | None]


class _SetPayload(_Model):
    inventory_adjustment_group: AdjustmentGroup | None = None
    user_errors: list[UserError]


class _SetData(_Model):
    inventory_set_quantities: _SetPayload | None = None


class _LineItemRef(_Model):
    id: str
    sku: str | None = None


class _FoLineNode(_Model):
    id: str
    remaining_quantity: int
    total_quantity: int
    line_item: _LineItemRef


class _FoLineConnection(_Model):
    nodes: list[_FoLineNode]
    page_info: _PageInfo


class _AssignedLocation(_Model):
    location: _Id | None = None


class _FoNode(_Model):
    id: str
    status: str
    assigned_location: _AssignedLocation
    line_items: _FoLineConnection


class _FoConnection(_Model):
    nodes: list[_FoNode]
    page_info: _PageInfo


class _OrderFos(_Model):
    id: str
    fulfillment_orders: _FoConnection


class _FosData(_Model):
    order: _OrderFos | None = None


class _FoLinesOnly(_Model):
    line_items: _FoLineConnection


class _FoLinesData(_Model):
    fulfillment_order: _FoLinesOnly | None = None


class _Fulfillment(_Model):
    id: str
    status: str | None = None
    tracking_info: list[TrackingInfo] = []


class _FulfillmentPayload(_Model):
    fulfillment: _Fulfillment | None = None
    user_errors: list[UserError]


class _FulfillmentData(_Model):
    fulfillment_create: _FulfillmentPayload | None = None


# --------------------------------------------------------------------------- documents

LOOKUP_VARIANTS = """
query InventorySyncLookupVariants($query: String!, $first: Int!, $after: String) {
  productVariants(first: $first, after: $after, query: $query) {
    nodes { id sku inventoryItem { id } }
    pageInfo { hasNextPage endCursor }
  }
}
""".strip()

READ_AVAILABLE = """
query InventorySyncReadAvailable($ids: [ID!]!, $locationId: ID!) {
  nodes(ids: $ids) {
    ... on InventoryItem {
      id
      inventoryLevel(locationId: $locationId) {
        quantities(names: ["available"]) { name quantity }
      }
    }
  }
}
""".strip()

SET_AVAILABLE = """
mutation InventorySyncSetAvailable($input: InventorySetQuantitiesInput!, $idempotencyKey: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $idempotencyKey) {
    inventoryAdjustmentGroup {
      id
      createdAt
      reason
      referenceDocumentUri
      changes { name delta quantityAfterChange item { id } location { id } }
    }
    userErrors { code field message }
  }
}
""".strip()

FULFILLMENT_ORDERS = """
query InventorySyncFulfillmentOrders($orderId: ID!, $first: Int!, $after: String, $linesFirst: Int!) {
  order(id: $orderId) {
    id
    fulfillmentOrders(first: $first, after: $after) {
      nodes {
        id
        status
        assignedLocation { location { id } }
        lineItems(first: $linesFirst) {
          nodes { id remainingQuantity totalQuantity lineItem { id sku } }
          pageInfo { hasNextPage endCursor }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}
""".strip()

FULFILLMENT_ORDER_LINES = """
query InventorySyncFulfillmentOrderLines($id: ID!, $first: Int!, $after: String) {
  fulfillmentOrder(id: $id) {
    lineItems(first: $first, after: $after) {
      nodes { id remainingQuantity totalQuantity lineItem { id sku } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
""".strip()

CREATE_FULFILLMENT = """
mutation InventorySyncCreateFulfillment($fulfillment: FulfillmentInput!, $message: String) {
  fulfillmentCreate(fulfillment: $fulfillment, message: $message) {
    fulfillment { id status trackingInfo { company number url } }
    userErrors { field message }
  }
}
""".strip()


def documents() -> dict[str, str]:
    """Every GraphQL document this client can send, by operation name."""
    return {
        "InventorySyncLookupVariants": LOOKUP_VARIANTS,
        "InventorySyncReadAvailable": READ_AVAILABLE,
        "InventorySyncSetAvailable": SET_AVAILABLE,
        "InventorySyncFulfillmentOrders": FULFILLMENT_ORDERS,
        "InventorySyncFulfillmentOrderLines": FULFILLMENT_ORDER_LINES,
        "InventorySyncCreateFulfillment": CREATE_FULFILLMENT,
    }


def document_examples() -> dict[str, dict[str, Any]]:
    """Representative variables for each document, built by the same code the calls use."""
    item = "gid://shopify/InventoryItem/53469430055218"
    location = "gid://shopify/Location/106318430514"
    return {
        "InventorySyncLookupVariants": _lookup_variables(["ABC-1", 'we"ird sku'], None),
        "InventorySyncReadAvailable": {"ids": [item], "locationId": location},
        "InventorySyncSetAvailable": _set_variables(
            [SetQuantity(item, 5, 0), SetQuantity("gid://shopify/InventoryItem/2", 7, None)],
            location, "push-1f0c", "gid://inventory-sync/ChannelPush/run-1", "correction"),
        "InventorySyncFulfillmentOrders": _fulfillment_orders_variables("gid://shopify/Order/1", None),
        "InventorySyncFulfillmentOrderLines": {"id": "gid://shopify/FulfillmentOrder/1",
                                               "first": FULFILLMENT_ORDER_LINES_MORE_PAGE_SIZE, "after": None},
        "InventorySyncCreateFulfillment": _fulfillment_variables(
            {"gid://shopify/FulfillmentOrder/1": [("gid://shopify/FulfillmentOrderLineItem/2", 1)]},
            "UPS", "1Z999", "https://www.ups.com/track?tracknum=1Z999", True, None),
    }


# --------------------------------------------------------------------------- variables


def quote_search_value(value: str) -> str:
    """A value for Shopify's search syntax: always double-quoted, `\\` and `"` escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def sku_search_query(skus: Sequence[str]) -> str:
    return " OR ".join(f"sku:{quote_search_value(s)}" for s in skus)


def _lookup_variables(skus: Sequence[str], after: str | None) -> dict[str, Any]:
    return {"query": sku_search_query(skus), "first": LOOKUP_PAGE_SIZE, "after": after}


def _set_variables(quantities: Sequence[SetQuantity], location_id: str, idempotency_key: str,
                   reference_document_uri: str, reason: str) -> dict[str, Any]:
    return {
        "input": {
            "name": "available",
            "reason": reason,
            "referenceDocumentUri": reference_document_uri,
            "quantities": [
                {
                    "inventoryItemId": q.inventory_item_id,
                    "locationId": location_id,
                    "quantity": q.quantity,
                    "changeFromQuantity": q.change_from_quantity,  # always present; null opts out
                }
                for q in quantities
            ],
        },
        "idempotencyKey": idempotency_key,
    }


def _fulfillment_orders_variables(order_gid: str, after: str | None) -> dict[str, Any]:
    return {"orderId": order_gid, "first": FULFILLMENT_ORDERS_PAGE_SIZE, "after": after,
            "linesFirst": FULFILLMENT_ORDER_LINES_PAGE_SIZE}


def _fulfillment_variables(fulfillment_order_lines: dict[str, list[tuple[str, int]]] | Sequence[str],
                           tracking_company: str | None, tracking_number: str | None, tracking_url: str | None,
                           notify_customer: bool, message: str | None) -> dict[str, Any]:
    groups: list[dict[str, Any]] = []
    if isinstance(fulfillment_order_lines, dict):
        for fo_id, lines in fulfillment_order_lines.items():
            group: dict[str, Any] = {"fulfillmentOrderId": fo_id}
            if lines:  # none listed = every remaining line of that fulfillment order
                group["fulfillmentOrderLineItems"] = [{"id": line_id, "quantity": qty} for line_id, qty in lines]
            groups.append(group)
    else:
        groups = [{"fulfillmentOrderId": fo_id} for fo_id in fulfillment_order_lines]
    tracking: dict[str, Any] = {}
    if tracking_company:
        tracking["company"] = tracking_company
    if tracking_number:
        tracking["number"] = tracking_number
    if tracking_url:
        tracking["url"] = tracking_url
    fulfillment: dict[str, Any] = {"lineItemsByFulfillmentOrder": groups, "notifyCustomer": notify_customer}
    if tracking:
        fulfillment["trackingInfo"] = tracking
    return {"fulfillment": fulfillment, "message": message}


# --------------------------------------------------------------------------- budgeting


def estimate_set_cost(n: int) -> int:
    """Requested cost of one `set_available` call of n quantities (n does not change it)."""
    if not 1 <= n <= MAX_QUANTITIES_PER_CALL:
        raise ValueError(f"a set carries 1..{MAX_QUANTITIES_PER_CALL} quantities, not {n}")
    return SET_COST


def estimate_lookup_cost(n_skus: int) -> int:
    """Requested cost of `lookup_inventory_items` for n distinct SKUs (first pages only)."""
    return -(-n_skus // SKUS_PER_LOOKUP) * LOOKUP_PAGE_COST


def estimate_read_cost(n_items: int) -> int:
    """Requested cost of `get_available` for n inventory items."""
    return n_items * READ_COST_PER_ITEM


# --------------------------------------------------------------------------- the client

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


@lru_cache(maxsize=1)
def default_http() -> urllib3.PoolManager:
    """The process-wide pool (reused across Lambda invocations); created on first use."""
    return urllib3.PoolManager(num_pools=32, maxsize=4, retries=False)


class ShopifyClient:
    def __init__(self, base_url: str, access_token: str, api_version: str = API_VERSION,
                 http: urllib3.PoolManager | None = None, timeout: float = 10.0):
        if not access_token:
            raise ValueError("access_token is required")
        self.base_url = base_url.rstrip("/")
        self.api_version = api_version
        self.endpoint = f"{self.base_url}/admin/api/{api_version}/graphql.json"
        self._token = access_token
        self._http = http
        self._timeout = timeout
        self.last_throttle: ThrottleStatus | None = None
        self.last_requested_cost: int | None = None
        self.last_actual_cost: int | None = None
        self.total_actual_cost = 0
        self.calls = 0

    @classmethod
    def for_shop_domain(cls, shop_domain: str, access_token: str, api_version: str = API_VERSION,
                        http: urllib3.PoolManager | None = None, timeout: float = 10.0) -> "ShopifyClient":
        return cls(f"https://{shop_domain}", access_token, api_version=api_version, http=http, timeout=timeout)

    def __repr__(self) -> str:  # never show the token
        return f"ShopifyClient({self.endpoint!r})"

    # ------------------------------------------------------------------ transport

    def _post(self, document: str, operation_name: str, variables: dict[str, Any], model: type[M]) -> M:
        body = json.dumps({"query": document, "operationName": operation_name, "variables": variables}).encode()
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
            "X-Shopify-Access-Token": self._token,
        }
        http = self._http or default_http()
        self.calls += 1
        try:
            resp = http.request("POST", self.endpoint, body=body, headers=headers, retries=False, redirect=False,
                                timeout=urllib3.Timeout(total=self._timeout))
        except urllib3.exceptions.HTTPError as exc:
            raise ShopifyUnavailable(f"Shopify unreachable: {type(exc).__name__}: {exc}") from exc
        status = resp.status
        try:
            payload = json.loads(resp.data or b"null")
        except ValueError:
            payload = None
        throttle = self._record_cost(payload)
        if status in (401, 403):
            raise ShopifyAuthError(f"Shopify refused the access token (HTTP {status})", status=status,
                                   errors=_errors_of(payload))
        if status in (402, 404, 423):
            raise ShopifyAuthError(f"the shop is not usable (HTTP {status})", status=status,
                                   errors=_errors_of(payload))
        errors = _errors_of(payload)
        codes = _codes_of(errors)
        if "THROTTLED" in codes or status == 429:
            retry_after = _float_or_none(resp.headers.get("Retry-After"))
            raise ShopifyThrottled(throttle or self.last_throttle, self.last_requested_cost if throttle else None,
                                   status=status, errors=errors, retry_after=retry_after)
        if status >= 500:
            raise ShopifyUnavailable(f"Shopify answered HTTP {status}", status=status, errors=errors)
        if status != 200 or not isinstance(payload, dict):
            raise ShopifyQueryError(f"Shopify refused the request (HTTP {status})", status=status, errors=errors)
        if errors:
            if "INTERNAL_SERVER_ERROR" in codes:
                raise ShopifyUnavailable("Shopify reported an internal error", status=status, errors=errors,
                                         throttle=throttle)
            if "ACCESS_DENIED" in codes:
                raise ShopifyAuthError("access denied (missing scope?)", status=status, errors=errors,
                                       throttle=throttle)
            first = errors[0].get("message") if isinstance(errors, list) and isinstance(errors[0], dict) else errors
            raise ShopifyQueryError(f"Shopify refused {operation_name}: {first}", status=status, errors=errors,
                                    throttle=throttle)
        try:
            return model.model_validate(payload.get("data") or {})
        except ValidationError as exc:
            raise ShopifyQueryError(f"unexpected {operation_name} response shape: {exc}", status=status) from exc

    def _record_cost(self, payload: Any) -> ThrottleStatus | None:
        """Keep this answer's costs (None when it carried none); the bucket state survives until a
        newer one arrives, as it is still the best estimate of the shop's budget."""
        self.last_requested_cost = self.last_actual_cost = None
        ext = payload.get("extensions") if isinstance(payload, dict) else None
        raw = ext.get("cost") if isinstance(ext, dict) else None
        if not isinstance(raw, dict):
            return None
        try:
            cost = QueryCost.model_validate(raw)
        except ValidationError:
            return None
        self.last_requested_cost = cost.requested_query_cost
        self.last_actual_cost = cost.actual_query_cost
        self.total_actual_cost += cost.actual_query_cost or 0
        if cost.throttle_status is not None:
            self.last_throttle = cost.throttle_status
        return cost.throttle_status

    # ------------------------------------------------------------------ inventory

    def lookup_inventory_items(self, skus: Iterable[str]) -> dict[str, list[str]]:
        """SKU -> every inventory item GID whose variant has exactly that SKU ([] when none)."""
        wanted = list(dict.fromkeys(s for s in skus if s))
        result: dict[str, list[str]] = {s: [] for s in wanted}
        for batch in _chunks(wanted, SKUS_PER_LOOKUP):
            after: str | None = None
            while True:
                data = self._post(LOOKUP_VARIANTS, "InventorySyncLookupVariants", _lookup_variables(batch, after),
                                  _LookupData)
                for node in data.product_variants.nodes:
                    hits = result.get(node.sku) if node.sku is not None else None
                    if hits is not None and node.inventory_item.id not in hits:
                        hits.append(node.inventory_item.id)
                page = data.product_variants.page_info
                if not page.has_next_page or not page.end_cursor:
                    break
                after = page.end_cursor
        return result

    def get_available(self, inventory_item_ids: Iterable[str], location_id: str) -> dict[str, int | None]:
        """Item GID -> `available` at the location; None when the item is not stocked there (or unknown)."""
        ids = list(dict.fromkeys(inventory_item_ids))
        result: dict[str, int | None] = {}
        for batch in _chunks(ids, ITEMS_PER_READ):
            data = self._post(READ_AVAILABLE, "InventorySyncReadAvailable",
                              {"ids": list(batch), "locationId": location_id}, _ReadData)
            for requested, node in zip(batch, data.nodes):
                level = node.inventory_level if node is not None else None
                if level is None:
                    result[requested] = None
                    continue
                result[requested] = next((q.quantity for q in level.quantities if q.name == "available"), None)
        return result

    def set_available(self, quantities: Sequence[SetQuantity], location_id: str, idempotency_key: str,
                      reference_document_uri: str, reason: str = "correction") -> SetResult:
        """Set `available` for up to 250 items at one location, compare-and-set, idempotently."""
        if not quantities:
            raise ValueError("quantities must not be empty")
        if len(quantities) > MAX_QUANTITIES_PER_CALL:
            raise ValueError(f"at most {MAX_QUANTITIES_PER_CALL} quantities per call, got {len(quantities)}")
        if len({q.inventory_item_id for q in quantities}) != len(quantities):
            raise ValueError("each inventory item may appear once per call")
        if not idempotency_key or not idempotency_key.strip():
            raise ValueError("idempotency_key must not be empty")
        variables = _set_variables(quantities, location_id, idempotency_key, reference_document_uri, reason)
        data = self._post(SET_AVAILABLE, "InventorySyncSetAvailable", variables, _SetData)
        payload = data.inventory_set_quantities
        if payload is None:
            raise ShopifyQueryError("inventorySetQuantities returned no payload")
        stale: set[str] = set()
        for err in payload.user_errors:
            if err.code == STALE_CODE:
                index = _quantity_index(err.field)
                if index is not None and index < len(quantities):
                    stale.add(quantities[index].inventory_item_id)
        return SetResult(
            applied=payload.inventory_adjustment_group is not None and not payload.user_errors,
            user_errors=payload.user_errors,
            stale_item_ids=stale,
            throttle=self.last_throttle,
            requested_cost=self.last_requested_cost,
            actual_cost=self.last_actual_cost,
            adjustment_group=payload.inventory_adjustment_group,
        )

    # ------------------------------------------------------------------ fulfilment

    def fulfillment_orders(self, order_gid: str) -> list[FulfillmentOrder]:
        """The order's fulfillment orders with their lines (every page). [] for an unknown order."""
        out: list[FulfillmentOrder] = []
        after: str | None = None
        while True:
            data = self._post(FULFILLMENT_ORDERS, "InventorySyncFulfillmentOrders",
                              _fulfillment_orders_variables(order_gid, after), _FosData)
            if data.order is None:
                return []
            conn = data.order.fulfillment_orders
            for fo in conn.nodes:
                lines = list(fo.line_items.nodes)
                page = fo.line_items.page_info
                while page.has_next_page and page.end_cursor:
                    more = self._post(FULFILLMENT_ORDER_LINES, "InventorySyncFulfillmentOrderLines",
                                      {"id": fo.id, "first": FULFILLMENT_ORDER_LINES_MORE_PAGE_SIZE,
                                       "after": page.end_cursor}, _FoLinesData)
                    if more.fulfillment_order is None:
                        break
                    lines.extend(more.fulfillment_order.line_items.nodes)
                    page = more.fulfillment_order.line_items.page_info
                out.append(FulfillmentOrder(
                    id=fo.id, status=fo.status,
                    location_id=fo.assigned_location.location.id if fo.assigned_location.location else None,
                    line_items=[FulfillmentOrderLine(id=ln.id, line_item_id=ln.line_item.id, sku=ln.line_item.sku,
                                                     remaining_quantity=ln.remaining_quantity,
                                                     total_quantity=ln.total_quantity) for ln in lines],
                ))
            if not conn.page_info.has_next_page or not conn.page_info.end_cursor:
                return out
            after = conn.page_info.end_cursor

    def create_fulfillment(self, fulfillment_order_lines: dict[str, list[tuple[str, int]]] | list[str],
                           tracking_company: str | None, tracking_number: str | None,
                           tracking_url: str | None = None, notify_customer: bool = True,
                           message: str | None = None) -> FulfillmentResult:
        """Fulfil lines of fulfillment orders (same order, same location) with tracking.

        `fulfillment_order_lines`: {fulfillment order GID: [(fulfillment order line GID, quantity)]}
        (an empty list fulfils every remaining line of that fulfillment order), or a list of
        fulfillment order GIDs to fulfil entirely.
        """
        if not fulfillment_order_lines:
            raise ValueError("fulfillment_order_lines must name at least one fulfillment order")
        variables = _fulfillment_variables(fulfillment_order_lines, tracking_company, tracking_number,
                                           tracking_url, notify_customer, message)
        data = self._post(CREATE_FULFILLMENT, "InventorySyncCreateFulfillment", variables, _FulfillmentData)
        payload = data.fulfillment_create
        if payload is None:
            raise ShopifyQueryError("fulfillmentCreate returned no payload")
        f = payload.fulfillment
        return FulfillmentResult(
            fulfillment_id=f.id if f else None,
            status=f.status if f else None,
            tracking=list(f.tracking_info) if f else [],
            user_errors=payload.user_errors,
            throttle=self.last_throttle,
            requested_cost=self.last_requested_cost,
            actual_cost=self.last_actual_cost,
        )


def _errors_of(payload: Any) -> Any:
    return payload.get("errors") if isinstance(payload, dict) else None


def _codes_of(errors: Any) -> list[str]:
    if not isinstance(errors, list):
        return []
    return [e["extensions"].get("code") for e in errors
            if isinstance(e, dict) and isinstance(e.get("extensions"), dict)]


def _float_or_none(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _quantity_index(field_path: list[str] | None) -> int | None:
    """`["input", "quantities", "3", "changeFromQuantity"]` -> 3."""
    if not field_path:
        return None
    for i, part in enumerate(field_path[:-1]):
        if part == "quantities" and field_path[i + 1].isdigit():
            return int(field_path[i + 1])
    return None
