"""Fakes for the operator API's service tests (no AWS)."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from inventory_sync.domain.model import Account, AccountKind, Warehouse


@dataclass
class FakeRepo:
    """Just what catalog.apply_stock_changes reads and writes."""

    accounts: dict[str, Account] = field(default_factory=lambda: {"m1": Account("m1", "M1", AccountKind.MERCHANT)})
    warehouses: dict[str, dict[str, Warehouse]] = field(default_factory=lambda: {"m1": {"w1": Warehouse("w1")}})
    applied: list[Any] = field(default_factory=list)

    def get_account(self, account_id: str) -> Account | None:
        return self.accounts.get(account_id)

    def get_warehouses(self, account_id: str) -> dict[str, Warehouse]:
        return self.warehouses.get(account_id, {})

    def apply_stock_changes(self, account_id: str, changes: list) -> int:
        self.applied.append(list(changes))
        return len(changes)


@pytest.fixture
def fake_deps() -> SimpleNamespace:
    return SimpleNamespace(repo=FakeRepo())
