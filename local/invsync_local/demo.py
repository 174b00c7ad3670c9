"""The demo: field-docs/01's Willow DVD, played through HTTP against the local runtime.

1. A supplier account holds "Willow DVD" with 375 available on hand.
2. A merchant account is linked by a portal; its product is assigned to the supplier (auto-dropship).
3. The merchant's physical on hand becomes 375, and its Shopify store shows 375 available.
4. A Shopify order for 2 arrives by webhook and is routed to the supplier as an order from that merchant.
5. Every quantity shows 373: supplier available, merchant on hand, Shopify available.
6. The supplier ships with a tracking number; the merchant's Shopify order is fulfilled with it.

Prints a table of each step (expected vs seen) and exits non-zero if any step differs.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import urllib3

SUPPLIER, MERCHANT, PORTAL = "supplier-1", "merchant-1", "willow-portal"
CHANNEL, SHOP = "merchant-shop", "merchant-demo.myshopify.com"
SKU = "WILLOW-DVD"
SHOP_TOKEN, SHOP_SECRET = "shpat_demo_token", "shpss_demo_client_secret"
TRACKING = "1Z999AA10123456784"


class DemoError(RuntimeError):
    pass


@dataclass
class Check:
    step: str
    what: str
    expected: Any
    seen: Any

    @property
    def ok(self) -> bool:
        return self.expected == self.seen


@dataclass
class Http:
    base: str
    pool: urllib3.PoolManager = field(default_factory=lambda: urllib3.PoolManager(retries=False, timeout=30))

    def call(self, method: str, path: str, body: Any = None, token: str | None = None,
             expect: tuple[int, ...] = (200, 201, 202)) -> Any:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        res = self.pool.request(method, self.base + path, headers=headers,
                                body=None if body is None else json.dumps(body))
        data = json.loads(res.data) if res.data else None
        if res.status not in expect:
            raise DemoError(f"{method} {path} answered {res.status}: {data}")
        return data


class Demo:
    def __init__(self, api_url: str, shopify_url: str, platform_token: str, wait_idle: Any):
        self.api = Http(api_url)
        self.sim = Http(shopify_url)
        self.platform = platform_token
        self.wait_idle = wait_idle
        self.checks: list[Check] = []
        self.tokens: dict[str, str] = {}

    def check(self, step: str, what: str, expected: Any, seen: Any) -> None:
        self.checks.append(Check(step, what, expected, seen))

    # -- reads ------------------------------------------------------------------------------------
    def product(self, account: str) -> dict:
        return self.api.call("GET", f"/v1/accounts/{account}/products/{quote(SKU, safe='')}", token=self.tokens[account])

    def shopify_available(self) -> int | None:
        inv = self.sim.call("GET", f"/_sim/shops/{SHOP}/inventory?sku={quote(SKU)}")
        items = inv.get("items") or []
        if not items:
            return None
        return next(iter(items[0]["levels"].values()))["available"]

    def settle(self) -> None:
        if not self.wait_idle(60):
            raise DemoError("the local runtime did not settle within 60 s")

    # -- the story --------------------------------------------------------------------------------
    def run(self) -> list[Check]:
        api, p = self.api, self.platform
        # 1. the supplier and its stock
        api.call("POST", "/v1/accounts", {"account_id": SUPPLIER, "name": "Willow Distribution", "kind": "supplier"}, p)
        api.call("POST", "/v1/accounts", {"account_id": MERCHANT, "name": "Movie Corner", "kind": "merchant"}, p)
        for account in (SUPPLIER, MERCHANT):
            self.tokens[account] = api.call("POST", f"/v1/accounts/{account}/tokens", {}, p)["token"]
        sup, mer = self.tokens[SUPPLIER], self.tokens[MERCHANT]
        api.call("PUT", f"/v1/accounts/{SUPPLIER}/warehouses/main", {"name": "Supplier DC", "include_in_combined": True}, sup)
        api.call("PUT", f"/v1/accounts/{SUPPLIER}/products/{SKU}", {"name": "Willow DVD"}, sup)
        api.call("POST", f"/v1/accounts/{SUPPLIER}/stock-changes", {"changes": [
            {"sku": SKU, "warehouse_id": "main", "op": "set", "quantity": 375, "reason": "receipt",
             "idempotency_key": "demo-receipt-1"}]}, sup)
        self.settle()
        self.check("1", "supplier available on hand", 375, self.product(SUPPLIER)["totals"]["available"])

        # 2. the merchant, its Shopify store, the portal and the auto-dropship assignment
        shop = self.sim.call("POST", "/_sim/shops", {"shop_domain": SHOP, "access_token": SHOP_TOKEN,
                                                     "webhook_secret": SHOP_SECRET, "locations": ["Main street"]})
        location = shop["locations"][0]["id"]
        self.sim.call("POST", f"/_sim/shops/{SHOP}/variants", {"sku": SKU, "title": "Willow DVD",
                                                               "quantities": {location: 0}})
        for topic in ("orders/create", "orders/updated", "orders/cancelled"):
            self.sim.call("POST", f"/_sim/shops/{SHOP}/webhooks",
                          {"topic": topic, "address": f"{api.base}/webhooks/shopify/{CHANNEL}"})
        api.call("PUT", f"/v1/accounts/{MERCHANT}/channels/{CHANNEL}", {
            "type": "shopify", "api_base_url": f"{self.sim.base}/shops/{SHOP}", "location_id": location,
            "credentials": {"shop_domain": SHOP, "access_token": SHOP_TOKEN}, "webhook_secret": SHOP_SECRET}, mer)
        api.call("PUT", f"/v1/accounts/{MERCHANT}/products/{SKU}", {
            "name": "Willow DVD", "supplier_account_id": SUPPLIER, "auto_dropship": True}, mer)
        api.call("POST", "/v1/portals", {"portal_id": PORTAL, "supplier_account_id": SUPPLIER,
                                         "merchant_account_id": MERCHANT, "write_inventory": True,
                                         "sync_interval_minutes": 60, "only_fulfilled_products": True}, p)
        api.call("POST", f"/v1/portals/{PORTAL}/import-products", {}, sup)
        self.settle()
        assigned = self.product(MERCHANT)
        self.check("2", "merchant product assigned to supplier (auto-dropship)", [SUPPLIER, True],
                   [assigned.get("supplier_account_id"), assigned.get("auto_dropship")])

        # 3. Sync Now on the supplier (the portal is one of its channels) -> merchant -> Shopify
        run_id = api.call("POST", f"/v1/accounts/{SUPPLIER}/sync", {"channel_ids": [f"portal:{PORTAL}"]}, sup)["run_id"]
        self.settle()
        merchant = self.product(MERCHANT)
        self.check("3", "merchant physical on hand", 375, merchant["totals"]["on_hand"])
        self.check("3", "Shopify available", 375, self.shopify_available())
        run = api.call("GET", f"/v1/accounts/{SUPPLIER}/sync-runs/{run_id}", token=sup)
        self.check("3", "supplier sync run status", "success", run["status"])

        # 4. a Shopify order for 2, by webhook, routed to the supplier
        order = self.sim.call("POST", f"/_sim/shops/{SHOP}/orders", {"line_items": [{"sku": SKU, "quantity": 2}]})
        delivered = [d.get("status") for d in order.get("deliveries", [])]
        self.check("4", "webhook delivered and accepted", True, bool(delivered) and all(s == 200 for s in delivered))
        self.settle()
        order_id = f"{CHANNEL}-{order['order']['id']}"
        supplier_orders = api.call("GET", f"/v1/accounts/{SUPPLIER}/orders?source={PORTAL}", token=sup)["items"]
        routed = [o for o in supplier_orders if o["order_id"] == order_id]
        self.check("4", "supplier order from the merchant", [order_id, "portal", PORTAL],
                   [routed[0]["order_id"], routed[0]["source"]["kind"], routed[0]["source"]["id"]] if routed else None)

        # 5. every number is 373
        self.check("5", "supplier available", 373, self.product(SUPPLIER)["totals"]["available"])
        self.check("5", "merchant on hand", 373, self.product(MERCHANT)["totals"]["on_hand"])
        self.check("5", "Shopify available", 373, self.shopify_available())

        # 6. the supplier ships with tracking; the merchant's Shopify order is fulfilled with it
        line_id = routed[0]["lines"][0]["line_id"] if routed else "missing"
        api.call("POST", f"/v1/accounts/{SUPPLIER}/orders/{order_id}/shipments", {
            "lines": [{"line_id": line_id, "quantity": 2}], "carrier": "UPS", "tracking_number": TRACKING}, sup)
        self.settle()
        shop_order = self.sim.call("GET", f"/_sim/shops/{SHOP}/orders/{order_id.rsplit('-', 1)[1]}")
        numbers = [f.get("tracking_number") for f in shop_order.get("fulfillments", [])]
        self.check("6", "Shopify order fulfilled with the tracking number", [TRACKING], numbers)
        merchant_order = api.call("GET", f"/v1/accounts/{MERCHANT}/orders/{order_id}", token=mer)
        self.check("6", "merchant order status", "shipped", merchant_order["status"])
        self.check("6", "supplier available after shipping", 373, self.product(SUPPLIER)["totals"]["available"])
        return self.checks


def print_table(checks: list[Check], out: Any = sys.stdout) -> None:
    rows = [("step", "what", "expected", "seen", "")] + [
        (c.step, c.what, json.dumps(c.expected), json.dumps(c.seen), "ok" if c.ok else "DIFFERS") for c in checks]
    widths = [max(len(str(r[i])) for r in rows) for i in range(5)]
    for n, row in enumerate(rows):
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip(), file=out)
        if n == 0:
            print("  ".join("-" * w for w in widths), file=out)


def main(argv: list[str] | None = None) -> int:
    from .runtime import LocalRuntime

    import os

    # the handlers' JSON logs and metrics would bury the table; `make serve` shows them
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    started = time.monotonic()
    with LocalRuntime(port=0, simulators=True) as rt:
        print(f"local runtime: API {rt.api_url}  AWS {rt.aws_endpoint_url}  "
              f"Shopify simulator {rt.simulator_urls.get('shopify')}")
        demo = Demo(rt.api_url, rt.simulator_urls["shopify"], rt.platform_token, rt.wait_idle)
        try:
            checks = demo.run()
        except DemoError as exc:
            print_table(demo.checks)
            print(f"\ndemo failed: {exc}")
            return 1
    print_table(checks)
    failed = [c for c in checks if not c.ok]
    print(f"\n{len(checks) - len(failed)} of {len(checks)} checks as expected in {time.monotonic() - started:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
