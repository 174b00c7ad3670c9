"""Settings from the environment, parsed once into a pydantic model (no I/O at import time)."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, Field


class Settings(BaseModel):
    table_name: str = Field(default="inventory-sync")
    push_queue_url: str = ""
    recompute_queue_url: str = ""
    tracking_queue_url: str = ""
    secrets_prefix: str = "/inventory-sync/dev"
    platform_token: str | None = None
    platform_token_secret_arn: str | None = None
    history_retention_days: int = 90
    public_url: str = ""
    #: seconds a listing whose channel count fell below ours waits for the order webhook before we raise it
    conflict_grace_seconds: int = 60
    #: SKUs per full-sync page (one RecomputeQueue message each)
    full_sync_page_size: int = 500
    aws_endpoint_url: str | None = None

    @classmethod
    def from_env(cls) -> "Settings":
        env = os.environ
        return cls(
            table_name=env.get("TABLE_NAME", "inventory-sync"),
            push_queue_url=env.get("PUSH_QUEUE_URL", ""),
            recompute_queue_url=env.get("RECOMPUTE_QUEUE_URL", ""),
            tracking_queue_url=env.get("TRACKING_QUEUE_URL", ""),
            secrets_prefix=env.get("SECRETS_PREFIX", "/inventory-sync/dev"),
            platform_token=env.get("INVSYNC_PLATFORM_TOKEN") or None,
            platform_token_secret_arn=env.get("PLATFORM_TOKEN_SECRET_ARN") or None,
            history_retention_days=int(env.get("HISTORY_RETENTION_DAYS", "90")),
            public_url=env.get("INVSYNC_PUBLIC_URL", ""),
            conflict_grace_seconds=int(env.get("INVSYNC_CONFLICT_GRACE_SECONDS", "60")),
            full_sync_page_size=int(env.get("INVSYNC_FULL_SYNC_PAGE_SIZE", "500")),
            aws_endpoint_url=env.get("AWS_ENDPOINT_URL") or None,
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
