"""Sync policy: whether a computed quantity is pushed to the channels (field-docs/05).

The account sets a default (Never / Always / Only when the item is set to Process Orders); an
item may override it (Customer Default / Never / Always / Only when Process Orders), and the
item level wins. On top of the policy:

- Never received: an item whose on hand has never been above 0 is never pushed, so importing a
  catalogue does not zero the channel's counts before the first receipt.
- Sync Now pushes irrespective of the policy, and also for a never-received item: it is the
  operator's explicit request for that item, and the number shown is what the operator expects.
- Changing a policy pushes nothing by itself (field-docs/05: "changing the Sync Inventory setting
  does not trigger an immediate sync"); the next stock change or Sync Now does. So a product
  PUT that only changes `sync_policy` needs no recompute signal.
"""

from __future__ import annotations

from dataclasses import dataclass

from .bundles import component_requirements, is_bundle
from .model import Account, AccountSyncPolicy, Product, ProductSyncPolicy
from .quantity import Catalog

# Decision reasons (stable strings: sync history `reason`, run counts `skipped_by_policy`).
SYNC_NOW = "sync_now"
NOT_RECEIVED = "not_received"
ITEM_NEVER = "item_policy_never"
ACCOUNT_NEVER = "account_policy_never"
ITEM_ALWAYS = "item_policy_always"
ACCOUNT_ALWAYS = "account_policy_always"
ITEM_PROCESS_ORDERS_ON = "item_policy_process_orders_on"
ACCOUNT_PROCESS_ORDERS_ON = "account_policy_process_orders_on"
ITEM_PROCESS_ORDERS_OFF = "item_policy_process_orders_off"
ACCOUNT_PROCESS_ORDERS_OFF = "account_policy_process_orders_off"


@dataclass(frozen=True)
class Decision:
    """Whether to push, and why (one of the reason constants of this module)."""

    push: bool
    reason: str


_ITEM_TO_ACCOUNT = {
    ProductSyncPolicy.NEVER: AccountSyncPolicy.NEVER,
    ProductSyncPolicy.ALWAYS: AccountSyncPolicy.ALWAYS,
    ProductSyncPolicy.PROCESS_ORDERS_ONLY: AccountSyncPolicy.PROCESS_ORDERS_ONLY,
}


def effective_policy(account: Account, product: Product) -> AccountSyncPolicy:
    """The policy that applies to `product`: its own unless it is Customer Default."""
    return _ITEM_TO_ACCOUNT.get(ProductSyncPolicy(product.sync_policy), AccountSyncPolicy(account.sync_policy))


def push_decision(
    account: Account,
    product: Product,
    level_received: bool,
    sync_now: bool,
    *,
    process_orders_before: bool | None = None,
) -> Decision:
    """Whether a quantity computed for `product` is pushed to its channels.

    `level_received`: the item has been received (see `item_received`). `sync_now`: an explicit
    Sync Now (operator API), which pushes whatever the policy and received state.

    `process_orders_before`: when the same stock change also flipped Process Orders (Auto Process
    Orders, see `process_orders_after_change`), pass the value it had before; the item then
    counts as set to Process Orders if it was before *or* is now. Otherwise the sell-out that
    turns Process Orders off would suppress its own 0, and the channel would keep selling.
    """
    if sync_now:
        return Decision(True, SYNC_NOW)
    from_item = ProductSyncPolicy(product.sync_policy) != ProductSyncPolicy.CUSTOMER_DEFAULT
    policy = effective_policy(account, product)
    if policy == AccountSyncPolicy.NEVER:
        return Decision(False, ITEM_NEVER if from_item else ACCOUNT_NEVER)
    if not level_received:
        return Decision(False, NOT_RECEIVED)
    if policy == AccountSyncPolicy.ALWAYS:
        return Decision(True, ITEM_ALWAYS if from_item else ACCOUNT_ALWAYS)
    processing = product.process_orders or bool(process_orders_before)
    if processing:
        return Decision(True, ITEM_PROCESS_ORDERS_ON if from_item else ACCOUNT_PROCESS_ORDERS_ON)
    return Decision(False, ITEM_PROCESS_ORDERS_OFF if from_item else ACCOUNT_PROCESS_ORDERS_OFF)


def publishes_on_shipment(account: Account, product: Product) -> bool:
    """Whether a shipment notice may publish `product`'s quantity to the shop.

    Never (item, or account through Customer Default) stops those too (field-docs/05); the other
    policies leave shipment publishing as it is.
    """
    return effective_policy(account, product) != AccountSyncPolicy.NEVER


def item_received(sku: str, catalog: Catalog) -> bool:
    """Whether `sku` counts as received for the never-received rule.

    A plain item: any of its stock records (any warehouse) has been received. A bundle: its own
    pre-assembled stock was received, or every component (recursively) was. Every, not any: a
    kit missing one never-received component can only be 0, and pushing that 0 is exactly the
    zeroing-out the rule prevents. A cycle (refused on input) counts as not received.
    """
    return _received(sku, catalog, frozenset())


def process_orders_after_change(
    account: Account,
    product: Product,
    total_on_hand_before: int,
    total_on_hand_after: int,
    received_before: bool,
    *,
    total_available_before: int | None = None,
    total_available_after: int | None = None,
) -> bool | None:
    """Auto Process Orders: the item's new Process Orders setting after a stock change, or None.

    Only when the account has `auto_process_orders`. Totals are over the warehouses included in
    combined totals. Returns:
    - True when the item is received (first time its on hand total is above 0) or back in stock
      (the total goes from 0 or less to above 0): a restocked item must not stay off forever;
    - False when it sells out: the total goes from above 0 to 0 or less;
    - None when nothing changes, including when the setting already has that value, and when a
      total stays at 0 (so an operator who switched it on by hand for a pre-order is not
      overruled by an unrelated change).
    Sold out / in stock is measured on available (on hand - committed) when both available totals
    are given, else on on hand. Evaluate the push with `process_orders_before` (see
    `push_decision`) so both the receipt and the sell-out 0 are published.
    """
    if not account.auto_process_orders:
        return None
    if total_available_before is not None and total_available_after is not None:
        before, after = total_available_before, total_available_after
    else:
        before, after = total_on_hand_before, total_on_hand_after
    first_receipt = not received_before and total_on_hand_after > 0
    # A first receipt counts even if pre-orders already commit every unit: those orders can ship.
    if first_receipt or before <= 0 < after:
        decided = True
    elif before > 0 >= after:
        decided = False
    else:
        return None
    return None if decided == product.process_orders else decided


def _received(sku: str, catalog: Catalog, path: frozenset[str]) -> bool:
    if any(level.received for level in catalog.stock.get(sku, {}).values()):
        return True
    product = catalog.products.get(sku)
    if not is_bundle(product) or sku in path:
        return False
    assert product is not None and product.bundle is not None
    return all(_received(c, catalog, path | {sku}) for c in component_requirements(product.bundle))
