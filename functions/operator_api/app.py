"""Operator API (API Gateway REST proxy): /v1/{proxy+}, /openapi.json, /docs."""

from aws_lambda_powertools.logging import correlation_paths

from inventory_sync.api.app import handle
from inventory_sync.observability import logger, metrics, tracer


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event, context):
    return handle(event, context)
