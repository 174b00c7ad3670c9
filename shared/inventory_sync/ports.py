"""Ports: the interfaces services talk to. Adapters (DynamoDB, SQS, SSM, channel clients) implement them.

Services depend on these Protocols only, so unit tests can pass fakes and the same service code
runs against moto, LocalStack or real AWS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Protocol, Sequence

from inventory_sync.domain.model import (
    Account,
    Channel,
    Order,
    Portal,
    Product,
    Rules,
    StockLevel,
    Warehouse,
)


@dataclass(frozen=True)
class StockChange:
    """One validated stock change: `set` replaces on hand, `adjust` adds (may be negative)."""

    sku: str
    warehouse_id: str
    op: str  # "set" | "adjust"
    quantity: int
    reason: str
    reference: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class CounterDelta:
    """An atomic change to a stock level's counters (ADD on_hand/committed)."""

    sku: str
    warehouse_id: str
    on_hand: int = 0
    committed: int = 0


@dataclass(frozen=True)
class Listing:
    """What we know of one listing on one channel."""

    account_id: str
    channel_id: str
    listing_sku: str
    sku: str
    desired: int | None = None
    last_seen: int | None = None
    last_pushed: int | None = None
    last_pushed_at: str | None = None
    status: str = "new"  # new | pending | synced | deferred | failed | suspended | skipped
    inventory_item_id: str | None = None
    conflict_since: str | None = None
    #: when `desired` was last computed and when `last_seen` was last learned (read, pushed or an order)
    desired_at: str | None = None
    seen_at: str | None = None
    version: int = 0


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_cursor: str | None = None


@dataclass
class SyncRun:
    account_id: str
    run_id: str
    kind: str  # scheduled | sync_now | bulk | realtime
    status: str = "in_progress"
    started_at: str = ""
    finished_at: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[dict] = field(default_factory=list)
    expected_pages: int = 0
    done_pages: int = 0


@dataclass(frozen=True)
class HistoryEntry:
    at: str
    sku: str
    channel_id: str
    listing_sku: str
    from_quantity: int | None
    to_quantity: int | None
    result: str  # pushed | unchanged | failed | suspended | skipped
    reason: str
    run_id: str | None = None


class Repository(Protocol):
    """Everything stored. Keys are always scoped by account (tenant isolation)."""

    # accounts and tokens
    def create_account(self, account: Account) -> None: ...  # raises Conflict if it exists
    def get_account(self, account_id: str) -> Account | None: ...
    def save_account(self, account: Account) -> None: ...
    def put_token(self, account_id: str, token_hash: str) -> None: ...
    def account_for_token(self, token_hash: str) -> str | None: ...

    # warehouses
    def put_warehouse(self, account_id: str, warehouse: Warehouse) -> None: ...
    def get_warehouses(self, account_id: str) -> dict[str, Warehouse]: ...

    # products (the reverse bundle index is maintained here)
    def put_product(self, account_id: str, product: Product) -> None: ...
    def get_product(self, account_id: str, sku: str) -> Product | None: ...
    def get_products(self, account_id: str, skus: Iterable[str]) -> dict[str, Product]: ...
    def list_products(self, account_id: str, prefix: str = "", cursor: str | None = None,
                      limit: int = 100) -> Page: ...
    def bundles_containing(self, account_id: str, component_sku: str) -> list[str]: ...

    # stock
    def get_stock(self, account_id: str, skus: Iterable[str]) -> dict[str, dict[str, StockLevel]]: ...
    def apply_stock_changes(self, account_id: str, changes: Sequence[StockChange]) -> int: ...
    def set_on_hand(self, account_id: str, sku: str, warehouse_id: str, on_hand: int) -> bool: ...
    def apply_counter_deltas(self, account_id: str, deltas: Sequence[CounterDelta],
                             dedupe_scope: str, key: str) -> bool: ...
    def mark_received(self, account_id: str, sku: str, warehouse_id: str) -> None: ...

    # channels, rules, secrets
    def put_channel(self, channel: Channel) -> None: ...
    def get_channel(self, account_id: str, channel_id: str) -> Channel | None: ...
    def list_channels(self, account_id: str) -> list[Channel]: ...
    def put_rule_override(self, account_id: str, channel_id: str, sku: str, rules: Mapping[str, Any]) -> None: ...
    def get_rule_overrides(self, account_id: str, channel_id: str, skus: Iterable[str]) -> dict[str, dict]: ...

    # listings
    def get_listings(self, account_id: str, channel_id: str, listing_skus: Iterable[str]) -> dict[str, Listing]: ...
    def set_desired(self, account_id: str, channel_id: str, listing_sku: str, sku: str, desired: int) -> bool: ...
    def record_push(self, listing: Listing, *, pushed: int | None, seen: int | None, status: str,
                    at: str, inventory_item_id: str | None = None, conflict_since: str | None = None) -> None: ...

    # orders and shipments
    def get_order(self, account_id: str, order_id: str) -> Order | None: ...

    # portals
    def create_portal(self, portal: Portal) -> None: ...
    def get_portal(self, portal_id: str) -> Portal | None: ...
    def portals_for_account(self, account_id: str) -> list[Portal]: ...

    # sync runs and history
    def create_run(self, run: SyncRun) -> None: ...
    def get_run(self, account_id: str, run_id: str) -> SyncRun | None: ...
    def list_runs(self, account_id: str, limit: int = 20) -> list[SyncRun]: ...
    def add_run_counts(self, account_id: str, run_id: str, counts: Mapping[str, int]) -> None: ...
    def add_history(self, account_id: str, entries: Sequence[HistoryEntry]) -> None: ...
    def list_history(self, account_id: str, sku: str | None = None, channel_id: str | None = None,
                     cursor: str | None = None, limit: int = 100) -> Page: ...


class WorkQueue(Protocol):
    """A queue of small JSON messages (SQS)."""

    def send(self, messages: Sequence[Mapping[str, Any]], delay_seconds: int = 0) -> None: ...


class SecretStore(Protocol):
    """Channel credentials and webhook secrets (SSM SecureString); never stored in table items."""

    def put_channel_secret(self, account_id: str, channel_id: str, secret: Mapping[str, Any]) -> None: ...
    def get_channel_secret(self, account_id: str, channel_id: str) -> dict[str, Any] | None: ...
