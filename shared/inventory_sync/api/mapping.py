"""Explicit mapping between the API models and the domain values (both directions)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from inventory_sync.api import models as m
from inventory_sync.domain.model import (
    Account,
    AccountKind,
    AccountSyncPolicy,
    Bundle,
    BundleComponent,
    Channel,
    Order,
    Portal,
    Product,
    ProductSyncPolicy,
    Rules,
    StockLevel,
    Warehouse,
    WarehouseSelection,
)
from inventory_sync.ports import HistoryEntry, Listing, StockChange, SyncRun
from inventory_sync.services.catalog import (
    RUN_COUNTS,
    ChannelView,
    PortalView,
    ProductDetail,
    ProductFilter,
    RuleOverride,
)
from inventory_sync.services.orders import Shipment, ShipmentRequest

# ---- requests -> domain --------------------------------------------------------------------------


def account_from(body: m.AccountIn) -> Account:
    return Account(account_id=body.account_id, name=body.name, kind=AccountKind(body.kind),
                   sync_policy=AccountSyncPolicy(body.sync_policy), auto_process_orders=body.auto_process_orders)


def product_from(sku: str, body: m.ProductIn) -> Product:
    bundle = None
    if body.bundle is not None:
        bundle = Bundle(tuple(BundleComponent(c.sku, c.quantity) for c in body.bundle.components))
    return Product(sku=sku, name=body.name, sync_policy=ProductSyncPolicy(body.sync_policy),
                   process_orders=body.process_orders, bundle=bundle,
                   supplier_account_id=body.supplier_account_id, auto_dropship=body.auto_dropship,
                   aliases={channel: tuple(skus) for channel, skus in body.aliases.items()},
                   tags=tuple(dict.fromkeys(body.tags)))


def filter_from(body: m.ProductFilter | None) -> ProductFilter | None:
    if body is None:
        return None
    return ProductFilter(prefix=body.prefix or "", tag=body.tag, supplier_account_id=body.supplier_account_id,
                         sync_policy=body.sync_policy)


def stock_changes_from(body: m.StockChangesIn) -> list[StockChange]:
    return [StockChange(sku=c.sku, warehouse_id=c.warehouse_id, op=c.op, quantity=c.quantity, reason=c.reason,
                        reference=c.reference, idempotency_key=c.idempotency_key) for c in body.changes]


def channel_from(account_id: str, channel_id: str, body: m.ChannelIn) -> Channel:
    optional: dict[str, Any] = {}
    if body.api_version is not None:
        optional["api_version"] = body.api_version
    return Channel(
        account_id=account_id, channel_id=channel_id, type=body.type, location_id=body.location_id,
        api_base_url=body.api_base_url, write_inventory=body.write_inventory,
        sync_interval_minutes=body.sync_interval_minutes, sku_mode=body.sku_mode, sync_mode=body.sync_mode,
        warehouses=WarehouseSelection(mode=body.warehouses.mode, warehouse_id=body.warehouses.warehouse_id,
                                      exclude=tuple(dict.fromkeys(body.warehouses.exclude))),
        rules=Rules(**body.rules.model_dump()), allocations=dict(body.allocations),
        locations=dict(body.locations), **optional,
    )


def rules_override_from(body: m.RulesOverrideIn) -> tuple[dict[str, Any], str]:
    """The override's fields and the prefix its field names take in errors ("" or "rules.")."""
    if body.rules is not None:
        return {name: getattr(body.rules, name) for name in body.rules.model_fields_set}, "rules."
    return {name: getattr(body, name) for name in body.model_fields_set if name != "rules"}, ""


def portal_from(body: m.PortalIn) -> Portal:
    return Portal(portal_id=body.portal_id, supplier_account_id=body.supplier_account_id,
                  merchant_account_id=body.merchant_account_id, write_inventory=body.write_inventory,
                  sync_interval_minutes=body.sync_interval_minutes,
                  only_fulfilled_products=body.only_fulfilled_products,
                  merchant_warehouse_id=body.merchant_warehouse_id or "")


def shipment_request_from(body: m.ShipmentIn) -> ShipmentRequest:
    return ShipmentRequest(lines=tuple((x.line_id, x.quantity) for x in body.lines), carrier=body.carrier,
                           tracking_number=body.tracking_number, tracking_url=body.tracking_url)


# ---- domain -> responses -------------------------------------------------------------------------


def account_out(a: Account) -> m.AccountOut:
    return m.AccountOut(account_id=a.account_id, name=a.name, kind=a.kind.value, sync_policy=a.sync_policy.value,
                        auto_process_orders=a.auto_process_orders)


def warehouse_out(w: Warehouse) -> m.WarehouseOut:
    return m.WarehouseOut(warehouse_id=w.warehouse_id, name=w.name, include_in_combined=w.include_in_combined,
                          portal_id=w.portal_id)


def product_out(p: Product) -> m.ProductOut:
    return m.ProductOut(**_product_fields(p))


def _product_fields(p: Product) -> dict[str, Any]:
    return {
        "sku": p.sku, "name": p.name, "sync_policy": p.sync_policy.value, "process_orders": p.process_orders,
        "bundle": None if p.bundle is None else m.BundleOut(
            components=[m.ComponentOut(sku=c.sku, quantity=c.quantity) for c in p.bundle.components]),
        "supplier_account_id": p.supplier_account_id, "auto_dropship": p.auto_dropship,
        "aliases": {k: list(v) for k, v in p.aliases.items()}, "tags": list(p.tags),
        "imported_from_portal": p.imported_from_portal,
    }


def _stock_out(level: StockLevel) -> m.StockOut:
    return m.StockOut(on_hand=level.on_hand, committed=level.committed, available=level.available)


def _listing_out(x: Listing) -> m.ListingStateOut:
    return m.ListingStateOut(listing_sku=x.listing_sku, desired=x.desired, last_pushed=x.last_pushed,
                             last_pushed_at=x.last_pushed_at, status=x.status)


def product_detail_out(d: ProductDetail) -> m.ProductDetailOut:
    channels = {}
    for channel_id, listings in d.listings.items():
        first = _listing_out(listings[0])
        channels[channel_id] = m.ChannelStateOut(**first.model_dump(),
                                                 listings={x.listing_sku: _listing_out(x) for x in listings})
    return m.ProductDetailOut(**_product_fields(d.product),
                              stock={wh: _stock_out(level) for wh, level in d.stock.items()},
                              totals=_stock_out(d.totals), channels=channels)


def run_out(r: SyncRun) -> m.RunOut:
    counts = {name: 0 for name in RUN_COUNTS}
    counts.update({k: int(v) for k, v in r.counts.items()})
    return m.RunOut(run_id=r.run_id, kind=r.kind, status=r.status, started_at=r.started_at,
                    finished_at=r.finished_at, counts=counts, errors=list(r.errors))


def history_out(h: HistoryEntry) -> m.HistoryOut:
    return m.HistoryOut(**asdict(h))


def channel_out(v: ChannelView) -> m.ChannelOut:
    c = v.channel
    return m.ChannelOut(
        account_id=c.account_id, channel_id=c.channel_id, type=c.type, api_base_url=c.api_base_url,
        api_version=c.api_version, location_id=c.location_id, shop_domain=c.shop_domain, store_hash=c.store_hash,
        write_inventory=c.write_inventory, sync_interval_minutes=c.sync_interval_minutes, sku_mode=c.sku_mode,
        sync_mode=c.sync_mode,
        warehouses=m.WarehouseSelectionOut(mode=c.warehouses.mode, warehouse_id=c.warehouses.warehouse_id,
                                           exclude=list(c.warehouses.exclude)),
        rules=m.RulesOut(**asdict(c.rules)), allocations=dict(c.allocations),
        locations=dict(c.locations), webhook_url=v.webhook_url,
        last_run=None if v.last_run is None else run_out(v.last_run),
    )


def rule_override_out(r: RuleOverride) -> m.RuleOverrideOut:
    return m.RuleOverrideOut(channel_id=r.channel_id, sku=r.sku, rules=r.rules, effective=m.RulesOut(**asdict(r.effective)))


def portal_out(v: PortalView) -> m.PortalOut:
    p = v.portal
    return m.PortalOut(portal_id=p.portal_id, supplier_account_id=p.supplier_account_id,
                       merchant_account_id=p.merchant_account_id, write_inventory=p.write_inventory,
                       sync_interval_minutes=p.sync_interval_minutes,
                       only_fulfilled_products=p.only_fulfilled_products, merchant_warehouse_id=p.warehouse_id,
                       products_imported=v.products_imported, imported_at=v.imported_at)


def order_out(o: Order) -> m.OrderOut:
    return m.OrderOut(
        order_id=o.order_id, source=m.OrderSourceOut(kind=o.source_kind, id=o.source_id), status=o.status,
        lines=[m.OrderLineOut(line_id=x.line_id, sku=x.sku, quantity=x.quantity, warehouse_id=x.warehouse_id,
                              shipped=x.shipped, cancelled=x.cancelled, routed_to=x.routed_to) for x in o.lines],
        shipments=[dict(x) for x in o.shipments], linked_orders=[dict(x) for x in o.linked_orders],
        channel_order_id=o.channel_order_id,
    )


def shipment_out(s: Shipment) -> m.ShipmentOut:
    return m.ShipmentOut(shipment_id=s.shipment_id, order_id=s.order_id,
                         lines=[m.ShipmentLineOut(line_id=x.line_id, sku=x.sku, quantity=x.quantity) for x in s.lines],
                         carrier=s.carrier, tracking_number=s.tracking_number, tracking_url=s.tracking_url,
                         created_at=s.created_at, relay_status=s.relay_status)
