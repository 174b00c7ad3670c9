"""Channel push: coalesce signals per channel, read the current desired quantity, write in batches.

Invariants kept here:
- Level-triggered: a signal names a listing; the quantity is read from the listing now, so a
  duplicate or stale signal is harmless and an unchanged value is not re-sent.
- No stale overwrite: every write is compare-and-set against the value we last saw on the channel
  (`changeFromQuantity`). When the channel holds less than we thought, it probably took an order
  whose webhook hasn't reached us: we wait `conflict_grace_seconds` for it before raising the
  channel's count. Lowering is always safe and happens at once.
- Within budget: each call first takes its cost from the channel's shared bucket; when the points
  aren't there, the signals go back on the queue with a delay.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Mapping, Sequence

from inventory_sync.adapters.dynamo import utcnow
from inventory_sync.adapters.shopify import (
    MAX_QUANTITIES_PER_CALL,
    estimate_lookup_cost,
    estimate_read_cost,
    estimate_set_cost,
    SetQuantity,
    ShopifyAuthError,
    ShopifyClient,
    ShopifyThrottled,
    ShopifyUnavailable,
)
from inventory_sync.domain.model import Channel
from inventory_sync.errors import Retryable
from inventory_sync.observability import logger
from inventory_sync.ports import HistoryEntry, Listing
from inventory_sync.services.budget import SharedBucket
from inventory_sync.services.recompute import split_listing_id

#: points budgeted for a fulfilment round trip (read fulfilment orders, then fulfil)
SET_COST = 10
QUERY_COST = 30


@dataclass(frozen=True)
class Signal:
    account_id: str
    channel_id: str
    listing_sku: str
    run_id: str | None = None
    verify: bool = False

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> "Signal":
        return cls(str(body["account_id"]), str(body["channel_id"]), str(body["listing_sku"]),
                   body.get("run_id"), bool(body.get("verify", False)))

    def to_message(self) -> dict:
        msg = {"account_id": self.account_id, "channel_id": self.channel_id, "listing_sku": self.listing_sku}
        if self.run_id:
            msg["run_id"] = self.run_id
        if self.verify:
            msg["verify"] = True
        return msg


@dataclass
class PushReport:
    pushed: int = 0
    unchanged: int = 0
    failed: int = 0
    deferred: int = 0
    requeued: int = 0
    history: list[HistoryEntry] = field(default_factory=list)


def shopify_client_for(deps: Any, channel: Channel) -> ShopifyClient:
    secret = deps.secrets.get_channel_secret(channel.account_id, channel.channel_id) or {}
    creds = secret.get("credentials") or {}
    base = channel.api_base_url or f"https://{creds.get('shop_domain') or channel.shop_domain}"
    return ShopifyClient(base, creds.get("access_token", ""), api_version=channel.api_version)


def _seconds_since(iso: str | None, now: datetime) -> float:
    if not iso:
        return 0.0
    then = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return (now - then).total_seconds()


def must_wait_before_raising(listing: Listing, now: datetime, grace_seconds: float) -> bool:
    """True when pushing `desired` would raise the channel's count on information older than it.

    A listing we never pushed is simply overwritten (we are the master of inventory). Otherwise a
    raise is allowed when `desired` was computed after we learned the channel's count, or when the
    channel has stayed below our number for longer than the grace period (no order came).
    """
    if listing.last_seen is None or listing.desired is None or listing.desired <= listing.last_seen:
        return False
    if listing.last_pushed is None:
        return False
    if listing.desired_at and listing.seen_at and listing.desired_at > listing.seen_at:
        return False
    return listing.conflict_since is None or _seconds_since(listing.conflict_since, now) < grace_seconds


def idempotency_key(channel: Channel, batch: Sequence[SetQuantity], listings: Sequence[Listing] = ()) -> str:
    """The same request retried gets the same key (Shopify's guidance); a different one, a new key.

    Shopify keeps keys for a day and replays the first answer, so the key also carries when we
    computed `desired` and learned `last_seen`: setting 10 from 8 again later, after the channel
    went back to 8, is a new operation and must not be answered with the old replay.
    """
    payload = json.dumps([channel.account_id, channel.channel_id, channel.location_id,
                          sorted((q.inventory_item_id, q.quantity, q.change_from_quantity) for q in batch),
                          sorted((l.listing_sku, l.desired_at or "", l.seen_at or "") for l in listings)],
                         default=str)
    digest = hashlib.sha256(payload.encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


class ShopifyPusher:
    """Pushes one channel's coalesced listings to Shopify."""

    def __init__(self, deps: Any, channel: Channel, client: ShopifyClient,
                 now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        self.deps = deps
        self.repo = deps.repo
        self.channel = channel
        self.client = client
        self.bucket = SharedBucket(self.repo, f"shopify#{channel.account_id}#{channel.channel_id}")
        self._now = now

    # -- budget ------------------------------------------------------------------------------------
    def _spend(self, cost: float) -> float:
        """0 when the points were taken; else the seconds to wait before trying again."""
        grant = self.bucket.acquire(cost)
        return 0.0 if grant.granted else max(1.0, grant.wait_seconds)

    def observe_throttle(self) -> None:
        t = self.client.last_throttle
        if t is not None:
            self.bucket.observe(t.maximum_available, t.currently_available, t.restore_rate)

    # -- the push ----------------------------------------------------------------------------------
    def push(self, signals: Sequence[Signal]) -> tuple[PushReport, list[Signal], float]:
        """Returns the report, the signals to put back on the queue and the delay for them."""
        report = PushReport()
        by_sku = {s.listing_sku: s for s in signals}
        verify = any(s.verify for s in signals)
        listings = self.repo.get_listings(self.channel.account_id, self.channel.channel_id, list(by_sku))
        at = utcnow()
        todo: list[Listing] = []
        for sku, signal in by_sku.items():
            listing = listings.get(sku)
            if listing is None or listing.desired is None:
                continue  # nothing computed yet: recompute will signal again
            if not verify and listing.last_seen == listing.desired and listing.status == "synced":
                report.unchanged += 1
                report.history.append(self._entry(listing, listing.last_seen, listing.desired, "unchanged",
                                                  "channel already shows this quantity", signal.run_id, at))
                continue
            todo.append(listing)
        if not todo:
            return report, [], 0.0

        # 1. inventory item ids for listings we haven't matched yet
        missing = [l for l in todo if not l.inventory_item_id]
        if missing:
            wait = self._spend(estimate_lookup_cost(len(missing)))
            if wait:
                return report, list(by_sku[l.listing_sku] for l in todo), wait
            try:
                found = self.client.lookup_inventory_items(list({split_listing_id(l.listing_sku)[0] for l in missing}))
            finally:
                self.observe_throttle()
            matched: dict[str, str] = {}
            for l in missing:
                ids = found.get(split_listing_id(l.listing_sku)[0]) or []
                if not ids:
                    report.failed += 1
                    self.repo.record_push(l, pushed=None, seen=None, status="failed", at=at)
                    report.history.append(self._entry(l, l.last_seen, l.desired, "failed",
                                                      "no variant with this SKU on the channel",
                                                      by_sku[l.listing_sku].run_id, at))
                    continue
                matched[l.listing_sku] = ids[0]
            todo = [l if l.inventory_item_id else _with(l, inventory_item_id=matched[l.listing_sku])
                    for l in todo if l.inventory_item_id or l.listing_sku in matched]

        # 2. per channel location (one, or one per warehouse in warehouse sync mode)
        by_location: dict[str, list[Listing]] = defaultdict(list)
        for l in todo:
            by_location[self.location_of(l)].append(l)
        requeue: list[Signal] = []
        delay = 0.0
        for location_id, listings_here in by_location.items():
            # what the channel shows now, where we don't know it (or a run asked us to verify)
            unknown = [l for l in listings_here if verify or l.last_seen is None]
            if unknown:
                wait = self._spend(estimate_read_cost(len(unknown)))
                if wait:
                    requeue += [by_sku[l.listing_sku] for l in listings_here]
                    delay = max(delay, wait)
                    continue
                try:
                    current = self.client.get_available([l.inventory_item_id for l in unknown], location_id)
                finally:
                    self.observe_throttle()
                listings_here = [_with(l, last_seen=current.get(l.inventory_item_id), seen_at=at)
                                 if l in unknown else l for l in listings_here]
            report, more, wait = self._write(listings_here, by_sku, report, at, location_id)
            requeue += more
            delay = max(delay, wait)
        return report, requeue, delay

    def location_of(self, listing: Listing) -> str:
        """The channel location a listing shows: by warehouse, that warehouse's; else the channel's."""
        _, warehouse = split_listing_id(listing.listing_sku)
        if warehouse and self.channel.sync_mode == "warehouse" and warehouse in self.channel.locations:
            return self.channel.locations[warehouse]
        return self.channel.location_id

    def _write(self, todo: list[Listing], by_sku: Mapping[str, Signal], report: PushReport,
               at: str, location_id: str) -> tuple[PushReport, list[Signal], float]:
        requeue: list[Signal] = []
        delay = 0.0
        now = self._now()
        grace = self.deps.settings.conflict_grace_seconds
        for attempt in range(3):
            writes: list[Listing] = []
            for l in todo:
                run_id = by_sku[l.listing_sku].run_id
                if l.last_seen == l.desired:
                    report.unchanged += 1
                    self.repo.record_push(l, pushed=None, seen=l.last_seen, status="synced", at=at,
                                          inventory_item_id=l.inventory_item_id)
                    report.history.append(self._entry(l, l.last_seen, l.desired, "unchanged",
                                                      "channel already shows this quantity", run_id, at))
                elif must_wait_before_raising(l, now, grace):
                    # The channel shows less than our number, and our number was computed before we
                    # learned that: most likely an order whose webhook hasn't reached us. Raising now
                    # could sell units that are gone, so wait for it (recompute signals again).
                    since = l.conflict_since or at
                    report.deferred += 1
                    requeue.append(by_sku[l.listing_sku])
                    delay = max(delay, grace - _seconds_since(since, now) + 1)
                    self.repo.record_push(l, pushed=None, seen=l.last_seen, status="deferred", at=at,
                                          inventory_item_id=l.inventory_item_id, conflict_since=since)
                    report.history.append(self._entry(l, l.last_seen, l.desired, "skipped",
                                                      "channel below our number: waiting for its order",
                                                      None, at))  # the run counts it once resolved
                else:
                    writes.append(l)
            if not writes:
                break
            stale: dict[str, Listing] = {}
            for start in range(0, len(writes), MAX_QUANTITIES_PER_CALL):
                batch = writes[start:start + MAX_QUANTITIES_PER_CALL]
                wait = self._spend(estimate_set_cost(len(batch)))
                if wait:
                    requeue.extend(by_sku[l.listing_sku] for l in batch)
                    delay = max(delay, wait)
                    report.requeued += len(batch)
                    continue
                quantities = [SetQuantity(l.inventory_item_id, int(l.desired), l.last_seen) for l in batch]
                try:
                    result = self.client.set_available(
                        quantities, location_id, idempotency_key(self.channel, quantities, batch),
                        reference_document_uri=f"gid://inventory-sync/SyncRun/{by_sku[batch[0].listing_sku].run_id or 'realtime'}",
                    )
                except ShopifyThrottled as exc:
                    self.observe_throttle()
                    wait = math.ceil(exc.retry_after_seconds)
                    requeue.extend(by_sku[l.listing_sku] for l in batch)
                    delay = max(delay, wait)
                    report.requeued += len(batch)
                    continue
                self.observe_throttle()
                if result.applied:
                    for l in batch:
                        report.pushed += 1
                        self.repo.record_push(l, pushed=int(l.desired), seen=int(l.desired), status="synced",
                                              at=at, inventory_item_id=l.inventory_item_id)
                        report.history.append(self._entry(l, l.last_seen, l.desired, "pushed", "set available",
                                                          by_sku[l.listing_sku].run_id, at))
                elif result.stale_item_ids:
                    # the mutation is atomic: nothing applied. Re-read the stale ones, retry the batch.
                    for l in batch:
                        stale[l.inventory_item_id] = l
                else:
                    for l in batch:
                        report.failed += 1
                        reason = "; ".join(f"{e.code}: {e.message}" for e in result.user_errors) or "rejected"
                        self.repo.record_push(l, pushed=None, seen=l.last_seen, status="failed", at=at,
                                              inventory_item_id=l.inventory_item_id)
                        report.history.append(self._entry(l, l.last_seen, l.desired, "failed", reason,
                                                          by_sku[l.listing_sku].run_id, at))
            if not stale:
                break
            wait = self._spend(estimate_read_cost(len(stale)))
            if wait:
                requeue.extend(by_sku[l.listing_sku] for l in stale.values())
                delay = max(delay, wait)
                break
            current = self.client.get_available(list(stale), location_id)
            self.observe_throttle()
            todo = []
            for item_id, l in stale.items():
                seen = current.get(item_id)
                conflict = l.conflict_since
                todo.append(_with(l, last_seen=seen, seen_at=at, conflict_since=conflict))
        return report, requeue, delay

    def _entry(self, l: Listing, from_q: int | None, to_q: int | None, result: str, reason: str,
               run_id: str | None, at: str) -> HistoryEntry:
        return HistoryEntry(at, l.sku, l.channel_id, l.listing_sku, from_q, to_q, result, reason, run_id)


def _with(listing: Listing, **changes: Any) -> Listing:
    from dataclasses import replace

    return replace(listing, **changes)


def push_signals(deps: Any, bodies: Iterable[Mapping[str, Any]],
                 client_factory: Callable[[Any, Channel], Any] = shopify_client_for) -> PushReport:
    """Pushes a batch of signals: grouped by channel, coalesced per listing.

    Raises Retryable when a channel is unavailable (the caller reports the batch items failed).
    """
    groups: dict[tuple[str, str], list[Signal]] = defaultdict(list)
    for body in bodies:
        s = Signal.parse(body)
        groups[(s.account_id, s.channel_id)].append(s)
    total = PushReport()
    run_counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (account_id, channel_id), signals in groups.items():
        channel = deps.repo.get_channel(account_id, channel_id)
        if channel is None:
            continue  # the channel was removed: nothing to push to
        at = utcnow()
        if channel.type != "shopify":
            listings = deps.repo.get_listings(account_id, channel_id, [s.listing_sku for s in signals])
            for s in signals:
                l = listings.get(s.listing_sku)
                if l is None:
                    continue
                deps.repo.record_push(l, pushed=None, seen=l.last_seen, status="suspended", at=at)
                total.history.append(HistoryEntry(at, l.sku, channel_id, l.listing_sku, l.last_seen, l.desired,
                                                  "suspended", f"pushing to {channel.type} is not available yet",
                                                  s.run_id))
                if s.run_id:
                    run_counts[(account_id, s.run_id)]["failed"] += 1
            continue
        pusher = ShopifyPusher(deps, channel, client_factory(deps, channel))
        try:
            report, requeue, delay = pusher.push(signals)
        except ShopifyThrottled as exc:
            # a read was throttled (writes handle their own): the channel's work waits its turn
            pusher.observe_throttle()
            report, requeue, delay = PushReport(), list(signals), exc.retry_after_seconds
        except ShopifyAuthError:
            logger.warning("channel rejected our token", extra={"account_id": account_id, "channel_id": channel_id})
            report, requeue, delay = PushReport(), [], 0.0
            for s in signals:
                report.failed += 1
                report.history.append(HistoryEntry(at, s.listing_sku, channel_id, s.listing_sku, None, None,
                                                   "failed", "channel rejected the access token", s.run_id))
        except ShopifyUnavailable as exc:
            raise Retryable(str(exc)) from exc
        if requeue:
            deps.push_queue.send([s.to_message() for s in requeue], delay_seconds=int(math.ceil(delay)))
        total.pushed += report.pushed
        total.unchanged += report.unchanged
        total.failed += report.failed
        total.deferred += report.deferred
        total.requeued += len(requeue)
        total.history.extend(report.history)
        for entry in report.history:
            if entry.run_id:
                run_counts[(account_id, entry.run_id)][entry.result] += 1
        if report.history:
            deps.repo.add_history(account_id, report.history)
    for (account_id, run_id), counts in run_counts.items():
        from inventory_sync.services.sync import record_run_progress

        record_run_progress(deps, account_id, run_id, counts)
    return total
