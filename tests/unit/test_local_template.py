"""The local runtime's pure parts: template loading, intrinsics, routes, filters, event shapes."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import pytest

from invsync_local.apigw import Route, RouteTable, build_rest_event, encode_body, response_from_result
from invsync_local.lambda_context import LambdaContext
from invsync_local.pollers import (
    FilterCriteria,
    FilterPatternError,
    batch_item_failures,
    pattern_matches,
    stream_record_to_lambda,
)
from invsync_local.schedules import ScheduleError, rate_seconds, scheduled_event
from invsync_local.template import NO_VALUE, Resolver, TemplateError, creation_order, load_template, load_yaml

ROOT = Path(__file__).resolve().parents[2]

TAGS = """
Mappings:
  Sizes: {dev: {memory: 256}}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  NotProd: !Not [!Condition IsProd]
  Both: !And [!Condition NotProd, !Or [!Condition IsProd, !Condition NotProd]]
Resources:
  X:
    Properties:
      a: !Ref Stage
      b: !GetAtt Queue.Arn
      c: !GetAtt [Queue, QueueName]
      d: !Sub "${AWS::Region}-${Stage}"
      e: !Sub ["${Name}-x", {Name: !Ref Stage}]
      f: !If [IsProd, big, small]
      g: !Join ["-", [a, !Ref Stage]]
      h: !Select [1, !Split [",", "a,b,c"]]
      i: !FindInMap [Sizes, dev, memory]
      j: !Base64 hi
      k: !GetAZs ""
      l: !ImportValue other-stack-output
      version: 2010-09-09
"""


def _resolver(template, lookup=None, overrides=None):
    attrs = {
        ("Queue", "Ref"): "https://sqs/q",
        ("Queue", "Arn"): "arn:aws:sqs:us-east-1:1:q",
        ("Queue", "QueueName"): "q",
        ("Table", "Ref"): "tbl",
        ("Table", "StreamArn"): "arn:stream",
    }
    return Resolver(
        template,
        region="eu-west-1",
        account_id="111122223333",
        stack_name="invsync-local",
        lookup=lookup or (lambda lid, attr: attrs.get((lid, attr))),
        parameter_overrides=overrides,
    )


def _template(text: str, tmp_path: Path):
    path = tmp_path / "template.yaml"
    path.write_text(text)
    return load_template(path)


# -- loader ---------------------------------------------------------------------------------


def test_loader_turns_every_short_form_tag_into_its_long_form():
    body = load_yaml(TAGS)
    props = body["Resources"]["X"]["Properties"]

    assert props["a"] == {"Ref": "Stage"}
    assert props["b"] == {"Fn::GetAtt": ["Queue", "Arn"]}
    assert props["c"] == {"Fn::GetAtt": ["Queue", "QueueName"]}
    assert props["d"] == {"Fn::Sub": "${AWS::Region}-${Stage}"}
    assert props["e"] == {"Fn::Sub": ["${Name}-x", {"Name": {"Ref": "Stage"}}]}
    assert props["f"] == {"Fn::If": ["IsProd", "big", "small"]}
    assert props["g"] == {"Fn::Join": ["-", ["a", {"Ref": "Stage"}]]}
    assert props["h"] == {"Fn::Select": [1, {"Fn::Split": [",", "a,b,c"]}]}
    assert props["i"] == {"Fn::FindInMap": ["Sizes", "dev", "memory"]}
    assert props["j"] == {"Fn::Base64": "hi"}
    assert props["k"] == {"Fn::GetAZs": ""}
    assert props["l"] == {"Fn::ImportValue": "other-stack-output"}
    assert props["version"] == "2010-09-09"
    assert body["Conditions"]["NotProd"] == {"Fn::Not": [{"Condition": "IsProd"}]}


def test_the_real_template_loads_with_globals_applied_to_every_function():
    template = load_template(ROOT / "template.yaml")

    functions = {f.logical_id: f for f in template.functions()}

    assert set(functions) == {
        "WebhookIntakeFunction",
        "OperatorApiFunction",
        "QuantityRecomputeFunction",
        "ChannelPushFunction",
        "TrackingRelayFunction",
    }
    recompute = functions["QuantityRecomputeFunction"]
    assert recompute.timeout == 60 and recompute.memory_size == 512
    assert recompute.environment["TABLE_NAME"] == {"Ref": "InventoryTable"}
    assert recompute.code_uri == ROOT / "functions" / "quantity_recompute"
    assert (recompute.handler_module, recompute.handler_function) == ("app", "handler")
    assert {e.type for e in recompute.events} == {"DynamoDB", "SQS", "Schedule"}


# -- intrinsics -----------------------------------------------------------------------------


def test_intrinsics_resolve_against_parameters_pseudo_parameters_and_resources(tmp_path):
    text = TAGS.replace("Mappings:", "Parameters:\n  Stage: {Type: String, Default: dev}\nMappings:")
    template = _template(text + "  Queue: {Type: AWS::SQS::Queue}\n", tmp_path)

    unresolved = dict(template.resources["X"]["Properties"])
    unresolved.pop("l")  # !ImportValue needs another stack: not resolvable locally

    props = _resolver(template).resolve(unresolved)

    assert props["a"] == "dev"
    assert props["b"] == "arn:aws:sqs:us-east-1:1:q"
    assert props["c"] == "q"
    assert props["d"] == "eu-west-1-dev"
    assert props["e"] == "dev-x"
    assert props["f"] == "small"
    assert props["g"] == "a-dev"
    assert props["h"] == "b"
    assert props["i"] == 256
    assert base64.b64decode(props["j"]) == b"hi"
    assert props["k"][0] == "eu-west-1a"
    with pytest.raises(TemplateError):
        _resolver(template).resolve(template.resources["X"]["Properties"]["l"])


def test_sub_reads_resources_attributes_pseudo_parameters_and_keeps_escaped_literals(tmp_path):
    template = _template(
        "Parameters:\n  Stage: {Type: String, Default: dev}\n"
        "Resources:\n  Queue: {Type: AWS::SQS::Queue}\n  Table: {Type: AWS::DynamoDB::Table}\n",
        tmp_path,
    )
    resolver = _resolver(template)

    text = resolver.resolve(
        {"Fn::Sub": "${Table}|${Queue.QueueName}|${AWS::AccountId}|${AWS::Partition}|${AWS::URLSuffix}|${!Literal}"}
    )

    assert text == "tbl|q|111122223333|aws|amazonaws.com|${Literal}"


def test_a_parameter_default_can_be_overridden_and_numbers_come_back_as_text(tmp_path):
    template = _template(
        "Parameters:\n  Stage: {Type: String, Default: dev}\n  Days: {Type: Number, Default: 90}\nResources: {}\n",
        tmp_path,
    )

    resolver = _resolver(template, overrides={"Stage": "qa"})

    assert resolver.resolve({"Ref": "Stage"}) == "qa"
    assert resolver.resolve({"Ref": "Days"}) == "90"


def test_no_value_drops_the_key_and_unknown_names_are_refused(tmp_path):
    template = _template("Parameters: {}\nResources: {}\n", tmp_path)
    resolver = _resolver(template)

    assert resolver.resolve({"a": {"Ref": "AWS::NoValue"}, "b": 1}) == {"b": 1}
    assert resolver.resolve({"Ref": "AWS::NoValue"}) is NO_VALUE
    with pytest.raises(TemplateError):
        resolver.resolve({"Ref": "Nope"})


def test_the_real_template_resolves_every_function_environment_variable():
    template = load_template(ROOT / "template.yaml")
    values = {
        "InventoryTable": "invsync-local-InventoryTable",
        "PushQueue": "http://q/push",
        "RecomputeQueue": "http://q/recompute",
        "TrackingQueue": "http://q/tracking",
        "PlatformTokenSecret": "arn:aws:secretsmanager:us-east-1:1:secret:x",
    }
    resolver = _resolver(template, lookup=lambda lid, attr: values.get(lid) if attr == "Ref" else None)

    env = resolver.resolve(dict(template.functions()[0].environment))

    assert env["TABLE_NAME"] == "invsync-local-InventoryTable"
    assert env["SECRETS_PREFIX"] == "/inventory-sync/dev"
    assert env["HISTORY_RETENTION_DAYS"] == "90"
    assert env["PLATFORM_TOKEN_SECRET_ARN"].startswith("arn:aws:secretsmanager:")


def test_dead_letter_queues_are_created_before_the_queues_that_redrive_to_them():
    template = load_template(ROOT / "template.yaml")
    queues = template.resources_of_type("AWS::SQS::Queue")

    order = creation_order(template.resources, queues)

    assert order.index("PushDLQ") < order.index("PushQueue")
    assert order.index("RecomputeDLQ") < order.index("RecomputeQueue")
    assert order.index("TrackingDLQ") < order.index("TrackingQueue")


def test_a_reference_cycle_is_reported():
    resources = {
        "A": {"Properties": {"x": {"Ref": "B"}}},
        "B": {"Properties": {"x": {"Fn::Sub": "${A}"}}},
    }

    with pytest.raises(TemplateError, match="circular"):
        creation_order(resources, ["A", "B"])


# -- routes ---------------------------------------------------------------------------------


ROUTES = RouteTable(
    [
        Route("/v1/{proxy+}", "ANY", "Operator"),
        Route("/v1/accounts", "GET", "Accounts"),
        Route("/webhooks/{channel_type}/{channel_id}", "POST", "Webhook"),
        Route("/docs", "GET", "Docs"),
    ]
)


def test_a_literal_route_wins_over_a_greedy_one():
    route, params = ROUTES.match("GET", "/v1/accounts")

    assert (route.function_id, params) == ("Accounts", {})


def test_a_greedy_proxy_takes_the_rest_of_the_path_for_any_method():
    route, params = ROUTES.match("DELETE", "/v1/accounts/a1/products/SKU-1")

    assert route.function_id == "Operator"
    assert params == {"proxy": "accounts/a1/products/SKU-1"}


def test_path_parameters_are_named_by_the_template():
    route, params = ROUTES.match("POST", "/webhooks/shopify/ch-1")

    assert route.function_id == "Webhook"
    assert params == {"channel_type": "shopify", "channel_id": "ch-1"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1"),  # a greedy parameter needs at least one segment
        ("GET", "/webhooks/shopify/ch-1"),  # wrong method
        ("POST", "/webhooks/shopify"),  # too short
        ("POST", "/webhooks/shopify/ch-1/extra"),  # too long
        ("GET", "/nothing"),
    ],
)
def test_requests_without_a_route_do_not_match(method, path):
    assert ROUTES.match(method, path) is None


# -- filter patterns ------------------------------------------------------------------------


def _ddb_record(sk: str, event_name: str = "INSERT", **new):
    image = {"pk": {"S": "ACCT#a"}, "sk": {"S": sk}, **new}
    return {"eventName": event_name, "dynamodb": {"Keys": {"pk": image["pk"], "sk": image["sk"]}, "NewImage": image}}


def test_the_template_filter_passes_stock_records_and_drops_others():
    template = load_template(ROOT / "template.yaml")
    recompute = next(f for f in template.functions() if f.logical_id == "QuantityRecomputeFunction")
    stream = next(e for e in recompute.events if e.type == "DynamoDB")
    criteria = FilterCriteria.from_properties(stream.properties["FilterCriteria"])

    assert criteria.matches(_ddb_record("STOCK#SKU-1#WH#w1"))
    assert criteria.matches(_ddb_record("PRODUCT#SKU-1"))
    assert not criteria.matches(_ddb_record("DEDUPE#shopify#e1"))
    assert not criteria.matches(_ddb_record("LISTING#c1#SKU-1"))


def test_exact_values_and_event_names_match():
    pattern = {"eventName": ["INSERT", "MODIFY"], "dynamodb": {"NewImage": {"status": {"S": ["open"]}}}}

    assert pattern_matches(pattern, _ddb_record("ORDER#1", status={"S": "open"}))
    assert not pattern_matches(pattern, _ddb_record("ORDER#1", "REMOVE", status={"S": "open"}))
    assert not pattern_matches(pattern, _ddb_record("ORDER#1", status={"S": "shipped"}))


def test_anything_but_exists_and_numeric():
    record = _ddb_record("STOCK#1", qty={"N": "5"})

    assert pattern_matches({"eventName": [{"anything-but": ["REMOVE"]}]}, record)
    assert not pattern_matches({"eventName": [{"anything-but": "INSERT"}]}, record)
    assert pattern_matches({"dynamodb": {"NewImage": {"qty": [{"exists": True}]}}}, record)
    assert pattern_matches({"dynamodb": {"NewImage": {"gone": [{"exists": False}]}}}, record)
    assert not pattern_matches({"dynamodb": {"NewImage": {"gone": [{"exists": True}]}}}, record)
    assert pattern_matches({"n": [{"numeric": [">", 0, "<=", 5]}]}, {"n": 5})
    assert not pattern_matches({"n": [{"numeric": [">", 5]}]}, {"n": 5})
    assert pattern_matches({"sk": [{"suffix": ".csv"}]}, {"sk": "upload.csv"})
    assert pattern_matches({"sk": [{"anything-but": {"prefix": "DEDUPE#"}}]}, {"sk": "STOCK#1"})


def test_several_filters_pass_a_record_that_matches_any_of_them():
    criteria = FilterCriteria.from_properties(
        {"Filters": [{"Pattern": '{"eventName": ["REMOVE"]}'}, {"Pattern": '{"eventName": ["INSERT"]}'}]}
    )

    assert criteria.matches({"eventName": "INSERT"})
    assert not criteria.matches({"eventName": "MODIFY"})
    assert FilterCriteria.from_properties(None).matches({"anything": 1})


def test_an_unsupported_filter_operator_is_refused_up_front():
    with pytest.raises(FilterPatternError):
        FilterCriteria.from_properties({"Filters": [{"Pattern": '{"ip": [{"cidr": "10.0.0.0/8"}]}'}]})


def test_batch_item_failures_are_read_from_the_handler_response():
    assert batch_item_failures({"batchItemFailures": []}) is None
    assert batch_item_failures(None) is None
    assert batch_item_failures({"batchItemFailures": [{"itemIdentifier": "m1"}]}) == ["m1"]


# -- event shapes ---------------------------------------------------------------------------


def test_a_request_becomes_a_rest_proxy_event_with_raw_body_and_header_case_kept():
    route = Route("/webhooks/{channel_type}/{channel_id}", "POST", "Webhook")
    now = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone.utc)

    event = build_rest_event(
        method="POST",
        path="/webhooks/shopify/ch-1",
        headers=[("Host", "127.0.0.1:3000"), ("X-Shopify-Hmac-Sha256", "abc="), ("Accept", "a"), ("Accept", "b"),
                 ("Content-Type", "application/json")],
        query_string="x=1&x=2&empty=",
        body=b'{"id": 1,  "spaces": "kept"}',
        route=route,
        path_parameters={"channel_type": "shopify", "channel_id": "ch-1"},
        stage="dev",
        source_ip="127.0.0.1",
        account_id="123456789012",
        request_id="req-1",
        now=now,
    )

    assert event["resource"] == "/webhooks/{channel_type}/{channel_id}"
    assert event["path"] == "/webhooks/shopify/ch-1"
    assert event["httpMethod"] == "POST"
    assert event["headers"]["X-Shopify-Hmac-Sha256"] == "abc="
    assert event["headers"]["Accept"] == "b"
    assert event["multiValueHeaders"]["Accept"] == ["a", "b"]
    assert event["queryStringParameters"] == {"x": "2", "empty": ""}
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"], "empty": [""]}
    assert event["pathParameters"] == {"channel_type": "shopify", "channel_id": "ch-1"}
    assert event["stageVariables"] is None
    assert event["body"] == '{"id": 1,  "spaces": "kept"}'
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["resourcePath"] == event["resource"]
    assert context["httpMethod"] == "POST"
    assert context["path"] == "/dev/webhooks/shopify/ch-1"
    assert context["stage"] == "dev"
    assert context["requestId"] == "req-1"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["requestTimeEpoch"] == int(now.timestamp() * 1000)


def test_no_query_no_body_no_parameters_are_null_as_api_gateway_sends_them():
    event = build_rest_event(
        method="GET", path="/docs", headers=[], query_string="", body=b"", route=Route("/docs", "GET", "Docs"),
        path_parameters={}, stage="dev", source_ip="127.0.0.1", account_id="1",
    )

    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None
    assert event["body"] is None and event["isBase64Encoded"] is False


def test_binary_bodies_travel_as_base64():
    assert encode_body(b"\x00\xff\x10", "application/octet-stream") == (base64.b64encode(b"\x00\xff\x10").decode(), True)
    assert encode_body(b"\xff\xfe", "text/plain") == (base64.b64encode(b"\xff\xfe").decode(), True)
    assert encode_body("é".encode(), "application/json; charset=utf-8") == ("é", False)


def test_the_proxy_result_maps_back_to_status_headers_and_body():
    response = response_from_result(
        {
            "statusCode": 201,
            "headers": {"X-One": "1", "Content-Type": "text/plain"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
            "body": "done",
        }
    )

    assert response.status == 201
    assert ("X-One", "1") in response.headers
    assert [v for k, v in response.headers if k == "Set-Cookie"] == ["a=1", "b=2"]
    assert response.body == b"done"


def test_a_base64_result_is_decoded_and_a_malformed_one_is_a_502():
    binary = response_from_result({"statusCode": 200, "body": base64.b64encode(b"\x00\x01").decode(), "isBase64Encoded": True})

    assert binary.body == b"\x00\x01"
    assert response_from_result({"body": "no status"}).status == 502
    assert response_from_result("not a dict").status == 502


def test_a_stream_record_takes_the_lambda_event_shape():
    raw = {
        "eventID": "e1",
        "eventName": "MODIFY",
        "eventVersion": "1.0",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc),
            "Keys": {"pk": {"S": "a"}},
            "NewImage": {"pk": {"S": "a"}, "blob": {"B": b"\x00\x01"}, "list": {"L": [{"B": b"\x02"}]}},
            "OldImage": {"pk": {"S": "a"}},
            "SequenceNumber": "100",
            "SizeBytes": 20,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }

    record = stream_record_to_lambda(raw, stream_arn="arn:aws:dynamodb:eu-west-1:1:table/t/stream/x", region="eu-west-1")

    assert record["eventVersion"] == "1.1"
    assert record["awsRegion"] == "eu-west-1"
    assert record["eventSourceARN"] == "arn:aws:dynamodb:eu-west-1:1:table/t/stream/x"
    assert record["dynamodb"]["ApproximateCreationDateTime"] == 1714521600
    assert record["dynamodb"]["NewImage"]["blob"] == {"B": "AAE="}
    assert record["dynamodb"]["NewImage"]["list"] == {"L": [{"B": "Ag=="}]}
    assert record["dynamodb"]["OldImage"] == {"pk": {"S": "a"}}
    assert record["dynamodb"]["SequenceNumber"] == "100"


# -- schedules and context ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [("rate(1 minute)", 60), ("rate(5 minutes)", 300), ("rate(1 hour)", 3600), ("rate(2 days)", 172800)],
)
def test_rate_expressions_become_periods(expression, seconds):
    assert rate_seconds(expression) == seconds


def test_cron_is_not_emulated_and_nonsense_is_refused():
    assert rate_seconds("cron(0 12 * * ? *)") is None
    with pytest.raises(ScheduleError):
        rate_seconds("rate(5 minute)")
    with pytest.raises(ScheduleError):
        rate_seconds("every hour")


def test_a_scheduled_event_looks_like_eventbridge_sends_it():
    event = scheduled_event(
        account="123456789012", region="us-east-1", resource_arn="arn:aws:events:us-east-1:123456789012:rule/r",
        now=dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.timezone.utc),
    )

    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["time"] == "2024-05-01T12:30:00Z"
    assert event["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/r"]
    assert event["detail"] == {} and event["version"] == "0" and event["id"]


def test_the_lambda_context_counts_down_from_the_function_timeout():
    context = LambdaContext(function_name="f", memory_limit_in_mb=512, invoked_function_arn="arn:f", timeout_seconds=30)

    assert 29_000 < context.get_remaining_time_in_millis() <= 30_000
    assert context.log_group_name == "/aws/lambda/f"
    assert context.aws_request_id
