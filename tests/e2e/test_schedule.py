"""The periodic full sync is the safety net: it finds and corrects drift on the channel."""

from __future__ import annotations


def test_scheduled_full_sync_corrects_a_store_edited_behind_our_back(stack):
    """Given 8 synced to Shopify, when someone sets the store to 20 and the hourly schedule
    fires, then the run reads the store, lowers it back to 8 and records a scheduled run."""
    m = stack.account("drift")
    stack.warehouse(m, "main")
    stack.product(m, "D")
    stack.stock(m, "D", "main", 8)
    channel, domain = stack.shop(m, skus=("D",))
    stack.settle()
    assert stack.shopify(domain, "D") == 8
    stack.sim.call("POST", f"/_sim/shops/{domain}/inventory/set", {"sku": "D", "available": 20})
    stack.api.call("POST", "/_local/schedules/QuantityRecomputeFunction", {})
    stack.settle()
    assert stack.shopify(domain, "D") == 8
    runs = stack.call(m, "GET", "/sync-runs?limit=5")["items"]
    scheduled = [r for r in runs if r["kind"] == "scheduled"]
    assert scheduled and scheduled[0]["status"] == "success"
    assert scheduled[0]["counts"]["pushed"] == 1
    history = stack.call(m, "GET", f"/sync-history?sku=D&channel_id={channel}")["items"]
    assert history[0]["result"] == "pushed" and history[0]["from_quantity"] == 20 and history[0]["to_quantity"] == 8
