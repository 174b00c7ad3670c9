"""Bearer tokens: the platform token and account tokens (stored as sha256 hashes only).

An account token acts inside its own account only. Any id of another account answers 404, exactly
as if it did not exist, so a token can neither change nor even detect another tenant's data (I6).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any, Mapping

from inventory_sync.errors import Forbidden, NotFound, Unauthorized

TOKEN_PREFIX = "isk_"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the platform operator, or one account."""

    account_id: str | None = None
    platform: bool = False

    def can_act_in(self, account_id: str) -> bool:
        return self.platform or self.account_id == account_id


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def bearer_token(headers: Mapping[str, Any] | None) -> str | None:
    for name, value in (headers or {}).items():
        if name.lower() == "authorization" and isinstance(value, str):
            scheme, _, token = value.strip().partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None


def authenticate(headers: Mapping[str, Any] | None, platform_token: str | None, repo: Any) -> Principal:
    """The caller behind the Authorization header; raises Unauthorized (401)."""
    token = bearer_token(headers)
    if token is None:
        raise Unauthorized("an 'Authorization: Bearer <token>' header is required")
    if platform_token and hmac.compare_digest(token.encode("utf-8"), platform_token.encode("utf-8")):
        return Principal(platform=True)
    if not token.startswith(TOKEN_PREFIX) or len(token) > 256:
        raise Unauthorized("the token is not valid")
    digest = hash_token(token)
    account_id = repo.account_for_token(digest)
    if account_id is None:
        raise Unauthorized("the token is not valid")
    return Principal(account_id=account_id)


def require_account(principal: Principal, account_id: str) -> None:
    """404 for an account the caller may not act in: indistinguishable from a missing one."""
    if not principal.can_act_in(account_id):
        raise NotFound(f"account {account_id} not found", field="account_id")


def require_platform(principal: Principal, what: str) -> None:
    if not principal.platform:
        raise Forbidden(f"only the platform token may {what}")
