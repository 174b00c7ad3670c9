"""The shared channel budget: a leaky bucket mirrored in one item, shared by all invocations."""

from __future__ import annotations

from inventory_sync.services.budget import DEFAULT_BUCKET, SharedBucket


class FakeBudgetRepo:
    def __init__(self):
        self.items: dict[str, dict] = {}
        self.conflicts = 0

    def get_budget(self, key):
        item = self.items.get(key)
        return dict(item) if item else None

    def save_budget(self, key, state, expected_version):
        current = self.items.get(key)
        if (current is None) != (expected_version is None):
            self.conflicts += 1
            return False
        if current is not None and current["version"] != expected_version:
            self.conflicts += 1
            return False
        self.items[key] = dict(state)
        return True


class Clock:
    def __init__(self, t=1000.0):
        self.t = t

    def __call__(self):
        return self.t


def test_first_call_starts_from_a_full_standard_bucket():
    """Given no history, when 10 points are asked, then they are granted from 2000."""
    repo, clock = FakeBudgetRepo(), Clock()
    assert SharedBucket(repo, "k", clock).acquire(10).granted
    assert repo.items["k"]["available"] == DEFAULT_BUCKET - 10


def test_spent_bucket_says_how_long_to_wait_at_the_restore_rate():
    """Given 5 points left at 100/s, when 205 are asked, then the answer is wait 2 s."""
    repo, clock = FakeBudgetRepo(), Clock()
    bucket = SharedBucket(repo, "k", clock)
    bucket.observe(2000, 5, 100)
    grant = bucket.acquire(205)
    assert not grant.granted and grant.wait_seconds == 2.0


def test_points_restore_over_time_up_to_the_maximum():
    """Given an empty bucket, when 3 s pass at 100/s, then 300 points can be spent, not more."""
    repo, clock = FakeBudgetRepo(), Clock()
    bucket = SharedBucket(repo, "k", clock)
    bucket.observe(2000, 0, 100)
    clock.t += 3
    assert bucket.acquire(300).granted
    assert not bucket.acquire(1).granted


def test_two_invocations_cannot_spend_the_same_points():
    """Given 100 points shared by two pushers, when each asks for 60, then only one is granted."""
    repo, clock = FakeBudgetRepo(), Clock()
    a, b = SharedBucket(repo, "k", clock), SharedBucket(repo, "k", clock)
    a.observe(2000, 100, 100)
    results = [a.acquire(60).granted, b.acquire(60).granted]
    assert results == [True, False]


def test_channel_figures_replace_our_estimate():
    """Given our copy says 1000, when the channel reports 40 of a 20000 bucket at 1000/s, then
    those are the figures used next."""
    repo, clock = FakeBudgetRepo(), Clock()
    bucket = SharedBucket(repo, "k", clock)
    bucket.acquire(1000)
    bucket.observe(20000, 40, 1000)
    assert repo.items["k"]["maximum"] == 20000 and repo.items["k"]["rate"] == 1000
    assert not bucket.acquire(41).granted
