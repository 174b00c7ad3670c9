"""Shared fixtures: AWS on moto (in-process), built from template.yaml, and a stream pump.

Resources come from the template, as in the local runtime: no second list of tables or queues.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws

from invsync_local.moto_speedups import install as install_moto_speedups
from invsync_local.template import load_yaml

install_moto_speedups()  # moto copies a table per transaction item; once per table is enough

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = load_yaml((ROOT / "template.yaml").read_text())


class LambdaContextStub:
    function_name = "test"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test"
    aws_request_id = "req-1"
    log_group_name = "/aws/lambda/test"
    log_stream_name = "test"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000


@pytest.fixture
def lambda_context() -> LambdaContextStub:
    return LambdaContextStub()


def _table_spec(logical_id: str = "InventoryTable") -> dict:
    props = TEMPLATE["Resources"][logical_id]["Properties"]
    return {
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": props["BillingMode"],
        "StreamSpecification": {"StreamEnabled": True, **props["StreamSpecification"]},
    }


class AwsEnv:
    """Handles on the moto-backed resources a test uses."""

    def __init__(self) -> None:
        self.ddb = boto3.client("dynamodb")
        self.sqs = boto3.client("sqs")
        # moto's in-process mock knows the legacy streams endpoint, not the account-based one
        self.streams = boto3.client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled"))
        self.table = "invsync-test"
        res = self.ddb.create_table(TableName=self.table, **_table_spec())
        self.stream_arn = res["TableDescription"]["LatestStreamArn"]
        self.queues = {name: self.sqs.create_queue(QueueName=f"invsync-test-{name}")["QueueUrl"]
                       for name in ("push", "recompute", "tracking")}
        self._iterators: dict[str, str] = {}

    def drain(self, name: str) -> list[dict]:
        """Receives and deletes every visible message of a queue; returns their bodies."""
        out = []
        while True:
            res = self.sqs.receive_message(QueueUrl=self.queues[name], MaxNumberOfMessages=10,
                                           AttributeNames=["All"])
            msgs = res.get("Messages", [])
            if not msgs:
                return out
            for m in msgs:
                out.append(json.loads(m["Body"]))
                self.sqs.delete_message(QueueUrl=self.queues[name], ReceiptHandle=m["ReceiptHandle"])

    def sqs_event(self, name: str) -> dict:
        """Receives visible messages as a real SQS Lambda event (they stay in flight)."""
        res = self.sqs.receive_message(QueueUrl=self.queues[name], MaxNumberOfMessages=10, AttributeNames=["All"])
        return {"Records": [{
            "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
            "attributes": m.get("Attributes", {}), "messageAttributes": {}, "md5OfBody": m["MD5OfBody"],
            "eventSource": "aws:sqs", "eventSourceARN": f"arn:aws:sqs:us-east-1:123456789012:{name}",
            "awsRegion": "us-east-1"} for m in res.get("Messages", [])]}

    def stream_records(self) -> list[dict]:
        """New stream records since the last call, shaped as Lambda delivers them."""
        desc = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        records: list[dict] = []
        for shard in desc["Shards"]:
            sid = shard["ShardId"]
            it = self._iterators.get(sid) or self.streams.get_shard_iterator(
                StreamArn=self.stream_arn, ShardId=sid, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            res = self.streams.get_records(ShardIterator=it)
            self._iterators[sid] = res["NextShardIterator"]
            for r in res["Records"]:
                r = dict(r)
                r["eventSourceARN"] = self.stream_arn
                r["awsRegion"] = "us-east-1"
                records.append(r)
        return records


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsEnv]:
    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "InventorySyncTest")
    with mock_aws():
        env = AwsEnv()
        monkeypatch.setenv("TABLE_NAME", env.table)
        monkeypatch.setenv("PUSH_QUEUE_URL", env.queues["push"])
        monkeypatch.setenv("RECOMPUTE_QUEUE_URL", env.queues["recompute"])
        monkeypatch.setenv("TRACKING_QUEUE_URL", env.queues["tracking"])
        monkeypatch.setenv("SECRETS_PREFIX", "/inventory-sync/test")
        monkeypatch.setenv("INVSYNC_PLATFORM_TOKEN", "platform-test-token")
        from inventory_sync import wiring

        wiring.reset()
        yield env
        wiring.reset()


def load_handler(function_dir: str) -> Any:
    """Imports functions/<dir>/app.py under a unique name (every function's module is `app`)."""
    import importlib.util

    path = ROOT / "functions" / function_dir / "app.py"
    spec = importlib.util.spec_from_file_location(f"fn_{function_dir}", path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def handlers() -> dict[str, Any]:
    return {name: load_handler(name) for name in
            ("webhook_intake", "quantity_recompute", "channel_push", "tracking_relay")}


os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "1")
