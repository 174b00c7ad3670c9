"""Embedded AWS (moto server) and the resources template.yaml declares (tables, queues, secrets).

Physical names are deterministic and stack-like (`invsync-local-InventoryTable`) and creation is
idempotent: against an endpoint that already has them (LocalStack, a long-lived moto), existing
resources are reused and brought in line with the template instead of failing.
"""

from __future__ import annotations

import json
import logging
import socket
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from .template import Resolver, Template, creation_order

log = logging.getLogger("invsync_local.aws")

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"
DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_SECURITY_TOKEN": "testing",
}
CLIENT_CONFIG = Config(
    retries={"max_attempts": 3, "mode": "standard"},
    connect_timeout=5,
    read_timeout=30,
)
CREATED_TYPES = (
    "AWS::DynamoDB::Table",
    "AWS::SQS::Queue",
    "AWS::SecretsManager::Secret",
    "AWS::SSM::Parameter",
)

# The embedded server's port is kept for the life of the process: a runtime started again in the
# same process (tests) comes back on the same endpoint, so boto3 clients cached by handler code
# (created once per "container", as they should be) keep working.
_preferred_port: int | None = None


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class EmbeddedAws:
    """A moto server in this process, on loopback."""

    def __init__(self, port: int | None = None) -> None:
        self._requested_port = port
        self._server: Any = None
        self.url = ""

    def start(self) -> str:
        global _preferred_port
        from moto.server import ThreadedMotoServer

        from .moto_speedups import install as install_moto_speedups

        install_moto_speedups()

        # moto's request log would drown the runtime's own output.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        port = self._requested_port if self._requested_port is not None else _preferred_port
        if port and not _port_is_free(port):
            log.info("port %s is taken; the embedded AWS takes a free one", port)
            port = 0
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=port or 0, verbose=False)
        self._server.start()
        host, bound = self._server.get_host_and_port()
        _preferred_port = bound
        self.url = f"http://{host}:{bound}"
        # moto keeps its state in module globals: start from nothing, like a fresh account.
        self.reset()
        return self.url

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST", data=b"")
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            response.read()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


def client(service: str, region: str, session: boto3.session.Session | None = None) -> Any:
    """A boto3 client for the current endpoint (AWS_ENDPOINT_URL) and credentials (os.environ).

    Pass one session for many clients: it loads the service models once. Sessions are not
    thread-safe, so create clients on one thread; the clients themselves may be shared."""
    return (session or boto3.session.Session()).client(service, region_name=region, config=CLIENT_CONFIG)


def account_id(region: str, session: boto3.session.Session | None = None) -> str:
    try:
        return client("sts", region, session).get_caller_identity()["Account"]
    except Exception:  # noqa: BLE001 - an endpoint without STS still works with moto's default
        log.warning("STS get_caller_identity failed; assuming account %s", DEFAULT_ACCOUNT)
        return DEFAULT_ACCOUNT


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


@dataclass
class ResourceRegistry:
    """Physical values of the template's resources: `attributes[logical_id][attr]`, attr "Ref"
    being the `!Ref` value. Resources the runtime does not create get stack-like placeholders."""

    template: Template
    stack_name: str
    region: str
    account_id: str
    attributes: dict[str, dict[str, Any]] = field(default_factory=dict)

    def physical_name(self, logical_id: str) -> str:
        return f"{self.stack_name}-{logical_id}"

    def lookup(self, logical_id: str, attribute: str) -> Any:
        if logical_id in self.attributes:
            return self.attributes[logical_id].get(attribute)
        return self._placeholder(logical_id, attribute)

    def _placeholder(self, logical_id: str, attribute: str) -> Any:
        resource_type = self.template.resources[logical_id].get("Type", "")
        name = self.physical_name(logical_id)
        arn_head = f"arn:aws:{{}}:{self.region}:{self.account_id}"
        if resource_type in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
            props = self.template.resources[logical_id].get("Properties") or {}
            fn_name = props.get("FunctionName") if isinstance(props.get("FunctionName"), str) else name
            values = {"Ref": fn_name, "Arn": f"{arn_head.format('lambda')}:function:{fn_name}"}
        elif resource_type in ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"):
            values = {"Ref": f"{arn_head.format('lambda')}:layer:{name}:1"}
        elif resource_type == "AWS::SNS::Topic":
            arn = f"{arn_head.format('sns')}:{name}"
            values = {"Ref": arn, "TopicArn": arn, "TopicName": name}
        elif resource_type in ("AWS::Serverless::Api", "AWS::ApiGateway::RestApi"):
            values = {"Ref": "local", "RootResourceId": "root"}
        elif resource_type == "AWS::Logs::LogGroup":
            values = {"Ref": name, "Arn": f"{arn_head.format('logs')}:log-group:{name}:*"}
        else:
            service = resource_type.split("::")[1].lower() if "::" in resource_type else "local"
            values = {"Ref": name, "Arn": f"{arn_head.format(service)}:{name}"}
        return values.get(attribute)

    # convenience lookups for the pollers
    def queue_url_for_arn(self, arn: str) -> str | None:
        for attrs in self.attributes.values():
            if attrs.get("Arn") == arn and "QueueUrl" in attrs:
                return attrs["QueueUrl"]
        return None


class ResourceProvisioner:
    """Creates (or reuses) every table, queue, secret and SSM parameter of the template."""

    def __init__(
        self,
        template: Template,
        registry: ResourceRegistry,
        resolver: Resolver,
        *,
        secret_value: Callable[[str], str],
        session: boto3.session.Session | None = None,
    ) -> None:
        self.template = template
        self.registry = registry
        self.resolver = resolver
        self.secret_value = secret_value
        region = registry.region
        self._ddb = client("dynamodb", region, session)
        self._sqs = client("sqs", region, session)
        self._secrets = client("secretsmanager", region, session)
        self._ssm = client("ssm", region, session)

    def provision(self) -> None:
        wanted = [
            lid
            for lid, res in self.template.resources.items()
            if res.get("Type") in CREATED_TYPES
            and (res.get("Condition") is None or self.resolver.condition(res["Condition"]))
        ]
        for lid in creation_order(self.template.resources, wanted):
            resource = self.template.resources[lid]
            props = self.resolver.resolve(resource.get("Properties") or {})
            create = {
                "AWS::DynamoDB::Table": self._table,
                "AWS::SQS::Queue": self._queue,
                "AWS::SecretsManager::Secret": self._secret,
                "AWS::SSM::Parameter": self._parameter,
            }[resource["Type"]]
            self.registry.attributes[lid] = create(lid, props)
            log.debug("%s -> %s", lid, self.registry.attributes[lid].get("Ref"))

    # -- DynamoDB ---------------------------------------------------------------------------

    def _table(self, lid: str, props: Mapping[str, Any]) -> dict[str, Any]:
        name = props.get("TableName") or self.registry.physical_name(lid)
        billing = props.get("BillingMode", "PROVISIONED")
        request: dict[str, Any] = {
            "TableName": name,
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": billing,
        }
        if billing == "PROVISIONED":
            request["ProvisionedThroughput"] = self._throughput(props.get("ProvisionedThroughput"))
        stream = props.get("StreamSpecification")
        if stream:
            request["StreamSpecification"] = {
                "StreamEnabled": True,
                "StreamViewType": stream["StreamViewType"],
            }
        for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            indexes = []
            for index in props.get(key) or []:
                spec = {k: index[k] for k in ("IndexName", "KeySchema", "Projection") if k in index}
                if key == "GlobalSecondaryIndexes" and billing == "PROVISIONED":
                    spec["ProvisionedThroughput"] = self._throughput(index.get("ProvisionedThroughput"))
                indexes.append(spec)
            if indexes:
                request[key] = indexes
        sse = props.get("SSESpecification")
        if sse:
            request["SSESpecification"] = {"Enabled": _flag(sse.get("SSEEnabled"))}
            if sse.get("SSEType"):
                request["SSESpecification"]["SSEType"] = sse["SSEType"]
            if sse.get("KMSMasterKeyId"):
                request["SSESpecification"]["KMSMasterKeyId"] = sse["KMSMasterKeyId"]
        try:
            self._ddb.create_table(**request)
            self._ddb.get_waiter("table_exists").wait(
                TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
            )
        except ClientError as exc:
            if _error_code(exc) != "ResourceInUseException":
                raise
            log.info("table %s exists; reusing it", name)
        table = self._ddb.describe_table(TableName=name)["Table"]
        if stream and not table.get("LatestStreamArn"):
            self._ddb.update_table(TableName=name, StreamSpecification=request["StreamSpecification"])
            table = self._ddb.describe_table(TableName=name)["Table"]

        ttl = props.get("TimeToLiveSpecification")
        if ttl and _flag(ttl.get("Enabled")):
            current = self._ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
            if current.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
                self._ddb.update_time_to_live(
                    TableName=name,
                    TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
                )
        pitr = props.get("PointInTimeRecoverySpecification")
        if pitr and _flag(pitr.get("PointInTimeRecoveryEnabled")):
            try:
                self._ddb.update_continuous_backups(
                    TableName=name,
                    PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
                )
            except ClientError as exc:  # an emulator without PITR still serves the table
                log.info("point-in-time recovery not set on %s: %s", name, _error_code(exc))
        attrs = {"Ref": name, "Arn": table["TableArn"], "TableName": name}
        if table.get("LatestStreamArn"):
            attrs["StreamArn"] = table["LatestStreamArn"]
        return attrs

    @staticmethod
    def _throughput(spec: Mapping[str, Any] | None) -> dict[str, int]:
        spec = spec or {}
        return {
            "ReadCapacityUnits": int(spec.get("ReadCapacityUnits", 5)),
            "WriteCapacityUnits": int(spec.get("WriteCapacityUnits", 5)),
        }

    # -- SQS ----------------------------------------------------------------------------------

    _QUEUE_ATTRIBUTES = (
        "DelaySeconds",
        "MaximumMessageSize",
        "MessageRetentionPeriod",
        "ReceiveMessageWaitTimeSeconds",
        "VisibilityTimeout",
        "KmsMasterKeyId",
        "KmsDataKeyReusePeriodSeconds",
        "SqsManagedSseEnabled",
        "FifoQueue",
        "ContentBasedDeduplication",
        "DeduplicationScope",
        "FifoThroughputLimit",
    )

    def _queue(self, lid: str, props: Mapping[str, Any]) -> dict[str, Any]:
        fifo = _flag(props.get("FifoQueue", False))
        name = props.get("QueueName") or self.registry.physical_name(lid) + (".fifo" if fifo else "")
        attributes = {k: _text(props[k]) for k in self._QUEUE_ATTRIBUTES if k in props}
        for key in ("RedrivePolicy", "RedriveAllowPolicy"):
            if props.get(key):
                value = props[key]
                attributes[key] = value if isinstance(value, str) else json.dumps(value)
        try:
            url = self._sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        except ClientError as exc:
            if _error_code(exc) not in ("QueueAlreadyExists", "QueueNameExists"):
                raise
            log.info("queue %s exists with other attributes; updating it", name)
            url = self._sqs.get_queue_url(QueueName=name)["QueueUrl"]
            mutable = {k: v for k, v in attributes.items() if k != "FifoQueue"}
            if mutable:
                self._sqs.set_queue_attributes(QueueUrl=url, Attributes=mutable)
        arn = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        return {"Ref": url, "QueueUrl": url, "Arn": arn, "QueueName": name}

    # -- Secrets Manager / SSM ----------------------------------------------------------------

    def _secret(self, lid: str, props: Mapping[str, Any]) -> dict[str, Any]:
        name = props.get("Name") or self.registry.physical_name(lid)
        value = props.get("SecretString")
        if value is None:
            value = self.secret_value(lid)
        value = value if isinstance(value, str) else json.dumps(value)
        try:
            arn = self._secrets.create_secret(
                Name=name, SecretString=value, Description=props.get("Description", "")
            )["ARN"]
        except ClientError as exc:
            if _error_code(exc) != "ResourceExistsException":
                raise
            # Reuse it, with the value asked for now (INVSYNC_PLATFORM_TOKEN may have changed).
            arn = self._secrets.put_secret_value(SecretId=name, SecretString=value)["ARN"]
        return {"Ref": arn, "Id": arn, "Name": name}

    def _parameter(self, lid: str, props: Mapping[str, Any]) -> dict[str, Any]:
        name = props.get("Name") or f"/{self.registry.stack_name}/{lid}"
        self._ssm.put_parameter(
            Name=name, Value=_text(props["Value"]), Type=props.get("Type", "String"), Overwrite=True
        )
        return {"Ref": name, "Type": props.get("Type", "String"), "Value": _text(props["Value"])}
