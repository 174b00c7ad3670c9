"""template.yaml is valid for SAM and cfn-lint, and keeps the failure-handling rules of the design.

Every asynchronous path reports partial failures and ends in a dead-letter queue that raises an
alarm; queues give their consumer time (visibility ≥ 6 × timeout); the table keeps its history.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from invsync_local.template import Resolver, Template, load_template

pytestmark = pytest.mark.infra

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"


@pytest.fixture(scope="module")
def template() -> Template:
    return load_template(TEMPLATE)


@pytest.fixture(scope="module")
def resolve(template):
    """Resolve parameters (their defaults) and pseudo parameters; resources stay symbolic."""
    resolver = Resolver(
        template,
        region="us-east-1",
        account_id="123456789012",
        stack_name="inventory-sync",
        lookup=lambda logical_id, attribute: f"{logical_id}.{attribute}",
    )
    return resolver.resolve


def _target(value: Any) -> str | None:
    """The logical id a `!Ref X` / `!GetAtt X.Attr` points at."""
    if isinstance(value, dict) and len(value) == 1:
        (key, arg), = value.items()
        if key == "Ref":
            return arg
        if key == "Fn::GetAtt":
            return arg.split(".", 1)[0] if isinstance(arg, str) else arg[0]
    return None


def _events(template: Template, event_type: str) -> list[tuple[Any, Any]]:
    return [(f, e) for f in template.functions() for e in f.events if e.type == event_type]


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0"}
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)


# -- the tools --------------------------------------------------------------------------------


def test_sam_validate_lint_is_clean():
    sam = os.environ.get("SAM_BIN")
    if not sam:
        pytest.skip("SAM_BIN is not set (make test / make infra set it)")
    assert Path(sam).is_file(), f"SAM_BIN={sam} does not exist: run `make install-sam`"

    result = _run([sam, "validate", "--lint", "--region", "us-east-1", "--template-file", str(TEMPLATE)])

    assert result.returncode == 0, result.stdout + result.stderr


def test_cfn_lint_is_clean():
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    command = [str(cfn_lint)] if cfn_lint.is_file() else [shutil.which("cfn-lint") or "cfn-lint"]

    result = _run([*command, str(TEMPLATE)])

    assert result.returncode == 0, result.stdout + result.stderr


# -- failure handling ---------------------------------------------------------------------------


def test_every_queue_consumer_reports_partial_failures_and_caps_its_concurrency(template, resolve):
    sources = _events(template, "SQS")
    assert sources, "the template has SQS event sources"
    for function, event in sources:
        props = resolve(dict(event.properties))
        label = f"{function.logical_id}.{event.name}"
        assert props.get("FunctionResponseTypes") == ["ReportBatchItemFailures"], label
        maximum = (props.get("ScalingConfig") or {}).get("MaximumConcurrency")
        assert maximum is not None and int(maximum) >= 2, f"{label}: ScalingConfig.MaximumConcurrency (2..1000)"


def test_every_stream_consumer_reports_partial_failures_and_ends_in_an_on_failure_queue(template, resolve):
    # ScalingConfig is an SQS-only setting; a stream's bounds are its retries and destination.
    sources = _events(template, "DynamoDB")
    assert sources, "the template has a DynamoDB stream event source"
    for function, event in sources:
        props = event.properties
        label = f"{function.logical_id}.{event.name}"
        assert props.get("FunctionResponseTypes") == ["ReportBatchItemFailures"], label
        assert 0 <= int(resolve(props.get("MaximumRetryAttempts", -1))) <= 10_000, f"{label}: retries are bounded"
        destination = _target(((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination"))
        assert template.resources.get(destination, {}).get("Type") == "AWS::SQS::Queue", f"{label}: OnFailure queue"


def _source_queues(template: Template) -> dict[str, list[Any]]:
    consumers: dict[str, list[Any]] = {}
    for function, event in _events(template, "SQS"):
        consumers.setdefault(_target(event.properties["Queue"]), []).append(function)
    return consumers


def _dead_letter_queues(template: Template) -> set[str]:
    queues = {
        _target((template.resources[q].get("Properties") or {}).get("RedrivePolicy", {}).get("deadLetterTargetArn"))
        for q in template.resources_of_type("AWS::SQS::Queue")
    }
    for _, event in _events(template, "DynamoDB"):
        on_failure = ((event.properties.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        queues.add(_target(on_failure))
    return {q for q in queues if q}


def test_every_source_queue_redrives_to_a_queue(template):
    for queue in _source_queues(template):
        redrive = (template.resources[queue].get("Properties") or {}).get("RedrivePolicy") or {}
        dlq = _target(redrive.get("deadLetterTargetArn"))
        assert template.resources.get(dlq, {}).get("Type") == "AWS::SQS::Queue", f"{queue}: RedrivePolicy to a queue"
        assert int(redrive.get("maxReceiveCount", 0)) >= 1, f"{queue}: maxReceiveCount"


def test_every_dead_letter_queue_has_an_alarm_that_notifies(template):
    alarmed = {}
    for alarm_id in template.resources_of_type("AWS::CloudWatch::Alarm"):
        props = template.resources[alarm_id].get("Properties") or {}
        for dimension in props.get("Dimensions") or []:
            if props.get("Namespace") == "AWS/SQS" and dimension.get("Name") == "QueueName":
                alarmed[_target(dimension.get("Value"))] = props
    dlqs = _dead_letter_queues(template)
    assert dlqs, "the template has dead-letter queues"
    for dlq in dlqs:
        assert dlq in alarmed, f"{dlq} has no CloudWatch alarm"
        alarm = alarmed[dlq]
        assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible", dlq
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold" and float(alarm["Threshold"]) == 0, dlq
        assert alarm.get("AlarmActions"), f"{dlq}: the alarm notifies someone"


def test_queue_visibility_is_at_least_six_times_the_consumer_timeout(template, resolve):
    for queue, functions in _source_queues(template).items():
        visibility = int(resolve((template.resources[queue].get("Properties") or {}).get("VisibilityTimeout", 30)))
        for function in functions:
            timeout = int(resolve(function.timeout))
            assert visibility >= 6 * timeout, f"{queue}: {visibility}s < 6 × {function.logical_id} {timeout}s"


# -- the table ------------------------------------------------------------------------------------


def test_the_table_has_recovery_encryption_ttl_and_a_stream(template):
    tables = template.resources_of_type("AWS::DynamoDB::Table")
    assert tables
    for table in tables:
        props = template.resources[table]["Properties"]
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True, table
        assert props["SSESpecification"]["SSEEnabled"] is True, table
        assert props["TimeToLiveSpecification"]["Enabled"] is True, table
        assert props["TimeToLiveSpecification"]["AttributeName"], table
        assert props["StreamSpecification"]["StreamViewType"] in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES"), table


def test_every_function_points_at_a_handler_that_exists(template):
    for function in template.functions():
        module = function.code_uri / Path(*function.handler_module.split(".")).with_suffix(".py")
        assert module.is_file(), f"{function.logical_id}: {module} is missing"
