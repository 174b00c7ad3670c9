"""The DynamoDB repository: one table, keys scoped by account (see docs/architecture.md).

Counters change only by atomic ``ADD`` or by conditional writes; every multi-item change that must
not be applied twice is one ``TransactWriteItems`` with a dedupe record conditioned on absence.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import asdict
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Iterable, Mapping, Sequence
from uuid import uuid4

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from inventory_sync.domain.model import (
    Account,
    AccountKind,
    AccountSyncPolicy,
    Bundle,
    BundleComponent,
    Channel,
    Order,
    OrderLine,
    Portal,
    Product,
    ProductSyncPolicy,
    Rules,
    StockLevel,
    Warehouse,
    WarehouseSelection,
)
from inventory_sync.errors import Conflict
from inventory_sync.ports import CounterDelta, HistoryEntry, Listing, Page, StockChange, SyncRun

_ser = TypeSerializer()
_deser = TypeDeserializer()
TRANSACT_LIMIT = 100


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# ---- keys -------------------------------------------------------------------------------------
# SKUs may hold any printable character but "/", so "/" separates a SKU from what follows it.

def acct_pk(account_id: str) -> str:
    return f"ACCT#{account_id}"


def stock_sk(sku: str, warehouse_id: str) -> str:
    return f"STOCK#{sku}/{warehouse_id}"


def product_sk(sku: str) -> str:
    return f"PRODUCT#{sku}"


def component_sk(component_sku: str, bundle_sku: str) -> str:
    return f"COMPONENT#{component_sku}/{bundle_sku}"


def listing_sk(channel_id: str, listing_sku: str) -> str:
    return f"LISTING#{channel_id}#{listing_sku}"


def rule_sk(channel_id: str, sku: str) -> str:
    return f"RULE#{channel_id}#{sku}"


def order_sk(order_id: str) -> str:
    return f"ORDER#{order_id}"


def dedupe_key(account_id: str, scope: str, key: str) -> dict:
    return {"pk": acct_pk(account_id), "sk": f"DEDUPE#{scope}#{key}"}


# ---- (de)serialisation ------------------------------------------------------------------------

def _clean(value: Any) -> Any:
    """Python -> DynamoDB-friendly values (ints stay ints, floats become Decimal, tuples lists)."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if hasattr(value, "value") and isinstance(getattr(value, "value"), str):  # Enum
        return value.value
    return value


def _plain(value: Any) -> Any:
    """DynamoDB values -> plain Python (Decimal -> int where integral)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, set):
        return {_plain(v) for v in value}
    return value


def to_ddb(item: Mapping[str, Any]) -> dict:
    return {k: _ser.serialize(_clean(v)) for k, v in item.items() if v is not None}


def from_ddb(item: Mapping[str, Any]) -> dict:
    return {k: _plain(_deser.deserialize(v)) for k, v in item.items()}


def encode_cursor(key: Mapping[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(from_ddb(key)).encode()).decode()


def decode_cursor(cursor: str | None) -> dict | None:
    if not cursor:
        return None
    try:
        return to_ddb(json.loads(base64.urlsafe_b64decode(cursor.encode())))
    except (ValueError, TypeError) as exc:
        from inventory_sync.errors import InvalidInput

        raise InvalidInput("cursor is not one this API returned", field="cursor") from exc


# ---- item mapping -----------------------------------------------------------------------------

def account_from_item(item: Mapping[str, Any]) -> Account:
    return Account(
        account_id=item["account_id"],
        name=item.get("name", ""),
        kind=AccountKind(item.get("kind", "merchant")),
        sync_policy=AccountSyncPolicy(item.get("sync_policy", "always")),
        auto_process_orders=bool(item.get("auto_process_orders", False)),
    )


def product_to_item(account_id: str, p: Product) -> dict:
    return {
        "pk": acct_pk(account_id), "sk": product_sk(p.sku), "kind": "product",
        "account_id": account_id, "sku": p.sku, "name": p.name,
        "sync_policy": p.sync_policy.value, "process_orders": p.process_orders,
        "bundle": None if p.bundle is None else {
            "components": [{"sku": c.sku, "quantity": c.quantity} for c in p.bundle.components]},
        "supplier_account_id": p.supplier_account_id, "auto_dropship": p.auto_dropship,
        "aliases": {k: list(v) for k, v in p.aliases.items()}, "tags": list(p.tags),
        "imported_from_portal": p.imported_from_portal,
    }


def product_from_item(item: Mapping[str, Any]) -> Product:
    bundle = item.get("bundle")
    return Product(
        sku=item["sku"], name=item.get("name", item["sku"]),
        sync_policy=ProductSyncPolicy(item.get("sync_policy", "customer_default")),
        process_orders=bool(item.get("process_orders", True)),
        bundle=None if not bundle else Bundle(tuple(
            BundleComponent(c["sku"], int(c["quantity"])) for c in bundle.get("components", []))),
        supplier_account_id=item.get("supplier_account_id"),
        auto_dropship=bool(item.get("auto_dropship", False)),
        aliases={k: tuple(v) for k, v in (item.get("aliases") or {}).items()},
        tags=tuple(item.get("tags") or ()),
        imported_from_portal=item.get("imported_from_portal"),
    )


def stock_from_item(item: Mapping[str, Any]) -> StockLevel:
    return StockLevel(
        sku=item["sku"], warehouse_id=item["warehouse_id"],
        on_hand=int(item.get("on_hand", 0)), committed=int(item.get("committed", 0)),
        received=bool(item.get("received", False)),
    )


def channel_to_item(c: Channel) -> dict:
    return {
        "pk": acct_pk(c.account_id), "sk": f"CHANNEL#{c.channel_id}", "kind": "channel",
        "account_id": c.account_id, "channel_id": c.channel_id, "type": c.type,
        "location_id": c.location_id, "api_base_url": c.api_base_url, "api_version": c.api_version,
        "shop_domain": c.shop_domain, "store_hash": c.store_hash,
        "write_inventory": c.write_inventory, "sync_interval_minutes": c.sync_interval_minutes,
        "sku_mode": c.sku_mode, "sync_mode": c.sync_mode,
        "warehouses": {"mode": c.warehouses.mode, "warehouse_id": c.warehouses.warehouse_id,
                       "exclude": list(c.warehouses.exclude)},
        "rules": asdict(c.rules), "allocations": dict(c.allocations), "locations": dict(c.locations),
    }


def channel_from_item(item: Mapping[str, Any]) -> Channel:
    wh = item.get("warehouses") or {}
    rules = item.get("rules") or {}
    return Channel(
        account_id=item["account_id"], channel_id=item["channel_id"], type=item["type"],
        location_id=item.get("location_id", ""), api_base_url=item.get("api_base_url"),
        api_version=item.get("api_version", "2026-07"), shop_domain=item.get("shop_domain"),
        store_hash=item.get("store_hash"), write_inventory=bool(item.get("write_inventory", True)),
        sync_interval_minutes=int(item.get("sync_interval_minutes", 60)),
        sku_mode=item.get("sku_mode", "master"), sync_mode=item.get("sync_mode", "sales_channel"),
        warehouses=WarehouseSelection(mode=wh.get("mode", "combined"), warehouse_id=wh.get("warehouse_id"),
                                      exclude=tuple(wh.get("exclude") or ())),
        rules=Rules(**{k: rules[k] for k in ("buffer", "out_of_stock_threshold", "allocation_percent",
                                             "max_quantity", "min_quantity") if k in rules}),
        allocations={k: int(v) for k, v in (item.get("allocations") or {}).items()},
        locations={k: str(v) for k, v in (item.get("locations") or {}).items()},
    )


def listing_from_item(item: Mapping[str, Any]) -> Listing:
    return Listing(
        account_id=item["account_id"], channel_id=item["channel_id"], listing_sku=item["listing_sku"],
        sku=item.get("sku", item["listing_sku"]), desired=item.get("desired"),
        last_seen=item.get("last_seen"), last_pushed=item.get("last_pushed"),
        last_pushed_at=item.get("last_pushed_at"), status=item.get("status", "new"),
        inventory_item_id=item.get("inventory_item_id"), conflict_since=item.get("conflict_since"),
        desired_at=item.get("desired_at"), seen_at=item.get("seen_at"),
        version=int(item.get("version", 0)),
    )


def order_to_item(o: Order) -> dict:
    return {
        "pk": acct_pk(o.account_id), "sk": order_sk(o.order_id), "kind": "order",
        "account_id": o.account_id, "order_id": o.order_id,
        "source": {"kind": o.source_kind, "id": o.source_id}, "status": o.status,
        "channel_order_id": o.channel_order_id,
        "lines": [asdict(line) for line in o.lines],
        "linked_orders": list(o.linked_orders), "shipments": list(o.shipments),
        "created_at": utcnow(),
    }


def order_from_item(item: Mapping[str, Any]) -> Order:
    src = item.get("source") or {}
    return Order(
        account_id=item["account_id"], order_id=item["order_id"],
        source_kind=src.get("kind", "channel"), source_id=src.get("id", ""),
        status=item.get("status", "open"),
        lines=tuple(OrderLine(**{**line, "draws": tuple(line.get("draws") or ())}) for line in item.get("lines", [])),
        channel_order_id=item.get("channel_order_id"),
        linked_orders=tuple(item.get("linked_orders") or ()),
        shipments=tuple(item.get("shipments") or ()),
    )


def portal_from_item(item: Mapping[str, Any]) -> Portal:
    return Portal(
        portal_id=item["portal_id"], supplier_account_id=item["supplier_account_id"],
        merchant_account_id=item["merchant_account_id"],
        write_inventory=bool(item.get("write_inventory", True)),
        sync_interval_minutes=int(item.get("sync_interval_minutes", 60)),
        only_fulfilled_products=bool(item.get("only_fulfilled_products", True)),
        merchant_warehouse_id=item.get("merchant_warehouse_id", ""),
    )


def run_from_item(item: Mapping[str, Any]) -> SyncRun:
    return SyncRun(
        account_id=item["account_id"], run_id=item["run_id"], kind=item.get("run_kind", "realtime"),
        status=item.get("status", "in_progress"), started_at=item.get("started_at", ""),
        finished_at=item.get("finished_at"),
        counts={k[2:]: int(v) for k, v in item.items() if k.startswith("c_")},
        errors=list(item.get("errors") or []),
        expected_pages=int(item.get("expected_pages", 0)), done_pages=int(item.get("done_pages", 0)),
    )


RUN_COUNT_NAMES = ("listings", "pushed", "unchanged", "failed", "skipped_by_policy")


class DynamoRepository:
    """Implements ports.Repository on one DynamoDB table."""

    def __init__(self, client: Any, table_name: str, history_retention_days: int = 90):
        self._db = client
        self.table = table_name
        self._ttl_seconds = history_retention_days * 86400

    # -- low-level helpers ---------------------------------------------------------------------
    def _get(self, pk: str, sk: str, consistent: bool = True) -> dict | None:
        res = self._db.get_item(TableName=self.table, Key=to_ddb({"pk": pk, "sk": sk}),
                                ConsistentRead=consistent)
        return from_ddb(res["Item"]) if "Item" in res else None

    def _put(self, item: Mapping[str, Any], condition: str | None = None) -> None:
        kwargs: dict[str, Any] = {"TableName": self.table, "Item": to_ddb(item)}
        if condition:
            kwargs["ConditionExpression"] = condition
        self._db.put_item(**kwargs)

    def _conditional(self, method: str, **kwargs: Any) -> bool:
        """Runs a conditional write (put_item / update_item); False when its condition did not hold."""
        try:
            getattr(self._db, method)(TableName=self.table, **kwargs)
            return True
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise

    def _query(self, pk: str, prefix: str = "", cursor: dict | None = None, limit: int | None = None,
               forward: bool = True) -> tuple[list[dict], dict | None]:
        kwargs: dict[str, Any] = {
            "TableName": self.table, "ScanIndexForward": forward, "ConsistentRead": True,
            "KeyConditionExpression": "pk = :pk" + (" AND begins_with(sk, :p)" if prefix else ""),
            "ExpressionAttributeValues": {":pk": {"S": pk}, **({":p": {"S": prefix}} if prefix else {})},
        }
        if cursor:
            kwargs["ExclusiveStartKey"] = cursor
        if limit:
            kwargs["Limit"] = limit
        res = self._db.query(**kwargs)
        return [from_ddb(i) for i in res.get("Items", [])], res.get("LastEvaluatedKey")

    def _query_all(self, pk: str, prefix: str = "") -> list[dict]:
        items: list[dict] = []
        cursor = None
        while True:
            page, cursor = self._query(pk, prefix, cursor)
            items.extend(page)
            if not cursor:
                return items

    def _batch_get(self, keys: list[dict]) -> list[dict]:
        out: list[dict] = []
        keys = [to_ddb(k) for k in {(k["pk"], k["sk"]): k for k in keys}.values()]
        for i in range(0, len(keys), 100):
            pending: dict = {self.table: {"Keys": keys[i:i + 100], "ConsistentRead": True}}
            for attempt in range(8):
                res = self._db.batch_get_item(RequestItems=pending)
                out.extend(from_ddb(x) for x in res.get("Responses", {}).get(self.table, []))
                pending = res.get("UnprocessedKeys") or {}
                if not pending:
                    break
                time.sleep(0.05 * (2 ** attempt))
        return out

    def transact(self, operations: list[dict]) -> None:
        """One TransactWriteItems; raises ``TransactionConflict`` when a condition fails."""
        if not operations:
            return
        if len(operations) > TRANSACT_LIMIT:
            raise ValueError(f"a transaction holds at most {TRANSACT_LIMIT} items")
        try:
            self._db.transact_write_items(TransactItems=operations)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "TransactionCanceledException":
                reasons = exc.response.get("CancellationReasons") or []
                raise TransactionConflict([r.get("Code") for r in reasons]) from exc
            raise

    def op_put(self, item: Mapping[str, Any], condition: str | None = None,
               values: Mapping[str, Any] | None = None) -> dict:
        op: dict[str, Any] = {"TableName": self.table, "Item": to_ddb(item)}
        if condition:
            op["ConditionExpression"] = condition
        if values:
            op["ExpressionAttributeValues"] = {f":{k}": _ser.serialize(_clean(v)) for k, v in values.items()}
        return {"Put": op}

    def op_update(self, key: Mapping[str, str], expression: str, names: Mapping[str, str] | None,
                  values: Mapping[str, Any] | None, condition: str | None = None) -> dict:
        op: dict[str, Any] = {"TableName": self.table, "Key": to_ddb(key), "UpdateExpression": expression}
        if names:
            op["ExpressionAttributeNames"] = dict(names)
        if values:
            op["ExpressionAttributeValues"] = {f":{k}": _ser.serialize(_clean(v)) for k, v in values.items()}
        if condition:
            op["ConditionExpression"] = condition
        return {"Update": op}

    def op_dedupe(self, account_id: str, scope: str, key: str) -> dict:
        item = {**dedupe_key(account_id, scope, key), "kind": "dedupe", "at": utcnow(),
                "expires_at": int(time.time()) + self._ttl_seconds}
        return self.op_put(item, "attribute_not_exists(pk)")

    def op_stock_delta(self, account_id: str, delta: CounterDelta) -> dict:
        return self.op_update(
            {"pk": acct_pk(account_id), "sk": stock_sk(delta.sku, delta.warehouse_id)},
            "SET account_id = :a, sku = :s, warehouse_id = :w, updated_at = :t "
            "ADD on_hand :oh, #committed :c, version :one",
            {"#committed": "committed"},
            {"a": account_id, "s": delta.sku, "w": delta.warehouse_id, "t": utcnow(),
             "oh": delta.on_hand, "c": delta.committed, "one": 1},
        )

    # -- effects too large for one transaction (the outbox for big orders) -------------------------
    EFFECTS_PER_CHUNK = 90

    def op_put_pending(self, account_id: str, key: str, deltas: Sequence[tuple[str, CounterDelta]],
                       seen: Sequence[tuple[str, str, int]]) -> dict:
        """A record of stock effects still to apply; written with the order, so they can't be lost."""
        return self.op_put({
            "pk": acct_pk(account_id), "sk": f"PENDING#{key}", "kind": "pending_effects",
            "account_id": account_id, "key": key,
            "deltas": [{"account_id": a, "sku": d.sku, "warehouse_id": d.warehouse_id, "on_hand": d.on_hand,
                        "committed": d.committed} for a, d in deltas],
            "seen": [{"channel_id": c, "listing_sku": l, "delta": n} for c, l, n in seen],
            "expires_at": int(time.time()) + self._ttl_seconds,
        })

    def apply_pending(self, item: Mapping[str, Any]) -> None:
        """Applies a pending-effects record in chunks, each once (its own dedupe record), then removes it.

        Called right after the order is stored, and again by the stream if the process died first.
        """
        account_id, key = item["account_id"], item["key"]
        stock_ops = [self.op_stock_delta(d["account_id"], CounterDelta(d["sku"], d["warehouse_id"], int(d["on_hand"]),
                                                                       int(d["committed"])))
                     for d in item.get("deltas", [])]
        seen_ops = []
        for s in item.get("seen", []):
            current = self._get(acct_pk(account_id), listing_sk(s["channel_id"], s["listing_sku"]))
            if current and current.get("last_seen") is not None:
                seen_ops.append(self.op_seen_delta(account_id, s["channel_id"], s["listing_sku"], int(s["delta"])))
        # stock chunks are fixed by the record, so a retry skips exactly the chunks already applied
        for part, ops in (("stock", stock_ops), ("seen", seen_ops)):
            for n, start in enumerate(range(0, len(ops), self.EFFECTS_PER_CHUNK)):
                chunk = [self.op_dedupe(account_id, "effects", f"{key}#{part}{n}")] + ops[start:start + self.EFFECTS_PER_CHUNK]
                try:
                    self.transact(chunk)
                except TransactionConflict as exc:
                    if not exc.reasons or exc.reasons[0] != "ConditionalCheckFailed":
                        raise  # not "applied before": let the caller retry
        self._db.delete_item(TableName=self.table, Key=to_ddb({"pk": acct_pk(account_id), "sk": f"PENDING#{key}"}))

    def get_pending(self, account_id: str, key: str) -> dict | None:
        return self._get(acct_pk(account_id), f"PENDING#{key}")

    def op_ensure_product(self, account_id: str, sku: str) -> dict:
        """Creates a product named after its SKU when none exists; leaves an existing one as it is."""
        return self.op_update(
            {"pk": acct_pk(account_id), "sk": product_sk(sku)},
            "SET #n = if_not_exists(#n, :sku), sku = :sku, account_id = :a, kind = :k",
            {"#n": "name"}, {"sku": sku, "a": account_id, "k": "product"},
        )

    def dedupe_seen(self, account_id: str, scope: str, keys: Iterable[str]) -> set[str]:
        keys = list(keys)
        found = self._batch_get([dedupe_key(account_id, scope, k) for k in keys])
        prefix = f"DEDUPE#{scope}#"
        return {i["sk"][len(prefix):] for i in found}

    # -- accounts and tokens ---------------------------------------------------------------------
    def create_account(self, account: Account) -> None:
        """Creates the account and its entry in the account registry (the schedule walks it)."""
        try:
            self.transact([
                self.op_put(self._account_item(account), "attribute_not_exists(pk)"),
                self.op_put({"pk": "ACCOUNTS", "sk": acct_pk(account.account_id), "kind": "account_ref",
                             "account_id": account.account_id}),
            ])
        except TransactionConflict as exc:
            raise Conflict(f"account {account.account_id} exists", field="account_id") from exc

    def list_account_ids(self, cursor: str | None = None, limit: int = 100) -> Page:
        items, last = self._query("ACCOUNTS", "ACCT#", decode_cursor(cursor), limit)
        return Page([i["account_id"] for i in items], encode_cursor(last))

    def _account_item(self, a: Account) -> dict:
        return {"pk": acct_pk(a.account_id), "sk": "ACCOUNT", "kind": "account",
                "account_id": a.account_id, "name": a.name, "kind_of_account": a.kind.value,
                "sync_policy": a.sync_policy.value, "auto_process_orders": a.auto_process_orders}

    def get_account(self, account_id: str) -> Account | None:
        item = self._get(acct_pk(account_id), "ACCOUNT")
        if not item:
            return None
        item = dict(item, kind=item.get("kind_of_account", "merchant"))
        return account_from_item(item)

    def save_account(self, account: Account) -> None:
        self._put(self._account_item(account))

    def put_token(self, account_id: str, token_hash: str) -> None:
        self._put({"pk": f"TOKEN#{token_hash}", "sk": "TOKEN", "kind": "token",
                   "account_id": account_id, "created_at": utcnow()})

    def account_for_token(self, token_hash: str) -> str | None:
        item = self._get(f"TOKEN#{token_hash}", "TOKEN")
        return item["account_id"] if item else None

    # -- warehouses ------------------------------------------------------------------------------
    def put_warehouse(self, account_id: str, warehouse: Warehouse) -> None:
        existing = self._get(acct_pk(account_id), f"WH#{warehouse.warehouse_id}")
        self._put({"pk": acct_pk(account_id), "sk": f"WH#{warehouse.warehouse_id}", "kind": "warehouse",
                   "account_id": account_id, "warehouse_id": warehouse.warehouse_id,
                   "name": warehouse.name, "include_in_combined": warehouse.include_in_combined,
                   "portal_id": warehouse.portal_id,
                   # creation order keeps "the order the operator listed" for commit routing
                   "created_at": (existing or {}).get("created_at") or utcnow()})

    def get_warehouses(self, account_id: str) -> dict[str, Warehouse]:
        items = sorted(self._query_all(acct_pk(account_id), "WH#"),
                       key=lambda i: (i.get("created_at", ""), i["warehouse_id"]))
        return {i["warehouse_id"]: Warehouse(i["warehouse_id"], i.get("name", ""),
                                             bool(i.get("include_in_combined", True)), i.get("portal_id"))
                for i in items}

    # -- products --------------------------------------------------------------------------------
    def put_product(self, account_id: str, product: Product) -> None:
        """Writes the product and keeps the component -> bundle reverse index in step, atomically."""
        old = self.get_product(account_id, product.sku)
        old_components = {c.sku for c in old.bundle.components} if old and old.bundle else set()
        new_components = {c.sku for c in product.bundle.components} if product.bundle else set()
        ops = [self.op_put(product_to_item(account_id, product))]
        for comp in sorted(old_components - new_components):
            ops.append({"Delete": {"TableName": self.table,
                                   "Key": to_ddb({"pk": acct_pk(account_id), "sk": component_sk(comp, product.sku)})}})
        for comp in sorted(new_components - old_components):
            ops.append(self.op_put({"pk": acct_pk(account_id), "sk": component_sk(comp, product.sku),
                                    "kind": "component", "component_sku": comp, "bundle_sku": product.sku}))
        if len(ops) <= TRANSACT_LIMIT:
            self.transact(ops)
        else:  # a bundle of 100+ distinct components: index first, then the product
            for i in range(1, len(ops), TRANSACT_LIMIT):
                self.transact(ops[i:i + TRANSACT_LIMIT])
            self.transact(ops[:1])

    def get_product(self, account_id: str, sku: str) -> Product | None:
        item = self._get(acct_pk(account_id), product_sk(sku))
        return product_from_item(item) if item else None

    def get_products(self, account_id: str, skus: Iterable[str]) -> dict[str, Product]:
        items = self._batch_get([{"pk": acct_pk(account_id), "sk": product_sk(s)} for s in skus])
        return {i["sku"]: product_from_item(i) for i in items}

    def list_products(self, account_id: str, prefix: str = "", cursor: str | None = None,
                      limit: int = 100) -> Page:
        items, last = self._query(acct_pk(account_id), product_sk(prefix), decode_cursor(cursor), limit)
        return Page([product_from_item(i) for i in items], encode_cursor(last))

    def iter_product_skus(self, account_id: str, cursor: str | None, limit: int) -> Page:
        items, last = self._query(acct_pk(account_id), "PRODUCT#", decode_cursor(cursor), limit)
        return Page([i["sku"] for i in items], encode_cursor(last))

    def bundles_containing(self, account_id: str, component_sku: str) -> list[str]:
        items = self._query_all(acct_pk(account_id), f"COMPONENT#{component_sku}/")
        return [i["bundle_sku"] for i in items]

    # -- stock -----------------------------------------------------------------------------------
    #: above this many SKUs, one range query over their stock keys beats a query per SKU
    STOCK_RANGE_THRESHOLD = 8

    def get_stock(self, account_id: str, skus: Iterable[str]) -> dict[str, dict[str, StockLevel]]:
        wanted = list(dict.fromkeys(skus))
        out: dict[str, dict[str, StockLevel]] = {sku: {} for sku in wanted}
        if len(wanted) <= self.STOCK_RANGE_THRESHOLD:
            for sku in wanted:
                levels = self._query_all(acct_pk(account_id), f"STOCK#{sku}/")
                out[sku] = {i["warehouse_id"]: stock_from_item(i) for i in levels}
            return out
        # A page of a full sync reads SKUs that sit together in key order: one ranged query
        # (keys compare as UTF-8 bytes, i.e. code points; "~" sorts after every warehouse id).
        prefixes = [f"STOCK#{sku}/" for sku in wanted]
        low, high = min(prefixes), max(p + "~" for p in prefixes)
        cursor = None
        while True:
            kwargs: dict[str, Any] = {
                "TableName": self.table, "ConsistentRead": True,
                "KeyConditionExpression": "pk = :pk AND sk BETWEEN :lo AND :hi",
                "ExpressionAttributeValues": {":pk": {"S": acct_pk(account_id)}, ":lo": {"S": low}, ":hi": {"S": high}},
            }
            if cursor:
                kwargs["ExclusiveStartKey"] = cursor
            res = self._db.query(**kwargs)
            for raw in res.get("Items", []):
                item = from_ddb(raw)
                if item.get("sku") in out:
                    out[item["sku"]][item["warehouse_id"]] = stock_from_item(item)
            cursor = res.get("LastEvaluatedKey")
            if not cursor:
                return out

    def apply_stock_changes(self, account_id: str, changes: Sequence[StockChange]) -> int:
        """Applies validated changes; a change whose idempotency key was seen is skipped.

        Each change with a key commits in the same transaction as its dedupe record, so a retry of
        a partly applied request applies exactly the rest. Returns how many changes were applied.
        """
        applied = 0
        chunk: list[StockChange] = []
        for change in changes:
            chunk.append(change)
            if len(chunk) == 30:
                applied += self._apply_chunk(account_id, chunk)
                chunk = []
        if chunk:
            applied += self._apply_chunk(account_id, chunk)
        return applied

    def _apply_chunk(self, account_id: str, chunk: list[StockChange]) -> int:
        for attempt in range(5):
            keyed = [c.idempotency_key for c in chunk if c.idempotency_key]
            seen = self.dedupe_seen(account_id, "stock", keyed) if keyed else set()
            todo = [c for c in chunk if not (c.idempotency_key and c.idempotency_key in seen)]
            ops: list[dict] = []
            for sku in dict.fromkeys(c.sku for c in todo):
                ops.append(self.op_ensure_product(account_id, sku))
            for c in todo:
                if c.idempotency_key:
                    ops.append(self.op_dedupe(account_id, "stock", c.idempotency_key))
            ops.extend(self._merge_stock_ops(account_id, todo))
            try:
                self.transact(ops)
                return len(todo)
            except TransactionConflict:
                if attempt == 4:
                    raise
                continue  # a concurrent duplicate won the race: re-read keys and apply the rest
        return 0

    def _merge_stock_ops(self, account_id: str, changes: list[StockChange]) -> list[dict]:
        """One update per (sku, warehouse): a transaction may touch an item once."""
        merged: dict[tuple[str, str], tuple[int | None, int, list[str]]] = {}
        for c in changes:
            key = (c.sku, c.warehouse_id)
            set_to, delta, reasons = merged.get(key, (None, 0, []))
            if c.op == "set":
                set_to, delta = c.quantity, 0
            else:
                delta += c.quantity
            merged[key] = (set_to, delta, reasons + [c.reason])
        ops = []
        now = utcnow()
        for (sku, wh), (set_to, delta, reasons) in merged.items():
            values: dict[str, Any] = {"a": account_id, "s": sku, "w": wh, "t": now, "one": 1,
                                      "r": reasons[-1]}
            if set_to is not None:
                expr = "SET on_hand = :q, account_id = :a, sku = :s, warehouse_id = :w, updated_at = :t, " \
                       "last_reason = :r, #committed = if_not_exists(#committed, :zero) ADD version :one"
                values.update(q=set_to + delta, zero=0)
                ops.append(self.op_update({"pk": acct_pk(account_id), "sk": stock_sk(sku, wh)}, expr,
                                          {"#committed": "committed"}, values))
            else:
                expr = "SET account_id = :a, sku = :s, warehouse_id = :w, updated_at = :t, last_reason = :r " \
                       "ADD on_hand :d, version :one"
                values.update(d=delta)
                ops.append(self.op_update({"pk": acct_pk(account_id), "sk": stock_sk(sku, wh)}, expr,
                                          None, values))
        return ops

    def set_on_hand(self, account_id: str, sku: str, warehouse_id: str, on_hand: int) -> bool:
        """Sets on hand to an absolute value unless it already is that value (no empty stream record)."""
        return self._conditional(
            "update_item",
            Key=to_ddb({"pk": acct_pk(account_id), "sk": stock_sk(sku, warehouse_id)}),
            UpdateExpression="SET on_hand = :q, account_id = :a, sku = :s, warehouse_id = :w, "
                             "updated_at = :t, last_reason = :r, "
                             "#committed = if_not_exists(#committed, :zero) ADD version :one",
            ConditionExpression="attribute_not_exists(on_hand) OR on_hand <> :q",
            ExpressionAttributeNames={"#committed": "committed"},
            ExpressionAttributeValues=to_ddb({":q": on_hand, ":a": account_id, ":s": sku,
                                              ":w": warehouse_id, ":t": utcnow(), ":zero": 0,
                                              ":one": 1, ":r": "portal_feed"}),
        )

    def apply_counter_deltas(self, account_id: str, deltas: Sequence[CounterDelta],
                             dedupe_scope: str, key: str) -> bool:
        ops = [self.op_dedupe(account_id, dedupe_scope, key)]
        ops += [self.op_stock_delta(account_id, d) for d in deltas]
        try:
            self.transact(ops)
            return True
        except TransactionConflict as exc:
            if exc.reasons and exc.reasons[0] == "ConditionalCheckFailed":
                return False
            raise

    def mark_received(self, account_id: str, sku: str, warehouse_id: str) -> None:
        self._conditional(
            "update_item",
            Key=to_ddb({"pk": acct_pk(account_id), "sk": stock_sk(sku, warehouse_id)}),
            UpdateExpression="SET received = :t",
            ConditionExpression="attribute_exists(pk) AND (attribute_not_exists(received) OR received = :f)",
            ExpressionAttributeValues=to_ddb({":t": True, ":f": False}),
        )

    def ensure_stock_record(self, account_id: str, sku: str, warehouse_id: str) -> None:
        """A stock record at 0 (Extensiv: a bundle needs one even when nothing is pre-assembled)."""
        self._conditional(
            "put_item",
            Item=to_ddb({"pk": acct_pk(account_id), "sk": stock_sk(sku, warehouse_id), "kind": "stock",
                         "account_id": account_id, "sku": sku, "warehouse_id": warehouse_id,
                         "on_hand": 0, "committed": 0, "version": 0, "updated_at": utcnow()}),
            ConditionExpression="attribute_not_exists(pk)",
        )

    # -- channels and rules ----------------------------------------------------------------------
    def put_channel(self, channel: Channel) -> None:
        """Writes the channel and claims its webhook address (`/webhooks/{type}/{channel_id}`).

        A channel id already claimed by another account is a Conflict: webhook routing must map
        one address to one account (tenant isolation).
        """
        existing = self.get_channel_item(channel.account_id, channel.channel_id) or {}
        item = channel_to_item(channel)
        for keep in ("last_full_sync_at",):
            if keep in existing:
                item[keep] = existing[keep]
        try:
            self.transact([
                self.op_put(item),
                self.op_put({"pk": f"CHANNELREF#{channel.channel_id}", "sk": "CHANNELREF", "kind": "channel_ref",
                             "account_id": channel.account_id, "type": channel.type},
                            "attribute_not_exists(pk) OR account_id = :a", {"a": channel.account_id}),
            ])
        except TransactionConflict as exc:
            raise Conflict(f"channel id {channel.channel_id} belongs to another account",
                           field="channel_id") from exc

    def list_channel_items(self, account_id: str) -> list[dict]:
        return self._query_all(acct_pk(account_id), "CHANNEL#")

    def account_for_channel(self, channel_id: str) -> str | None:
        item = self._get(f"CHANNELREF#{channel_id}", "CHANNELREF")
        return item["account_id"] if item else None

    def get_channel(self, account_id: str, channel_id: str) -> Channel | None:
        item = self._get(acct_pk(account_id), f"CHANNEL#{channel_id}")
        return channel_from_item(item) if item else None

    def get_channel_item(self, account_id: str, channel_id: str) -> dict | None:
        return self._get(acct_pk(account_id), f"CHANNEL#{channel_id}")

    def list_channels(self, account_id: str) -> list[Channel]:
        return [channel_from_item(i) for i in self._query_all(acct_pk(account_id), "CHANNEL#")]

    def set_channel_fields(self, account_id: str, channel_id: str, fields: Mapping[str, Any]) -> None:
        names = {f"#f{i}": k for i, k in enumerate(fields)}
        values = {f"v{i}": v for i, v in enumerate(fields.values())}
        expr = "SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(fields)))
        self._db.update_item(TableName=self.table,
                             Key=to_ddb({"pk": acct_pk(account_id), "sk": f"CHANNEL#{channel_id}"}),
                             UpdateExpression=expr, ExpressionAttributeNames=names,
                             ExpressionAttributeValues={f":{k}": _ser.serialize(_clean(v)) for k, v in values.items()})

    def put_rule_override(self, account_id: str, channel_id: str, sku: str, rules: Mapping[str, Any]) -> None:
        self._put({"pk": acct_pk(account_id), "sk": rule_sk(channel_id, sku), "kind": "rule",
                   "account_id": account_id, "channel_id": channel_id, "sku": sku, "rules": dict(rules)})

    def get_rule_overrides(self, account_id: str, channel_id: str, skus: Iterable[str]) -> dict[str, dict]:
        items = self._batch_get([{"pk": acct_pk(account_id), "sk": rule_sk(channel_id, s)} for s in skus])
        return {i["sku"]: i.get("rules") or {} for i in items}

    # -- listings --------------------------------------------------------------------------------
    def get_listings(self, account_id: str, channel_id: str, listing_skus: Iterable[str]) -> dict[str, Listing]:
        items = self._batch_get([{"pk": acct_pk(account_id), "sk": listing_sk(channel_id, s)}
                                 for s in listing_skus])
        return {i["listing_sku"]: listing_from_item(i) for i in items}

    def listings_for_sku(self, account_id: str, sku: str,
                         aliases: Mapping[str, Iterable[str]] | None = None) -> list[Listing]:
        """A SKU's listings on every channel: under its own SKU or its aliases there, and, by
        warehouse, "SKU/warehouse". Reads only those key ranges, never the whole catalog."""
        out: list[Listing] = []
        channel_ids = dict.fromkeys([i["channel_id"] for i in self.list_channel_items(account_id)]
                                    + list(aliases or {}))
        for channel_id in channel_ids:
            for listing_sku in dict.fromkeys([sku, *((aliases or {}).get(channel_id) or ())]):
                for found in self._query_all(acct_pk(account_id), listing_sk(channel_id, listing_sku)):
                    rest = found["listing_sku"][len(listing_sku):]
                    if found.get("sku") == sku and (rest == "" or rest.startswith("/")):
                        out.append(listing_from_item(found))
        return out

    def set_desired(self, account_id: str, channel_id: str, listing_sku: str, sku: str, desired: int) -> bool:
        """Stores the desired quantity; False (and no write) when it is already that value."""
        return self._conditional(
            "update_item",
            Key=to_ddb({"pk": acct_pk(account_id), "sk": listing_sk(channel_id, listing_sku)}),
            UpdateExpression="SET desired = :d, sku = :s, account_id = :a, channel_id = :c, "
                             "listing_sku = :l, desired_at = :t, kind = :k, "
                             "#status = if_not_exists(#status, :new) ADD version :one",
            ConditionExpression="attribute_not_exists(desired) OR desired <> :d",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=to_ddb({":d": desired, ":s": sku, ":a": account_id,
                                              ":c": channel_id, ":l": listing_sku, ":t": utcnow(),
                                              ":k": "listing", ":new": "new", ":one": 1}),
        )

    def set_listing_status(self, account_id: str, channel_id: str, listing_sku: str, status: str) -> None:
        self.set_item_fields(acct_pk(account_id), listing_sk(channel_id, listing_sku), {"status": status})

    def op_seen_delta(self, account_id: str, channel_id: str, listing_sku: str, delta: int) -> dict:
        """The channel moved first: an order it took lowered its count by `delta` already."""
        return self.op_update(
            {"pk": acct_pk(account_id), "sk": listing_sk(channel_id, listing_sku)},
            "SET seen_at = :t ADD last_seen :d",
            None, {"d": delta, "t": utcnow()},
            condition="attribute_exists(last_seen)",
        )

    def record_push(self, listing: Listing, *, pushed: int | None, seen: int | None, status: str,
                    at: str, inventory_item_id: str | None = None, conflict_since: str | None = None) -> None:
        sets = ["#status = :st", "checked_at = :at"]
        values: dict[str, Any] = {"st": status, "at": at}
        removes = []
        if pushed is not None:
            sets += ["last_pushed = :p", "last_pushed_at = :at"]
            values["p"] = pushed
        if seen is not None:
            sets += ["last_seen = :seen", "seen_at = :at"]
            values["seen"] = seen
        if inventory_item_id:
            sets.append("inventory_item_id = :iid")
            values["iid"] = inventory_item_id
        if conflict_since:
            sets.append("conflict_since = if_not_exists(conflict_since, :cs)")
            values["cs"] = conflict_since
        else:
            removes.append("conflict_since")
        expr = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        self._db.update_item(
            TableName=self.table,
            Key=to_ddb({"pk": acct_pk(listing.account_id), "sk": listing_sk(listing.channel_id, listing.listing_sku)}),
            UpdateExpression=expr, ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={f":{k}": _ser.serialize(_clean(v)) for k, v in values.items()},
        )

    def list_listings(self, account_id: str, channel_id: str, cursor: str | None, limit: int) -> Page:
        items, last = self._query(acct_pk(account_id), f"LISTING#{channel_id}#", decode_cursor(cursor), limit)
        return Page([listing_from_item(i) for i in items], encode_cursor(last))

    def record_channel_level(self, account_id: str, channel_id: str, event_id: str, inventory_item_id: str,
                             available: int | None, updated_at: str | None) -> bool:
        """Keeps the count a channel reported for an item (once per event); False for a duplicate."""
        try:
            self.transact([
                self.op_dedupe(account_id, f"webhook:{channel_id}", event_id),
                self.op_put({"pk": acct_pk(account_id), "sk": f"CHANLEVEL#{channel_id}#{inventory_item_id}",
                             "kind": "channel_level", "account_id": account_id, "channel_id": channel_id,
                             "inventory_item_id": inventory_item_id, "available": available,
                             "reported_at": updated_at or utcnow()}),
            ])
            return True
        except TransactionConflict:
            return False

    # -- orders ----------------------------------------------------------------------------------
    def get_order(self, account_id: str, order_id: str) -> Order | None:
        item = self._get(acct_pk(account_id), order_sk(order_id))
        return order_from_item(item) if item else None

    def get_order_item(self, account_id: str, order_id: str) -> dict | None:
        return self._get(acct_pk(account_id), order_sk(order_id))

    def list_orders(self, account_id: str, cursor: str | None, limit: int) -> Page:
        items, last = self._query(acct_pk(account_id), "ORDER#", decode_cursor(cursor), limit)
        return Page([order_from_item(i) for i in items], encode_cursor(last))

    def get_shipment(self, account_id: str, order_id: str, shipment_id: str) -> dict | None:
        return self._get(acct_pk(account_id), f"SHIPMENT#{order_id}#{shipment_id}")

    def set_item_fields(self, pk: str, sk: str, fields: Mapping[str, Any]) -> None:
        """SET plain fields on an existing item (status marks; never counters)."""
        names = {f"#f{i}": k for i, k in enumerate(fields)}
        self._db.update_item(TableName=self.table, Key=to_ddb({"pk": pk, "sk": sk}),
                             UpdateExpression="SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(fields))),
                             ConditionExpression="attribute_exists(pk)",
                             ExpressionAttributeNames=names,
                             ExpressionAttributeValues={f":v{i}": _ser.serialize(_clean(v))
                                                        for i, v in enumerate(fields.values())})

    # -- portals ---------------------------------------------------------------------------------
    def create_portal(self, portal: Portal) -> None:
        item = {"pk": f"PORTAL#{portal.portal_id}", "sk": "PORTAL", "kind": "portal", **asdict(portal),
                "merchant_warehouse_id": portal.warehouse_id}
        ref = {"kind": "portal_ref", "portal_id": portal.portal_id,
               "supplier_account_id": portal.supplier_account_id,
               "merchant_account_id": portal.merchant_account_id}
        try:
            self.transact([
                self.op_put(item, "attribute_not_exists(pk)"),
                self.op_put({"pk": acct_pk(portal.supplier_account_id), "sk": f"PORTAL#{portal.portal_id}", **ref}),
                self.op_put({"pk": acct_pk(portal.merchant_account_id), "sk": f"PORTAL#{portal.portal_id}", **ref}),
            ])
        except TransactionConflict as exc:
            raise Conflict(f"portal {portal.portal_id} exists", field="portal_id") from exc

    def get_portal(self, portal_id: str) -> Portal | None:
        item = self._get(f"PORTAL#{portal_id}", "PORTAL")
        return portal_from_item(item) if item else None

    def get_portal_item(self, portal_id: str) -> dict:
        return self._get(f"PORTAL#{portal_id}", "PORTAL") or {}

    def portals_for_account(self, account_id: str) -> list[Portal]:
        refs = self._query_all(acct_pk(account_id), "PORTAL#")
        portals = [self.get_portal(r["portal_id"]) for r in refs]
        return [p for p in portals if p]

    def set_portal_fields(self, portal_id: str, fields: Mapping[str, Any]) -> None:
        names = {f"#f{i}": k for i, k in enumerate(fields)}
        expr = "SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(fields)))
        self._db.update_item(TableName=self.table, Key=to_ddb({"pk": f"PORTAL#{portal_id}", "sk": "PORTAL"}),
                             UpdateExpression=expr, ExpressionAttributeNames=names,
                             ExpressionAttributeValues={f":v{i}": _ser.serialize(_clean(v))
                                                        for i, v in enumerate(fields.values())})

    # -- sync runs and history -------------------------------------------------------------------
    def create_run(self, run: SyncRun) -> None:
        item = {"pk": acct_pk(run.account_id), "sk": f"RUN#{run.run_id}", "kind": "run",
                "account_id": run.account_id, "run_id": run.run_id, "run_kind": run.kind,
                "status": run.status, "started_at": run.started_at or utcnow(),
                "expected_pages": run.expected_pages, "done_pages": 0,
                "expires_at": int(time.time()) + self._ttl_seconds,
                **{f"c_{k}": 0 for k in RUN_COUNT_NAMES}}
        self._put(item)

    def get_run(self, account_id: str, run_id: str) -> SyncRun | None:
        item = self._get(acct_pk(account_id), f"RUN#{run_id}")
        return run_from_item(item) if item else None

    def list_runs(self, account_id: str, limit: int = 20) -> list[SyncRun]:
        runs = [run_from_item(i) for i in self._query_all(acct_pk(account_id), "RUN#")]
        runs.sort(key=lambda r: r.started_at, reverse=True)
        return runs[:limit]

    def add_run_counts(self, account_id: str, run_id: str, counts: Mapping[str, int],
                       pages_done: int = 0, pages_expected: int = 0, error: dict | None = None) -> SyncRun | None:
        """Atomic ADD of counters (every concurrent page adds its own); returns the run after."""
        adds = {f"c_{k}": v for k, v in counts.items() if v}
        if pages_done:
            adds["done_pages"] = pages_done
        if pages_expected:
            adds["expected_pages"] = pages_expected
        names = {f"#a{i}": k for i, k in enumerate(adds)}
        values: dict[str, Any] = {f":a{i}": _ser.serialize(v) for i, v in enumerate(adds.values())}
        parts = []
        if adds:
            parts.append("ADD " + ", ".join(f"#a{i} :a{i}" for i in range(len(adds))))
        if error:
            parts.append("SET errors = list_append(if_not_exists(errors, :empty), :err)")
            values[":empty"] = _ser.serialize([])
            values[":err"] = _ser.serialize([_clean(error)])
        if not parts:
            return self.get_run(account_id, run_id)
        kwargs: dict[str, Any] = {"TableName": self.table,
                                  "Key": to_ddb({"pk": acct_pk(account_id), "sk": f"RUN#{run_id}"}),
                                  "UpdateExpression": " ".join(parts),
                                  "ExpressionAttributeValues": values, "ReturnValues": "ALL_NEW",
                                  "ConditionExpression": "attribute_exists(pk)"}
        if names:
            kwargs["ExpressionAttributeNames"] = names
        try:
            res = self._db.update_item(**kwargs)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise
        return run_from_item(from_ddb(res["Attributes"]))

    def finish_run(self, account_id: str, run_id: str, status: str) -> None:
        """Closes a run once (the first page to see all pages done wins)."""
        self._conditional(
            "update_item",
            Key=to_ddb({"pk": acct_pk(account_id), "sk": f"RUN#{run_id}"}),
            UpdateExpression="SET #s = :s, finished_at = :t",
            ConditionExpression="#s = :ip",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=to_ddb({":s": status, ":t": utcnow(), ":ip": "in_progress"}),
        )

    def add_history(self, account_id: str, entries: Sequence[HistoryEntry]) -> None:
        expires = int(time.time()) + self._ttl_seconds
        requests = [{"PutRequest": {"Item": to_ddb({
            "pk": f"{acct_pk(account_id)}#HIST", "sk": f"{e.at}#{uuid4().hex[:12]}", "kind": "history",
            "expires_at": expires, **asdict(e)})}} for e in entries]
        for i in range(0, len(requests), 25):
            pending = {self.table: requests[i:i + 25]}
            for attempt in range(8):
                res = self._db.batch_write_item(RequestItems=pending)
                pending = res.get("UnprocessedItems") or {}
                if not pending:
                    break
                time.sleep(0.05 * (2 ** attempt))

    def list_history(self, account_id: str, sku: str | None = None, channel_id: str | None = None,
                     cursor: str | None = None, limit: int = 100) -> Page:
        """Newest first; filters apply within pages, so a page may hold fewer than `limit` items."""
        kwargs: dict[str, Any] = {
            "TableName": self.table, "ScanIndexForward": False, "Limit": limit,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"{acct_pk(account_id)}#HIST"}},
        }
        filters = []
        if sku is not None:
            filters.append("sku = :sku")
            kwargs["ExpressionAttributeValues"][":sku"] = {"S": sku}
        if channel_id is not None:
            filters.append("channel_id = :c")
            kwargs["ExpressionAttributeValues"][":c"] = {"S": channel_id}
        if filters:
            kwargs["FilterExpression"] = " AND ".join(filters)
        start = decode_cursor(cursor)
        if start:
            kwargs["ExclusiveStartKey"] = start
        res = self._db.query(**kwargs)
        items = [from_ddb(i) for i in res.get("Items", [])]
        entries = [HistoryEntry(**{k: i.get(k) for k in HistoryEntry.__dataclass_fields__}) for i in items]
        return Page(entries, encode_cursor(res.get("LastEvaluatedKey")))

    # -- channel budgets (shared by every concurrent push) ----------------------------------------
    def get_budget(self, key: str) -> dict | None:
        return self._get(f"BUDGET#{key}", "BUDGET")

    def save_budget(self, key: str, state: Mapping[str, Any], expected_version: int | None) -> bool:
        item = to_ddb({"pk": f"BUDGET#{key}", "sk": "BUDGET", "kind": "budget", **state})
        if expected_version is None:
            return self._conditional("put_item", Item=item, ConditionExpression="attribute_not_exists(pk)")
        return self._conditional("put_item", Item=item, ConditionExpression="version = :v",
                                 ExpressionAttributeValues={":v": {"N": str(int(expected_version))}})

    # -- added for the operator API ---------------------------------------------------------------
    # Filtered, cursor-paged reads (the cursor is the key of the last item returned, so a page may
    # end in the middle of a DynamoDB page), plain-field product updates, and the order/shipment
    # operations the operator API writes in one transaction.

    def _start_key(self, cursor: str | None, pk: str, sk_prefix: str) -> dict | None:
        """The start key of a cursor this listing returned; anything else is a 400, never a 5xx."""
        from inventory_sync.errors import InvalidInput

        if not cursor:
            return None
        try:
            key = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
        except (ValueError, TypeError, UnicodeError):
            key = None
        if not (isinstance(key, dict) and set(key) == {"pk", "sk"} and key["pk"] == pk
                and isinstance(key["sk"], str) and key["sk"].startswith(sk_prefix)):
            raise InvalidInput("cursor is not one this listing returned", field="cursor")
        return to_ddb(key)

    def _filtered_page(self, pk: str, prefix: str, keep: Any, cursor: str | None,
                       limit: int) -> tuple[list[dict], str | None]:
        """Up to `limit` items under `prefix` that `keep(item)` accepts, and the cursor after them."""
        start = self._start_key(cursor, pk, prefix)
        out: list[dict] = []
        while True:
            # one more than asked, so a last page that is exactly full answers no cursor
            items, last = self._query(pk, prefix, start, limit + 1 if keep is None else 1000)
            for index, item in enumerate(items):
                if keep is None or keep(item):
                    out.append(item)
                    if len(out) == limit:
                        more = index < len(items) - 1 or last is not None
                        return out, encode_cursor(to_ddb({"pk": item["pk"], "sk": item["sk"]})) if more else None
            if not last:
                return out, None
            start = last

    def query_products(self, account_id: str, *, prefix: str = "", tag: str | None = None,
                       supplier_account_id: str | None = None, sync_policy: str | None = None,
                       cursor: str | None = None, limit: int = 100) -> Page:
        """Products by SKU prefix, filtered by tag / supplier / sync policy (filters apply in order)."""
        def keep(item: dict) -> bool:
            return ((tag is None or tag in (item.get("tags") or ()))
                    and (supplier_account_id is None or item.get("supplier_account_id") == supplier_account_id)
                    and (sync_policy is None or item.get("sync_policy", "customer_default") == sync_policy))

        filtered = tag is not None or supplier_account_id is not None or sync_policy is not None
        items, next_cursor = self._filtered_page(acct_pk(account_id), product_sk(prefix),
                                                 keep if filtered else None, cursor, limit)
        return Page([product_from_item(i) for i in items], next_cursor)

    def update_product_fields(self, account_id: str, sku: str, fields: Mapping[str, Any]) -> bool:
        """SETs plain attributes (sync_policy, process_orders, ...) of an existing product, never its
        bundle; False when the product does not exist."""
        names = {f"#f{i}": k for i, k in enumerate(fields)}
        values = {f":v{i}": _ser.serialize(_clean(v)) for i, v in enumerate(fields.values())}
        try:
            self._db.update_item(
                TableName=self.table, Key=to_ddb({"pk": acct_pk(account_id), "sk": product_sk(sku)}),
                UpdateExpression="SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(fields))),
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames=names, ExpressionAttributeValues=values)
            return True
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise

    def create_product_if_absent(self, account_id: str, product: Product) -> bool:
        """Writes a product without a bundle unless one exists under its SKU; True when written."""
        if product.bundle is not None:
            raise ValueError("bundles go through put_product (reverse index)")
        try:
            self._put(product_to_item(account_id, product), "attribute_not_exists(pk)")
            return True
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise

    def latest_run_for_channel(self, account_id: str, channel_id: str,
                               kinds: Sequence[str] = ("scheduled", "sync_now", "realtime")) -> SyncRun | None:
        """The newest run of `kinds` that covered the channel (a run without `channel_ids` covers all)."""
        runs = [i for i in self._query_all(acct_pk(account_id), "RUN#")
                if i.get("run_kind") in kinds and (not i.get("channel_ids") or channel_id in i["channel_ids"])]
        if not runs:
            return None
        return run_from_item(max(runs, key=lambda i: (i.get("started_at", ""), i["run_id"])))

    def list_history_page(self, account_id: str, sku: str | None = None, channel_id: str | None = None,
                          cursor: str | None = None, limit: int = 100) -> Page:
        """list_history with its cursor checked first (a foreign or garbled cursor is a 400)."""
        self._start_key(cursor, f"{acct_pk(account_id)}#HIST", "")
        return self.list_history(account_id, sku, channel_id, cursor, limit)

    def query_orders(self, account_id: str, keep: Any = None, cursor: str | None = None,
                     limit: int = 100) -> Page:
        """Orders (by order id) that `keep(order)` accepts."""
        accept = None if keep is None else (lambda item: keep(order_from_item(item)))
        items, next_cursor = self._filtered_page(acct_pk(account_id), "ORDER#", accept, cursor, limit)
        return Page([order_from_item(i) for i in items], next_cursor)

    def get_order_with_version(self, account_id: str, order_id: str) -> tuple[Order, int, dict] | None:
        """The order, the version to guard a write with, and the stored item (for split copies)."""
        item = self._get(acct_pk(account_id), order_sk(order_id))
        if not item:
            return None
        return order_from_item(item), int(item.get("version", 0)), item

    def op_update_order(self, order: Order, expected_version: int) -> dict:
        """Rewrites status, lines, shipments and links of an order still at `expected_version`."""
        condition = ("attribute_exists(pk) AND (attribute_not_exists(version) OR version = :v)"
                     if expected_version == 0 else "attribute_exists(pk) AND version = :v")
        return self.op_update(
            {"pk": acct_pk(order.account_id), "sk": order_sk(order.order_id)},
            "SET #status = :st, #lines = :l, #shipments = :sh, linked_orders = :lo, version = :nv, updated_at = :t",
            {"#status": "status", "#lines": "lines", "#shipments": "shipments"},
            {"st": order.status, "l": [asdict(line) for line in order.lines], "sh": list(order.shipments),
             "lo": list(order.linked_orders), "v": expected_version, "nv": expected_version + 1, "t": utcnow()},
            condition=condition,
        )

    def op_create_order(self, order: Order, inherit: Mapping[str, Any] | None = None) -> dict:
        """A new order item (a split-off part); other attributes of `inherit` are carried over."""
        item = {k: v for k, v in (inherit or {}).items() if k not in ("pk", "sk", "version", "updated_at")}
        created_at = item.get("created_at")
        item.update(order_to_item(order))
        if created_at:
            item["created_at"] = created_at
        if inherit:
            item["split_from"] = inherit.get("order_id")
        item["version"] = 0
        return self.op_put(item, "attribute_not_exists(pk)")

    def op_put_shipment(self, account_id: str, order_id: str, shipment_id: str,
                        attrs: Mapping[str, Any]) -> dict:
        """The SHIPMENT record the stream hands to the tracking relay (relay_status "pending")."""
        item = {"relay_status": "pending", **attrs, "pk": acct_pk(account_id),
                "sk": f"SHIPMENT#{order_id}#{shipment_id}", "kind": "shipment", "account_id": account_id,
                "order_id": order_id, "shipment_id": shipment_id}
        return self.op_put(item, "attribute_not_exists(pk)")

    def get_shipment(self, account_id: str, order_id: str, shipment_id: str) -> dict | None:
        return self._get(acct_pk(account_id), f"SHIPMENT#{order_id}#{shipment_id}")


class TransactionConflict(Exception):
    """A TransactWriteItems condition failed (or a concurrent transaction touched the items)."""

    def __init__(self, reasons: list[str | None]):
        super().__init__(f"transaction cancelled: {reasons}")
        self.reasons = reasons
