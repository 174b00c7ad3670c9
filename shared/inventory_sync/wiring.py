"""The composition root: builds adapters from settings on first use (never at import time).

Handlers call `deps()`; tests call `reset()` after changing the environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from inventory_sync.adapters.aws import client, reset_clients
from inventory_sync.adapters.dynamo import DynamoRepository
from inventory_sync.adapters.queues import SqsQueue
from inventory_sync.adapters.secrets import PlatformToken, SsmSecretStore
from inventory_sync.settings import Settings, get_settings


@dataclass
class Deps:
    settings: Settings
    repo: DynamoRepository
    push_queue: SqsQueue
    recompute_queue: SqsQueue
    tracking_queue: SqsQueue
    secrets: SsmSecretStore
    platform_token: PlatformToken


@lru_cache(maxsize=1)
def deps() -> Deps:
    s = get_settings()
    sqs = client("sqs")
    return Deps(
        settings=s,
        repo=DynamoRepository(client("dynamodb"), s.table_name, s.history_retention_days),
        push_queue=SqsQueue(sqs, s.push_queue_url),
        recompute_queue=SqsQueue(sqs, s.recompute_queue_url),
        tracking_queue=SqsQueue(sqs, s.tracking_queue_url),
        secrets=SsmSecretStore(client("ssm"), s.secrets_prefix),
        platform_token=PlatformToken(client("secretsmanager"), s.platform_token_secret_arn, s.platform_token),
    )


def reset() -> None:
    """Forget settings, clients and adapters (the environment changed)."""
    deps.cache_clear()
    get_settings.cache_clear()
    reset_clients()
