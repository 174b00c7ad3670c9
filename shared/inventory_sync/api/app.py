"""The operator API: a Powertools REST resolver with request validation, behind one `handle()`.

`handle()` does, in order, what must happen before any route or validation runs:
1. authenticate every /v1 request (401 before anything else, even before a 404 route);
2. refuse bodies over 1 MB (413);
3. read bodies as JSON whatever Content-Type says (all bodies are JSON; curl -d sends form type);
4. put the path in one canonical encoded form, so a SKU with any printable character routes.
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
from inventory_sync.api.auth import authenticate
from inventory_sync.api.paths import canonical_path
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
