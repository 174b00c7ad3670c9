"""Small builders so each test states only the stock and settings its rule is about."""

from __future__ import annotations

from typing import Iterable, Mapping

from inventory_sync.domain.model import (
    Bundle,
    BundleComponent,
    Channel,
    Product,
    Rules,
    StockLevel,
    Warehouse,
    WarehouseSelection,
)
from inventory_sync.domain.quantity import Catalog

#: (on_hand) or (on_hand, committed) per (sku, warehouse_id)
StockSpec = Mapping[tuple[str, str], "int | tuple[int, int]"]


def item(sku: str, **fields) -> Product:
    return Product(sku=sku, name=sku, **fields)


def kit(sku: str, *components: tuple[str, int], **fields) -> Product:
    return Product(sku=sku, name=sku, bundle=Bundle(tuple(BundleComponent(s, q) for s, q in components)), **fields)


def warehouses(*ids: str, not_combined: Iterable[str] = ()) -> dict[str, Warehouse]:
    outside = set(not_combined)
    return {w: Warehouse(w, name=w, include_in_combined=w not in outside) for w in ids}


def catalog(
    stock: StockSpec,
    products: Iterable[Product] = (),
    warehouse_ids: Iterable[str] = ("WH-A", "WH-B"),
    not_combined: Iterable[str] = (),
    received: Iterable[tuple[str, str]] = (),
) -> Catalog:
    """A catalog; any SKU in `stock` without a product becomes a plain item."""
    by_sku = {p.sku: p for p in products}
    received = set(received)
    levels: dict[str, dict[str, StockLevel]] = {}
    for (sku, warehouse_id), spec in stock.items():
        on_hand, committed = spec if isinstance(spec, tuple) else (spec, 0)
        levels.setdefault(sku, {})[warehouse_id] = StockLevel(
            sku, warehouse_id, on_hand, committed, received=(sku, warehouse_id) in received or on_hand > 0
        )
        by_sku.setdefault(sku, item(sku))
    return Catalog(products=by_sku, stock=levels, warehouses=warehouses(*warehouse_ids, not_combined=not_combined))


def channel(
    mode: str = "combined",
    warehouse_id: str | None = None,
    exclude: tuple[str, ...] = (),
    rules: Rules = Rules(),
    **fields,
) -> Channel:
    return Channel(
        account_id="acct",
        channel_id=fields.pop("channel_id", "shop"),
        type="shopify",
        location_id="gid://shopify/Location/1",
        warehouses=WarehouseSelection(mode=mode, warehouse_id=warehouse_id, exclude=exclude),
        rules=rules,
        **fields,
    )
