"""A speed fix for moto's DynamoDB transactions (behaviour unchanged).

moto backs up a table before a TransactWriteItems by deep-copying it once per *item* of the
transaction, so a 90-item transaction on a table of a few thousand items copies the table 90
times, and time and memory grow with the square of the table. We make it copy each table once
per transaction, which is all the rollback needs. Only moto is touched; production code never
imports this module.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

_local = threading.local()
_installed = False


class _CopyOncePerTransaction:
    """Stands in for the `copy` module inside moto's DynamoDB models."""

    def __init__(self, table_type: type):
        self._table_type = table_type

    def deepcopy(self, obj: Any, memo: Any = None) -> Any:
        cache = getattr(_local, "tables", None)
        if cache is not None and isinstance(obj, self._table_type):
            hit = cache.get(id(obj))
            if hit is None:
                hit = cache[id(obj)] = copy.deepcopy(obj, memo)
            return hit
        return copy.deepcopy(obj, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def install() -> None:
    """Idempotent; safe with moto's threaded server (the cache is per thread and per call)."""
    global _installed
    if _installed:
        return
    import moto.dynamodb.models as models
    from moto.dynamodb.models.table import Table

    original = models.DynamoDBBackend.transact_write_items
    models.copy = _CopyOncePerTransaction(Table)

    def transact_write_items(self: Any, transact_items: Any) -> Any:
        _local.tables = {}
        try:
            return original(self, transact_items)
        finally:
            _local.tables = None

    models.DynamoDBBackend.transact_write_items = transact_write_items
    _installed = True
