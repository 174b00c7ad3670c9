"""Webhook intake (API Gateway): verify, dedupe, store, answer fast. No channel call here."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from inventory_sync.errors import ServiceError
from inventory_sync.http import json_response, raw_body
from inventory_sync.observability import logger, metrics, tracer
from inventory_sync.services.intake import handle_webhook
from inventory_sync.wiring import deps


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    params = event.get("pathParameters") or {}
    try:
        result = handle_webhook(deps(), params.get("channel_type", ""), params.get("channel_id", ""),
                                event.get("headers") or {}, raw_body(event))
    except ServiceError as exc:
        logger.info("webhook refused", extra={"status": exc.status, "code": exc.code, "field": exc.field})
        return json_response(exc.status, exc.to_body())
    return json_response(200, result)
