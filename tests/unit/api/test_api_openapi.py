"""docs/openapi.json is generated from the code: `python -m inventory_sync.api.openapi > docs/openapi.json`."""

from __future__ import annotations

import json
from pathlib import Path

from inventory_sync.api.openapi import build, openapi_text

DOCS = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"


def test_the_committed_openapi_json_is_the_generated_one():
    assert DOCS.read_text() == openapi_text(), "regenerate: python -m inventory_sync.api.openapi > docs/openapi.json"


def test_every_operation_documents_the_error_shape_and_bearer_auth():
    schema = build()
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation["security"] == [{"bearerAuth": []}], (method, path)
            assert operation["responses"]["422"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorOut"}


def test_generation_is_deterministic():
    assert json.dumps(build(), indent=2) + "\n" == openapi_text()
