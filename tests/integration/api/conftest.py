"""Fixtures for the operator API integration tests: the real handler against moto.

`api` calls `functions/operator_api/app.py`'s handler with API Gateway REST proxy events, against
a moto table shaped like template.yaml's (pk/sk strings, stream NEW_AND_OLD_IMAGES), moto SSM
and SQS. `table_items()` / `ssm_parameters()` let a test assert that nothing was stored.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

ROOT = Path(__file__).resolve().parents[3]
PLATFORM_TOKEN = "platform-test-token-0123456789"
TABLE = "inventory-sync-test"
REGION = "us-east-1"


def load_handler_module() -> Any:
    """Every function's module is named `app`, so it is loaded by file path under its own name."""
    name = "operator_api_app_under_test"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "functions" / "operator_api" / "app.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@dataclass
class LambdaContext:
    function_name: str = "OperatorApiFunction"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:123456789012:function:OperatorApiFunction"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


def rest_event(method: str, path: str, *, body: Any = None, raw_body: str | None = None, token: str | None = None,
               headers: dict[str, str] | None = None, query: dict[str, str] | None = None,
               base64_body: bool = False) -> dict:
    """An API Gateway REST (v1) proxy event for `/v1/{proxy+}`-style resources."""
    all_headers = {"Content-Type": "application/json", "Host": "api.test", **(headers or {})}
    if token is not None:
        all_headers["Authorization"] = f"Bearer {token}"
    text = raw_body if raw_body is not None else (None if body is None else json.dumps(body))
    if text is not None and base64_body:
        text = base64.b64encode(text.encode()).decode()
    return {
        "resource": "/v1/{proxy+}", "path": path, "httpMethod": method,
        "headers": all_headers, "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {k: [v] for k, v in (query or {}).items()} or None,
        "pathParameters": {"proxy": path.removeprefix("/v1/")}, "stageVariables": None,
        "requestContext": {"resourcePath": "/v1/{proxy+}", "httpMethod": method, "path": f"/test{path}",
                           "stage": "test", "requestId": str(uuid.uuid4()), "accountId": "123456789012",
                           "identity": {"sourceIp": "127.0.0.1"}},
        "body": text, "isBase64Encoded": base64_body,
    }


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str]
    text: str

    @property
    def error(self) -> dict:
        return self.body["error"]


class Api:
    """`api.put("/v1/...", {...})` -> Answer. Uses the platform token unless `token=` says otherwise."""

    def __init__(self, handler: Any):
        self._handler = handler
        self.token: str | None = PLATFORM_TOKEN

    def call(self, method: str, path: str, body: Any = None, *, token: Any = "default", **kwargs: Any) -> Answer:
        event = rest_event(method, path, body=body, token=self.token if token == "default" else token, **kwargs)
        result = self._handler(event, LambdaContext())
        text = result.get("body") or ""
        if result.get("isBase64Encoded"):
            text = base64.b64decode(text).decode()
        headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
        for k, v in (result.get("multiValueHeaders") or {}).items():
            headers.setdefault(k.lower(), v[0] if isinstance(v, list) and v else v)
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
        return Answer(result["statusCode"], parsed, headers, text)

    def get(self, path: str, **kw: Any) -> Answer:
        return self.call("GET", path, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> Answer:
        return self.call("PUT", path, body, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Answer:
        return self.call("POST", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> Answer:
        return self.call("PATCH", path, body, **kw)


_TEST_CLIENTS: dict[str, Any] = {}


def test_client(service: str) -> Any:
    """The tests' own clients, built once: moto reintercepts them in every test's mock, and
    building a client (loading its service model) costs more than most tests."""
    if service not in _TEST_CLIENTS:
        _TEST_CLIENTS[service] = boto3.session.Session(region_name=REGION).client(service)
    return _TEST_CLIENTS[service]


@pytest.fixture(scope="session")
def handler_module() -> Any:
    return load_handler_module()


@pytest.fixture(scope="session")
def fresh_clients():
    """`wiring.reset()` once per session: boto3 clients cost ~0.1 s each to build and moto intercepts
    them whenever a mock is active, so they are kept across tests; settings and adapters are not."""
    from inventory_sync import wiring

    wiring.reset()
    yield
    wiring.reset()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, fresh_clients: None):
    """moto with the table, queues and environment the function gets from template.yaml."""
    env = {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION, "TABLE_NAME": TABLE,
        "SECRETS_PREFIX": "/inventory-sync/test", "INVSYNC_PLATFORM_TOKEN": PLATFORM_TOKEN,
        "INVSYNC_PUBLIC_URL": "https://api.test", "POWERTOOLS_TRACE_DISABLED": "1",
        "POWERTOOLS_METRICS_NAMESPACE": "InventorySync", "POWERTOOLS_SERVICE_NAME": "inventory-sync",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "PLATFORM_TOKEN_SECRET_ARN"):
        monkeypatch.delenv(key, raising=False)
    from inventory_sync import settings, wiring

    with mock_aws():
        ddb = test_client("dynamodb")
        ddb.create_table(
            TableName=TABLE, BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        sqs = test_client("sqs")
        for var, name in (("RECOMPUTE_QUEUE_URL", "recompute"), ("PUSH_QUEUE_URL", "push"),
                          ("TRACKING_QUEUE_URL", "tracking")):
            monkeypatch.setenv(var, sqs.create_queue(QueueName=name)["QueueUrl"])
        wiring.deps.cache_clear()
        settings.get_settings.cache_clear()
        yield ddb
        wiring.deps.cache_clear()
        settings.get_settings.cache_clear()


@pytest.fixture
def api(aws: Any, handler_module: Any) -> Api:
    return Api(handler_module.handler)


@pytest.fixture
def table_items(aws: Any):
    """A snapshot of every item in the table (sorted), to assert that nothing was stored."""
    def snapshot() -> list[dict]:
        items, kwargs = [], {"TableName": TABLE}
        while True:
            page = aws.scan(**kwargs)
            items.extend(page["Items"])
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))
    return snapshot


@pytest.fixture
def ssm_parameters(aws: Any):
    def snapshot() -> dict[str, str]:
        ssm = test_client("ssm")
        params = ssm.get_parameters_by_path(Path="/inventory-sync/test", Recursive=True, WithDecryption=True)
        return {p["Name"]: p["Value"] for p in params["Parameters"]}
    return snapshot


@pytest.fixture
def queue_depths(aws: Any):
    def depths() -> dict[str, int]:
        sqs = test_client("sqs")
        return {name: int(sqs.get_queue_attributes(QueueUrl=sqs.get_queue_url(QueueName=name)["QueueUrl"],
                                                   AttributeNames=["ApproximateNumberOfMessages"])
                          ["Attributes"]["ApproximateNumberOfMessages"])
                for name in ("recompute", "push", "tracking")}
    return depths


@pytest.fixture
def repo(aws: Any):
    from inventory_sync.wiring import deps

    return deps().repo


# ---- a small world most tests start from ------------------------------------------------------

@dataclass
class World:
    api: Api
    merchant_token: str
    other_token: str
    supplier_token: str


@pytest.fixture
def world(api: Api, repo: Any) -> World:
    """Given accounts m1 (merchant, warehouses w1 + fba excluded from totals), m2 (merchant, w1) and
    s1 (supplier, sw), each with its own account token. Seeded through the repository: the routes
    that create these are tested on their own, and this keeps every test fast."""
    from inventory_sync.api.auth import hash_token, new_token
    from inventory_sync.domain.model import Account, AccountKind, Warehouse

    tokens = {}
    for account_id, kind in (("m1", "merchant"), ("m2", "merchant"), ("s1", "supplier")):
        repo.create_account(Account(account_id, account_id.upper(), AccountKind(kind)))
        tokens[account_id] = new_token()
        repo.put_token(account_id, hash_token(tokens[account_id]))
    for account_id, warehouse in (("m1", Warehouse("w1", "Main")), ("m1", Warehouse("fba", "FBA", False)),
                                  ("m2", Warehouse("w1", "Other")), ("s1", Warehouse("sw", "Supplier"))):
        repo.put_warehouse(account_id, warehouse)
    return World(api, tokens["m1"], tokens["m2"], tokens["s1"])


@pytest.fixture
def seed_order(repo):
    """Stores an order as intake would (there is no API to create one): lines (line_id, sku, qty, wh)."""
    from inventory_sync.adapters.dynamo import order_to_item
    from inventory_sync.domain.model import Order, OrderLine

    def seed(account_id: str, order_id: str, lines: Any = (("l1", "A", 2, "w1"), ("l2", "B", 1, "w1")),
             source: tuple[str, str] = ("channel", "shop-1"), status: str = "open",
             linked: tuple[dict, ...] = (), routed_to: dict[str, str] | None = None) -> Order:
        order = Order(account_id=account_id, order_id=order_id, source_kind=source[0], source_id=source[1],
                      status=status, linked_orders=linked,
                      lines=tuple(OrderLine(line_id=l, sku=s, quantity=q, warehouse_id=w,
                                            routed_to=(routed_to or {}).get(l)) for l, s, q, w in lines))
        repo.transact([repo.op_put(order_to_item(order))])
        return order
    return seed
