"""End-to-end: the local runtime (embedded AWS, API, pollers, simulators) driven over HTTP."""

from __future__ import annotations

import itertools
from typing import Any, Iterator
from urllib.parse import quote

import pytest

from invsync_local.demo import Http
from invsync_local.testing import running_runtime

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="package")
def runtime() -> Iterator[Any]:
    with running_runtime(env={"POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "true",
                              "INVSYNC_CONFLICT_GRACE_SECONDS": "2"}) as rt:
        yield rt


_ids = itertools.count(1)


class Stack:
    """One tenant's world on the shared runtime: its accounts, tokens, a Shopify shop."""

    def __init__(self, rt: Any):
        self.rt = rt
        self.n = next(_ids)
        self.api = Http(rt.api_url)
        self.sim = Http(rt.simulator_urls["shopify"])
        self.platform = rt.platform_token
        self.tokens: dict[str, str] = {}

    def settle(self) -> None:
        assert self.rt.wait_idle(60), "runtime did not settle"

    def account(self, name: str, kind: str = "merchant", **fields: Any) -> str:
        account_id = f"{name}-{self.n}"
        self.api.call("POST", "/v1/accounts", {"account_id": account_id, "name": name, "kind": kind, **fields},
                      self.platform)
        self.tokens[account_id] = self.api.call("POST", f"/v1/accounts/{account_id}/tokens", {}, self.platform)["token"]
        return account_id

    def call(self, account: str, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        return self.api.call(method, f"/v1/accounts/{account}{path}", body, self.tokens[account], **kw)

    def warehouse(self, account: str, wh: str, include: bool = True) -> None:
        self.call(account, "PUT", f"/warehouses/{wh}", {"name": wh, "include_in_combined": include})

    def stock(self, account: str, sku: str, wh: str, quantity: int, op: str = "set", reason: str = "receipt") -> None:
        self.call(account, "POST", "/stock-changes", {"changes": [
            {"sku": sku, "warehouse_id": wh, "op": op, "quantity": quantity, "reason": reason}]})

    def product(self, account: str, sku: str, **fields: Any) -> dict:
        return self.call(account, "PUT", f"/products/{quote(sku, safe='')}", {"name": sku, **fields})

    def get_product(self, account: str, sku: str) -> dict:
        return self.call(account, "GET", f"/products/{quote(sku, safe='')}")

    def shop(self, account: str, channel_id: str | None = None, skus: tuple[str, ...] = (), **channel: Any) -> tuple[str, str]:
        """A Shopify shop in the simulator with a variant per SKU, and the channel pointing at it."""
        channel_id = channel_id or f"shop-{self.n}"
        domain = f"{channel_id}.myshopify.com"
        shop = self.sim.call("POST", "/_sim/shops", {"shop_domain": domain, "access_token": "tok",
                                                     "webhook_secret": "sec"})
        location = shop["locations"][0]["id"]
        for sku in skus:
            self.sim.call("POST", f"/_sim/shops/{domain}/variants", {"sku": sku, "quantities": {location: 0}})
        for topic in ("orders/create", "orders/updated", "orders/cancelled"):
            self.sim.call("POST", f"/_sim/shops/{domain}/webhooks",
                          {"topic": topic, "address": f"{self.rt.api_url}/webhooks/shopify/{channel_id}"})
        self.call(account, "PUT", f"/channels/{channel_id}", {
            "type": "shopify", "api_base_url": f"{self.rt.simulator_urls['shopify']}/shops/{domain}",
            "location_id": location, "credentials": {"shop_domain": domain, "access_token": "tok"},
            "webhook_secret": "sec", **channel})
        return channel_id, domain

    def shopify(self, domain: str, sku: str) -> int | None:
        items = self.sim.call("GET", f"/_sim/shops/{domain}/inventory?sku={quote(sku)}")["items"]
        return next(iter(items[0]["levels"].values()))["available"] if items else None

    def writes(self, domain: str) -> int:
        log = self.sim.call("GET", f"/_sim/shops/{domain}/requests")
        entries = log if isinstance(log, list) else log.get("requests", [])
        return sum(1 for e in entries if "inventorySetQuantities" in (e.get("root_fields") or []))


@pytest.fixture
def stack(runtime: Any) -> Stack:
    return Stack(runtime)
