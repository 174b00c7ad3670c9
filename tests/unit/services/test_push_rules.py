"""When a push may raise a channel's count (no stale overwrite), and the idempotency key."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from inventory_sync.adapters.shopify import SetQuantity
from inventory_sync.domain.model import Channel
from inventory_sync.ports import Listing
from inventory_sync.services.push import idempotency_key, must_wait_before_raising

NOW = datetime(2026, 11, 22, 12, 0, 0, tzinfo=timezone.utc)


def iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def listing(**kw) -> Listing:
    base = dict(account_id="a", channel_id="c", listing_sku="S", sku="S", desired=12, last_seen=7,
                last_pushed=10, desired_at=iso(NOW - timedelta(seconds=30)), seen_at=iso(NOW - timedelta(seconds=5)))
    base.update(kw)
    return Listing(**base)


def test_lowering_the_channel_never_waits():
    assert not must_wait_before_raising(listing(desired=5), NOW, 60)


def test_a_listing_never_pushed_is_overwritten_at_once():
    """We are the master of inventory: the first sync sets the channel to our number."""
    assert not must_wait_before_raising(listing(last_pushed=None), NOW, 60)


def test_raising_on_a_number_computed_before_the_channel_fell_waits():
    """The channel fell to 7 after we computed 12: an order we have not seen. Wait."""
    assert must_wait_before_raising(listing(), NOW, 60)


def test_raising_on_a_number_computed_after_we_learned_the_channel_count_goes_ahead():
    listing_ = listing(desired_at=iso(NOW - timedelta(seconds=1)), seen_at=iso(NOW - timedelta(seconds=2)))
    assert not must_wait_before_raising(listing_, NOW, 60)


def test_after_the_grace_period_without_an_order_the_channel_is_raised():
    listing_ = listing(conflict_since=iso(NOW - timedelta(seconds=61)))
    assert not must_wait_before_raising(listing_, NOW, 60)


def test_within_the_grace_period_it_still_waits():
    assert must_wait_before_raising(listing(conflict_since=iso(NOW - timedelta(seconds=10))), NOW, 60)


def test_idempotency_key_is_stable_for_a_retry_and_new_for_a_new_observation():
    channel = Channel("a", "c", "shopify", "gid://shopify/Location/1")
    q = [SetQuantity("gid://shopify/InventoryItem/1", 10, 8)]
    first = idempotency_key(channel, q, [listing()])
    assert first == idempotency_key(channel, q, [listing()])
    assert first != idempotency_key(channel, q, [listing(seen_at=iso(NOW))])
    assert len(first) == 36 and first.count("-") == 4
