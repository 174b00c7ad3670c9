"""The operator API: a Powertools REST resolver with request validation, behind one `handle()`.

`handle()` does, in order, what must happen before any route or validation runs:
1. authenticate every /v1 request (401 before anything else, even before a 404 route);
2. another account's `/v1/accounts/{id}/...` answers 404, a platform-only route 403, whatever the
   body holds (the routes check again: this only fixes the order of the answers);
3. refuse bodies over 1 MB (413);
4. read bodies as JSON whatever Content-Type says (all bodies are JSON; curl -d sends form type);
5. put the path in one canonical encoded form, so a SKU with any printable character routes.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Mapping

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.metrics import MetricUnit

from inventory_sync.api import (
    error_mapping,
    routes_accounts,
    routes_channels,
    routes_docs,
    routes_orders,
    routes_portals,
    routes_products,
    routes_stock,
    routes_sync,
)
from inventory_sync.api.auth import Principal, authenticate, require_account, require_platform
from inventory_sync.api.paths import canonical_path, decode_segment
from inventory_sync.errors import PayloadTooLarge, ServiceError
from inventory_sync.observability import logger, metrics

MAX_BODY_BYTES = 1024 * 1024

resolver = APIGatewayRestResolver(enable_validation=True)
error_mapping.register(resolver)
for _module in (routes_accounts, routes_products, routes_stock, routes_channels, routes_sync, routes_portals,
                routes_orders, routes_docs):
    resolver.include_router(_module.router)


def handle(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    event = dict(event)
    path = event.get("path") or "/"
    if path == "/v1" or path.startswith("/v1/"):
        try:
            principal = _authenticate(event)
            _check_scope(principal, str(event.get("httpMethod", "")).upper(), path)
            if _body_size(event) > MAX_BODY_BYTES:
                raise PayloadTooLarge("request bodies are limited to 1 MB", field="body")
        except ServiceError as exc:
            return _count(_proxy_result(error_mapping.from_exception(exc)))
        logger.append_keys(caller="platform" if principal.platform else principal.account_id)
        resolver.append_context(principal=principal)
        _force_json(event)
    event["path"] = canonical_path(path)
    return _count(resolver.resolve(event, context))


def _authenticate(event: Mapping[str, Any]) -> Any:
    from inventory_sync.wiring import deps

    d = deps()
    return authenticate(event.get("headers"), d.platform_token.value(), d.repo)


def _check_scope(principal: Principal, method: str, path: str) -> None:
    segments = [decode_segment(x) for x in path.split("/")]
    if len(segments) >= 4 and segments[1:3] == ["v1", "accounts"]:
        require_account(principal, segments[3])
    if (method, _platform_pattern(segments)) in PLATFORM_ONLY:
        require_platform(principal, "do this")


PLATFORM_ONLY = {("POST", "/v1/accounts"), ("POST", "/v1/portals"), ("POST", "/v1/accounts/*/tokens")}


def _platform_pattern(segments: list[str]) -> str:
    if len(segments) == 5 and segments[4] == "tokens":
        return "/".join(segments[:3] + ["*", "tokens"])
    return "/".join(segments)


def _body_size(event: Mapping[str, Any]) -> int:
    body = event.get("body") or ""
    if not event.get("isBase64Encoded"):
        return len(body.encode("utf-8"))
    try:
        return len(base64.b64decode(body))
    except (binascii.Error, ValueError):
        return len(body)


def _force_json(event: dict[str, Any]) -> None:
    for key, value in (("headers", "application/json"), ("multiValueHeaders", ["application/json"])):
        headers = {k: v for k, v in (event.get(key) or {}).items() if k.lower() != "content-type"}
        headers["Content-Type"] = value
        event[key] = headers


def _proxy_result(response: Response) -> dict[str, Any]:
    headers = {"Content-Type": response.headers.get("Content-Type", "application/json")}
    headers.update({k: v for k, v in response.headers.items() if isinstance(v, str)})
    return {"statusCode": response.status_code, "headers": headers, "body": response.body,
            "isBase64Encoded": False}


def _count(result: dict[str, Any]) -> dict[str, Any]:
    status = int(result.get("statusCode", 500))
    metrics.add_metric(name=f"Responses{status // 100}xx", unit=MetricUnit.Count, value=1)
    return result
