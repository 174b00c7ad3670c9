"""Orders for the operator: list and read them, split them, record shipments.

A split or a shipment is one TransactWriteItems guarded by the order's version, so a concurrent
change to the order makes it re-read and re-check instead of overwriting (I2). A shipment also
holds its dedupe record and its stock effects in that transaction: shipping lowers on hand and
committed by the same amount at the line's warehouse, once, however often the request is retried.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from typing import Any, Sequence

from inventory_sync.adapters.dynamo import TransactionConflict, utcnow
from inventory_sync.domain.model import AccountKind, Order, OrderLine
from inventory_sync.errors import Conflict, NotFound, Unprocessable
from inventory_sync.observability import logger
from inventory_sync.ports import CounterDelta, Page

ATTEMPTS = 3
SHIPPING_STATUSES = ("open", "partially_shipped", "shipped")


def _account(deps: Any, account_id: str) -> Any:
    account = deps.repo.get_account(account_id)
    if account is None:
        raise NotFound(f"account {account_id} not found", field="account_id")
    return account


def list_orders(deps: Any, account_id: str, source: str | None, status: str | None,
                cursor: str | None, limit: int) -> Page:
    """Orders by id. `source` is a sales channel id, a portal id, or (for a supplier) the merchant
    account behind a portal."""
    _account(deps, account_id)
    merchants = {p.portal_id: p.merchant_account_id for p in deps.repo.portals_for_account(account_id)}

    def keep(order: Order) -> bool:
        if status is not None and order.status != status:
            return False
        if source is None or order.source_id == source:
            return True
        return order.source_kind == "portal" and merchants.get(order.source_id) == source

    return deps.repo.query_orders(account_id, None if source is None and status is None else keep, cursor, limit)


def get_order(deps: Any, account_id: str, order_id: str) -> Order:
    _account(deps, account_id)
    order = deps.repo.get_order(account_id, order_id)
    if order is None:
        raise NotFound(f"order {order_id} not found", field="order_id")
    return order


def order_status(lines: Sequence[OrderLine], current: str) -> str:
    """open / partially_shipped / shipped from the lines; any other status (cancelled...) stays."""
    if current not in SHIPPING_STATUSES:
        return current
    due = sum(max(0, line.quantity - line.cancelled) for line in lines)
    shipped = sum(line.shipped for line in lines)
    if shipped == 0:
        return "open"
    return "shipped" if shipped >= due else "partially_shipped"


# ---- split ------------------------------------------------------------------------------------

def split_order(deps: Any, account_id: str, order_id: str, groups: Sequence[Sequence[str]]) -> list[str]:
    """Splits an order: the first group stays in it, each further group becomes a new order
    `{order_id}-{n}`. Every line goes in exactly one group; shipped lines stay in the first.

    A supplier splitting an order that came through a portal splits the linked merchant order
    the same way, in the same transaction; a merchant's split never reaches the supplier
    (field-docs/02).
    """
    repo = deps.repo
    account = _account(deps, account_id)
    for _ in range(ATTEMPTS):
        order, version, item = _load(repo, account_id, order_id)
        parts = _partition(order, groups)
        ids = _free_ids(repo, account_id, order_id, len(parts) - 1)
        merchant_ops: list[dict] = []
        merchant_refs: list[tuple[str, str] | None] = [None] * len(ids)
        if account.kind == AccountKind.SUPPLIER and order.source_kind == "portal":
            merchant_ops, merchant_refs = _propagate(repo, order, parts, ids)
        child_links = [_relinked(order.linked_orders, ref, "merchant") for ref in merchant_refs]
        ops = _split_ops(repo, order, version, item, parts, ids, child_links) + merchant_ops
        try:
            repo.transact(ops)
            return [order_id, *ids]
        except TransactionConflict:
            logger.info("order changed during split; retrying", extra={"order_id": order_id})
    raise Conflict(f"order {order_id} keeps changing; retry the split", field="order_id")


def _load(repo: Any, account_id: str, order_id: str) -> tuple[Order, int, dict]:
    loaded = repo.get_order_with_version(account_id, order_id)
    if loaded is None:
        raise NotFound(f"order {order_id} not found", field="order_id")
    return loaded


def _partition(order: Order, groups: Sequence[Sequence[str]]) -> list[tuple[OrderLine, ...]]:
    if order.status not in SHIPPING_STATUSES or order.status == "shipped":
        raise Conflict(f"an order that is {order.status} cannot be split", field="order_id")
    if len(groups) < 2:
        raise Unprocessable("a split needs at least two groups", field="groups", code="too_few_groups")
    by_id = {line.line_id: line for line in order.lines}
    placed: set[str] = set()
    parts: list[tuple[OrderLine, ...]] = []
    for g, group in enumerate(groups):
        if not group:
            raise Unprocessable("a group cannot be empty", field=f"groups[{g}]", code="empty_group")
        for i, line_id in enumerate(group):
            where = f"groups[{g}][{i}]"
            if line_id not in by_id:
                raise Unprocessable(f"order {order.order_id} has no line {line_id}", field=where, code="unknown_line")
            if line_id in placed:
                raise Unprocessable(f"line {line_id} is in more than one group", field=where, code="duplicate_line")
            if g > 0 and by_id[line_id].shipped > 0:
                raise Unprocessable(f"line {line_id} has shipments: it stays in the first group", field=where,
                                    code="line_has_shipments")
            placed.add(line_id)
        parts.append(tuple(by_id[line_id] for line_id in group))
    missing = [line.line_id for line in order.lines if line.line_id not in placed]
    if missing:
        raise Unprocessable(f"every line must be in a group; missing: {', '.join(missing)}", field="groups",
                            code="missing_lines")
    return parts


def _free_ids(repo: Any, account_id: str, order_id: str, count: int) -> list[str]:
    ids: list[str] = []
    n = 2
    stem = order_id if len(order_id) <= 60 else order_id[:51] + "-" + hashlib.sha256(order_id.encode()).hexdigest()[:8]
    while len(ids) < count:
        candidate = f"{stem}-{n}"
        if repo.get_order(account_id, candidate) is None:
            ids.append(candidate)
        n += 1
    return ids


def _split_ops(repo: Any, order: Order, version: int, item: dict, parts: list[tuple[OrderLine, ...]],
               ids: Sequence[str], child_links: Sequence[tuple[dict, ...]] | None = None) -> list[dict]:
    first = replace(order, lines=parts[0], status=order_status(parts[0], order.status))
    ops = [repo.op_update_order(first, version)]
    for n, (child_id, lines) in enumerate(zip(ids, parts[1:])):
        links = child_links[n] if child_links else order.linked_orders
        child = replace(order, order_id=child_id, lines=lines, status="open", shipments=(), linked_orders=links)
        ops.append(repo.op_create_order(child, inherit=item))
    return ops


def _merchant_link(repo: Any, order: Order) -> tuple[str, str] | None:
    portal = repo.get_portal(order.source_id)
    merchant = portal.merchant_account_id if portal else None
    for link in order.linked_orders:
        if isinstance(link, dict) and link.get("order_id") and (
                link.get("account_id") == merchant or (merchant is None and link.get("account_id") != order.account_id)):
            return link["account_id"], link["order_id"]
    return None


def _propagate(repo: Any, order: Order, parts: list[tuple[OrderLine, ...]],
               supplier_ids: Sequence[str]) -> tuple[list[dict], list[tuple[str, str] | None]]:
    """The merchant side of a supplier's split: the merchant lines matching each new supplier
    order move to a new merchant order; every other merchant line stays where it is."""
    nothing: tuple[list[dict], list[tuple[str, str] | None]] = ([], [None] * len(supplier_ids))
    link = _merchant_link(repo, order)
    if link is None:
        logger.warning("supplier order has no linked merchant order; split not propagated",
                       extra={"order_id": order.order_id})
        return nothing
    merchant_id, merchant_order_id = link
    loaded = repo.get_order_with_version(merchant_id, merchant_order_id)
    if loaded is None:
        return nothing
    m_order, m_version, m_item = loaded
    taken: set[str] = set()
    m_groups: list[list[OrderLine]] = []
    for part in parts[1:]:
        moved = []
        for line in part:
            match = _matching_line(line, m_order.lines, taken, order.account_id)
            if match is not None:
                if match.shipped > 0:
                    raise Conflict(f"merchant line {match.line_id} has shipments; the split cannot be mirrored",
                                   field="groups")
                taken.add(match.line_id)
                moved.append(match)
        m_groups.append(moved)
    stay = tuple(line for line in m_order.lines if line.line_id not in taken)
    if not taken or not stay:
        return nothing
    non_empty = [n for n, g in enumerate(m_groups) if g]
    m_ids = _free_ids(repo, merchant_id, merchant_order_id, len(non_empty))
    m_parts = [stay] + [tuple(m_groups[n]) for n in non_empty]
    supplier_ref = (order.account_id, order.order_id)
    child_links = [_relinked(m_order.linked_orders, (order.account_id, supplier_ids[n]), "supplier",
                             replaces=supplier_ref) for n in non_empty]
    ops = _split_ops(repo, m_order, m_version, m_item, m_parts, m_ids, child_links)
    refs: list[tuple[str, str] | None] = [None] * len(supplier_ids)
    for merchant_child, n in zip(m_ids, non_empty):
        refs[n] = (merchant_id, merchant_child)
    return ops, refs


def _relinked(links: Sequence[Any], ref: tuple[str, str] | None, role: str,
              replaces: tuple[str, str] | None = None) -> tuple[dict, ...]:
    """The links of a new order: its parent's, with the counterpart in `ref`'s account replaced by
    `ref` (a link is `{account_id, order_id, role}`)."""
    if ref is None:
        return tuple(links)
    account_id, order_id = ref
    kept = tuple(x for x in links if not (isinstance(x, dict) and x.get("account_id") == account_id and
                                         (replaces is None or x.get("order_id") == replaces[1])))
    return kept + ({"account_id": account_id, "order_id": order_id, "role": role},)


def _matching_line(line: OrderLine, candidates: Sequence[OrderLine], taken: set[str], supplier: str) -> OrderLine | None:
    free = [c for c in candidates if c.line_id not in taken]
    for c in free:
        if c.line_id == line.line_id or (line.channel_line_id and c.line_id == line.channel_line_id):
            return c
    same_sku = [c for c in free if c.sku == line.sku and c.routed_to in (None, supplier)]
    return same_sku[0] if len(same_sku) == 1 else None


# ---- shipments --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ShipmentRequest:
    lines: tuple[tuple[str, int], ...]  # (line_id, quantity)
    carrier: str
    tracking_number: str
    tracking_url: str | None = None


@dataclass(frozen=True)
class ShipmentLine:
    line_id: str
    sku: str
    quantity: int


@dataclass(frozen=True)
class Shipment:
    shipment_id: str
    order_id: str
    lines: tuple[ShipmentLine, ...]
    carrier: str
    tracking_number: str
    tracking_url: str | None
    created_at: str
    relay_status: str = "pending"


def create_shipment(deps: Any, account_id: str, order_id: str, request: ShipmentRequest,
                    idempotency_key: str | None = None) -> tuple[Shipment, bool]:
    """Records a shipment; returns it and whether it was a replay of one already recorded.

    One transaction holds the dedupe record, the SHIPMENT item (the stream hands it to the
    tracking relay), the order's shipped quantities and status, and the stock effects: on hand and
    committed both lower by the quantity at each line's warehouse. A line routed to a supplier
    was never committed here, so it moves no stock in this account.
    """
    repo = deps.repo
    _account(deps, account_id)
    request_hash = _request_hash(order_id, request)
    basis = f"key:{idempotency_key}" if idempotency_key else f"hash:{request_hash}"
    dedupe = hashlib.sha256(f"{order_id}|{basis}".encode()).hexdigest()[:40]
    shipment_id = "shp_" + dedupe[:20]
    for _ in range(ATTEMPTS):
        replayed = _replay(repo, account_id, order_id, shipment_id, request_hash)
        if replayed is not None:
            return replayed, True
        order, version, _item = _load(repo, account_id, order_id)
        shipment, shipped_order, deltas = _ship(order, shipment_id, request)
        ops = [repo.op_dedupe(account_id, "shipment", dedupe),
               repo.op_put_shipment(account_id, order_id, shipment_id, {
                   "lines": [asdict(line) for line in shipment.lines], "carrier": shipment.carrier,
                   "tracking_number": shipment.tracking_number, "tracking_url": shipment.tracking_url,
                   "created_at": shipment.created_at, "relay_status": "pending", "request_hash": request_hash}),
               repo.op_update_order(shipped_order, version)]
        ops += [repo.op_stock_delta(account_id, delta) for delta in deltas]
        try:
            repo.transact(ops)
            return shipment, False
        except TransactionConflict:
            logger.info("shipment raced a duplicate or an order change; re-reading", extra={"order_id": order_id})
    raise Conflict(f"order {order_id} keeps changing; retry the shipment", field="order_id")


def _request_hash(order_id: str, request: ShipmentRequest) -> str:
    canonical = json.dumps({"order_id": order_id, "lines": [list(x) for x in request.lines],
                            "carrier": request.carrier, "tracking_number": request.tracking_number,
                            "tracking_url": request.tracking_url}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(repo: Any, account_id: str, order_id: str, shipment_id: str, request_hash: str) -> Shipment | None:
    item = repo.get_shipment(account_id, order_id, shipment_id)
    if item is None:
        return None
    if item.get("request_hash") not in (None, request_hash):
        raise Conflict("this idempotency key was used for a different shipment", field="idempotency_key")
    return Shipment(shipment_id=item["shipment_id"], order_id=item["order_id"],
                    lines=tuple(ShipmentLine(x["line_id"], x.get("sku", ""), int(x["quantity"]))
                                for x in item.get("lines", [])),
                    carrier=item.get("carrier", ""), tracking_number=item.get("tracking_number", ""),
                    tracking_url=item.get("tracking_url"), created_at=item.get("created_at", ""),
                    relay_status=item.get("relay_status", "pending"))


def _ship(order: Order, shipment_id: str, request: ShipmentRequest) -> tuple[Shipment, Order, list[CounterDelta]]:
    if order.status not in SHIPPING_STATUSES:
        raise Conflict(f"an order that is {order.status} cannot ship", field="order_id")
    by_id = {line.line_id: line for line in order.lines}
    shipped: dict[str, int] = {}
    out: list[ShipmentLine] = []
    for i, (line_id, quantity) in enumerate(request.lines):
        line = by_id.get(line_id)
        if line is None:
            raise Unprocessable(f"order {order.order_id} has no line {line_id}", field=f"lines[{i}].line_id",
                                code="unknown_line")
        if line_id in shipped:
            raise Unprocessable(f"line {line_id} is listed twice", field=f"lines[{i}].line_id", code="duplicate_line")
        unshipped = line.quantity - line.shipped - line.cancelled
        if quantity > unshipped:
            raise Unprocessable(f"line {line_id} has {max(unshipped, 0)} left to ship", field=f"lines[{i}].quantity",
                                code="over_shipment")
        shipped[line_id] = quantity
        out.append(ShipmentLine(line_id, line.sku, quantity))
    now = utcnow()
    shipment = Shipment(shipment_id, order.order_id, tuple(out), request.carrier, request.tracking_number,
                        request.tracking_url, now)
    lines = tuple(replace(line, shipped=line.shipped + shipped.get(line.line_id, 0)) for line in order.lines)
    entry = {"shipment_id": shipment_id, "carrier": request.carrier, "tracking_number": request.tracking_number,
             "tracking_url": request.tracking_url, "created_at": now,
             "lines": [{"line_id": x.line_id, "quantity": x.quantity} for x in out]}
    shipped_order = replace(order, lines=lines, shipments=(*order.shipments, entry),
                            status=order_status(lines, order.status))
    merged: dict[tuple[str, str], int] = {}
    for line in order.lines:
        quantity = shipped.get(line.line_id, 0)
        if quantity and line.routed_to is None and line.warehouse_id:
            key = (line.sku, line.warehouse_id)
            merged[key] = merged.get(key, 0) + quantity
    deltas = [CounterDelta(sku, wh, on_hand=-q, committed=-q) for (sku, wh), q in merged.items()]
    return shipment, shipped_order, deltas
