"""Quantity recompute: a stored change -> the listings it affects -> desired quantity -> push signal.

Level-triggered: a signal names a listing, never a quantity; the push reads `desired` when it runs.
Only the affected (SKU, channel) pairs are recomputed, each once per batch, and an unchanged
result sends no signal.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from inventory_sync.domain import bundles, policy, portal as portal_rules
from inventory_sync.domain.model import Account, Channel, Portal, Product, StockLevel
from inventory_sync.domain.quantity import (
    Catalog,
    QuantityResult,
    compute_channel_quantity,
    explain_text,
    listing_skus,
    merge_rules,
)
from inventory_sync.errors import NotFound
from inventory_sync.ports import HistoryEntry
from inventory_sync.adapters.dynamo import utcnow


def portal_channel_id(portal_id: str) -> str:
    """A portal is one of the supplier's sales channels; this is its id in runs and history."""
    return f"portal:{portal_id}"


@dataclass
class AccountView:
    """What recompute reads of one account, loaded once per batch."""

    account: Account
    channels: list[Channel]
    catalog: Catalog
    portals: list[Portal] = field(default_factory=list)


def load_catalog(repo: Any, account_id: str, skus: Iterable[str]) -> Catalog:
    """Products and stock for `skus` and, transitively, every component of a bundle among them."""
    products: dict[str, Product] = {}
    todo = set(skus)
    while todo:
        found = repo.get_products(account_id, todo)
        products.update(found)
        todo = {c.sku for p in found.values() if p.bundle for c in p.bundle.components} - set(products)
    stock = repo.get_stock(account_id, set(products) | set(skus))
    return Catalog(products=products, stock=stock, warehouses=repo.get_warehouses(account_id))


def load_view(repo: Any, account_id: str, skus: Iterable[str]) -> AccountView | None:
    account = repo.get_account(account_id)
    if account is None:
        return None
    return AccountView(account=account, channels=repo.list_channels(account_id),
                       catalog=load_catalog(repo, account_id, skus),
                       portals=repo.portals_for_account(account_id))


def affected(repo: Any, account_id: str, changed: Iterable[str]) -> set[str]:
    """The changed SKUs and every bundle that contains one of them (through the reverse index)."""
    return bundles.affected_skus(changed, lambda sku: repo.bundles_containing(account_id, sku))


def channel_quantity(repo: Any, view: AccountView, channel: Channel, sku: str,
                     overrides: Mapping[str, Mapping[str, Any]] | None = None) -> QuantityResult:
    override = (overrides or {}).get(sku)
    rules = merge_rules(channel.rules, override) if override else None
    return compute_channel_quantity(sku, view.catalog, channel, rules=rules,
                                    allocation=channel.allocations or None)


def listing_skus_for(product: Product, channel: Channel) -> tuple[str, ...]:
    return listing_skus(product, channel)


#: separates a listing SKU from the warehouse it shows, in warehouse sync mode (SKUs never hold "/")
WAREHOUSE_SEPARATOR = "/"


def listing_targets(product: Product, channel: Channel, result: QuantityResult) -> list[tuple[str, int]]:
    """(listing id, quantity) pairs: one per listing SKU, or, by warehouse, one per listing SKU and
    warehouse ("SKU/warehouse"), each shown at that warehouse's channel location."""
    skus = listing_skus_for(product, channel)
    if channel.sync_mode == "warehouse":
        return [(f"{sku}{WAREHOUSE_SEPARATOR}{wh}", q) for sku in skus for wh, q in result.per_warehouse.items()]
    return [(sku, result.quantity) for sku in skus]


def split_listing_id(listing_id: str) -> tuple[str, str | None]:
    """"SKU/warehouse" -> ("SKU", "warehouse"); a plain listing SKU -> (SKU, None)."""
    sku, _, warehouse = listing_id.partition(WAREHOUSE_SEPARATOR)
    return sku, warehouse or None


def level_received(view: AccountView, sku: str) -> bool:
    return policy.item_received(sku, view.catalog)


@dataclass
class RecomputeOutcome:
    signals: list[dict] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)
    portal_writes: int = 0
    listings: int = 0


def recompute_skus(repo: Any, view: AccountView, skus: Iterable[str], *, run_id: str | None = None,
                   channel_ids: Iterable[str] | None = None, force: bool = False,
                   verify: bool = False, process_orders_before: Mapping[str, bool] | None = None) -> RecomputeOutcome:
    """Recomputes each (listing, channel) of `skus` once and says which listings to push.

    Realtime (force=False): signal only when the desired quantity changed and the sync policy
    allows it. A run (Sync Now, scheduled): signal every listing the run covers, so the push can
    verify the channel still shows our number; Sync Now (force=True) ignores the sync policy.
    """
    out = RecomputeOutcome()
    now = utcnow()
    wanted = set(channel_ids) if channel_ids is not None else None
    for channel in view.channels:
        if wanted is not None and channel.channel_id not in wanted:
            continue
        if not channel.write_inventory:
            continue
        overrides = repo.get_rule_overrides(view.account.account_id, channel.channel_id, skus)
        targets = {sku: listing_targets(view.catalog.products[sku], channel,
                                        channel_quantity(repo, view, channel, sku, overrides))
                   for sku in skus if sku in view.catalog.products}
        known = repo.get_listings(view.account.account_id, channel.channel_id,
                                  [l for pairs in targets.values() for l, _ in pairs])
        for sku, pairs in targets.items():
            product = view.catalog.products[sku]
            decision = policy.push_decision(view.account, product, level_received(view, sku), sync_now=force,
                                            process_orders_before=(process_orders_before or {}).get(sku))
            for listing_sku, quantity in pairs:
                out.listings += 1
                before = known.get(listing_sku)
                changed = (before is None or before.desired != quantity) and repo.set_desired(
                    view.account.account_id, channel.channel_id, listing_sku, sku, quantity)
                if not decision.push:
                    if changed or run_id:
                        out.history.append(HistoryEntry(now, sku, channel.channel_id, listing_sku, None,
                                                        quantity, "skipped", decision.reason, run_id))
                    if before is None or before.status != "skipped":
                        repo.set_listing_status(view.account.account_id, channel.channel_id, listing_sku, "skipped")
                    continue
                # a listing the policy held back is pushed once it may be (e.g. the item was received)
                was_held = before is not None and before.status == "skipped"
                if changed or run_id or was_held:
                    out.signals.append({"account_id": view.account.account_id,
                                        "channel_id": channel.channel_id, "listing_sku": listing_sku,
                                        **({"run_id": run_id} if run_id else {}),
                                        **({"verify": True} if verify or force else {})})
    if view.account.kind.value == "supplier":
        out.portal_writes += write_portals(repo, view, skus, run_id=run_id, history=out.history,
                                           portal_ids=None if wanted is None else
                                           {c.split(":", 1)[1] for c in wanted if c.startswith("portal:")})
    return out


def write_portals(repo: Any, view: AccountView, skus: Iterable[str], *, run_id: str | None,
                  history: list[HistoryEntry], portal_ids: set[str] | None = None) -> int:
    """Supplier available on hand -> the merchant's physical on hand, for every eligible portal."""
    writes = 0
    now = utcnow()
    supplier_id = view.account.account_id
    for p in view.portals:
        if p.supplier_account_id != supplier_id:
            continue
        if portal_ids is not None and p.portal_id not in portal_ids:
            continue
        imported = bool(repo.get_portal_item(p.portal_id).get("products_imported"))
        merchant_products = repo.get_products(p.merchant_account_id, skus)
        for sku in skus:
            if sku not in view.catalog.products:
                continue
            targets = portal_rules.portal_write_targets(p, sku, merchant_products.values(), imported)
            quantity = portal_rules.supplier_available(sku, view.catalog)  # never negative
            for target in targets:
                changed = repo.set_on_hand(p.merchant_account_id, target, p.warehouse_id, quantity)
                writes += int(changed)
                if changed or run_id:
                    history.append(HistoryEntry(now, sku, portal_channel_id(p.portal_id), target, None, quantity,
                                                "pushed" if changed else "unchanged",
                                                "portal write_inventory", run_id))
    return writes


def explain(deps: Any, account_id: str, sku: str, channel_id: str) -> dict:
    """How the quantity for `sku` on `channel_id` is computed, step by step."""
    repo = deps.repo
    channel = repo.get_channel(account_id, channel_id)
    if channel is None:
        raise NotFound(f"channel {channel_id} not found", field="channel_id")
    view = load_view(repo, account_id, [sku])
    if view is None:
        raise NotFound(f"account {account_id} not found")
    product = view.catalog.products.get(sku)
    if product is None:
        raise NotFound(f"product {sku} not found", field="sku")
    overrides = repo.get_rule_overrides(account_id, channel_id, [sku])
    result = channel_quantity(repo, view, channel, sku, overrides)
    decision = policy.push_decision(view.account, product, level_received(view, sku), sync_now=False)
    return {
        "quantity": result.quantity,
        "steps": [{"rule": s.rule, "input": s.input, "output": s.output, "note": s.note} for s in result.steps],
        "text": explain_text(result),
        "per_warehouse": dict(result.per_warehouse),
        "listing_skus": list(listing_skus_for(product, channel)),
        "policy": {"push": decision.push, "reason": decision.reason},
    }


def changed_skus_from_stream(records: Iterable[Mapping[str, Any]]) -> dict[str, set[str]]:
    """account_id -> SKUs whose stock or definition changed, from DynamoDB stream images."""
    out: dict[str, set[str]] = defaultdict(set)
    for rec in records:
        image = rec.get("new") or rec.get("old") or {}
        sk = image.get("sk", "")
        if sk.startswith("STOCK#") or sk.startswith("PRODUCT#"):
            out[image["account_id"]].add(image["sku"])
    return out
