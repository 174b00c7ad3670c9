"""The local runtime end to end, on a tiny template and handlers of its own (not the real ones).

Handlers keep what they receive in a module-level EVENTS list; the tests read it through
`runtime.functions[...].module`, so every assertion is about the event the handler really got.
"""

from __future__ import annotations

import base64
import json
import os
import textwrap
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Callable

import boto3
import pytest

from invsync_local.runtime import LocalRuntime
from invsync_local.testing import running_runtime

TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    Default: test
Globals:
  Function:
    Runtime: python3.12
    Timeout: 5
    MemorySize: 256
    Environment:
      Variables:
        TABLE_NAME: !Ref Table
        WORK_QUEUE_URL: !Ref WorkQueue
        SECRET_ARN: !Ref TokenSecret
        STAGE_PATH: !Sub /probe/${Stage}/${AWS::Region}
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {AttributeName: pk, AttributeType: S}
        - {AttributeName: sk, AttributeType: S}
      KeySchema:
        - {AttributeName: pk, KeyType: HASH}
        - {AttributeName: sk, KeyType: RANGE}
      StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
      PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true}
      SSESpecification: {SSEEnabled: true}
      TimeToLiveSpecification: {AttributeName: expires_at, Enabled: true}
  WorkQueue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 30
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt WorkDLQ.Arn
        maxReceiveCount: 2
  WorkDLQ:
    Type: AWS::SQS::Queue
  StreamFailures:
    Type: AWS::SQS::Queue
  TokenSecret:
    Type: AWS::SecretsManager::Secret
    Properties:
      GenerateSecretString: {PasswordLength: 32}
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: !Ref Stage
  ApiFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fns/api/
      Handler: app.handler
      Events:
        Item:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: "/items/{item_id}", Method: post}
        Proxy:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: "/v1/{proxy+}", Method: any}
  WorkerFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fns/worker/
      Handler: app.handler
      Events:
        Work:
          Type: SQS
          Properties:
            Queue: !GetAtt WorkQueue.Arn
            BatchSize: 10
            FunctionResponseTypes: [ReportBatchItemFailures]
            ScalingConfig: {MaximumConcurrency: 2}
  StreamFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fns/stream/
      Handler: app.handler
      Events:
        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Table.StreamArn
            StartingPosition: TRIM_HORIZON
            BatchSize: 10
            MaximumRetryAttempts: 2
            FunctionResponseTypes: [ReportBatchItemFailures]
            DestinationConfig:
              OnFailure: {Type: SQS, Destination: !GetAtt StreamFailures.Arn}
            FilterCriteria:
              Filters:
                - Pattern: '{"dynamodb": {"Keys": {"sk": {"S": [{"prefix": "STOCK#"}]}}}}'
  TickFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fns/tick/
      Handler: app.handler
      Events:
        Every:
          Type: Schedule
          Properties: {Schedule: rate(1 minute)}
"""

HANDLERS = {
    "api": '''
        import base64, json, os
        EVENTS = []

        def handler(event, context):
            EVENTS.append(event)
            if event["pathParameters"] and event["pathParameters"].get("proxy") == "binary":
                return {"statusCode": 200, "headers": {"Content-Type": "application/octet-stream"},
                        "body": base64.b64encode(b"\\x00\\xffraw").decode(), "isBase64Encoded": True}
            if event["pathParameters"] and event["pathParameters"].get("proxy") == "boom":
                raise RuntimeError("boom")
            return {
                "statusCode": 201,
                "headers": {"X-Reply": "yes", "Content-Type": "application/json"},
                "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
                "body": json.dumps({
                    "event": event,
                    "env": {k: os.environ.get(k) for k in ("TABLE_NAME", "WORK_QUEUE_URL", "SECRET_ARN", "STAGE_PATH")},
                    "context": {"function_name": context.function_name,
                                "memory_limit_in_mb": context.memory_limit_in_mb,
                                "invoked_function_arn": context.invoked_function_arn,
                                "aws_request_id": context.aws_request_id,
                                "log_group_name": context.log_group_name,
                                "remaining": context.get_remaining_time_in_millis()},
                }),
            }
    ''',
    "worker": '''
        import time
        EVENTS = []

        def handler(event, context):
            EVENTS.append(event)
            failures = []
            for record in event["Records"]:
                body = record["body"]
                if body.startswith("explode"):
                    raise RuntimeError(body)
                if body.startswith("slow"):
                    time.sleep(1.0)
                if body.startswith("poison"):
                    failures.append({"itemIdentifier": record["messageId"]})
            return {"batchItemFailures": failures}
    ''',
    "stream": '''
        EVENTS = []
        SEEN = set()

        def handler(event, context):
            EVENTS.append(event)
            for record in event["Records"]:
                mode = record["dynamodb"].get("NewImage", {}).get("mode", {}).get("S")
                if mode == "always_fail" or (mode == "fail_once" and record["eventID"] not in SEEN):
                    SEEN.add(record["eventID"])
                    return {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
            return {"batchItemFailures": []}
    ''',
    "tick": '''
        EVENTS = []

        def handler(event, context):
            EVENTS.append(event)
            return {"fired": len(EVENTS), "detailType": event.get("detail-type")}
    ''',
}

# rate(1 minute) x 0.02 = a tick every 1.2 s; failed SQS messages come back at once
RUNTIME_ENV = {
    "INVSYNC_LOCAL_SCHEDULE_SCALE": "0.02",
    "INVSYNC_LOCAL_RETRY_DELAY_SECONDS": "0",
    "INVSYNC_PARAM_Stage": "qa",
    "INVSYNC_PLATFORM_TOKEN": "token-for-tests",
}


def write_project(root: Path) -> Path:
    (root / "template.yaml").write_text(TEMPLATE)
    for name, source in HANDLERS.items():
        folder = root / "fns" / name
        folder.mkdir(parents=True)
        (folder / "app.py").write_text(textwrap.dedent(source))
    return root


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def handler_events(runtime: LocalRuntime, function_id: str) -> list[dict[str, Any]]:
    module = runtime.functions[function_id].module
    return list(module.EVENTS) if module is not None else []


def sqs_records(runtime: LocalRuntime, body_prefix: str) -> list[dict[str, Any]]:
    return [
        record
        for event in handler_events(runtime, "WorkerFunction")
        for record in event["Records"]
        if record["body"].startswith(body_prefix)
    ]


def stream_records(runtime: LocalRuntime, sk_prefix: str) -> list[list[str]]:
    """Per invocation, the sort keys it carried that start with `sk_prefix`."""
    batches = []
    for event in handler_events(runtime, "StreamFunction"):
        keys = [r["dynamodb"]["Keys"]["sk"]["S"] for r in event["Records"]]
        if any(k.startswith(sk_prefix) for k in keys):
            batches.append([k for k in keys if k.startswith(sk_prefix)])
    return batches


def http(method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def queue_messages(runtime: LocalRuntime, logical_id: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name=runtime.region)
    response = sqs.receive_message(QueueUrl=runtime.queue_url(logical_id), MaxNumberOfMessages=10, WaitTimeSeconds=1)
    return response.get("Messages", [])


@pytest.fixture(scope="class")
def runtime(tmp_path_factory):
    """One runtime for the tests of a class (started once: about a second)."""
    root = write_project(tmp_path_factory.mktemp("project"))
    with running_runtime(root, env=RUNTIME_ENV, simulators=False) as runtime:
        yield runtime


class TestRunningRuntime:

    # -- resources ----------------------------------------------------------------------------

    def test_the_table_is_created_with_its_stream_ttl_and_recovery(self, runtime):
        ddb = boto3.client("dynamodb", region_name=runtime.region)
        name = runtime.table_name("Table")

        table = ddb.describe_table(TableName=name)["Table"]

        assert name == "invsync-local-Table"
        assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
        assert table["LatestStreamArn"] == runtime.resources["Table"]["StreamArn"]
        assert ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]["TimeToLiveStatus"] == "ENABLED"
        backups = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
        assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"

    def test_the_queue_redrives_to_its_dead_letter_queue(self, runtime):
        sqs = boto3.client("sqs", region_name=runtime.region)

        attributes = sqs.get_queue_attributes(QueueUrl=runtime.queue_url("WorkQueue"), AttributeNames=["All"])["Attributes"]

        assert attributes["VisibilityTimeout"] == "30"
        assert json.loads(attributes["RedrivePolicy"]) == {
            "deadLetterTargetArn": runtime.resources["WorkDLQ"]["Arn"],
            "maxReceiveCount": 2,
        }

    def test_the_secret_holds_the_platform_token(self, runtime):
        secrets = boto3.client("secretsmanager", region_name=runtime.region)

        value = secrets.get_secret_value(SecretId=runtime.resources["TokenSecret"]["Ref"])["SecretString"]

        assert value == runtime.platform_token == "token-for-tests"

    # -- API --------------------------------------------------------------------------------

    def test_a_request_reaches_its_handler_as_a_rest_proxy_event_and_the_answer_maps_back(self, runtime):
        raw_body = b'{"qty": 3,   "note": "raw bytes, spacing kept"}'

        status, headers, body = http(
            "POST",
            f"{runtime.api_url}/items/sku-1?x=1&x=2",
            raw_body,
            {"Content-Type": "application/json", "X-Custom-Header": "Kept-Case"},
        )

        assert status == 201
        assert headers["X-Reply"] == "yes"
        assert headers.get_all("Set-Cookie") == ["a=1", "b=2"]
        reply = json.loads(body)
        event = reply["event"]
        assert event["resource"] == "/items/{item_id}"
        assert event["path"] == "/items/sku-1"
        assert event["httpMethod"] == "POST"
        assert event["pathParameters"] == {"item_id": "sku-1"}
        assert event["queryStringParameters"] == {"x": "2"}
        assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"]}
        assert event["headers"]["X-Custom-Header"] == "Kept-Case"
        assert event["multiValueHeaders"]["X-Custom-Header"] == ["Kept-Case"]
        assert event["body"] == raw_body.decode()
        assert event["isBase64Encoded"] is False
        assert event["requestContext"]["stage"] == "qa"
        assert event["requestContext"]["resourcePath"] == "/items/{item_id}"
        assert event["requestContext"]["identity"]["sourceIp"] == "127.0.0.1"
        assert reply["env"] == {
            "TABLE_NAME": "invsync-local-Table",
            "WORK_QUEUE_URL": runtime.queue_url("WorkQueue"),
            "SECRET_ARN": runtime.resources["TokenSecret"]["Ref"],
            "STAGE_PATH": f"/probe/qa/{runtime.region}",
        }
        context = reply["context"]
        assert context["function_name"] == "invsync-local-ApiFunction"
        assert context["memory_limit_in_mb"] == 256
        assert context["invoked_function_arn"].endswith(":function:invsync-local-ApiFunction")
        assert context["log_group_name"] == "/aws/lambda/invsync-local-ApiFunction"
        assert 0 < context["remaining"] <= 5000

    def test_a_greedy_route_takes_any_method_and_binary_travels_as_base64(self, runtime):
        status, headers, body = http(
            "PUT", f"{runtime.api_url}/v1/binary", b"\x00\x01\xfe", {"Content-Type": "application/octet-stream"}
        )

        assert status == 200
        assert body == b"\x00\xffraw"
        event = handler_events(runtime, "ApiFunction")[-1]
        assert event["resource"] == "/v1/{proxy+}"
        assert event["pathParameters"] == {"proxy": "binary"}
        assert event["isBase64Encoded"] is True
        assert base64.b64decode(event["body"]) == b"\x00\x01\xfe"

    def test_an_unknown_route_is_refused_as_api_gateway_does(self, runtime):
        for method, path in [("GET", "/nowhere"), ("GET", "/v1"), ("GET", "/items/sku-1")]:
            status, _, body = http(method, f"{runtime.api_url}{path}")

            assert status == 403, path
            assert json.loads(body) == {"message": "Missing Authentication Token"}

    def test_a_handler_error_is_a_502(self, runtime):
        status, _, body = http("GET", f"{runtime.api_url}/v1/boom")

        assert status == 502
        assert json.loads(body) == {"message": "Internal server error"}

    def test_a_body_over_ten_megabytes_is_refused(self, runtime):
        status, _, body = http("POST", f"{runtime.api_url}/items/big", b"x" * (10 * 1024 * 1024 + 1))

        assert status == 413

    def test_health(self, runtime):
        status, _, body = http("GET", f"{runtime.api_url}/_local/health")

        assert status == 200 and json.loads(body)["status"] == "ok"

    # -- SQS ------------------------------------------------------------------------------------

    def test_a_message_reaches_its_handler_as_an_sqs_event_and_is_deleted(self, runtime):
        sqs = boto3.client("sqs", region_name=runtime.region)
        body = f"hello-{uuid.uuid4()}"
        sent = sqs.send_message(
            QueueUrl=runtime.queue_url("WorkQueue"),
            MessageBody=body,
            MessageAttributes={"kind": {"DataType": "String", "StringValue": "greeting"}},
        )

        runtime.wait_idle(15)

        (record,) = sqs_records(runtime, body)
        assert record["messageId"] == sent["MessageId"]
        assert record["receiptHandle"]
        assert record["attributes"]["ApproximateReceiveCount"] == "1"
        assert record["attributes"]["SentTimestamp"].isdigit()
        assert record["messageAttributes"]["kind"]["stringValue"] == "greeting"
        assert record["messageAttributes"]["kind"]["dataType"] == "String"
        assert record["md5OfBody"] == sent["MD5OfMessageBody"]
        assert record["eventSource"] == "aws:sqs"
        assert record["eventSourceARN"] == runtime.resources["WorkQueue"]["Arn"]
        assert record["awsRegion"] == runtime.region

    def test_a_reported_item_failure_is_redelivered_then_dead_lettered_while_the_rest_is_deleted(self, runtime):
        sqs = boto3.client("sqs", region_name=runtime.region)
        poison, fine = f"poison-{uuid.uuid4()}", f"fine-{uuid.uuid4()}"
        sqs.send_message_batch(
            QueueUrl=runtime.queue_url("WorkQueue"),
            Entries=[{"Id": "p", "MessageBody": poison}, {"Id": "f", "MessageBody": fine}],
        )

        runtime.wait_idle(15)

        assert [r["attributes"]["ApproximateReceiveCount"] for r in sqs_records(runtime, poison)] == ["1", "2"]
        assert len(sqs_records(runtime, fine)) == 1
        assert [m["Body"] for m in queue_messages(runtime, "WorkDLQ")] == [poison]

    def test_a_raised_error_keeps_the_whole_batch_for_retry(self, runtime):
        sqs = boto3.client("sqs", region_name=runtime.region)
        body = f"explode-{uuid.uuid4()}"
        sqs.send_message(QueueUrl=runtime.queue_url("WorkQueue"), MessageBody=body)

        runtime.wait_idle(15)

        assert len(sqs_records(runtime, body)) == 2
        assert [m["Body"] for m in queue_messages(runtime, "WorkDLQ")] == [body]

    def test_wait_idle_waits_for_the_invocation_in_flight(self, runtime):
        sqs = boto3.client("sqs", region_name=runtime.region)
        body = f"slow-{uuid.uuid4()}"
        sqs.send_message(QueueUrl=runtime.queue_url("WorkQueue"), MessageBody=body)
        wait_until(lambda: sqs_records(runtime, body), what="the slow message to start")

        with pytest.raises(TimeoutError):
            runtime.wait_idle(0.2)
        assert runtime.wait_idle(15) is True
        assert runtime.functions["WorkerFunction"].in_flight == 0

    # -- DynamoDB stream ----------------------------------------------------------------------

    def test_a_stream_record_reaches_its_handler_through_the_filter(self, runtime):
        ddb = boto3.client("dynamodb", region_name=runtime.region)
        tag = uuid.uuid4().hex
        ddb.put_item(TableName=runtime.table_name("Table"), Item={"pk": {"S": tag}, "sk": {"S": "OTHER#1"}})
        ddb.put_item(TableName=runtime.table_name("Table"), Item={"pk": {"S": tag}, "sk": {"S": f"STOCK#{tag}"}, "qty": {"N": "4"}})

        runtime.wait_idle(15)

        records = [
            r for e in handler_events(runtime, "StreamFunction") for r in e["Records"]
            if r["dynamodb"]["Keys"]["pk"]["S"] == tag
        ]
        assert [r["dynamodb"]["Keys"]["sk"]["S"] for r in records] == [f"STOCK#{tag}"]
        (record,) = records
        assert record["eventName"] == "INSERT"
        assert record["eventVersion"] == "1.1"
        assert record["eventSource"] == "aws:dynamodb"
        assert record["eventSourceARN"] == runtime.resources["Table"]["StreamArn"]
        assert record["awsRegion"] == runtime.region
        assert record["dynamodb"]["NewImage"]["qty"] == {"N": "4"}
        assert record["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], (int, float))
        assert record["dynamodb"]["SequenceNumber"].isdigit()

    def test_a_stream_item_failure_is_retried_from_the_failed_record(self, runtime):
        ddb = boto3.client("dynamodb", region_name=runtime.region)
        tag = uuid.uuid4().hex[:8]
        ddb.batch_write_item(
            RequestItems={
                runtime.table_name("Table"): [
                    {"PutRequest": {"Item": {"pk": {"S": "p"}, "sk": {"S": f"STOCK#{tag}#1"}}}},
                    {"PutRequest": {"Item": {"pk": {"S": "p"}, "sk": {"S": f"STOCK#{tag}#2"}, "mode": {"S": "fail_once"}}}},
                    {"PutRequest": {"Item": {"pk": {"S": "p"}, "sk": {"S": f"STOCK#{tag}#3"}}}},
                ]
            }
        )

        runtime.wait_idle(15)

        batches = stream_records(runtime, f"STOCK#{tag}")
        seen = [key for batch in batches for key in batch]
        assert seen.count(f"STOCK#{tag}#1") == 1
        assert seen.count(f"STOCK#{tag}#2") == 2
        # the retry starts at the failed record: it leads the batch after its failure
        retry = [b for b in batches if f"STOCK#{tag}#2" in b][1]
        assert retry[0] == f"STOCK#{tag}#2"
        assert f"STOCK#{tag}#3" in seen

    def test_a_record_that_keeps_failing_goes_to_the_on_failure_destination(self, runtime):
        ddb = boto3.client("dynamodb", region_name=runtime.region)
        tag = uuid.uuid4().hex[:8]
        ddb.put_item(
            TableName=runtime.table_name("Table"),
            Item={"pk": {"S": "p"}, "sk": {"S": f"STOCK#{tag}"}, "mode": {"S": "always_fail"}},
        )

        runtime.wait_idle(15)

        assert len(stream_records(runtime, f"STOCK#{tag}")) == 3  # first try + MaximumRetryAttempts 2
        (message,) = queue_messages(runtime, "StreamFailures")
        failure = json.loads(message["Body"])
        info = failure["DDBStreamBatchInfo"]
        assert info["streamArn"] == runtime.resources["Table"]["StreamArn"]
        assert info["batchSize"] == 1
        assert info["startSequenceNumber"] == info["endSequenceNumber"]
        assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
        assert failure["requestContext"]["functionArn"] == runtime.functions["StreamFunction"].arn

    # -- schedules ------------------------------------------------------------------------------

    def test_the_local_route_fires_a_schedule_now_and_answers_with_the_result(self, runtime):
        status, _, body = http("POST", f"{runtime.api_url}/_local/schedules/TickFunction")

        assert status == 200
        result = json.loads(body)
        assert result["detailType"] == "Scheduled Event"
        event = handler_events(runtime, "TickFunction")[result["fired"] - 1]
        assert event["source"] == "aws.events"
        assert event["account"] == runtime.account_id and event["region"] == runtime.region
        assert event["resources"][0].startswith(f"arn:aws:events:{runtime.region}:")
        assert event["detail"] == {}

    def test_a_function_without_a_schedule_is_a_404(self, runtime):
        assert http("POST", f"{runtime.api_url}/_local/schedules/WorkerFunction")[0] == 404
        assert http("POST", f"{runtime.api_url}/_local/schedules/Nope")[0] == 404

    def test_a_rate_schedule_fires_on_its_own_scaled_down(self, runtime):
        already = len(handler_events(runtime, "TickFunction"))

        wait_until(lambda: len(handler_events(runtime, "TickFunction")) >= already + 1, timeout=5, what="a tick")


def test_stop_ends_every_thread_closes_the_ports_and_restores_the_environment(tmp_path):
    root = write_project(tmp_path)
    before = dict(os.environ)
    runtime = LocalRuntime(root, port=0, simulators=False, env=RUNTIME_ENV).start()
    api_url = runtime.api_url
    assert os.environ["TABLE_NAME"] == "invsync-local-Table"

    runtime.stop()
    runtime.stop()  # idempotent

    names = [t.name for t in threading.enumerate()]
    assert not [n for n in names if n.startswith(("sqs:", "stream:", "schedule:", "api-server"))]
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{api_url}/_local/health", timeout=2)
    assert dict(os.environ) == before


def test_an_existing_endpoint_is_used_and_its_resources_are_reused(tmp_path):
    from moto.server import ThreadedMotoServer

    root = write_project(tmp_path)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {
        **RUNTIME_ENV,
        "AWS_ENDPOINT_URL": f"http://{host}:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "INVSYNC_LOCAL_SCHEDULE_SCALE": "0",
    }
    try:
        with running_runtime(root, env=env, simulators=False) as first:
            assert first.aws_endpoint_url == f"http://{host}:{port}"
            boto3.client("dynamodb", region_name=first.region).put_item(
                TableName=first.table_name("Table"), Item={"pk": {"S": "kept"}, "sk": {"S": "ITEM"}}
            )
            first_queue = first.queue_url("WorkQueue")

        with running_runtime(root, env=env, simulators=False) as second:
            item = boto3.client("dynamodb", region_name=second.region).get_item(
                TableName=second.table_name("Table"), Key={"pk": {"S": "kept"}, "sk": {"S": "ITEM"}}
            )
            assert item["Item"]["pk"] == {"S": "kept"}
            assert second.queue_url("WorkQueue") == first_queue
    finally:
        server.stop()
