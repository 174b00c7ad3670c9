"""The OpenAPI document, generated from the routes and models.

    python -m inventory_sync.api.openapi > docs/openapi.json

A test keeps the committed docs/openapi.json equal to what this prints.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from inventory_sync.api.models import ErrorOut

TITLE = "inventory-sync operator API"
VERSION = "1.0.0"
DESCRIPTION = ("The operator API v1: accounts, tokens, warehouses, products, stock changes, channels, sync, "
               "portals, orders and shipments. Every /v1 route takes `Authorization: Bearer <token>`. Errors "
               "answer `{\"error\": {\"code\", \"message\", \"field\"}}`.")
ERROR_STATUSES = {"400": "Malformed request (e.g. JSON)", "401": "Missing or invalid token",
                  "403": "Not allowed with this token", "404": "Not found (or another account's)",
                  "409": "Conflict", "413": "Body over 1 MB", "422": "Invalid field"}


def build() -> dict[str, Any]:
    from inventory_sync.api.app import resolver

    schema = json.loads(resolver.get_openapi_json_schema(
        title=TITLE, version=VERSION, description=DESCRIPTION,
        security_schemes={"bearerAuth": HTTPBearer(scheme="bearer")}))
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    error_schema = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(error_schema.pop("$defs", {}))
    schemas["ErrorOut"] = error_schema
    for name in ("HTTPValidationError", "ValidationError"):  # Powertools' own shape, not ours
        schemas.pop(name, None)
    error_content = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_STATUSES.items():
                responses[status] = {"description": description, "content": error_content}
    return schema


@lru_cache(maxsize=1)
def openapi_text() -> str:
    return json.dumps(build(), indent=2, sort_keys=False) + "\n"


if __name__ == "__main__":
    print(openapi_text(), end="")
