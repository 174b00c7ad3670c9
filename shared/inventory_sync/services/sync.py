"""Sync runs: Sync Now, bulk and the scheduled full sync, as a paged fan-out.

A run is split into pages of `full_sync_page_size` SKUs; each page is one RecomputeQueue message,
and the last thing a page does is enqueue the next, so no invocation runs long however large the
catalog (100k SKUs = 200 pages of 500). Pages recompute every listing they cover and signal the
push with `verify`, so the push reads what the channel shows and corrects any drift: the periodic
full sync is the safety net behind real-time sync, not the mechanism.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable, Mapping
from uuid import uuid4

from inventory_sync.adapters.dynamo import utcnow
from inventory_sync.errors import InvalidInput, NotFound
from inventory_sync.observability import logger
from inventory_sync.ports import SyncRun
from inventory_sync.services.recompute import load_view, portal_channel_id, recompute_skus

ACCOUNTS_PER_SCAN = 100


def _page_message(account_id: str, run_id: str, *, page: int, cursor: str | None = None,
                  skus: list[str] | None = None, channel_ids: list[str] | None = None,
                  product_filter: Mapping[str, Any] | None = None, force: bool = False,
                  last: bool = False) -> dict:
    msg: dict[str, Any] = {"type": "page", "account_id": account_id, "run_id": run_id, "page": page,
                           "force": force}
    if cursor:
        msg["cursor"] = cursor
    if skus is not None:
        msg["skus"] = skus
        msg["last"] = last
    if channel_ids is not None:
        msg["channel_ids"] = channel_ids
    if product_filter:
        msg["filter"] = dict(product_filter)
    return msg


def start_sync(deps: Any, account_id: str, *, kind: str = "sync_now", skus: Iterable[str] | None = None,
               filter: Mapping[str, Any] | None = None, channel_ids: Iterable[str] | None = None) -> str:
    """Starts a run over `skus` (or the filtered / whole catalog) and returns its id at once."""
    repo = deps.repo
    targets: list[str] | None = None
    if channel_ids is not None:
        targets = list(dict.fromkeys(channel_ids))
        known = {c.channel_id for c in repo.list_channels(account_id)}
        known |= {portal_channel_id(p.portal_id) for p in repo.portals_for_account(account_id)
                  if p.supplier_account_id == account_id}
        for i, cid in enumerate(targets):
            if cid not in known:
                raise NotFound(f"channel {cid} not found", field=f"channel_ids[{i}]")
    run_id = uuid4().hex
    page_size = deps.settings.full_sync_page_size
    force = kind == "sync_now"
    if skus is not None:
        sku_list = list(dict.fromkeys(skus))
        pages = [sku_list[i:i + page_size] for i in range(0, len(sku_list), page_size)] or [[]]
        repo.create_run(SyncRun(account_id, run_id, kind, started_at=utcnow(), expected_pages=len(pages)))
        deps.recompute_queue.send([
            _page_message(account_id, run_id, page=n, skus=page, channel_ids=targets, force=force,
                          last=n == len(pages) - 1)
            for n, page in enumerate(pages)])
    else:
        repo.create_run(SyncRun(account_id, run_id, kind, started_at=utcnow(), expected_pages=1))
        deps.recompute_queue.send([_page_message(account_id, run_id, page=0, channel_ids=targets,
                                                 product_filter=filter, force=force)])
    return run_id


def matches(product: Any, product_filter: Mapping[str, Any]) -> bool:
    """The product list's filters: prefix, tag, supplier_account_id, sync_policy."""
    if product_filter.get("prefix") and not product.sku.startswith(product_filter["prefix"]):
        return False
    if product_filter.get("tag") and product_filter["tag"] not in product.tags:
        return False
    if product_filter.get("supplier_account_id") and product.supplier_account_id != product_filter["supplier_account_id"]:
        return False
    if product_filter.get("sync_policy") and product.sync_policy.value != product_filter["sync_policy"]:
        return False
    return True


def handle_page(deps: Any, msg: Mapping[str, Any]) -> None:
    """Recomputes one page of a run, signals its listings, then enqueues the next page."""
    repo = deps.repo
    account_id, run_id, page_no = msg["account_id"], msg["run_id"], int(msg.get("page", 0))
    next_msg: dict | None = None
    if "skus" in msg:
        skus = list(msg["skus"])
    else:
        product_filter = msg.get("filter") or {}
        page = repo.list_products(account_id, prefix=product_filter.get("prefix", ""), cursor=msg.get("cursor"),
                                  limit=deps.settings.full_sync_page_size)
        skus = [p.sku for p in page.items if matches(p, product_filter)]
        if page.next_cursor:
            next_msg = _page_message(account_id, run_id, page=page_no + 1, cursor=page.next_cursor,
                                     channel_ids=msg.get("channel_ids"), product_filter=product_filter,
                                     force=bool(msg.get("force")))
    view = load_view(repo, account_id, skus)
    counts: dict[str, int] = {}
    if view is not None and skus:
        outcome = recompute_skus(repo, view, skus, run_id=run_id, channel_ids=msg.get("channel_ids"),
                                 force=bool(msg.get("force")), verify=True)
        if outcome.signals:
            deps.push_queue.send(outcome.signals)
        if outcome.history:
            repo.add_history(account_id, outcome.history)
        counts["listings"] = len(outcome.signals) + len(outcome.history)
        for entry in outcome.history:
            key = "skipped_by_policy" if entry.result == "skipped" else entry.result
            counts[key] = counts.get(key, 0) + 1
    if next_msg:
        deps.recompute_queue.send([next_msg])
    record_run_progress(deps, account_id, run_id, counts, pages_done=1, pages_expected=1 if next_msg else 0)


def record_run_progress(deps: Any, account_id: str, run_id: str, counts: Mapping[str, int],
                        pages_done: int = 0, pages_expected: int = 0) -> None:
    """Adds counts atomically and closes the run when every page and listing is accounted for."""
    names = {"skipped": "skipped_by_policy", "suspended": "failed"}
    normalized: dict[str, int] = {}
    for k, v in counts.items():
        key = names.get(k, k)
        normalized[key] = normalized.get(key, 0) + v
    run = deps.repo.add_run_counts(account_id, run_id, normalized, pages_done=pages_done,
                                   pages_expected=pages_expected)
    if run is None or run.status != "in_progress" or run.done_pages < run.expected_pages:
        return
    c = run.counts
    settled = c.get("pushed", 0) + c.get("unchanged", 0) + c.get("failed", 0) + c.get("skipped_by_policy", 0)
    if settled < c.get("listings", 0):
        return
    if c.get("failed", 0) == 0:
        status = "success"
    elif c.get("pushed", 0) + c.get("unchanged", 0) > 0:
        status = "partial"
    else:
        status = "failed"
    deps.repo.finish_run(account_id, run_id, status)


def _due(last: str | None, interval_minutes: int, now: datetime) -> bool:
    if not last:
        return True
    then = datetime.fromisoformat(last.replace("Z", "+00:00"))
    return (now - then).total_seconds() >= interval_minutes * 60 - 30  # 30 s slack for schedule jitter


def fan_out_scheduled(deps: Any, now: datetime | None = None) -> dict:
    """The schedule's entry: starts the scan of accounts (itself paged through the queue)."""
    deps.recompute_queue.send([{"type": "scan_accounts", "at": (now or datetime.now(timezone.utc)).isoformat()}])
    return {"scheduled": True}


def scan_accounts(deps: Any, msg: Mapping[str, Any]) -> int:
    """Starts a scheduled run for every account with a channel or portal whose interval elapsed."""
    repo = deps.repo
    now = datetime.fromisoformat(msg["at"]) if msg.get("at") else datetime.now(timezone.utc)
    page = repo.list_account_ids(cursor=msg.get("cursor"), limit=ACCOUNTS_PER_SCAN)
    started = 0
    for account_id in page.items:
        due: list[str] = []
        for item in repo.list_channel_items(account_id):
            if item.get("write_inventory", True) and _due(item.get("last_full_sync_at"),
                                                          int(item.get("sync_interval_minutes", 60)), now):
                due.append(item["channel_id"])
                repo.set_channel_fields(account_id, item["channel_id"], {"last_full_sync_at": utcnow()})
        for p in repo.portals_for_account(account_id):
            if p.supplier_account_id != account_id or not p.write_inventory:
                continue
            item = repo.get_portal_item(p.portal_id)
            if _due(item.get("last_full_sync_at"), p.sync_interval_minutes, now):
                due.append(portal_channel_id(p.portal_id))
                repo.set_portal_fields(p.portal_id, {"last_full_sync_at": utcnow()})
        if due:
            start_sync(deps, account_id, kind="scheduled", channel_ids=due)
            started += 1
    if page.next_cursor:
        deps.recompute_queue.send([{**msg, "cursor": page.next_cursor}])
    logger.info("scheduled sync scan", extra={"accounts": len(page.items), "runs_started": started})
    return started


def handle_recompute_message(deps: Any, msg: Mapping[str, Any]) -> None:
    kind = msg.get("type")
    if kind == "page":
        handle_page(deps, msg)
    elif kind == "scan_accounts":
        scan_accounts(deps, msg)
    else:
        raise InvalidInput(f"unknown recompute message type {kind!r}", field="type")
