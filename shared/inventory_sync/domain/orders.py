"""Order commit routing and the stock effects of shipping, cancelling and returning.

An order line commits once (DESIGN.md, "Stock rules that are easy to get wrong"):
- an auto-dropship line (product `auto_dropship` with a `supplier_account_id`) is routed to the
  supplier and committed there; nothing is committed at the merchant, because the supplier's
  available already flows back as the merchant's on hand (committing again would count the unit
  twice);
- any other line commits at the channel's `single` warehouse, else at the first warehouse of the
  channel's combined set, in the operator's order (the catalog's warehouse order), that can cover
  the whole line; if none can, at the one that can cover the most (earliest on a tie), so the
  shortage is at one place and the line is not split.

A bundle line takes the bundle's pre-assembled stock first and builds the rest from components
(see `bundles.draw_units`), so a component sold alone sees the units its bundles took. Lines of
one order are routed in order and each sees what the earlier lines took.

Stock effects: shipping lowers on hand and committed by the same amount (available unchanged);
cancelling lowers committed only; a return raises on hand. Each acts on the records the units
were committed against, so a returned kit that was built from components goes back as its
components (an operator who keeps it assembled adjusts by hand).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Iterable, Mapping

from .bundles import UnitDraw, bundle_available_at, draw_units
from .errors import DomainValidationError
from .model import Channel, OrderLine, Product
from .quantity import SINGLE, Catalog, channel_warehouse_ids


class StockEvent(str, Enum):
    """What happened to some units of a committed line."""

    SHIP = "ship"
    CANCEL = "cancel"
    RETURN = "return"


@dataclass(frozen=True)
class StockDelta:
    """A change to one stock record, applied with an atomic ADD."""

    sku: str
    warehouse_id: str
    on_hand_delta: int = 0
    committed_delta: int = 0


@dataclass(frozen=True)
class LinePlan:
    """Where one order line is committed.

    `routed_to`: the supplier account of an auto-dropship line; then `warehouse_id` is None and
    nothing is committed at the merchant. `draws`: the records each unit takes (in unit order),
    which the service stores with the line so later shipments release exactly those. `covered`:
    whether the warehouse could cover the whole line when it was routed (False = oversold).
    A line with neither `routed_to` nor `warehouse_id` had no warehouse to commit at.
    """

    line_id: str
    sku: str
    quantity: int
    warehouse_id: str | None
    routed_to: str | None = None
    draws: tuple[UnitDraw, ...] = ()
    covered: bool = True
    note: str = ""

    @property
    def commits(self) -> tuple[StockDelta, ...]:
        """The committed increments routing this line makes (empty when routed to a supplier)."""
        if self.warehouse_id is None:
            return ()
        return tuple(StockDelta(s, self.warehouse_id, 0, q) for s, q in _totals(self.draws).items())


def route_order_lines(
    order_lines: Iterable[OrderLine],
    products: Mapping[str, Product],
    channel: Channel,
    catalog: Catalog,
) -> list[LinePlan]:
    """A commit plan for each line of one channel order, in the lines' order.

    A line that already names a supplier (`routed_to`) or a warehouse keeps it, so routing a
    stored order again gives the same answer. A line for an unknown SKU is committed as a plain
    item (stock changes create products on the fly; the shortage then shows on that SKU).
    Raises `DomainValidationError` (`lines[i].quantity`) for a quantity below 1.
    """
    taken: dict[tuple[str, str], int] = {}

    def available(sku: str, warehouse_id: str) -> int:
        return catalog.available(sku, warehouse_id) - taken.get((sku, warehouse_id), 0)

    def coverage(sku: str, warehouse_id: str) -> int:
        return max(0, bundle_available_at(sku, warehouse_id, products, available))

    plans: list[LinePlan] = []
    for i, line in enumerate(order_lines):
        quantity = line.quantity
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise DomainValidationError(
                f"lines[{i}].quantity", f"line {line.line_id} needs a whole quantity of at least 1", "invalid_quantity"
            )
        product = products.get(line.sku)
        supplier = line.routed_to or (
            product.supplier_account_id if product and product.auto_dropship and product.supplier_account_id else None
        )
        if supplier:
            plans.append(
                LinePlan(line.line_id, line.sku, quantity, None, routed_to=supplier,
                         note=f"auto-dropship: routed to and committed at supplier {supplier}")
            )
            continue

        if line.warehouse_id:
            warehouse_id, why = line.warehouse_id, "kept the line's warehouse"
        elif channel.warehouses.mode == SINGLE:
            warehouse_id = channel_warehouse_ids(channel, catalog.warehouses)[0]
            why = "the channel's single warehouse"
        else:
            candidates = channel_warehouse_ids(channel, catalog.warehouses)
            if not candidates:
                plans.append(LinePlan(line.line_id, line.sku, quantity, None, covered=False,
                                      note="no warehouse to commit at"))
                continue
            covering = [w for w in candidates if coverage(line.sku, w) >= quantity]
            if covering:
                warehouse_id, why = covering[0], "first listed warehouse that covers the line"
            else:
                # max() keeps the first of equals, i.e. the operator's order on a tie.
                warehouse_id = max(candidates, key=lambda w: coverage(line.sku, w))
                why = "no warehouse covers the line; the one with the most available"

        covered = coverage(line.sku, warehouse_id) >= quantity
        draws = draw_units(line.sku, quantity, warehouse_id, products, available)
        for s, q in _totals(draws).items():
            taken[(s, warehouse_id)] = taken.get((s, warehouse_id), 0) + q
        plans.append(LinePlan(line.line_id, line.sku, quantity, warehouse_id, draws=draws, covered=covered,
                              note=f"commit at {warehouse_id}: {why}" + ("" if covered else " (oversold)")))
    return plans


def line_plan_for_stored_line(line: OrderLine, draws: Iterable[UnitDraw] = ()) -> LinePlan:
    """The plan of a line that was routed earlier, from the stored line and its stored draws.

    Without stored draws, a line is taken to have committed its own SKU (right for every
    non-bundle line; a bundle line must have its draws stored).
    """
    draws = tuple(draws)
    if line.routed_to:
        return LinePlan(line.line_id, line.sku, line.quantity, None, routed_to=line.routed_to)
    if line.warehouse_id and not draws:
        draws = (UnitDraw(line.quantity, ((line.sku, 1),)),)
    return LinePlan(line.line_id, line.sku, line.quantity, line.warehouse_id, draws=draws)


def stock_effects(plan: LinePlan, event: StockEvent | str, quantity: int, already: int = 0) -> tuple[StockDelta, ...]:
    """The stock deltas of shipping, cancelling or returning `quantity` units of a planned line.

    Units are taken in the line's unit order starting at `already`: for ship and cancel, the
    units shipped plus cancelled before (`line.shipped + line.cancelled`); for a return, the
    units returned before. Ship: on hand and committed down by the same amount. Cancel: committed
    down only. Return: on hand up. A line routed to a supplier has no effect at the merchant (the
    supplier's own order carries it). Raises `DomainValidationError` (`quantity`) for a negative
    quantity or more units than the line has.
    """
    kind = StockEvent(event)
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0 or already < 0:
        raise DomainValidationError("quantity", f"quantity must be a whole number >= 0, got {quantity!r}", "invalid_quantity")
    if already + quantity > plan.quantity:
        raise DomainValidationError(
            "quantity",
            f"line {plan.line_id} has {plan.quantity} units; {already} already settled, {quantity} more is too many",
            "exceeds_line",
        )
    if plan.warehouse_id is None or quantity == 0:
        return ()
    moved = _totals(_slice(plan.draws, already, quantity))
    if kind is StockEvent.SHIP:
        return tuple(StockDelta(s, plan.warehouse_id, -q, -q) for s, q in moved.items())
    if kind is StockEvent.CANCEL:
        return tuple(StockDelta(s, plan.warehouse_id, 0, -q) for s, q in moved.items())
    return tuple(StockDelta(s, plan.warehouse_id, q, 0) for s, q in moved.items())


def _totals(draws: Iterable[UnitDraw]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for draw in draws:
        for s, q in draw.per_unit:
            totals[s] = totals.get(s, 0) + draw.units * q
    return totals


def _slice(draws: Iterable[UnitDraw], start: int, count: int) -> list[UnitDraw]:
    """The draws of units [start, start + count) of a line."""
    out: list[UnitDraw] = []
    position = 0
    for draw in draws:
        lo, hi = max(start, position), min(start + count, position + draw.units)
        if hi > lo:
            out.append(UnitDraw(hi - lo, draw.per_unit))
        position += draw.units
    return out
