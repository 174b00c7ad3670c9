"""Sync policy (field-docs/05): account and item levels, received, Sync Now, Auto Process Orders."""

from __future__ import annotations

import pytest

from inventory_sync.domain import policy
from inventory_sync.domain.model import Account, AccountKind, AccountSyncPolicy as AP, ProductSyncPolicy as IP
from inventory_sync.domain.policy import (
    item_received,
    process_orders_after_change,
    publishes_on_shipment,
    push_decision,
)

from .builders import catalog, item, kit


def account(sync_policy: AP = AP.ALWAYS, auto_process_orders: bool = False) -> Account:
    return Account("acct", "Acct", AccountKind.MERCHANT, sync_policy, auto_process_orders)


@pytest.mark.parametrize(
    "account_policy, item_policy, process_orders, push",
    [
        (AP.NEVER, IP.ALWAYS, False, True),
        (AP.ALWAYS, IP.NEVER, True, False),
        (AP.ALWAYS, IP.PROCESS_ORDERS_ONLY, False, False),
        (AP.PROCESS_ORDERS_ONLY, IP.ALWAYS, False, True),
    ],
)
def test_item_level_policy_wins_over_account(account_policy, item_policy, process_orders, push):
    """Given an item-level policy other than Customer Default, then it decides, not the account's."""
    decision = push_decision(account(account_policy), item("SKU", sync_policy=item_policy, process_orders=process_orders),
                             level_received=True, sync_now=False)

    assert decision.push is push
    assert decision.reason.startswith("item_policy_")


@pytest.mark.parametrize("account_policy, push", [(AP.NEVER, False), (AP.ALWAYS, True)])
def test_customer_default_follows_the_account(account_policy, push):
    """Given Customer Default on the item, then the account's policy decides."""
    decision = push_decision(account(account_policy), item("SKU"), level_received=True, sync_now=False)

    assert decision.push is push
    assert decision.reason.startswith("account_policy_")


def test_never_does_not_push():
    """Given an item set to Never, then its quantity is not pushed."""
    decision = push_decision(account(), item("SKU", sync_policy=IP.NEVER), level_received=True, sync_now=False)

    assert decision == policy.Decision(False, policy.ITEM_NEVER)


def test_never_also_stops_publishing_quantities_on_shipment_notices():
    """Given Never (item or account default), then shipment notices publish no quantity either."""
    assert publishes_on_shipment(account(), item("SKU", sync_policy=IP.NEVER)) is False
    assert publishes_on_shipment(account(AP.NEVER), item("SKU")) is False
    assert publishes_on_shipment(account(AP.PROCESS_ORDERS_ONLY), item("SKU", process_orders=False)) is True


def test_process_orders_only_pushes_only_items_set_to_process_orders():
    """Given Only-when-Process-Orders, then an item with Process Orders off is not pushed."""
    acct = account(AP.PROCESS_ORDERS_ONLY)

    on = push_decision(acct, item("SKU", process_orders=True), level_received=True, sync_now=False)
    off = push_decision(acct, item("SKU", process_orders=False), level_received=True, sync_now=False)

    assert (on.push, off.push) == (True, False)
    assert off.reason == policy.ACCOUNT_PROCESS_ORDERS_OFF


def test_never_received_item_is_not_pushed_so_imports_are_not_zeroed():
    """Given an item imported but never received, then even Always does not push its 0."""
    decision = push_decision(account(AP.ALWAYS), item("SKU"), level_received=False, sync_now=False)

    assert decision == policy.Decision(False, policy.NOT_RECEIVED)


def test_sync_now_pushes_irrespective_of_policy():
    """Given Never, Process Orders off and never received, then Sync Now still pushes."""
    decision = push_decision(account(AP.NEVER), item("SKU", sync_policy=IP.NEVER, process_orders=False),
                             level_received=False, sync_now=True)

    assert decision == policy.Decision(True, policy.SYNC_NOW)


# -- received -------------------------------------------------------------------------------------


def test_item_is_received_once_any_warehouse_received_it():
    """Given a record at WH-B that was received (even if now empty), then the item is received."""
    cat = catalog({("SKU", "WH-A"): 0, ("SKU", "WH-B"): 0}, received=[("SKU", "WH-B")])

    assert item_received("SKU", cat) is True
    assert item_received("OTHER", cat) is False


def test_bundle_is_received_when_every_component_was():
    """Given kit K = X + Y with both received and no kit stock, then K counts as received."""
    cat = catalog({("X", "WH-A"): 1, ("Y", "WH-A"): 1}, products=[kit("K", ("X", 1), ("Y", 1))])

    assert item_received("K", cat) is True


def test_bundle_with_a_never_received_component_is_not_received():
    """Given Y never received, then K (which can only be 0) is not pushed as received."""
    cat = catalog({("X", "WH-A"): 1, ("Y", "WH-A"): 0}, products=[kit("K", ("X", 1), ("Y", 1))])

    assert item_received("K", cat) is False


def test_bundle_with_received_preassembled_stock_is_received():
    """Given pre-assembled kits that were received, then K is received whatever its components."""
    cat = catalog({("K", "WH-A"): 2, ("Y", "WH-A"): 0}, products=[kit("K", ("X", 1), ("Y", 1))])

    assert item_received("K", cat) is True


# -- Auto Process Orders --------------------------------------------------------------------------


def test_auto_process_orders_turns_on_when_item_is_received():
    """Given an item never received with Process Orders off, when 5 arrive, then it turns on."""
    decided = process_orders_after_change(account(auto_process_orders=True), item("SKU", process_orders=False),
                                          total_on_hand_before=0, total_on_hand_after=5, received_before=False)

    assert decided is True


def test_auto_process_orders_turns_off_when_item_sells_out():
    """Given available going from 1 to 0, then Process Orders turns off."""
    decided = process_orders_after_change(account(auto_process_orders=True), item("SKU", process_orders=True),
                                          total_on_hand_before=3, total_on_hand_after=3, received_before=True,
                                          total_available_before=1, total_available_after=0)

    assert decided is False


def test_auto_process_orders_turns_back_on_when_restocked():
    """Given a sold-out item (off) that is restocked, then Process Orders turns on again."""
    decided = process_orders_after_change(account(auto_process_orders=True), item("SKU", process_orders=False),
                                          total_on_hand_before=0, total_on_hand_after=12, received_before=True)

    assert decided is True


def test_auto_process_orders_does_nothing_without_the_account_option():
    """Given the account option off, then a receipt changes nothing."""
    decided = process_orders_after_change(account(auto_process_orders=False), item("SKU", process_orders=False),
                                          total_on_hand_before=0, total_on_hand_after=5, received_before=False)

    assert decided is None


def test_auto_process_orders_leaves_a_setting_that_already_matches_alone():
    """Given Process Orders already on, when more stock arrives, then nothing is changed."""
    decided = process_orders_after_change(account(auto_process_orders=True), item("SKU", process_orders=True),
                                          total_on_hand_before=0, total_on_hand_after=5, received_before=False)

    assert decided is None


def test_auto_process_orders_ignores_changes_that_stay_at_zero():
    """Given an item an operator switched on by hand at 0 stock, then an unrelated 0 -> 0 keeps it."""
    decided = process_orders_after_change(account(auto_process_orders=True), item("SKU", process_orders=True),
                                          total_on_hand_before=0, total_on_hand_after=0, received_before=True)

    assert decided is None


def test_sell_out_zero_is_still_pushed_when_process_orders_turns_off():
    """Given Only-when-Process-Orders and a sell-out that turned Process Orders off, then the 0 is
    still pushed (evaluated with the setting from before the change)."""
    after = item("SKU", process_orders=False)

    decision = push_decision(account(AP.PROCESS_ORDERS_ONLY), after, level_received=True, sync_now=False,
                             process_orders_before=True)

    assert decision.push is True
