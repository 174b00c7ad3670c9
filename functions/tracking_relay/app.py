"""Tracking relay (TrackingQueue): supplier shipment -> merchant order -> merchant's channel."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from inventory_sync.observability import logger, metrics, tracer
from inventory_sync.services.tracking import relay
from inventory_sync.wiring import deps


def _relay(record: SQSRecord) -> str:
    outcome = relay(deps(), json.loads(record.body))
    logger.info("shipment relayed", extra={"outcome": outcome})
    return outcome


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(event=event, record_handler=_relay, processor=BatchProcessor(EventType.SQS),
                                    context=context)
