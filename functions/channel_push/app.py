"""Channel push (PushQueue): coalesce the batch's signals per channel, then write in batches."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from inventory_sync.observability import logger, metrics, tracer
from inventory_sync.services.push import push_signals
from inventory_sync.wiring import deps


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    groups: dict[tuple[str, str], list[tuple[str, dict]]] = defaultdict(list)
    failures: list[str] = []
    for record in event.get("Records") or []:
        try:
            body = json.loads(record["body"])
            groups[(body["account_id"], body["channel_id"])].append((record["messageId"], body))
        except (ValueError, KeyError, TypeError):
            logger.error("malformed push signal", extra={"message_id": record.get("messageId")})
            failures.append(record["messageId"])  # to the DLQ after its retries, never dropped
    for (account_id, channel_id), items in groups.items():
        try:
            report = push_signals(deps(), [body for _, body in items])
            metrics.add_metric(name="ListingsPushed", unit="Count", value=report.pushed)
            metrics.add_metric(name="ListingsUnchanged", unit="Count", value=report.unchanged)
        except Exception:  # this channel's signals come back after the visibility timeout
            logger.exception("push failed", extra={"account_id": account_id, "channel_id": channel_id})
            failures.extend(message_id for message_id, _ in items)
    return {"batchItemFailures": [{"itemIdentifier": m} for m in failures]}
