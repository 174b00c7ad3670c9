"""Cached boto3 clients. boto3 honours AWS_ENDPOINT_URL itself, so moto, LocalStack and real AWS
differ only by environment. Nothing is created at import time."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=20)


@lru_cache(maxsize=None)
def client(service: str) -> Any:
    return boto3.session.Session().client(service, config=_CONFIG)


def reset_clients() -> None:
    """Forget cached clients (tests that switch endpoints)."""
    client.cache_clear()
