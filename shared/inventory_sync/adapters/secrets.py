"""Channel credentials and webhook secrets in SSM Parameter Store (SecureString), never in items.

Reads are cached for a short time per container so webhook intake answers fast; a rotated secret
is picked up within `ttl_seconds`.
"""

from __future__ import annotations

import json
import time
from typing import Any, Mapping

from botocore.exceptions import ClientError


class SsmSecretStore:
    def __init__(self, client: Any, prefix: str, ttl_seconds: float = 60.0):
        self._ssm = client
        self._prefix = prefix.rstrip("/")
        self._ttl = ttl_seconds
        self._cache: dict[str, tuple[float, dict | None]] = {}

    def _name(self, account_id: str, channel_id: str) -> str:
        return f"{self._prefix}/accounts/{account_id}/channels/{channel_id}"

    def put_channel_secret(self, account_id: str, channel_id: str, secret: Mapping[str, Any]) -> None:
        name = self._name(account_id, channel_id)
        self._ssm.put_parameter(Name=name, Value=json.dumps(dict(secret)), Type="SecureString", Overwrite=True)
        self._cache.pop(name, None)

    def get_channel_secret(self, account_id: str, channel_id: str) -> dict[str, Any] | None:
        name = self._name(account_id, channel_id)
        hit = self._cache.get(name)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        try:
            res = self._ssm.get_parameter(Name=name, WithDecryption=True)
            value = json.loads(res["Parameter"]["Value"])
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ParameterNotFound":
                raise
            value = None
        self._cache[name] = (time.monotonic() + self._ttl, value)
        return value


class PlatformToken:
    """The platform token: from INVSYNC_PLATFORM_TOKEN locally, else from Secrets Manager."""

    def __init__(self, secrets_client: Any, secret_arn: str | None, env_token: str | None):
        self._sm = secrets_client
        self._arn = secret_arn
        self._env = env_token
        self._value: str | None = None

    def value(self) -> str | None:
        if self._env:
            return self._env
        if self._value is None and self._arn:
            self._value = self._sm.get_secret_value(SecretId=self._arn)["SecretString"]
        return self._value
