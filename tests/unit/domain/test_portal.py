"""Portal rules (field-docs/01, 02): supplier available on hand -> merchant physical on hand."""

from __future__ import annotations

from inventory_sync.domain.model import Portal, Warehouse
from inventory_sync.domain.portal import (
    PortalWrite,
    portal_write_targets,
    portal_writes,
    portals_fed_by,
    supplier_available,
)
from inventory_sync.domain.quantity import Catalog, compute_channel_quantity

from .builders import catalog, channel, item, kit


def portal(**fields) -> Portal:
    return Portal(**{"portal_id": "p1", "supplier_account_id": "sup", "merchant_account_id": "mer", **fields})


def fulfilled(sku: str, supplier: str = "sup") -> object:
    return item(sku, supplier_account_id=supplier, auto_dropship=True)


def test_supplier_available_total_becomes_merchant_on_hand_at_the_portal_warehouse():
    """Given the supplier has 375 available (400 on hand, 25 committed), then the merchant's portal
    warehouse gets on hand 375 for the same SKU."""
    supplier = catalog({("WILLOW", "WH-A"): (300, 25), ("WILLOW", "WH-B"): 100})

    writes = portal_writes(portal(), "WILLOW", supplier, [fulfilled("WILLOW")], supplier_products_imported=True)

    assert writes == [PortalWrite("mer", "WILLOW", "portal-p1", 375)]


def test_supplier_warehouse_left_out_of_combined_totals_is_not_synced():
    """Given the supplier keeps 50 at a warehouse outside combined totals, then it is not offered."""
    supplier = catalog({("SKU", "WH-A"): 10, ("SKU", "FBA"): 50}, warehouse_ids=("WH-A", "FBA"), not_combined=("FBA",))

    assert supplier_available("SKU", supplier) == 10


def test_supplier_oversold_warehouse_does_not_reduce_another_and_total_is_never_negative():
    """Given one supplier warehouse at -5 and one at 3, then 3 is written (never a negative on hand)."""
    supplier = catalog({("SKU", "WH-A"): (0, 5), ("SKU", "WH-B"): 3})

    assert supplier_available("SKU", supplier) == 3


def test_supplier_bundle_offers_what_its_components_build():
    """Given a supplier kit of 2 X with 9 X, then 4 kits are offered."""
    supplier = catalog({("X", "WH-A"): 9}, products=[kit("K", ("X", 2))])

    assert supplier_available("K", supplier) == 4


def test_portal_writes_only_to_products_assigned_to_the_supplier():
    """Given same-SKU merchant products assigned to another supplier or none, then none is written."""
    merchant = [fulfilled("SKU", supplier="someone-else"), item("SKU")]

    assert portal_write_targets(portal(), "SKU", merchant, supplier_products_imported=True) == []


def test_portal_matches_merchant_products_by_sku():
    """Given assigned products SKU and OTHER, then a change to SKU writes to SKU only."""
    merchant = [fulfilled("SKU"), fulfilled("OTHER")]

    assert portal_write_targets(portal(), "SKU", merchant, supplier_products_imported=True) == ["SKU"]


def test_portal_writes_nothing_before_products_are_imported():
    """Given the supplier has not imported the merchant's products, then nothing is written."""
    assert portal_write_targets(portal(), "SKU", [fulfilled("SKU")], supplier_products_imported=False) == []


def test_portal_writes_nothing_when_write_inventory_is_off():
    """Given write_inventory off on the portal, then nothing is written."""
    off = portal(write_inventory=False)

    assert portal_write_targets(off, "SKU", [fulfilled("SKU")], supplier_products_imported=True) == []
    assert portals_fed_by("sup", [off, portal(portal_id="p2")]) == [portal(portal_id="p2")]


def test_only_fulfilled_products_guard_skips_products_the_supplier_does_not_ship():
    """Given an assigned product with auto-dropship off, then only_fulfilled_products skips it."""
    assigned_not_dropshipped = item("SKU", supplier_account_id="sup", auto_dropship=False)

    guarded = portal_write_targets(portal(only_fulfilled_products=True), "SKU", [assigned_not_dropshipped], True)
    unguarded = portal_write_targets(portal(only_fulfilled_products=False), "SKU", [assigned_not_dropshipped], True)

    assert (guarded, unguarded) == ([], ["SKU"])


def test_portal_warehouse_defaults_to_one_named_for_the_portal():
    """Given no merchant_warehouse_id, then the portal writes to portal-{portal_id}."""
    assert portal().warehouse_id == "portal-p1"
    assert portal(merchant_warehouse_id="SUPPLIER-A").warehouse_id == "SUPPLIER-A"


def test_portal_warehouse_counts_in_the_merchant_combined_total_unless_excluded():
    """Given the merchant's own 5 and 375 at the portal warehouse, then a combined channel shows
    380, and 5 when the operator excludes the portal warehouse."""
    merchant = catalog({("SKU", "WH-A"): 5, ("SKU", "portal-p1"): 375}, warehouse_ids=("WH-A", "portal-p1"))
    merchant = Catalog(
        merchant.products,
        merchant.stock,
        {**merchant.warehouses, "portal-p1": Warehouse("portal-p1", portal_id="p1")},
    )

    assert compute_channel_quantity("SKU", merchant, channel()).quantity == 380
    assert compute_channel_quantity("SKU", merchant, channel(exclude=("portal-p1",))).quantity == 5
