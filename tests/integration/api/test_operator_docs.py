"""GET /openapi.json and GET /docs (no token needed)."""

from __future__ import annotations

import json
from pathlib import Path

DOCS = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"


def test_openapi_json_is_the_committed_document(api):
    answer = api.get("/openapi.json", token=None)
    assert answer.status == 200 and answer.headers["content-type"].startswith("application/json")
    assert answer.body == json.loads(DOCS.read_text())


def test_openapi_json_lists_every_route_of_the_contract(api):
    paths = api.get("/openapi.json", token=None).body["paths"]
    expected = {
        "/v1/accounts": {"post"}, "/v1/accounts/{account_id}": {"get", "patch"},
        "/v1/accounts/{account_id}/tokens": {"post"},
        "/v1/accounts/{account_id}/warehouses/{warehouse_id}": {"put"},
        "/v1/accounts/{account_id}/products/{sku}": {"put", "get"},
        "/v1/accounts/{account_id}/products/{sku}/explain": {"get"},
        "/v1/accounts/{account_id}/products": {"get"},
        "/v1/accounts/{account_id}/products:bulk-update": {"post"},
        "/v1/accounts/{account_id}/stock-changes": {"post"},
        "/v1/accounts/{account_id}/channels/{channel_id}": {"put", "get"},
        "/v1/accounts/{account_id}/channels/{channel_id}/rules/{sku}": {"put"},
        "/v1/accounts/{account_id}/sync": {"post"}, "/v1/accounts/{account_id}/sync-runs": {"get"},
        "/v1/accounts/{account_id}/sync-runs/{run_id}": {"get"},
        "/v1/accounts/{account_id}/sync-history": {"get"},
        "/v1/portals": {"post"}, "/v1/portals/{portal_id}/import-products": {"post"},
        "/v1/accounts/{account_id}/orders": {"get"}, "/v1/accounts/{account_id}/orders/{order_id}": {"get"},
        "/v1/accounts/{account_id}/orders/{order_id}/split": {"post"},
        "/v1/accounts/{account_id}/orders/{order_id}/shipments": {"post"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path


def test_docs_is_a_swagger_ui_page_reading_openapi_json(api):
    answer = api.get("/docs", token=None)
    assert answer.status == 200 and answer.headers["content-type"].startswith("text/html")
    assert "swagger-ui" in answer.text and 'url: "openapi.json"' in answer.text
