"""`make bench`: the speed and budget figures we promise, measured (never asserted in tests).

1. quantity engine: plain and bundle SKUs computed per second (pure domain);
2. webhook intake: latency of one Shopify order through the real handler on moto (Shopify gives 5 s);
3. full-sync page: time of one page of 500 SKUs, the unit of the paged fan-out (a Lambda minute is
   the ceiling), and the projection for 100k SKUs;
4. push: listings written per Shopify call and per second of a standard bucket (2000 / 100 per s),
   measured against the simulator.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from contextlib import contextmanager
from typing import Any, Iterator


def _table(rows: list[tuple[str, str, str]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for n, row in enumerate(rows):
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)))
        if n == 0:
            print("  ".join("-" * w for w in widths))


def bench_engine() -> list[tuple[str, str, str]]:
    from inventory_sync.domain.model import Bundle, BundleComponent, Channel, Product, StockLevel, Warehouse
    from inventory_sync.domain.quantity import Catalog, compute_channel_quantity

    warehouses = {f"wh{i}": Warehouse(f"wh{i}") for i in range(4)}
    products = {f"P{i}": Product(f"P{i}", f"P{i}") for i in range(1000)}
    for i in range(200):
        products[f"K{i}"] = Product(f"K{i}", f"K{i}", bundle=Bundle((BundleComponent(f"P{i}", 2),
                                                                     BundleComponent(f"P{i + 1}", 1))))
    stock = {sku: {w: StockLevel(sku, w, on_hand=50 + i, committed=i % 7) for w in warehouses}
             for i, sku in enumerate(products)}
    catalog = Catalog(products=products, stock=stock, warehouses=warehouses)
    channel = Channel("a", "c", "shopify", "loc")
    rows = []
    for label, skus in (("plain SKUs", [f"P{i}" for i in range(1000)]), ("bundle SKUs", [f"K{i}" for i in range(200)])):
        t0 = time.perf_counter()
        rounds = 0
        while time.perf_counter() - t0 < 1.0:
            for sku in skus:
                compute_channel_quantity(sku, catalog, channel)
            rounds += 1
        rate = rounds * len(skus) / (time.perf_counter() - t0)
        rows.append((f"engine: {label}", f"{rate:,.0f} /s", "4 warehouses, default rules, explain steps built"))
    return rows


@contextmanager
def _moto_env() -> Iterator[Any]:
    import boto3
    from moto import mock_aws

    os.environ.update(AWS_DEFAULT_REGION="us-east-1", AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                      POWERTOOLS_TRACE_DISABLED="1", POWERTOOLS_LOG_LEVEL="ERROR", POWERTOOLS_METRICS_DISABLED="true")
    os.environ.pop("AWS_ENDPOINT_URL", None)
    from .moto_speedups import install

    install()
    with mock_aws():
        from invsync_local.template import load_yaml
        from pathlib import Path

        props = load_yaml((Path(__file__).resolve().parents[2] / "template.yaml").read_text())["Resources"][
            "InventoryTable"]["Properties"]
        ddb, sqs = boto3.client("dynamodb"), boto3.client("sqs")
        ddb.create_table(TableName="bench", KeySchema=props["KeySchema"],
                         AttributeDefinitions=props["AttributeDefinitions"], BillingMode="PAY_PER_REQUEST")
        os.environ["TABLE_NAME"] = "bench"
        for name in ("PUSH", "RECOMPUTE", "TRACKING"):
            os.environ[f"{name}_QUEUE_URL"] = sqs.create_queue(QueueName=f"bench-{name.lower()}")["QueueUrl"]
        os.environ["SECRETS_PREFIX"] = "/bench"
        from inventory_sync import wiring

        wiring.reset()
        yield wiring.deps()
        wiring.reset()


def bench_intake_and_page() -> list[tuple[str, str, str]]:
    import base64
    import hashlib
    import hmac

    from inventory_sync.domain.model import Account, AccountKind, Channel, Product, Warehouse
    from inventory_sync.ports import StockChange
    from inventory_sync.services.intake import handle_webhook
    from inventory_sync.services.sync import handle_page, start_sync

    rows = []
    with _moto_env() as deps:
        repo = deps.repo
        repo.create_account(Account("m", "M", AccountKind.MERCHANT))
        repo.put_warehouse("m", Warehouse("main"))
        repo.put_channel(Channel("m", "c", "shopify", "gid://shopify/Location/1"))
        deps.secrets.put_channel_secret("m", "c", {"webhook_secret": "s", "credentials": {}})
        skus = [f"SKU-{i:05d}" for i in range(500)]
        for start in range(0, len(skus), 100):
            repo.apply_stock_changes("m", [StockChange(s, "main", "set", 100, "receipt") for s in skus[start:start + 100]])
        for s in skus:
            repo.put_product("m", Product(s, s))
        latencies = []
        for n in range(50):
            body = json.dumps({"id": n + 1, "line_items": [{"id": n * 10 + 1, "sku": skus[n], "quantity": 1}]}).encode()
            sig = base64.b64encode(hmac.new(b"s", body, hashlib.sha256).digest()).decode()
            headers = {"X-Shopify-Topic": "orders/create", "X-Shopify-Hmac-Sha256": sig, "X-Shopify-Event-Id": f"e{n}"}
            t0 = time.perf_counter()
            handle_webhook(deps, "shopify", "c", headers, body)
            latencies.append((time.perf_counter() - t0) * 1000)
        latencies.sort()
        rows.append(("webhook intake (verify, dedupe, store)", f"p50 {statistics.median(latencies):.1f} ms, "
                     f"p95 {latencies[int(len(latencies) * 0.95) - 1]:.1f} ms", "moto in-process; Shopify allows 5,000 ms"))
        run_id = start_sync(deps, "m", kind="scheduled")
        msg = {"type": "page", "account_id": "m", "run_id": run_id, "page": 0, "force": False}
        t0 = time.perf_counter()
        handle_page(deps, msg)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        handle_page(deps, {**msg, "run_id": start_sync(deps, "m", kind="scheduled")})
        page = time.perf_counter() - t0
        rows.append(("full-sync page of 500 SKUs, first sync", f"{first:.2f} s", "every listing's desired written"))
        rows.append(("full-sync page of 500 SKUs, steady", f"{page:.2f} s",
                     "one RecomputeQueue message = one invocation; moto in-process"))
        rows.append(("100k SKUs full sync", f"200 pages, {200 * page / 60:.1f} min of pages in series",
                     "each invocation stays at one page (< 60 s); pages run in parallel up to the concurrency"))
    return rows


def bench_push() -> list[tuple[str, str, str]]:
    from inventory_sync.adapters.shopify import MAX_QUANTITIES_PER_CALL, SetQuantity, ShopifyClient
    from invsync_local.simulators.shopify import ShopifySimulator

    rows = []
    with ShopifySimulator() as sim:
        shop = sim.create_shop("bench.myshopify.com", access_token="t", webhook_secret="s")
        loc = shop["locations"][0]["id"]
        items = [sim.create_variant("bench.myshopify.com", f"B{i}", quantities={loc: 0})["inventory_item_id"]
                 for i in range(1000)]
        client = ShopifyClient(sim.api_base_url("bench.myshopify.com"), "t")
        t0 = time.perf_counter()
        calls = 0
        for start in range(0, len(items), MAX_QUANTITIES_PER_CALL):
            batch = [SetQuantity(i, 7, 0) for i in items[start:start + MAX_QUANTITIES_PER_CALL]]
            result = client.set_available(batch, loc, f"00000000-0000-4000-8000-{start:012d}", "gid://bench/Run/1")
            assert result.applied, result.user_errors
            calls += 1
        elapsed = time.perf_counter() - t0
        cost = client.last_actual_cost or 0
        restore = client.last_throttle.restore_rate if client.last_throttle else 100
        rows.append(("push batch size", f"{MAX_QUANTITIES_PER_CALL} quantities / call", "Shopify's input array maximum"))
        rows.append(("push cost per call", f"{cost} points", f"{calls} calls for 1,000 listings in {elapsed:.2f} s"))
        per_second = restore / max(cost, 1) * MAX_QUANTITIES_PER_CALL
        rows.append(("sustained push rate, standard plan", f"{per_second:,.0f} listings/s",
                     f"restore {restore:.0f} points/s; hourly tools: 1 sync / 15-60 min"))
    return rows


def main(argv: list[str] | None = None) -> int:
    rows = [("measure", "result", "conditions")]
    rows += bench_engine()
    rows += bench_intake_and_page()
    rows += bench_push()
    _table(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
