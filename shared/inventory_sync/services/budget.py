"""A channel's rate budget, shared by every concurrent push invocation (one DynamoDB item).

Shopify's GraphQL Admin limit is a leaky bucket of cost points per (app, store): `maximumAvailable`
points that refill at `restoreRate` per second. We mirror it: before a call we take its requested
cost from our copy (a version-guarded write, so two invocations can't spend the same points), and
after every answer we adopt the channel's own `throttleStatus`, the authority. When the points
aren't there, the caller is told how long to wait and puts the work back on the queue with that
delay — never a hot retry.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Callable

#: Shopify standard-plan figures, used until the first answer tells us the store's own.
DEFAULT_BUCKET = 2000.0
DEFAULT_RESTORE_RATE = 100.0


@dataclass(frozen=True)
class Grant:
    granted: bool
    wait_seconds: float = 0.0


class SharedBucket:
    def __init__(self, repo: Any, key: str, clock: Callable[[], float] = time.time):
        self._repo = repo
        self._key = key
        self._clock = clock

    def _state(self) -> tuple[dict, int | None]:
        item = self._repo.get_budget(self._key)
        if not item:
            return {"available": DEFAULT_BUCKET, "maximum": DEFAULT_BUCKET, "rate": DEFAULT_RESTORE_RATE,
                    "at": self._clock(), "version": 0}, None
        return item, int(item.get("version", 0))

    @staticmethod
    def _level(state: dict, now: float) -> float:
        elapsed = max(0.0, now - float(state["at"]))
        return min(float(state["maximum"]), float(state["available"]) + elapsed * float(state["rate"]))

    def acquire(self, cost: float) -> Grant:
        """Takes `cost` points if they are there now; else says how long until they will be."""
        for _ in range(10):
            state, version = self._state()
            now = self._clock()
            level = self._level(state, now)
            if level < cost:
                rate = float(state["rate"]) or DEFAULT_RESTORE_RATE
                return Grant(False, math.ceil((cost - level) / rate * 10) / 10)
            new = {"available": level - cost, "maximum": state["maximum"], "rate": state["rate"],
                   "at": now, "version": (version or 0) + 1}
            if self._repo.save_budget(self._key, new, version):
                return Grant(True)
        return Grant(False, 1.0)  # heavy contention: back off a second

    def observe(self, maximum: float, currently_available: float, restore_rate: float) -> None:
        """Adopts the channel's own figures from a response's throttleStatus."""
        for _ in range(5):
            _state, version = self._state()
            new = {"available": float(currently_available), "maximum": float(maximum),
                   "rate": float(restore_rate), "at": self._clock(), "version": (version or 0) + 1}
            if self._repo.save_budget(self._key, new, version):
                return
