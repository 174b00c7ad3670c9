"""Allocation of one warehouse's stock between sales channels."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory_sync.domain.allocation import (
    allocated_share,
    unallocated_percent,
    validate_allocation,
    validate_allocations,
)
from inventory_sync.domain.errors import DomainValidationError


def test_allocated_share_rounds_down():
    """Given 7 units and a 50% share, then the channel may show 3."""
    assert allocated_share(7, 50) == 3


def test_allocated_share_of_an_oversold_warehouse_is_zero():
    """Given a warehouse at -4, then no share of it is sellable."""
    assert allocated_share(-4, 100) == 0


def test_allocations_over_100_percent_of_a_warehouse_are_refused():
    """Given two channels holding 60% and 50% of WH-A, then the allocations are refused."""
    with pytest.raises(DomainValidationError) as refused:
        validate_allocations({"shop": {"WH-A": 60}, "store": {"WH-A": 50, "WH-B": 10}})

    assert (refused.value.field, refused.value.code) == ("allocations.WH-A", "allocation_exceeds_100")
    assert "shop 60%" in refused.value.message and "store 50%" in refused.value.message


def test_allocations_up_to_100_percent_of_a_warehouse_are_accepted():
    """Given shares of WH-A adding up to exactly 100%, then they are accepted."""
    validate_allocations({"shop": {"WH-A": 60}, "store": {"WH-A": 40}})


@pytest.mark.parametrize("bad", [-1, 101, 2.5, True, "50"])
def test_allocation_share_must_be_a_whole_percent(bad):
    """Given a share that is not a whole percent from 0 to 100, then it is refused."""
    with pytest.raises(DomainValidationError) as refused:
        validate_allocation({"WH-A": bad})

    assert refused.value.field == "allocations.WH-A"


def test_unallocated_percent_is_what_no_channel_holds():
    """Given 60% and 15% of WH-A held, then 25% is still free."""
    assert unallocated_percent({"shop": {"WH-A": 60}, "store": {"WH-A": 15}}, "WH-A") == 25


@st.composite
def shares_adding_up_to_at_most_100(draw) -> list[int]:
    cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=1, max_size=6)))
    bounds = [0, *cuts]
    return [b - a for a, b in zip(bounds, bounds[1:])]


@settings(max_examples=300, deadline=None)
@given(available=st.integers(-50, 10_000), shares=shares_adding_up_to_at_most_100())
def test_allocations_never_over_commit_a_warehouse(available, shares):
    """For any stock and shares adding up to at most 100%: sum of floor(avail * p / 100) <= avail."""
    validate_allocations({f"ch{i}": {"WH": p} for i, p in enumerate(shares)})

    assert sum(allocated_share(available, p) for p in shares) <= max(0, available)
