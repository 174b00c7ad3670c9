"""The syncable balance: the quantity one sales channel should show for one SKU.

`compute_channel_quantity` applies the channel's rules in a fixed order and records every step,
so the operator API can explain the number it pushed:

1. available  - sum the channel's warehouses (each clamped at 0; allocation shares if any)
2. bundle     - a bundle's own stock plus what its components build, per warehouse
3. buffer     - subtract the safety stock
4. out_of_stock_threshold - at or below it, show 0
5. allocation_percent     - the channel's percent of the rest, rounded down
6. max_quantity, min_quantity - cap at the max, then raise to the min floor
7. never_negative - never below 0

Everything here is pure: values in, values out.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any, Callable, Iterable, Mapping

from .allocation import allocated_share
from .bundles import bundle_available_at, is_bundle, limiting_component_at
from .errors import DomainValidationError
from .model import Channel, Product, Rules, StockLevel, Warehouse

COMBINED = "combined"
SINGLE = "single"
SALES_CHANNEL_MODE = "sales_channel"
WAREHOUSE_MODE = "warehouse"
MASTER_SKUS = "master"
LISTING_SKUS = "listing"

MINUS = "\u2212"  # the notes read like arithmetic: "−5 buffer → 31"
ARROW = " \u2192 "


@dataclass(frozen=True)
class Catalog:
    """A read model of one account: what the engine needs to compute quantities.

    `stock` is sku -> warehouse_id -> level; a missing SKU or warehouse means zero stock.
    `warehouses` keeps the operator's order (insertion order), which order routing relies on.
    """

    products: Mapping[str, Product] = field(default_factory=dict)
    stock: Mapping[str, Mapping[str, StockLevel]] = field(default_factory=dict)
    warehouses: Mapping[str, Warehouse] = field(default_factory=dict)

    def level(self, sku: str, warehouse_id: str) -> StockLevel:
        """The stock level of `sku` at `warehouse_id` (a zero level when there is no record)."""
        return self.stock.get(sku, {}).get(warehouse_id) or StockLevel(sku, warehouse_id)

    def available(self, sku: str, warehouse_id: str) -> int:
        """on_hand - committed of `sku` at `warehouse_id`; may be negative (oversold)."""
        return self.level(sku, warehouse_id).available


@dataclass(frozen=True)
class Step:
    """One rule applied: `input` is None for the first step (it reads stock, not a number)."""

    rule: str
    input: int | None
    output: int
    note: str


@dataclass(frozen=True)
class QuantityResult:
    """The channel quantity and how it was reached.

    `per_warehouse` (warehouse sync mode only; empty otherwise): each of the channel's warehouses
    with the rules applied to that warehouse on its own, as a channel that lists stock per
    location (EDI) would show it.
    """

    quantity: int
    steps: tuple[Step, ...]
    per_warehouse: Mapping[str, int] = field(default_factory=dict)


# -- warehouses -----------------------------------------------------------------------------------


def channel_warehouse_ids(channel: Channel, warehouses: Mapping[str, Warehouse]) -> tuple[str, ...]:
    """The warehouses whose stock the channel shows, in the operator's order.

    `combined`: every warehouse included in combined totals, minus the channel's `exclude` list.
    `single`: the one named warehouse, even if it is not included in combined totals (an FBA
    channel reads the FBA warehouse).
    """
    selection = channel.warehouses
    if selection.mode == SINGLE:
        if not selection.warehouse_id:
            raise DomainValidationError(
                "warehouses.warehouse_id", "single-warehouse mode needs a warehouse_id", "missing_warehouse"
            )
        return (selection.warehouse_id,)
    if selection.mode != COMBINED:
        raise DomainValidationError(
            "warehouses.mode", f"mode must be 'combined' or 'single', got {selection.mode!r}", "invalid_mode"
        )
    excluded = set(selection.exclude)
    return tuple(w for w, wh in warehouses.items() if wh.include_in_combined and w not in excluded)


def combined_warehouse_ids(warehouses: Mapping[str, Warehouse]) -> tuple[str, ...]:
    """The warehouses included in an account's combined totals (GET product `totals`, portals)."""
    return tuple(w for w, wh in warehouses.items() if wh.include_in_combined)


def validate_channel_warehouses(channel: Channel, warehouses: Mapping[str, Warehouse]) -> None:
    """Refuses a channel whose warehouse selection names a warehouse the account does not have.

    For the API on channel PUT. `compute_channel_quantity` itself reads an unknown warehouse as
    empty rather than failing a recompute, so a typo must be caught here.
    """
    channel_warehouse_ids(channel, warehouses)
    selection = channel.warehouses
    if selection.mode == SINGLE and selection.warehouse_id not in warehouses:
        raise DomainValidationError(
            "warehouses.warehouse_id", f"warehouse {selection.warehouse_id} does not exist", "unknown_warehouse"
        )
    for i, warehouse_id in enumerate(selection.exclude):
        if warehouse_id not in warehouses:
            raise DomainValidationError(
                f"warehouses.exclude[{i}]", f"warehouse {warehouse_id} does not exist", "unknown_warehouse"
            )


# -- rules ----------------------------------------------------------------------------------------

_RULE_FIELDS = tuple(f.name for f in fields(Rules))


def validate_rules(rules: Rules, field_prefix: str = "rules") -> None:
    """Refuses rules that cannot be applied: negatives, a percent above 100, min above max.

    A percent above 100 would promise stock we do not have, so it is refused rather than capped.
    """
    for name in _RULE_FIELDS:
        value = getattr(rules, name)
        if name == "max_quantity" and value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise DomainValidationError(
                f"{field_prefix}.{name}", f"{name} must be a whole number >= 0, got {value!r}", "invalid_rule"
            )
    if rules.allocation_percent > 100:
        raise DomainValidationError(
            f"{field_prefix}.allocation_percent",
            f"allocation_percent must be from 0 to 100, got {rules.allocation_percent}",
            "invalid_rule",
        )
    if rules.max_quantity is not None and rules.min_quantity > rules.max_quantity:
        raise DomainValidationError(
            f"{field_prefix}.min_quantity",
            f"min_quantity {rules.min_quantity} is above max_quantity {rules.max_quantity}",
            "invalid_rule",
        )


def merge_rules(base: Rules, override: Mapping[str, Any] | Rules | None) -> Rules:
    """The channel's rules with a per-SKU override on top; only the given fields change.

    `override` is the stored partial override (`{"buffer": 5}`); `{"max_quantity": None}`
    removes the cap. Unknown fields and invalid values raise `DomainValidationError`.
    """
    if override is None:
        return base
    if isinstance(override, Rules):
        validate_rules(override)
        return override
    for name in override:
        if name not in _RULE_FIELDS:
            raise DomainValidationError(f"rules.{name}", f"unknown rule {name!r}", "unknown_field")
    merged = replace(base, **dict(override))
    validate_rules(merged)
    return merged


def apply_rules(quantity: int, rules: Rules) -> tuple[Step, ...]:
    """Steps 3-7 (buffer, threshold, allocation percent, max, min, never negative) on `quantity`.

    The min floor is applied after the threshold, as the spec orders it: a min above 0 shows
    that many units even when stock is 0. That is the operator's deliberate choice (made to
    order, always-available listings); the default min is 0.
    """
    steps: list[Step] = []
    q = quantity

    out = q - rules.buffer
    steps.append(Step("buffer", q, out, f"{MINUS}{rules.buffer} buffer{ARROW}{out}" if rules.buffer else "no buffer"))
    q = out

    threshold = rules.out_of_stock_threshold
    out = 0 if q <= threshold else q
    note = (
        f"at or below out-of-stock threshold {threshold}{ARROW}0"
        if q <= threshold
        else f"above out-of-stock threshold {threshold}"
    )
    steps.append(Step("out_of_stock_threshold", q, out, note))
    q = out

    percent = rules.allocation_percent
    out = max(0, q) * percent // 100  # rounded down: never promise a part of a unit we lack
    steps.append(Step("allocation_percent", q, out, f"{percent}%{ARROW}{out}"))
    q = out

    cap = rules.max_quantity
    out = q if cap is None else min(q, cap)
    steps.append(
        Step(
            "max_quantity",
            q,
            out,
            "no max" if cap is None else f"capped at max {cap}{ARROW}{out}" if out != q else f"within max {cap}",
        )
    )
    q = out

    floor = rules.min_quantity
    out = max(q, floor)
    steps.append(Step("min_quantity", q, out, f"raised to min {floor}{ARROW}{out}" if out != q else f"min {floor}"))
    q = out

    out = max(0, q)
    steps.append(Step("never_negative", q, out, "raised to 0" if out != q else "not negative"))
    return tuple(steps)


# -- the engine -----------------------------------------------------------------------------------


def sellable_by_warehouse(sku: str, catalog: Catalog, warehouse_ids: Iterable[str]) -> dict[str, int]:
    """What `sku` can sell from each warehouse: own available plus bundle building, clamped at 0.

    Clamped per warehouse, so a warehouse that is oversold never eats into another's stock.
    """
    return {
        w: max(0, bundle_available_at(sku, w, catalog.products, catalog.available)) for w in warehouse_ids
    }


def compute_channel_quantity(
    sku: str,
    catalog: Catalog,
    channel: Channel,
    rules: Rules | None = None,
    allocation: Mapping[str, int] | None = None,
) -> QuantityResult:
    """The quantity `channel` should show for `sku`, with every step that produced it.

    `rules` (the channel's rules merged with this SKU's override, see `merge_rules`) wins over
    `channel.rules` when given. `allocation` (warehouse_id -> percent of that warehouse this
    channel may draw) wins over `channel.allocations`; it only applies in sales-channel sync
    mode, and an empty mapping means "no allocation".

    Choices where the spec is silent:
    - A warehouse's contribution is clamped at 0. A warehouse at -2 has promised 2 units it
      cannot ship; that shortage is its own and must not hide another warehouse's sellable
      stock. The note says "WH-C 0 (-2 oversold, counted as 0)".
    - With an allocation, a warehouse of the channel's selection that the allocation does not
      list contributes 0: the allocation is the channel's share of each warehouse, and only
      then does "all channels together never exceed a warehouse" hold.
    - A bundle's pre-assembled stock is in step 1; step 2 adds what is buildable per warehouse
      (or takes away kits to break down for an oversold component, see `bundles.py`), clamps each
      warehouse at 0, then applies the allocation share to the warehouse's bundle total.
    - Sync-mode `warehouse` also returns `per_warehouse`: steps 1-2 per warehouse (no allocation
      shares: that mode has none), then the rules on each warehouse on its own, so a buffer is
      kept at each location. The channel-wide `quantity` applies the rules once to the sum.
    - The min floor follows the spec order and can raise a 0-stock item (see `apply_rules`).
    """
    effective_rules = rules if rules is not None else channel.rules
    if channel.sync_mode not in (SALES_CHANNEL_MODE, WAREHOUSE_MODE):
        raise DomainValidationError(
            "sync_mode", f"sync_mode must be 'sales_channel' or 'warehouse', got {channel.sync_mode!r}", "invalid_mode"
        )
    warehouse_ids = channel_warehouse_ids(channel, catalog.warehouses)
    shares = allocation if allocation is not None else channel.allocations
    allocation_ignored = bool(shares) and channel.sync_mode == WAREHOUSE_MODE
    shares = shares if shares and channel.sync_mode == SALES_CHANNEL_MODE else None

    # Step 1: the SKU's own available stock over the channel's warehouses.
    parts: list[str] = []
    step1_total = 0
    for w in warehouse_ids:
        raw = catalog.available(sku, w)
        clamped = max(0, raw)
        contribution = clamped if shares is None else allocated_share(clamped, shares.get(w, 0))
        step1_total += contribution
        parts.append(_warehouse_part(w, raw, contribution, shares))
    steps = [Step("available", None, step1_total, _available_note(step1_total, parts, channel, catalog, allocation_ignored))]

    # Step 2: bundles, per warehouse.
    product = catalog.products.get(sku)
    by_warehouse = {w: max(0, catalog.available(sku, w)) for w in warehouse_ids}
    if is_bundle(product):
        by_warehouse = sellable_by_warehouse(sku, catalog, warehouse_ids)
        if shares is None:
            bundle_total = sum(by_warehouse.values())
        else:
            bundle_total = sum(allocated_share(q, shares.get(w, 0)) for w, q in by_warehouse.items())
        limiting = tuple(
            dict.fromkeys(
                c
                for w in warehouse_ids
                if (c := limiting_component_at(sku, w, catalog.products, catalog.available)) is not None
            )
        )
        if not limiting and warehouse_ids and product is not None and product.bundle is not None:
            limiting = (product.bundle.components[0].sku,)  # no bottleneck anywhere: all tie
        if limiting:
            label = "component" if len(limiting) == 1 else "components"
            note = f"bundle limited by {label} {', '.join(limiting)} to {bundle_total}"
        else:
            note = f"bundle {bundle_total} (no warehouses)"
        steps.append(Step("bundle", step1_total, bundle_total, note))
    else:
        steps.append(Step("bundle", step1_total, step1_total, "not a bundle"))

    steps.extend(apply_rules(steps[-1].output, effective_rules))

    per_warehouse: dict[str, int] = {}
    if channel.sync_mode == WAREHOUSE_MODE:
        per_warehouse = {w: apply_rules(q, effective_rules)[-1].output for w, q in by_warehouse.items()}
    return QuantityResult(quantity=steps[-1].output, steps=tuple(steps), per_warehouse=per_warehouse)


def explain_text(result: QuantityResult) -> str:
    """One line for the operator: the first step, then every step that changed the number.

    E.g. "available 40 (WH-A 30 + WH-B 10; FBA excluded) → bundle limited by component X to 36
    → −5 buffer → 31 → 50% → 15". Steps that changed nothing stay in `result.steps`.
    """
    if not result.steps:
        return str(result.quantity)
    notes = [result.steps[0].note] + [s.note for s in result.steps[1:] if s.output != s.input]
    return ARROW.join(notes)


# -- listings and recompute -----------------------------------------------------------------------


def listing_skus(product: Product, channel: Channel) -> tuple[str, ...]:
    """The channel listings that show `product`'s quantity; each gets the same number.

    Master mode: the master SKU. Listing mode: the product's aliases for this channel (in order,
    duplicates dropped), or the master SKU when it has none.
    """
    if channel.sku_mode == MASTER_SKUS:
        return (product.sku,)
    if channel.sku_mode != LISTING_SKUS:
        raise DomainValidationError(
            "sku_mode", f"sku_mode must be 'master' or 'listing', got {channel.sku_mode!r}", "invalid_mode"
        )
    aliases = tuple(dict.fromkeys(a for a in product.aliases.get(channel.channel_id, ()) if a))
    return aliases or (product.sku,)


def pairs_to_recompute(
    changed_skus: Iterable[str],
    channels: Iterable[Channel],
    affected_skus_fn: Callable[[Iterable[str]], Iterable[str]],
) -> set[tuple[str, str]]:
    """The (sku, channel_id) pairs a batch of stock changes makes stale, each once.

    `affected_skus_fn` maps the changed SKUs to every SKU whose quantity depends on them (the
    bundles containing them, see `bundles.affected_skus`); the changed SKUs themselves are always
    included. A batch of ten changes to one SKU recomputes it once per channel. Every channel is
    included, even one that does not write inventory: its `desired` is still shown by the API;
    whether to push is decided afterwards.
    """
    unique = set(changed_skus)
    skus = unique | set(affected_skus_fn(unique)) if unique else set()
    channel_ids = {c.channel_id for c in channels}
    return {(s, c) for s in skus for c in channel_ids}


# -- notes ----------------------------------------------------------------------------------------


def _warehouse_part(warehouse_id: str, raw: int, contribution: int, shares: Mapping[str, int] | None) -> str:
    if raw < 0:
        return f"{warehouse_id} 0 ({_signed(raw)} oversold, counted as 0)"
    if shares is not None:
        if warehouse_id not in shares:
            return f"{warehouse_id} 0 (not allocated)"
        if shares[warehouse_id] != 100:
            return f"{warehouse_id} {contribution} ({shares[warehouse_id]}% of {raw})"
    return f"{warehouse_id} {contribution}"


def _available_note(
    total: int, parts: list[str], channel: Channel, catalog: Catalog, allocation_ignored: bool
) -> str:
    details = " + ".join(parts) if parts else "no warehouses"
    extras: list[str] = []
    if channel.warehouses.mode == SINGLE:
        extras.append("single warehouse")
    else:
        selected = set(channel_warehouse_ids(channel, catalog.warehouses))
        excluded = [w for w in catalog.warehouses if w not in selected]
        if excluded:
            extras.append(f"{', '.join(excluded)} excluded")
    if allocation_ignored:
        extras.append("allocation ignored in warehouse mode")
    suffix = "; " + "; ".join(extras) if extras else ""
    return f"available {total} ({details}{suffix})"


def _signed(value: int) -> str:
    return f"{MINUS}{-value}" if value < 0 else str(value)
