"""One scenario per field doc, through the local runtime over HTTP (the quantity engine issue)."""

from __future__ import annotations

import pytest

REASONS = ["sales_order", "purchase_order", "work_order", "manual_adjustment", "file_upload",
           "inventory_feed", "receipt", "return"]


def test_03_every_kind_of_change_is_synced_at_once(stack):
    """field-docs/03: a sales order, PO, work order, adjustment, file upload, feed, receipt or
    return each sends the new syncable balance to the channel."""
    m = stack.account("auto")
    stack.warehouse(m, "main")
    stack.product(m, "A")
    stack.stock(m, "A", "main", 10)
    _, domain = stack.shop(m, skus=("A",))
    stack.settle()
    assert stack.shopify(domain, "A") == 10
    expected = 10
    for n, reason in enumerate(REASONS, start=1):
        delta = n if n % 2 else -1
        stack.stock(m, "A", "main", delta, op="adjust", reason=reason)
        expected += delta
        stack.settle()
        assert stack.shopify(domain, "A") == expected, reason


def test_03_auto_sync_toggle_stops_one_sku_and_bulk_turns_it_back_on(stack):
    """field-docs/03: Auto Sync can be switched off per product and on again in bulk."""
    m = stack.account("toggle")
    stack.warehouse(m, "main")
    stack.product(m, "ON")
    stack.product(m, "OFF", sync_policy="never")
    stack.stock(m, "ON", "main", 5)
    stack.stock(m, "OFF", "main", 5)
    _, domain = stack.shop(m, skus=("ON", "OFF"))
    stack.settle()
    assert (stack.shopify(domain, "ON"), stack.shopify(domain, "OFF")) == (5, 0)
    stack.call(m, "POST", "/products:bulk-update", {"skus": ["OFF"], "set": {"sync_policy": "always"}})
    stack.stock(m, "OFF", "main", 6)
    stack.settle()
    assert stack.shopify(domain, "OFF") == 6


def test_04_combined_total_excludes_fba_and_applies_rules_with_an_explanation(stack):
    """field-docs/04: combine all locations except a disabled (FBA) warehouse, then the rules."""
    m = stack.account("combine")
    for wh, include in (("wh-a", True), ("wh-b", True), ("fba", False)):
        stack.warehouse(m, wh, include)
    stack.product(m, "KIT-PART")
    stack.stock(m, "KIT-PART", "wh-a", 30)
    stack.stock(m, "KIT-PART", "wh-b", 10)
    stack.stock(m, "KIT-PART", "fba", 100)
    channel, domain = stack.shop(m, skus=("KIT-PART",), rules={"buffer": 5, "allocation_percent": 50})
    stack.settle()
    assert stack.shopify(domain, "KIT-PART") == 17  # (40 - 5) * 50% rounded down
    explain = stack.call(m, "GET", f"/products/KIT-PART/explain?channel_id={channel}")
    assert explain["quantity"] == 17
    assert [s["rule"] for s in explain["steps"]][:1] == ["available"]
    assert "fba" in explain["steps"][0]["note"].lower()


def test_04_single_warehouse_and_a_bundle_from_its_components(stack):
    """field-docs/04: a channel fed by one warehouse; a bundle is limited by its scarcest part."""
    m = stack.account("bundle")
    stack.warehouse(m, "east")
    stack.warehouse(m, "west")
    for sku, qty in (("CUP", 9), ("SAUCER", 20)):
        stack.product(m, sku)
        stack.stock(m, sku, "east", qty)
        stack.stock(m, sku, "west", 50)
    stack.product(m, "TEA-SET", bundle={"components": [{"sku": "CUP", "quantity": 2}, {"sku": "SAUCER", "quantity": 2}]})
    _, domain = stack.shop(m, skus=("CUP", "TEA-SET"), warehouses={"mode": "single", "warehouse_id": "east"})
    stack.stock(m, "CUP", "east", 1, op="adjust", reason="receipt")  # any change reaches the bundle too
    stack.settle()
    assert stack.shopify(domain, "CUP") == 10
    assert stack.shopify(domain, "TEA-SET") == 5  # min(10 // 2, 20 // 2)


def test_04_listing_skus_each_get_the_quantity(stack):
    """field-docs/04 (Sync Inventory Alias): a master SKU listed under its alias on one channel."""
    m = stack.account("alias")
    stack.warehouse(m, "main")
    channel = f"shop-{stack.n}"
    stack.product(m, "MASTER", aliases={channel: ["LISTING-1"]})
    stack.stock(m, "MASTER", "main", 7)
    _, domain = stack.shop(m, channel_id=channel, skus=("LISTING-1",), sku_mode="listing")
    stack.settle()
    assert stack.shopify(domain, "LISTING-1") == 7


def test_05_item_policy_wins_and_never_received_items_are_not_zeroed(stack):
    """field-docs/05: the item's Never beats the account's Always; an item never received is not
    pushed (so it isn't zeroed); Sync Now pushes irrespective of the policy."""
    m = stack.account("policy", sync_policy="always")
    stack.warehouse(m, "main")
    stack.product(m, "NEVER", sync_policy="never")
    stack.product(m, "IMPORTED")
    stack.stock(m, "NEVER", "main", 4)
    stack.stock(m, "IMPORTED", "main", 0)
    _, domain = stack.shop(m, skus=("NEVER", "IMPORTED"))
    stack.sim.call("POST", f"/_sim/shops/{domain}/inventory/set", {"sku": "IMPORTED", "available": 3})
    stack.settle()
    assert stack.shopify(domain, "NEVER") == 0
    assert stack.shopify(domain, "IMPORTED") == 3  # not received: left alone
    run = stack.call(m, "POST", "/sync", {"skus": ["NEVER"]})["run_id"]
    stack.settle()
    assert stack.shopify(domain, "NEVER") == 4
    assert stack.call(m, "GET", f"/sync-runs/{run}")["status"] == "success"


def test_05_only_when_process_orders_with_auto_process_orders(stack):
    """field-docs/05 (RyderShip's standard setup): sync only items set to Process Orders, and let
    receiving turn it on and selling out turn it off — the sell-out's 0 is still pushed."""
    m = stack.account("ryder", sync_policy="process_orders_only", auto_process_orders=True)
    stack.warehouse(m, "main")
    stack.product(m, "ITEM", process_orders=False)
    channel, domain = stack.shop(m, skus=("ITEM",))
    stack.stock(m, "ITEM", "main", 3)
    stack.settle()
    assert stack.get_product(m, "ITEM")["process_orders"] is True
    assert stack.shopify(domain, "ITEM") == 3
    stack.stock(m, "ITEM", "main", -3, op="adjust", reason="sales_order")
    stack.settle()
    assert stack.get_product(m, "ITEM")["process_orders"] is False
    assert stack.shopify(domain, "ITEM") == 0


def test_02_supplier_split_propagates_to_the_merchant_and_tracking_returns(stack):
    """field-docs/02: a merchant's channel order for the supplier's products arrives at the
    supplier as an order from that merchant; a supplier split shows on the merchant side; the
    supplier's shipment fulfils the merchant's Shopify order."""
    sup = stack.account("vendor", kind="supplier")
    mer = stack.account("shop", kind="merchant")
    stack.warehouse(sup, "dc")
    for sku in ("P1", "P2"):
        stack.product(sup, sku)
        stack.stock(sup, sku, "dc", 50)
    portal = f"portal-{stack.n}"
    stack.api.call("POST", "/v1/portals", {"portal_id": portal, "supplier_account_id": sup,
                                           "merchant_account_id": mer, "write_inventory": True,
                                           "sync_interval_minutes": 60, "only_fulfilled_products": True},
                   stack.platform)
    for sku in ("P1", "P2"):
        stack.product(mer, sku, supplier_account_id=sup, auto_dropship=True)
    stack.api.call("POST", f"/v1/portals/{portal}/import-products", {}, stack.tokens[sup])
    channel, domain = stack.shop(mer, skus=("P1", "P2"))
    stack.call(sup, "POST", "/sync", {"channel_ids": [f"portal:{portal}"]})
    stack.settle()
    assert stack.shopify(domain, "P1") == 50
    placed = stack.sim.call("POST", f"/_sim/shops/{domain}/orders",
                            {"line_items": [{"sku": "P1", "quantity": 1}, {"sku": "P2", "quantity": 2}]})
    stack.settle()
    order_id = f"{channel}-{placed['order']['id']}"
    sup_order = stack.call(sup, "GET", f"/orders/{order_id}")
    assert sup_order["source"] == {"kind": "portal", "id": portal}
    lines = [l["line_id"] for l in sup_order["lines"]]
    split = stack.call(sup, "POST", f"/orders/{order_id}/split", {"groups": [[lines[0]], [lines[1]]]})
    assert len(split["order_ids"]) == 2
    stack.settle()
    merchant_order = stack.call(mer, "GET", f"/orders/{order_id}")
    assert len(merchant_order["linked_orders"]) >= 1
    first = stack.call(sup, "GET", f"/orders/{split['order_ids'][0]}")
    stack.call(sup, "POST", f"/orders/{split['order_ids'][0]}/shipments", {
        "lines": [{"line_id": first["lines"][0]["line_id"], "quantity": first["lines"][0]["quantity"]}],
        "carrier": "USPS", "tracking_number": "9400111899223817470000"})
    stack.settle()
    shop_order = stack.sim.call("GET", f"/_sim/shops/{domain}/orders/{placed['order']['id']}")
    assert [f["tracking_number"] for f in shop_order["fulfillments"]] == ["9400111899223817470000"]
