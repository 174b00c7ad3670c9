"""The one place where errors become HTTP answers: `{"error": {"code", "message", "field"}}`.

- `inventory_sync.errors.ServiceError` subclasses carry their own status;
- `inventory_sync.domain.errors.DomainValidationError(field, message, code)` is a 422;
- request validation (pydantic) is a 422 naming the field (`changes[3].quantity`), malformed JSON
  or a body that is not an object a 400 naming `body`;
- throttling by AWS is a 503 the client may retry; anything else is a 500 that is logged with its
  traceback but never echoes request data (bodies may hold credentials).
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Sequence

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from botocore.exceptions import ClientError

from inventory_sync.errors import ServiceError
from inventory_sync.observability import logger

_THROTTLED = {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
              "Throttling", "TooManyRequestsException", "TransactionInProgressException"}
_SOURCES = {"body", "path", "query", "header", "cookie"}


def error_response(status: int, code: str, message: str, field: str | None = None,
                   errors: Sequence[dict] | None = None, headers: dict | None = None) -> Response:
    body: dict[str, Any] = {"error": {"code": code, "message": message, "field": field}}
    if errors and len(errors) > 1:
        body["errors"] = list(errors)
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON,
                    body=json.dumps(body), headers=headers or {})


def field_path(loc: Iterable[Any]) -> str | None:
    """("body", "changes", 3, "quantity") -> "changes[3].quantity"."""
    parts = list(loc)
    if parts and parts[0] in _SOURCES:
        parts = parts[1:]
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part == "[key]":
            continue
        else:
            out += ("." if out else "") + str(part)
    return out or None


def _code_for(error_type: str) -> str:
    if error_type == "missing":
        return "missing_field"
    if error_type.endswith("_type") or error_type.endswith("_parsing") or error_type == "model_attributes_type":
        return "wrong_type"
    return "invalid_value"


def _message(error: dict) -> str:
    msg = str(error.get("msg", "is not valid"))
    return msg.removeprefix("Value error, ")


def from_validation_error(exc: RequestValidationError) -> Response:
    raw = list(exc.errors())
    if not raw:
        return error_response(422, "invalid_value", "the request is not valid")
    first = raw[0]
    loc = tuple(first.get("loc") or ())
    if first.get("type") == "json_invalid":
        return error_response(400, "malformed_json", "the body is not valid JSON", "body")
    if loc == ("body",):  # no body, `null`, an array...
        return error_response(400, "invalid_body", "the body must be a JSON object", "body")
    errors = [{"code": _code_for(str(e.get("type", ""))), "message": _message(e),
               "field": field_path(e.get("loc") or ())} for e in raw]
    head = errors[0]
    message = f"{head['field']}: {head['message']}" if head["field"] else head["message"]
    return error_response(422, head["code"], message, head["field"], errors)


def _domain_validation_error_class() -> type | None:
    # written concurrently in domain/errors.py: looked up at call time, not import time
    try:
        from inventory_sync.domain import errors as domain_errors
    except ImportError:
        return None
    return getattr(domain_errors, "DomainValidationError", None)


def from_exception(exc: Exception) -> Response:
    if isinstance(exc, ServiceError):
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return error_response(exc.status, exc.code, exc.message, exc.field, headers=headers)
    if isinstance(exc, RequestValidationError):
        return from_validation_error(exc)
    domain_error = _domain_validation_error_class()
    if domain_error is not None and isinstance(exc, domain_error):
        return error_response(422, str(getattr(exc, "code", None) or "invalid_value"),
                              str(getattr(exc, "message", None) or exc), getattr(exc, "field", None))
    if type(exc).__name__ == "TransactionConflict":
        return error_response(409, "conflict", "the resource changed concurrently; retry the request")
    if isinstance(exc, ClientError) and exc.response.get("Error", {}).get("Code") in _THROTTLED:
        logger.warning("throttled by AWS", extra={"aws_error": exc.response["Error"]["Code"]})
        return error_response(503, "throttled", "the service is busy; retry with backoff",
                              headers={"Retry-After": "1"})
    logger.exception("unhandled error in the operator API")
    return error_response(500, "internal_error", "an unexpected error occurred")


def register(app: Any) -> None:
    """Installs the mapping on a Powertools resolver."""

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported(exc: Exception) -> Response:  # the handler forces JSON; kept as a safety net
        return error_response(415, "unsupported_media_type", "bodies are JSON", "body")

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError) -> Response:
        return from_validation_error(exc)

    @app.not_found
    def _no_route(exc: NotFoundError) -> Response:
        return error_response(404, "route_not_found", "no such route")

    @app.exception_handler(Exception)
    def _any(exc: Exception) -> Response:
        return from_exception(exc)
