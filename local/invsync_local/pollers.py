"""Event source mappings: SQS and DynamoDB stream pollers that invoke a function like Lambda does.

Both pollers are one daemon thread each, stop within about a second of `stop()` (the SQS long
poll is 1 s), and keep invocations of one mapping sequential. Failed work is retried after
`retry_delay` seconds (INVSYNC_LOCAL_RETRY_DELAY_SECONDS) instead of the queue's real visibility
timeout, so local retries, redrive and on-failure destinations happen in seconds.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

log = logging.getLogger("invsync_local.pollers")

Invoke = Callable[[dict[str, Any]], Any]

# --------------------------------------------------------------------------------------------
# FilterCriteria: the EventBridge pattern subset Lambda event filtering supports
# --------------------------------------------------------------------------------------------

_OPERATORS = {"prefix", "suffix", "anything-but", "exists", "numeric", "equals-ignore-case", "wildcard"}
_MISSING = object()


class FilterPatternError(ValueError):
    """A filter pattern uses something the local runtime does not implement."""


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _numeric_ok(value: Any, spec: Sequence[Any]) -> bool:
    number = _number(value)
    if number is None or len(spec) % 2:
        return False
    checks = {
        "=": lambda a, b: a == b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
    }
    return all(checks[op](number, float(bound)) for op, bound in zip(spec[::2], spec[1::2]))


def _string_rule(value: Any, rule: Any, test: Callable[[str, str], bool]) -> bool:
    if not isinstance(value, str):
        return False
    if isinstance(rule, dict) and "equals-ignore-case" in rule:
        return test(value.lower(), str(rule["equals-ignore-case"]).lower())
    return isinstance(rule, str) and test(value, rule)


def _rule_matches(rule: Any, value: Any) -> bool:
    """One entry of a leaf list against one (present) value."""
    if not isinstance(rule, dict):
        if isinstance(rule, (int, float)) and not isinstance(rule, bool):
            return _number(value) == float(rule) and not isinstance(value, str)
        return value == rule
    (operator, arg), = rule.items()
    if operator == "prefix":
        return _string_rule(value, arg, str.startswith)
    if operator == "suffix":
        return _string_rule(value, arg, str.endswith)
    if operator == "equals-ignore-case":
        return isinstance(value, str) and value.lower() == str(arg).lower()
    if operator == "wildcard":
        regex = ".*".join(re.escape(part) for part in str(arg).split("*"))
        return isinstance(value, str) and re.fullmatch(regex, value, re.DOTALL) is not None
    if operator == "numeric":
        return _numeric_ok(value, arg)
    if operator == "exists":
        return bool(arg)
    if operator == "anything-but":
        if isinstance(arg, dict):
            return not _rule_matches(arg, value)
        excluded = arg if isinstance(arg, list) else [arg]
        return not any(_rule_matches(item, value) for item in excluded)
    raise FilterPatternError(f"filter operator {operator!r} is not supported locally")


def _leaf_matches(rules: list[Any], value: Any) -> bool:
    if value is _MISSING:
        return any(isinstance(r, dict) and r.get("exists") is False for r in rules)
    values = value if isinstance(value, list) else [value]
    return any(
        _rule_matches(rule, v)
        for rule in rules
        if not (isinstance(rule, dict) and rule.get("exists") is False)
        for v in values
    )


def pattern_matches(pattern: Mapping[str, Any], event: Any) -> bool:
    """Does `event` match the EventBridge-style `pattern` (every key must match)?"""
    for key, expected in pattern.items():
        actual = event.get(key, _MISSING) if isinstance(event, dict) else _MISSING
        if isinstance(expected, dict):
            if actual is _MISSING or not isinstance(actual, dict):
                if not _only_absence(expected):
                    return False
                continue
            if not pattern_matches(expected, actual):
                return False
        else:
            rules = expected if isinstance(expected, list) else [expected]
            if not _leaf_matches(rules, actual):
                return False
    return True


def _only_absence(pattern: Mapping[str, Any]) -> bool:
    """A sub-pattern whose every leaf is `exists: false` matches an absent object."""
    for expected in pattern.values():
        if isinstance(expected, dict):
            if not _only_absence(expected):
                return False
        elif not _leaf_matches(expected if isinstance(expected, list) else [expected], _MISSING):
            return False
    return True


def _validate(pattern: Any) -> None:
    if isinstance(pattern, dict):
        for value in pattern.values():
            _validate(value)
    elif isinstance(pattern, list):
        for rule in pattern:
            if isinstance(rule, dict):
                if len(rule) != 1 or next(iter(rule)) not in _OPERATORS:
                    raise FilterPatternError(f"filter rule {rule!r} is not supported locally")


@dataclass(frozen=True)
class FilterCriteria:
    """`FilterCriteria: {Filters: [{Pattern: ...}]}`: a record passes if any pattern matches."""

    patterns: tuple[Mapping[str, Any], ...] = ()

    @classmethod
    def from_properties(cls, spec: Mapping[str, Any] | None) -> "FilterCriteria":
        patterns = []
        for entry in (spec or {}).get("Filters") or []:
            raw = entry.get("Pattern")
            pattern = json.loads(raw) if isinstance(raw, str) else (raw or {})
            if not isinstance(pattern, dict):
                raise FilterPatternError(f"filter pattern must be an object: {raw!r}")
            _validate(pattern)
            patterns.append(pattern)
        return cls(tuple(patterns))

    def matches(self, record: Mapping[str, Any]) -> bool:
        return not self.patterns or any(pattern_matches(p, record) for p in self.patterns)


def _sqs_filter_view(record: Mapping[str, Any]) -> dict[str, Any]:
    """Lambda filters SQS messages with `body` parsed when it is JSON."""
    view = dict(record)
    try:
        view["body"] = json.loads(record["body"])
    except (TypeError, ValueError):
        pass
    return view


# --------------------------------------------------------------------------------------------
# Shared poller plumbing
# --------------------------------------------------------------------------------------------


def batch_item_failures(result: Any) -> list[Any] | None:
    """The identifiers a ReportBatchItemFailures response lists; None means none failed."""
    if not isinstance(result, dict):
        return None
    failures = result.get("batchItemFailures")
    if not failures:
        return None
    if not isinstance(failures, list):
        return [None]  # malformed: Lambda treats the whole batch as failed
    return [f.get("itemIdentifier") if isinstance(f, dict) else None for f in failures]


class _Poller:
    kind = "poller"

    def __init__(self, *, name: str, invoke: Invoke, stop_event: threading.Event) -> None:
        self.name = name
        self._invoke = invoke
        self._stop = stop_event
        self._thread = threading.Thread(target=self._loop, name=f"{self.kind}:{name}", daemon=True)
        self.busy = False
        self.activity = 0  # bumps whenever the poller did something (wait_idle compares it)
        self.idle_passes = 0  # bumps after every pass that found nothing to do

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("%s %s did not stop within %.0fs", self.kind, self.name, timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _loop(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                worked = self._poll()
                failures = 0
            except Exception:  # noqa: BLE001 - a poller survives endpoint hiccups
                failures += 1
                log.exception("%s %s failed to poll", self.kind, self.name)
                worked = False
                self._stop.wait(min(5.0, 0.5 * failures))
            finally:
                self.busy = False
            if worked:
                self.activity += 1
            else:
                self.idle_passes += 1

    def _poll(self) -> bool:
        raise NotImplementedError


# --------------------------------------------------------------------------------------------
# SQS
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SqsMapping:
    queue_url: str
    queue_arn: str
    batch_size: int = 10
    batching_window: float = 0.0
    report_batch_item_failures: bool = False
    filter: FilterCriteria = field(default_factory=FilterCriteria)


class SqsPoller(_Poller):
    """Long-polls a queue and invokes with real SQS Lambda events.

    Success deletes the batch; with ReportBatchItemFailures only the listed messages stay; an
    exception keeps the whole batch. Kept messages are made visible again after `retry_delay`
    seconds, and the queue's own RedrivePolicy moves them to the DLQ after maxReceiveCount
    receives (SQS does that on receive; moto implements it too).
    """

    kind = "sqs"

    def __init__(
        self,
        *,
        name: str,
        mapping: SqsMapping,
        sqs: Any,
        region: str,
        invoke: Invoke,
        stop_event: threading.Event,
        retry_delay: float,
        wait_seconds: int = 1,
    ) -> None:
        super().__init__(name=name, invoke=invoke, stop_event=stop_event)
        self.mapping = mapping
        self._sqs = sqs
        self._region = region
        self._retry_delay = retry_delay
        self._wait = wait_seconds

    def _receive(self, count: int, wait: int) -> list[dict[str, Any]]:
        response = self._sqs.receive_message(
            QueueUrl=self.mapping.queue_url,
            MaxNumberOfMessages=max(1, min(10, count)),
            WaitTimeSeconds=wait,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return response.get("Messages", [])

    def _poll(self) -> bool:
        mapping = self.mapping
        messages = self._receive(mapping.batch_size, self._wait)
        if not messages:
            return False
        self.busy = True
        window_ends = time.monotonic() + mapping.batching_window
        while len(messages) < mapping.batch_size and not self._stop.is_set():
            remaining = window_ends - time.monotonic()
            if remaining <= 0:
                break
            more = self._receive(mapping.batch_size - len(messages), 1 if remaining >= 1 else 0)
            messages.extend(more)
            if not more and remaining < 1:
                self._stop.wait(min(remaining, 0.1))
        self._handle(messages)
        return True

    def _handle(self, messages: list[dict[str, Any]]) -> None:
        records = [self.record(m) for m in messages]
        selected = [r for r in records if self.mapping.filter.matches(_sqs_filter_view(r))]
        selected_ids = {r["messageId"] for r in selected}
        dropped = [r for r in records if r["messageId"] not in selected_ids]
        if dropped:  # Lambda deletes messages its filter rejects
            self._delete(dropped)
        if not selected:
            return
        try:
            result = self._invoke({"Records": selected})
        except Exception:  # noqa: BLE001 - the handler's error is the whole batch's failure
            log.exception("%s: batch of %d failed; it will be retried", self.name, len(selected))
            self._retry_later(selected)
            return
        failed_ids = batch_item_failures(result) if self.mapping.report_batch_item_failures else None
        if failed_ids is None:
            self._delete(selected)
            return
        known = {r["messageId"] for r in selected}
        if any(i not in known for i in failed_ids):
            log.warning("%s: batchItemFailures names unknown ids; the whole batch is retried", self.name)
            self._retry_later(selected)
            return
        failed = set(failed_ids)
        self._delete([r for r in selected if r["messageId"] not in failed])
        self._retry_later([r for r in selected if r["messageId"] in failed])

    def record(self, message: Mapping[str, Any]) -> dict[str, Any]:
        record = {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message.get("Body", ""),
            "attributes": dict(message.get("Attributes") or {}),
            "messageAttributes": {
                name: _lambda_message_attribute(value)
                for name, value in (message.get("MessageAttributes") or {}).items()
            },
            "md5OfBody": message.get("MD5OfBody"),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.mapping.queue_arn,
            "awsRegion": self._region,
        }
        if message.get("MD5OfMessageAttributes"):
            record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
        return record

    def _delete(self, records: Sequence[Mapping[str, Any]]) -> None:
        for chunk in _chunks(records, 10):
            self._sqs.delete_message_batch(
                QueueUrl=self.mapping.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(chunk)],
            )

    def _retry_later(self, records: Sequence[Mapping[str, Any]]) -> None:
        # SQS counts visibility in whole seconds.
        delay = max(0, int(self._retry_delay))
        for chunk in _chunks(records, 10):
            self._sqs.change_message_visibility_batch(
                QueueUrl=self.mapping.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": r["receiptHandle"], "VisibilityTimeout": delay}
                    for i, r in enumerate(chunk)
                ],
            )


def _lambda_message_attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    attribute: dict[str, Any] = {
        "stringListValues": list(value.get("StringListValues") or []),
        "binaryListValues": [_b64(v) for v in value.get("BinaryListValues") or []],
        "dataType": value.get("DataType"),
    }
    if "StringValue" in value:
        attribute["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        attribute["binaryValue"] = _b64(value["BinaryValue"])
    return attribute


def _b64(value: Any) -> str:
    return base64.b64encode(value).decode() if isinstance(value, (bytes, bytearray)) else str(value)


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --------------------------------------------------------------------------------------------
# DynamoDB streams
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StreamMapping:
    stream_arn: str
    starting_position: str = "TRIM_HORIZON"
    batch_size: int = 100
    batching_window: float = 0.0
    report_batch_item_failures: bool = False
    bisect_on_error: bool = False
    maximum_retry_attempts: int = -1  # -1: until the record expires, as Lambda
    on_failure_queue_url: str | None = None
    function_arn: str = ""
    filter: FilterCriteria = field(default_factory=FilterCriteria)


def _attribute_json(value: Any) -> Any:
    """boto3 gives Binary as bytes; the Lambda event carries base64 text."""
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: _attribute_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_attribute_json(v) for v in value]
    return value


def stream_record_to_lambda(raw: Mapping[str, Any], *, stream_arn: str, region: str) -> dict[str, Any]:
    """A GetRecords record as the Lambda DynamoDB event carries it.

    moto's GetRecords gives eventVersion "1.0", awsRegion always us-east-1, and (through boto3)
    a datetime for ApproximateCreationDateTime; Lambda sends "1.1", the stream's region, epoch
    seconds, and adds eventSourceARN.
    """
    source = raw.get("dynamodb") or {}
    created = source.get("ApproximateCreationDateTime")
    if isinstance(created, _dt.datetime):
        created = int(created.timestamp())
    dynamodb: dict[str, Any] = {"ApproximateCreationDateTime": created}
    for key in ("Keys", "NewImage", "OldImage"):
        if key in source:
            dynamodb[key] = _attribute_json(source[key])
    for key in ("SequenceNumber", "SizeBytes", "StreamViewType"):
        if key in source:
            dynamodb[key] = source[key]
    record = {
        "eventID": raw.get("eventID"),
        "eventName": raw.get("eventName"),
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }
    if raw.get("userIdentity"):
        record["userIdentity"] = raw["userIdentity"]
    return record


@dataclass
class _Shard:
    shard_id: str
    iterator: str | None
    buffer: list[dict[str, Any]] = field(default_factory=list)
    buffered_since: float = 0.0
    batch_limit: int = 0
    head: str | None = None  # sequence number the retry count belongs to
    attempts: int = 0


class StreamPoller(_Poller):
    """Reads a DynamoDB stream shard by shard and invokes with real stream events.

    Records the filter rejects are skipped. A batch that fails is retried from the first failed
    record (the lowest `itemIdentifier` sequence number with ReportBatchItemFailures, else the
    batch's first), in order; BisectBatchOnFunctionError halves the batch after a function error
    (halving does not count as a retry). Once MaximumRetryAttempts is exhausted, the batch's
    description goes to the OnFailure SQS destination and the shard moves on, like Lambda.
    """

    kind = "stream"

    def __init__(
        self,
        *,
        name: str,
        mapping: StreamMapping,
        streams: Any,
        sqs: Any,
        region: str,
        invoke: Invoke,
        stop_event: threading.Event,
        retry_delay: float,
        poll_interval: float = 0.2,
        idle_interval: float = 1.0,
    ) -> None:
        super().__init__(name=name, invoke=invoke, stop_event=stop_event)
        self.mapping = mapping
        self._streams = streams
        self._sqs = sqs
        self._region = region
        self._retry_delay = retry_delay
        # an empty stream is polled less and less often (0.2 s up to 1 s): moto keeps every shard
        # iterator it hands out; nudge() polls at once (wait_idle, stop)
        self._poll_interval = poll_interval
        self._idle_interval = idle_interval
        self._interval = poll_interval
        self._wake = threading.Event()
        self._shards: dict[str, _Shard] = {}
        self._started = False
        self._passes = 0

    def _discover(self) -> None:
        description = self._streams.describe_stream(StreamArn=self.mapping.stream_arn)["StreamDescription"]
        for shard in description.get("Shards", []):
            shard_id = shard["ShardId"]
            if shard_id in self._shards:
                continue
            # the first shards start where the mapping says; shards that appear later are new
            # children and are read from their start, as Lambda does
            position = self.mapping.starting_position if not self._started else "TRIM_HORIZON"
            iterator = self._streams.get_shard_iterator(
                StreamArn=self.mapping.stream_arn, ShardId=shard_id, ShardIteratorType=position
            )["ShardIterator"]
            self._shards[shard_id] = _Shard(shard_id, iterator, batch_limit=self.mapping.batch_size)
        self._started = True

    def start(self) -> None:
        # Position LATEST before returning, so "after start" means after start.
        self._discover()
        super().start()

    def _poll(self) -> bool:
        self._passes += 1
        if self._passes % 50 == 0:
            self._discover()
        worked = False
        for shard in list(self._shards.values()):
            if self._stop.is_set():
                break
            worked = self._step(shard) or worked
        if worked:
            self._interval = self._poll_interval
        else:
            self._wake.wait(self._interval)
            self._wake.clear()
            self._interval = min(self._idle_interval, self._interval * 2)
        return worked

    def nudge(self) -> None:
        """Poll now instead of after the idle interval."""
        self._interval = self._poll_interval
        self._wake.set()

    @property
    def pending(self) -> int:
        return sum(len(s.buffer) for s in self._shards.values())

    def _step(self, shard: _Shard) -> bool:
        fetched = 0
        if shard.iterator and len(shard.buffer) < self.mapping.batch_size:
            response = self._streams.get_records(ShardIterator=shard.iterator, Limit=1000)
            shard.iterator = response.get("NextShardIterator")
            raw_records = response.get("Records", [])
            fetched = len(raw_records)
            for raw in raw_records:
                record = stream_record_to_lambda(raw, stream_arn=self.mapping.stream_arn, region=self._region)
                if self.mapping.filter.matches(record):
                    if not shard.buffer:
                        shard.buffered_since = time.monotonic()
                    shard.buffer.append(record)
        if not shard.buffer:
            return fetched > 0
        self.busy = True
        window_open = time.monotonic() - shard.buffered_since < self.mapping.batching_window
        if len(shard.buffer) < self.mapping.batch_size and window_open and shard.iterator:
            return fetched > 0
        self._process(shard)
        return True

    def _process(self, shard: _Shard) -> None:
        batch = shard.buffer[: max(1, min(shard.batch_limit, self.mapping.batch_size))]
        head = batch[0]["dynamodb"]["SequenceNumber"]
        if shard.head != head:
            shard.head, shard.attempts = head, 0
        function_error = False
        try:
            result = self._invoke({"Records": batch})
            failed_ids = batch_item_failures(result) if self.mapping.report_batch_item_failures else None
        except Exception:  # noqa: BLE001 - the handler's error is the batch's failure
            log.exception("%s: batch of %d failed", self.name, len(batch))
            function_error = True
            failed_ids = [head]

        if failed_ids is None:
            del shard.buffer[: len(batch)]
            shard.batch_limit = self.mapping.batch_size
            shard.head, shard.attempts = None, 0
            return

        sequence_numbers = [r["dynamodb"]["SequenceNumber"] for r in batch]
        if any(i not in sequence_numbers for i in failed_ids):
            first_failed = 0  # an unknown or empty identifier fails the whole batch
        else:
            first_failed = min(sequence_numbers.index(i) for i in failed_ids)
        # checkpoint what succeeded before the first failure; retry from the failure on
        del shard.buffer[:first_failed]
        failed_part = batch[first_failed:]
        if shard.head != failed_part[0]["dynamodb"]["SequenceNumber"]:
            shard.head, shard.attempts = failed_part[0]["dynamodb"]["SequenceNumber"], 0

        if function_error and self.mapping.bisect_on_error and len(failed_part) > 1:
            shard.batch_limit = max(1, len(failed_part) // 2)
        else:
            shard.attempts += 1
            limit = self.mapping.maximum_retry_attempts
            if limit >= 0 and shard.attempts > limit:
                self._send_to_on_failure(shard, failed_part, function_error)
                del shard.buffer[: len(failed_part)]
                shard.head, shard.attempts = None, 0
                shard.batch_limit = self.mapping.batch_size
                return
        self._stop.wait(self._retry_delay)

    def _send_to_on_failure(self, shard: _Shard, batch: list[dict[str, Any]], function_error: bool) -> None:
        first, last = batch[0]["dynamodb"], batch[-1]["dynamodb"]
        log.warning(
            "%s: %d record(s) from %s exhausted their retries", self.name, len(batch), first["SequenceNumber"]
        )
        if not self.mapping.on_failure_queue_url:
            return
        response_context: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
        if function_error:
            response_context["functionError"] = "Unhandled"
        payload = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self.mapping.function_arn,
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": shard.attempts,
            },
            "responseContext": response_context,
            "version": "1.0",
            "timestamp": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "DDBStreamBatchInfo": {
                "shardId": shard.shard_id,
                "startSequenceNumber": first["SequenceNumber"],
                "endSequenceNumber": last["SequenceNumber"],
                "approximateArrivalOfFirstRecord": _iso(first.get("ApproximateCreationDateTime")),
                "approximateArrivalOfLastRecord": _iso(last.get("ApproximateCreationDateTime")),
                "batchSize": len(batch),
                "streamArn": self.mapping.stream_arn,
            },
        }
        self._sqs.send_message(QueueUrl=self.mapping.on_failure_queue_url, MessageBody=json.dumps(payload))


def _iso(epoch: Any) -> str | None:
    if epoch is None:
        return None
    moment = _dt.datetime.fromtimestamp(float(epoch), _dt.timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
