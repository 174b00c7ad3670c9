"""One mapping from errors to `{"error": {"code", "message", "field"}}` answers."""

from __future__ import annotations

import json

import pytest
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from botocore.exceptions import ClientError

from inventory_sync.adapters.dynamo import TransactionConflict
from inventory_sync.api.error_mapping import field_path, from_exception, from_validation_error
from inventory_sync.domain.errors import DomainValidationError
from inventory_sync.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge, Unauthorized, Unprocessable


def body(response):
    return json.loads(response.body)


@pytest.mark.parametrize("loc,field", [
    (("body", "changes", 3, "quantity"), "changes[3].quantity"),
    (("body", "rules", "allocation_percent"), "rules.allocation_percent"),
    (("body", "bundle", "components", 0, "sku"), "bundle.components[0].sku"),
    (("body", "aliases", "bad key", "[key]"), "aliases.bad key"),
    (("body", "groups", 1, 0), "groups[1][0]"),
    (("path", "account_id"), "account_id"),
    (("query", "limit"), "limit"),
    (("body",), None),
])
def test_a_validation_location_becomes_a_field_path(loc, field):
    assert field_path(loc) == field


@pytest.mark.parametrize("error,status,code,field", [
    (NotFound("no", field="sku"), 404, "not_found", "sku"),
    (Conflict("taken", field="account_id"), 409, "conflict", "account_id"),
    (Unprocessable("bad", field="x", code="custom"), 422, "custom", "x"),
    (InvalidInput("bad cursor", field="cursor"), 400, "invalid_input", "cursor"),
    (PayloadTooLarge("big"), 413, "payload_too_large", None),
    (DomainValidationError("bundle.components", "contains itself", "bundle_cycle"), 422, "bundle_cycle",
     "bundle.components"),
    (TransactionConflict(["ConditionalCheckFailed"]), 409, "conflict", None),
])
def test_typed_errors_answer_their_status_code_and_field(error, status, code, field):
    response = from_exception(error)
    assert response.status_code == status
    assert body(response)["error"]["code"] == code and body(response)["error"]["field"] == field


def test_unauthorized_answers_with_a_bearer_challenge():
    response = from_exception(Unauthorized("no token"))
    assert response.status_code == 401 and response.headers["WWW-Authenticate"] == "Bearer"


def test_throttling_by_aws_is_a_503_to_retry():
    error = ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
                        "PutItem")
    response = from_exception(error)
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"


def test_an_unexpected_error_is_a_500_that_echoes_nothing():
    response = from_exception(KeyError("shpat_secret_value"))
    assert response.status_code == 500 and "shpat" not in response.body
    assert body(response)["error"]["code"] == "internal_error"


def test_malformed_json_is_a_400_on_the_body():
    error = RequestValidationError([{"type": "json_invalid", "loc": ("body", 7), "msg": "JSON decode error"}])
    response = from_validation_error(error)
    assert response.status_code == 400 and body(response)["error"]["field"] == "body"


def test_field_errors_are_a_422_naming_the_first_and_listing_all_without_inputs():
    error = RequestValidationError([
        {"type": "int_type", "loc": ("body", "changes", 0, "quantity"), "msg": "Input should be a valid integer",
         "input": "secret-ish"},
        {"type": "value_error", "loc": ("body", "changes", 1, "sku"), "msg": "Value error, may hold any printable"},
    ])
    response = from_validation_error(error)
    answer = body(response)
    assert response.status_code == 422
    assert answer["error"] == {"code": "wrong_type", "field": "changes[0].quantity",
                               "message": "changes[0].quantity: Input should be a valid integer"}
    assert answer["errors"][1] == {"code": "invalid_value", "field": "changes[1].sku",
                                   "message": "may hold any printable"}
    assert "secret-ish" not in response.body
