"""Splitting one warehouse's stock between sales channels (sales-channel sync mode).

An allocation is, for one channel, `warehouse_id -> percent` of that warehouse's available stock
the channel may show. Each channel gets `floor(available * percent / 100)`; because the shares of
one warehouse across all channels add up to at most 100 and every share is rounded down, the
channels together never show more than the warehouse holds.
"""

from __future__ import annotations

from typing import Mapping

from .errors import DomainValidationError


def allocated_share(available: int, percent: int) -> int:
    """The units of `available` a channel holding `percent` of the warehouse may show.

    Rounded down, so the shares of all channels never add up to more than the warehouse holds.
    An oversold warehouse (available < 0) has nothing to share: it counts as 0.
    """
    return max(0, available) * percent // 100


def validate_allocation(allocation: Mapping[str, int], field: str = "allocations") -> None:
    """Refuses a single channel's allocation whose shares are not whole percents from 0 to 100."""
    for warehouse_id, percent in allocation.items():
        if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
            raise DomainValidationError(
                f"{field}.{warehouse_id}",
                f"the share of warehouse {warehouse_id} must be a whole percent from 0 to 100, got {percent!r}",
                "invalid_percent",
            )


def validate_allocations(channels_allocations: Mapping[str, Mapping[str, int]]) -> None:
    """Refuses allocations that would promise one warehouse's stock more than once.

    `channels_allocations` is `channel_id -> (warehouse_id -> percent)` for every channel of the
    account (the service passes the stored ones with the one being changed replaced). Raises
    `DomainValidationError` on the first warehouse whose shares add up to more than 100, naming
    the channels that share it.
    """
    totals: dict[str, int] = {}
    holders: dict[str, list[str]] = {}
    for channel_id, allocation in channels_allocations.items():
        validate_allocation(allocation)
        for warehouse_id, percent in allocation.items():
            totals[warehouse_id] = totals.get(warehouse_id, 0) + percent
            holders.setdefault(warehouse_id, []).append(f"{channel_id} {percent}%")
    for warehouse_id, total in totals.items():
        if total > 100:
            raise DomainValidationError(
                f"allocations.{warehouse_id}",
                f"warehouse {warehouse_id} is allocated {total}% in all ({', '.join(holders[warehouse_id])}); "
                "the shares of one warehouse may add up to at most 100%",
                "allocation_exceeds_100",
            )


def unallocated_percent(channels_allocations: Mapping[str, Mapping[str, int]], warehouse_id: str) -> int:
    """How many percent of `warehouse_id` no channel holds yet (for an error message or a form)."""
    taken = sum(a.get(warehouse_id, 0) for a in channels_allocations.values())
    return max(0, 100 - taken)
