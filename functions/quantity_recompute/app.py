"""Quantity recompute: the table's stream (stored changes), the RecomputeQueue (run pages) and the
EventBridge schedule (the periodic full sync) all come here."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from inventory_sync.observability import logger, metrics, tracer
from inventory_sync.services.stream import handle_stream
from inventory_sync.services.sync import fan_out_scheduled, handle_recompute_message
from inventory_sync.wiring import deps


def _page(record: SQSRecord) -> None:
    handle_recompute_message(deps(), json.loads(record.body))


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event.get("source") == "aws.events" or event.get("detail-type") == "Scheduled Event":
        return fan_out_scheduled(deps())
    records = event.get("Records") or []
    if records and records[0].get("eventSource") == "aws:dynamodb":
        failed = handle_stream(deps(), records)
        return {"batchItemFailures": [{"itemIdentifier": seq} for seq in failed]}
    return process_partial_response(event=event, record_handler=_page, processor=BatchProcessor(EventType.SQS),
                                    context=context)
