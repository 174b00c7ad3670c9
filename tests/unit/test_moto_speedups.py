"""The moto transaction speed fix keeps moto's behaviour: a failed transaction rolls back whole."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from invsync_local.moto_speedups import install


@pytest.fixture
def table(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    install()
    with mock_aws():
        c = boto3.client("dynamodb")
        c.create_table(TableName="t", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                       BillingMode="PAY_PER_REQUEST")
        yield c


def test_failed_transaction_leaves_nothing_behind(table):
    table.put_item(TableName="t", Item={"pk": {"S": "taken"}})
    with pytest.raises(ClientError):
        table.transact_write_items(TransactItems=[
            {"Put": {"TableName": "t", "Item": {"pk": {"S": f"new{i}"}}}} for i in range(5)
        ] + [{"Put": {"TableName": "t", "Item": {"pk": {"S": "taken"}}, "ConditionExpression": "attribute_not_exists(pk)"}}])
    assert [i["pk"]["S"] for i in table.scan(TableName="t")["Items"]] == ["taken"]


def test_successful_transaction_writes_every_item(table):
    table.transact_write_items(TransactItems=[
        {"Put": {"TableName": "t", "Item": {"pk": {"S": f"k{i}"}}}} for i in range(50)])
    assert table.scan(TableName="t")["Count"] == 50
