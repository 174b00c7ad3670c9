"""Portal rules: a supplier's available stock becomes the merchant's physical stock.

For the supplier, a portal is one more sales channel (field-docs/01, 02). The supplier's
available on hand, over the warehouses it includes in combined totals, is written as the on
hand of the merchant's portal warehouse (`portal.warehouse_id`). From there, the merchant's own
channels sync it like any other stock; that warehouse counts in the merchant's combined totals
unless the operator excludes it.

Products are matched by SKU: the merchant product whose SKU equals the supplier's SKU. That is
how the portal imports products (the supplier's copy keeps the merchant's SKU), so no mapping
table is needed. The merchant's auto-dropship lines are committed at the supplier only (see
`orders.py`), so the merchant's portal warehouse carries no commitments of its own and its
available equals the supplier's available.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from .model import Portal, Product
from .quantity import Catalog, combined_warehouse_ids, sellable_by_warehouse


@dataclass(frozen=True)
class PortalWrite:
    """Set `sku`'s on hand at the merchant's portal warehouse to `on_hand`."""

    merchant_account_id: str
    sku: str
    warehouse_id: str
    on_hand: int


def supplier_available(supplier_sku: str, supplier_catalog: Catalog) -> int:
    """The supplier's available on hand for `supplier_sku`: what the merchant may sell.

    Summed over the supplier's warehouses included in combined totals, each clamped at 0 (an
    oversold warehouse does not hide another's stock, as for channels); a bundle counts what its
    components build. Never negative, since it becomes a physical on hand. No channel rules
    apply: a portal has none, and the merchant's own channels apply theirs.
    """
    warehouse_ids = combined_warehouse_ids(supplier_catalog.warehouses)
    return sum(sellable_by_warehouse(supplier_sku, supplier_catalog, warehouse_ids).values())


def portal_write_targets(
    portal: Portal,
    supplier_sku: str,
    merchant_products: Iterable[Product],
    supplier_products_imported: bool,
) -> list[str]:
    """The merchant SKUs a supplier stock change for `supplier_sku` is written to.

    Nothing unless the portal writes inventory and the supplier has imported the merchant's
    products (field-docs/01: without the import the sync cannot run). Then, every merchant
    product with the same SKU that is assigned to this supplier. With `only_fulfilled_products`,
    only those the supplier really fulfils (auto-dropship on and assigned), so stock is never
    written to a product the merchant ships from its own shelves.
    """
    if not portal.write_inventory or not supplier_products_imported:
        return []
    targets: list[str] = []
    for product in merchant_products:
        if product.sku != supplier_sku or product.supplier_account_id != portal.supplier_account_id:
            continue
        if portal.only_fulfilled_products and not product.auto_dropship:
            continue
        if product.sku not in targets:
            targets.append(product.sku)
    return targets


def portal_writes(
    portal: Portal,
    supplier_sku: str,
    supplier_catalog: Catalog,
    merchant_products: Iterable[Product],
    supplier_products_imported: bool,
) -> list[PortalWrite]:
    """The merchant stock writes one supplier SKU's change makes through `portal`."""
    targets = portal_write_targets(portal, supplier_sku, merchant_products, supplier_products_imported)
    if not targets:
        return []
    on_hand = supplier_available(supplier_sku, supplier_catalog)
    return [PortalWrite(portal.merchant_account_id, sku, portal.warehouse_id, on_hand) for sku in targets]


def portals_fed_by(supplier_account_id: str, portals: Iterable[Portal]) -> list[Portal]:
    """The portals a stock change of this supplier can write through (write_inventory on)."""
    return [p for p in portals if p.supplier_account_id == supplier_account_id and p.write_inventory]
