"""API Gateway (REST proxy) request/response helpers shared by the HTTP handlers."""

from __future__ import annotations

import base64
import json
from typing import Any, Mapping


def raw_body(event: Mapping[str, Any]) -> bytes:
    """The request body exactly as sent (signatures are computed over these bytes)."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return base64.b64decode(body)
    return body.encode("utf-8")


def json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> dict:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "body": json.dumps(body, separators=(",", ":"), default=str),
        "isBase64Encoded": False,
    }
