"""The table's stream is our outbox: every stored change reaches recompute through it, even if the
process that stored it died right after (DESIGN invariant 1: no lost change).

Records are grouped per account; a group that fails is reported from its first record, so Lambda
retries from there (ReportBatchItemFailures), and everything before it is done.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from inventory_sync.adapters.dynamo import from_ddb
from inventory_sync.domain import policy
from inventory_sync.observability import logger
from inventory_sync.services.recompute import affected, load_view, recompute_skus
from inventory_sync.services.sync import start_sync

#: product fields whose change alters a computed quantity or the listings it goes to
QUANTITY_FIELDS = ("bundle", "aliases")
CHANNEL_FIELDS = ("location_id", "warehouses", "rules", "allocations", "sku_mode", "sync_mode",
                  "write_inventory")


@dataclass
class StreamRecord:
    sequence: str
    event: str  # INSERT | MODIFY | REMOVE
    new: dict
    old: dict

    @property
    def sk(self) -> str:
        return (self.new or self.old).get("sk", "")

    @property
    def account_id(self) -> str | None:
        return (self.new or self.old).get("account_id")

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> "StreamRecord":
        d = raw.get("dynamodb", {})
        return cls(sequence=d.get("SequenceNumber", ""), event=raw.get("eventName", ""),
                   new=from_ddb(d.get("NewImage") or {}), old=from_ddb(d.get("OldImage") or {}))


@dataclass
class AccountWork:
    records: list[StreamRecord] = field(default_factory=list)
    skus: set[str] = field(default_factory=set)
    full_sync_channels: set[str] = field(default_factory=set)
    full_sync_all: bool = False
    shipments: list[dict] = field(default_factory=list)
    pending: list[dict] = field(default_factory=list)


def _changed(rec: StreamRecord, names: Iterable[str]) -> bool:
    return rec.event != "MODIFY" or any(rec.new.get(n) != rec.old.get(n) for n in names)


def classify(records: Iterable[StreamRecord]) -> dict[str, AccountWork]:
    work: dict[str, AccountWork] = defaultdict(AccountWork)
    for rec in records:
        account_id = rec.account_id
        if not account_id:
            continue
        w = work[account_id]
        w.records.append(rec)
        sk = rec.sk
        if sk.startswith("STOCK#"):
            w.skus.add((rec.new or rec.old)["sku"])
        elif sk.startswith("PRODUCT#") and _changed(rec, QUANTITY_FIELDS):
            w.skus.add((rec.new or rec.old)["sku"])
        elif sk.startswith("RULE#"):
            w.skus.add((rec.new or rec.old)["sku"])
        elif sk.startswith("CHANNEL#") and rec.event != "REMOVE" and _changed(rec, CHANNEL_FIELDS):
            w.full_sync_channels.add(rec.new["channel_id"])
        elif sk.startswith("WH#") and rec.event == "MODIFY" and _changed(rec, ("include_in_combined",)):
            w.full_sync_all = True
        elif sk.startswith("PENDING#") and rec.event == "INSERT":
            w.pending.append(rec.new)
        elif sk.startswith("SHIPMENT#") and rec.event == "INSERT":
            w.shipments.append({"account_id": account_id, "order_id": rec.new["order_id"],
                                "shipment_id": rec.new["shipment_id"]})
    return work


def after_stock_change(deps: Any, account_id: str, records: list[StreamRecord]) -> dict[str, bool]:
    """Derived flags that follow a stock change: received, and Auto Process Orders.

    Returns the Process Orders value each flipped SKU had before, so the sell-out that turns it
    off still pushes its 0 (policy.push_decision's `process_orders_before`).
    """
    repo = deps.repo
    flipped: dict[str, bool] = {}
    account = None
    for rec in records:
        if not rec.sk.startswith("STOCK#") or not rec.new:
            continue
        if int(rec.new.get("on_hand", 0)) > 0 and not rec.new.get("received"):
            repo.mark_received(account_id, rec.new["sku"], rec.new["warehouse_id"])
        account = account or repo.get_account(account_id)
        if account is not None and account.auto_process_orders:
            before = apply_auto_process_orders(deps, account, rec)
            if before is not None:
                flipped.setdefault(rec.new["sku"], before)
    return flipped


def apply_auto_process_orders(deps: Any, account: Any, rec: StreamRecord) -> bool | None:
    """Process Orders on when an item is received, off when it sells out (field-docs/05)."""
    repo = deps.repo
    sku = rec.new["sku"]
    product = repo.get_product(account.account_id, sku)
    if product is None:
        return None
    warehouses = repo.get_warehouses(account.account_id)
    levels = repo.get_stock(account.account_id, [sku]).get(sku, {})
    included = [l for w, l in levels.items() if w not in warehouses or warehouses[w].include_in_combined]
    on_hand_after = sum(l.on_hand for l in included)
    available_after = sum(l.available for l in included)
    counted = rec.new["warehouse_id"] not in warehouses or warehouses[rec.new["warehouse_id"]].include_in_combined
    old = rec.old or {}
    d_on_hand = int(rec.new.get("on_hand", 0)) - int(old.get("on_hand", 0)) if counted else 0
    d_committed = int(rec.new.get("committed", 0)) - int(old.get("committed", 0)) if counted else 0
    received_before = bool(old.get("received")) or any(
        l.received for w, l in levels.items() if w != rec.new["warehouse_id"])
    decided = policy.process_orders_after_change(
        account, product, on_hand_after - d_on_hand, on_hand_after, received_before,
        total_available_before=available_after - d_on_hand + d_committed, total_available_after=available_after)
    if decided is not None and decided != product.process_orders:
        from dataclasses import replace

        repo.put_product(account.account_id, replace(product, process_orders=decided))
        return product.process_orders
    return None


def handle_stream(deps: Any, raw_records: list[Mapping[str, Any]]) -> list[str]:
    """Processes a stream batch; returns the sequence numbers to report as failed."""
    records = [StreamRecord.parse(r) for r in raw_records]
    failures: list[str] = []
    for account_id, w in classify(records).items():
        try:
            if w.shipments:
                deps.tracking_queue.send(w.shipments)
            for pending in w.pending:  # effects of a big order whose writer may have died
                if deps.repo.get_pending(account_id, pending["key"]):
                    deps.repo.apply_pending(pending)
            flipped = after_stock_change(deps, account_id, w.records)
            if w.full_sync_all or w.full_sync_channels:
                start_sync(deps, account_id, kind="realtime",
                           channel_ids=None if w.full_sync_all else sorted(w.full_sync_channels))
            if w.skus:
                skus = affected(deps.repo, account_id, w.skus)
                view = load_view(deps.repo, account_id, skus)
                if view is None:
                    continue
                outcome = recompute_skus(deps.repo, view, sorted(skus), process_orders_before=flipped)
                if outcome.signals:
                    deps.push_queue.send(outcome.signals)
                if outcome.history:
                    deps.repo.add_history(account_id, outcome.history)
        except Exception:  # reported, not swallowed: the stream retries from this group's first record
            logger.exception("recompute failed", extra={"account_id": account_id})
            failures.append(min(w.records, key=lambda r: int(r.sequence or 0)).sequence)
    return failures
